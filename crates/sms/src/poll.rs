//! The loop the dispatcher and the report pusher share: work while there is
//! work, then wait for a wake-up, the poll interval or shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{watch, Notify};

/// Runs `once` (which answers how much it handled) until `shutdown` turns true;
/// what `once` has in hand is finished first. `what` names the work in logs.
pub(crate) async fn run_until_shutdown<F, Fut>(
    what: &'static str,
    wake: &Notify,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut once: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, numgate_store::StoreError>>,
{
    loop {
        if *shutdown.borrow() {
            return;
        }
        let worked = match once().await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "{what}: the database could not be read");
                false
            }
        };
        if worked {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}
