//! The live shopping session behind `Shop`: the client streams edits, and one task per session
//! answers each with the priced cart (or the problem with it), and follows the stock of the
//! products in the cart (inventory's `WatchStock`, with the shopper's token), sending a level
//! whenever it changes. When the cart's products change, it watches the new set.

use std::collections::BTreeMap;

use proto::cart as pb;
use proto::inventory as inventory_pb;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use crate::domain::{parse_quantity, parse_sku};
use crate::lines::{Contents, Shopper};
use crate::{Cart, Error};

type Events = mpsc::Sender<Result<pb::ShopEvent, Status>>;

impl Cart {
    /// Starts a session for `shopper` over `edits`; its events arrive on the receiver.
    pub(crate) fn session(
        &self,
        shopper: Shopper,
        edits: Streaming<pb::ShopRequest>,
    ) -> mpsc::Receiver<Result<pb::ShopEvent, Status>> {
        let (events, receiver) = mpsc::channel(16);
        tokio::spawn(self.clone().run_session(shopper, edits, events));
        receiver
    }

    async fn run_session(
        self,
        shopper: Shopper,
        mut edits: Streaming<pb::ShopRequest>,
        events: Events,
    ) {
        let mut watch = StockWatch::default();
        let first = self.contents(&shopper).await;
        if !self
            .answer(&shopper, String::new(), first, &events, &mut watch)
            .await
        {
            return;
        }
        loop {
            tokio::select! {
                edit = edits.message() => {
                    let Ok(Some(edit)) = edit else { return };
                    let outcome = self.apply(&shopper, edit.edit).await;
                    if !self.answer(&shopper, edit.request_id, outcome, &events, &mut watch).await {
                        return;
                    }
                }
                level = watch.next() => {
                    if let Some(change) = level
                        && events.send(Ok(stock_event(change))).await.is_err()
                    {
                        return;
                    }
                }
                () = events.closed() => return,
            }
        }
    }

    async fn apply(
        &self,
        shopper: &Shopper,
        edit: Option<pb::shop_request::Edit>,
    ) -> Result<Contents, Error> {
        use pb::shop_request::Edit;
        match edit {
            Some(Edit::Add(add)) => {
                let sku = parse_sku(&add.sku)?;
                let quantity = parse_quantity(add.quantity, self.limits)?;
                self.add(shopper, &sku, quantity).await
            }
            Some(Edit::Set(set)) => {
                let sku = parse_sku(&set.sku)?;
                match set.quantity {
                    0 => self.remove(shopper, &sku).await,
                    quantity => {
                        let quantity = parse_quantity(quantity, self.limits)?;
                        self.set(shopper, &sku, quantity).await
                    }
                }
            }
            Some(Edit::Remove(remove)) => self.remove(shopper, &parse_sku(&remove.sku)?).await,
            Some(Edit::Clear(_)) => self.clear(shopper).await,
            None => Err(Error::Invalid(crate::domain::Invalid::new(
                "edit",
                "is required: add, set, remove or clear",
            ))),
        }
    }

    /// Sends the cart (watching its products' stock) or the problem; false once the client is
    /// gone or the session cannot go on.
    async fn answer(
        &self,
        shopper: &Shopper,
        request_id: String,
        outcome: Result<Contents, Error>,
        events: &Events,
        watch: &mut StockWatch,
    ) -> bool {
        let event = match outcome {
            Ok(contents) => {
                let skus: Vec<String> = contents.lines.iter().map(|(sku, _)| sku.clone()).collect();
                if let Err(status) = watch.follow(&self.inventory, shopper, skus).await {
                    // The cart goes on without stock (inventory away, or a token from before
                    // shoppers could read stock).
                    tracing::info!(code = ?status.code(), message = status.message(), "a session watches no stock");
                }
                pb::shop_event::Event::Cart(crate::grpc::view(shopper, contents))
            }
            Err(error) => {
                let status = Status::from(error);
                if matches!(
                    status.code(),
                    tonic::Code::Unauthenticated | tonic::Code::Internal
                ) {
                    let _ = events.send(Err(status)).await;
                    return false;
                }
                pb::shop_event::Event::Problem(pb::ShopProblem {
                    code: problem_code(status.code()).to_owned(),
                    message: status.message().to_owned(),
                })
            }
        };
        let event = pb::ShopEvent {
            request_id,
            event: Some(event),
        };
        events.send(Ok(event)).await.is_ok()
    }
}

/// The REST problem type of a refused edit.
fn problem_code(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::InvalidArgument => "validation",
        tonic::Code::NotFound => "not-found",
        tonic::Code::FailedPrecondition => "failed-precondition",
        tonic::Code::PermissionDenied => "forbidden",
        tonic::Code::Unavailable => "unavailable",
        _ => "error",
    }
}

fn stock_event(level: inventory_pb::StockLevel) -> pb::ShopEvent {
    pb::ShopEvent {
        request_id: String::new(),
        event: Some(pb::shop_event::Event::Stock(pb::StockChange {
            sku: level.sku,
            available: level.available,
        })),
    }
}

/// The stock stream of the cart's products, and the last level sent of each.
#[derive(Default)]
struct StockWatch {
    skus: Vec<String>,
    levels: Option<Streaming<inventory_pb::StockLevel>>,
    sent: BTreeMap<String, i64>,
}

impl StockWatch {
    /// Watches `skus` when they are not what is watched now.
    async fn follow(
        &mut self,
        inventory: &proto::inventory::inventory_client::InventoryClient<
            platform::transport::Transport,
        >,
        shopper: &Shopper,
        mut skus: Vec<String>,
    ) -> Result<(), Status> {
        skus.sort();
        if skus == self.skus {
            return Ok(());
        }
        self.levels = None;
        self.sent.retain(|sku, _| skus.contains(sku));
        self.skus = skus.clone();
        if skus.is_empty() {
            return Ok(());
        }
        let request =
            platform::transport::request(inventory_pb::WatchStockRequest { skus }, &shopper.token);
        self.levels = Some(inventory.clone().watch_stock(request).await?.into_inner());
        Ok(())
    }

    /// The next level that differs from the last one sent; waits forever with nothing watched.
    async fn next(&mut self) -> Option<inventory_pb::StockLevel> {
        loop {
            let Some(levels) = self.levels.as_mut() else {
                return std::future::pending().await;
            };
            match levels.message().await {
                Ok(Some(level)) => {
                    if self.sent.insert(level.sku.clone(), level.available) != Some(level.available)
                    {
                        return Some(level);
                    }
                }
                // The stream ended (inventory went away): the cart goes on without stock.
                _ => {
                    self.levels = None;
                    return None;
                }
            }
        }
    }
}
