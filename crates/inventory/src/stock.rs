//! Stock levels behind the RPCs that look at them and set them: read, set by an admin (and told
//! to watchers), and watched as they change. `grpc.rs` only converts.

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::store::Level;
use crate::{Error, Inventory};

impl Inventory {
    /// The levels of `skus`, in that order; refuses a sku with no stock record.
    pub(crate) async fn levels(&self, skus: &[String]) -> Result<Vec<Level>, Error> {
        self.store.levels(skus).await
    }

    /// Sets what is on hand of `sku`, adding its record if missing; refuses to go below what
    /// reservations hold.
    pub(crate) async fn set_stock(&self, sku: &str, on_hand: i64) -> Result<Level, Error> {
        let level = self
            .store
            .set_stock(sku, on_hand, platform::unix_now())
            .await?;
        self.changed(std::iter::once(sku)).await;
        Ok(level)
    }

    /// The levels of `skus` now, then each new level of one of them, until the receiver is
    /// dropped.
    pub(crate) async fn watch(&self, skus: Vec<String>) -> Result<mpsc::Receiver<Level>, Error> {
        // Subscribe before reading, so that no change between the two is missed.
        let mut changes = self.changes.subscribe();
        let current = self.store.levels(&skus).await?;
        let store = self.store.clone();
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(async move {
            for level in current {
                if sender.send(level).await.is_err() {
                    return;
                }
            }
            loop {
                let update = tokio::select! {
                    _ = sender.closed() => return,
                    update = changes.recv() => update,
                };
                let levels = match update {
                    Ok(changed) if skus.contains(&changed.sku) => vec![changed],
                    Ok(_) => continue,
                    // Fell behind: send what is true now instead of what was missed.
                    Err(RecvError::Lagged(_)) => match store.levels(&skus).await {
                        Ok(levels) => levels,
                        Err(_) => return,
                    },
                    Err(RecvError::Closed) => return,
                };
                for level in levels {
                    if sender.send(level).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(receiver)
    }
}
