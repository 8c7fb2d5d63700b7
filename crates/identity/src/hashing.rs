//! Argon2 off the async workers, a bounded number at a time: each hash takes
//! `argon2_memory_kib` (19 MiB by default), so a burst of logins or sign-ups waits for a turn
//! instead of taking a blocking thread and its memory each (the threat model's G2). One at a
//! time per core: more would only share the cores and hold more memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use tokio::sync::Semaphore;

#[derive(Debug)]
pub(crate) struct Hashing {
    turns: Arc<Semaphore>,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    running: AtomicUsize,
    /// The most that ever ran at once, for tests and the curious.
    peak: AtomicUsize,
}

/// One hash running; counted out when it ends, panic or not.
struct Running(Arc<Counts>);

impl Running {
    fn start(counts: Arc<Counts>) -> Running {
        let running = counts.running.fetch_add(1, Ordering::SeqCst) + 1;
        counts.peak.fetch_max(running, Ordering::SeqCst);
        Running(counts)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hashing {
    /// At most `at_once` hashes run together; 0 means one per core.
    pub(crate) fn new(at_once: usize) -> Hashing {
        let at_once = match at_once {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            at_once => at_once,
        };
        Hashing {
            turns: Arc::new(Semaphore::new(at_once)),
            counts: Arc::default(),
        }
    }

    /// Runs `work` on the blocking pool once a turn is free. The turn is held by the work
    /// itself, so a caller that goes away while it runs does not let another start beside it.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let turn = self
            .turns
            .clone()
            .acquire_owned()
            .await
            .context("wait for a turn to hash")?;
        let counts = self.counts.clone();
        let done = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _running = Running::start(counts);
            work()
        })
        .await;
        Ok(done?)
    }

    #[cfg(test)]
    pub(crate) fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_limit_run_at_once_and_every_one_runs() {
        let hashing = Arc::new(Hashing::new(2));
        let runs = (0..8).map(|index| {
            let hashing = hashing.clone();
            tokio::spawn(async move {
                hashing
                    .run(move || {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        index
                    })
                    .await
                    .unwrap()
            })
        });
        let mut done: Vec<i32> = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        done.sort_unstable();
        assert_eq!(done, (0..8).collect::<Vec<_>>());
        assert_eq!(hashing.peak(), 2);
    }
}
