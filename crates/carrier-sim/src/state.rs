//! The simulator's shared state: subscriber table, credentials, issued tokens, faults, clock.
//!
//! One `SimState` per simulator, passed to handlers as axum state, so several simulators can run
//! in one process. Locks are `std::sync::Mutex`: critical sections are short and never await.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::camara::store::CamaraStore;
use crate::clock::Clock;
use crate::config::{CamaraClientConfig, CamaraSettings, Carrier, SimConfig, SubscriberConfig};
use crate::faults::Faults;
use crate::tokens::{NonceCache, TokenStore};

/// Everything one simulator knows.
#[derive(Debug)]
pub(crate) struct SimState {
    /// Subscribers by bearer address, mutable through `/control`.
    pub(crate) subscribers: Mutex<HashMap<IpAddr, SubscriberConfig>>,
    /// `(carrier, app_id)` → app key.
    pub(crate) apps: HashMap<(Carrier, String), String>,
    /// CAMARA clients by `client_id`.
    pub(crate) camara_clients: HashMap<String, CamaraClientConfig>,
    /// CAMARA operator settings.
    pub(crate) camara_settings: CamaraSettings,
    /// Tokens minted by cm/cu/ct.
    pub(crate) tokens: Mutex<TokenStore>,
    /// Nonces of signed calls seen recently (replay protection).
    pub(crate) nonces: Mutex<NonceCache>,
    /// Authorization codes and access tokens of the CAMARA operator.
    pub(crate) camara: Mutex<CamaraStore>,
    /// Active fault rules.
    pub(crate) faults: Mutex<Faults>,
    /// Simulated time.
    pub(crate) clock: Clock,
    /// `None` disables `/control`.
    pub(crate) control_token: Option<String>,
    /// Becomes `true` when shutdown starts, releasing requests held by `timeout` faults.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// Locks, ignoring poisoning: a panicking handler cannot leave these maps half-updated in a way
/// that matters more than refusing every later request would.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimState {
    /// Builds the state from a validated configuration.
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> SimState {
        SimState {
            subscribers: Mutex::new(
                config
                    .subscribers
                    .into_iter()
                    .map(|s| (s.address, s))
                    .collect(),
            ),
            apps: config
                .apps
                .into_iter()
                .map(|a| ((a.carrier, a.app_id), a.app_key))
                .collect(),
            camara_clients: config
                .camara_clients
                .into_iter()
                .map(|c| (c.client_id.clone(), c))
                .collect(),
            camara_settings: config.camara,
            tokens: Mutex::new(TokenStore::default()),
            nonces: Mutex::new(NonceCache::default()),
            camara: Mutex::new(CamaraStore::default()),
            faults: Mutex::new(Faults::new(config.faults)),
            clock: Clock::new(config.clock_offset_secs),
            control_token: config.control_token,
            shutdown,
        }
    }

    /// The subscriber behind a bearer address. IPv4-mapped IPv6 addresses are folded to IPv4 so
    /// a dual-stack listener identifies the same SIM.
    pub(crate) fn subscriber_at(&self, address: IpAddr) -> Option<SubscriberConfig> {
        lock(&self.subscribers)
            .get(&address.to_canonical())
            .cloned()
    }

    /// The subscriber of any simulated network holding an E.164 number: CAMARA
    /// subscribers by their number, the mainland networks' by `+86` and theirs.
    /// What SIM Swap answers for, as an Open Gateway aggregator covering the
    /// mainland operators would.
    pub(crate) fn subscriber_by_e164(&self, number: &str) -> Option<SubscriberConfig> {
        lock(&self.subscribers)
            .values()
            .find(|s| match s.carrier {
                Carrier::Camara => s.number == number,
                _ => number.strip_prefix("+86") == Some(s.number.as_str()),
            })
            .cloned()
    }

    /// The key of an app, if registered with that carrier.
    pub(crate) fn app_key(&self, carrier: Carrier, app_id: &str) -> Option<&str> {
        self.apps
            .get(&(carrier, app_id.to_owned()))
            .map(String::as_str)
    }
}
