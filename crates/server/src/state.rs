//! What every request handler shares: the store, the keys, the clock, the config.

use std::sync::Arc;

use numgate_domain::clock::Clock;
use numgate_domain::secrets::{CodeHasher, SecretBox};
use numgate_store::Store;
use tokio::sync::Notify;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// Opens AccessKey secrets and seals queued message texts.
    pub secrets: SecretBox,
    pub hasher: CodeHasher,
    /// Wakes the SMS dispatcher of this node once a send has committed.
    pub dispatch_wake: Arc<Notify>,
}
