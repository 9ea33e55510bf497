//! Building and running the application: open the data directory, wire the
//! store, the keys and the dispatcher, serve on a bound listener until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::routing::{any, get};
use axum::Router;
use numgate_domain::clock::Clock;
use numgate_domain::secrets::MasterKey;
use numgate_sms::{Dispatcher, ReportPusher};
use numgate_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::state::AppState;
use crate::{gateway, master_key, ops};

/// The tenant a fresh data directory gets.
pub const DEFAULT_TENANT: &str = "default";

/// A data directory opened: its store and master key. The CLI uses this too.
pub struct DataDir {
    pub store: Arc<dyn Store>,
    pub master_key: MasterKey,
}

/// Opens the store and the master key. The embedded SQLite file is migrated on
/// open; a shared PostgreSQL database must already be at this build's schema
/// (`numgate migrate` brings it there), so that no node upgrades it by surprise.
pub async fn open_data_dir(config: &Config) -> anyhow::Result<DataDir> {
    let location = config.store_location();
    let embedded = !config.is_shared_store();
    if embedded || config.master_key.is_none() && config.master_key_file.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
    }
    let master_key = master_key::load_or_create(config)?;
    let pool = Some(config.database_max_connections);
    let store = numgate_store::open_with(&location, embedded, pool)
        .await
        .with_context(|| format!("opening the database {location}"))?;
    Ok(DataDir { store, master_key })
}

pub struct Application {
    state: AppState,
    listener: TcpListener,
    dispatcher: Dispatcher,
    pusher: ReportPusher,
}

impl Application {
    /// Opens the data directory and prepares to serve on `listener`.
    pub async fn build(
        config: Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let data = open_data_dir(&config).await?;
        data.store
            .ensure_tenant(DEFAULT_TENANT, clock.now_millis())
            .await
            .context("creating the default tenant")?;
        let secrets = data.master_key.secret_box();
        let channels = crate::sms_channels::build(
            &config.sms,
            data.store.clone(),
            clock.clone(),
            secrets.clone(),
        )
        .await
        .context("bringing up the SMS channels")?;
        let dispatcher = channels.dispatcher;
        let carriers = Arc::new(crate::carriers::Carriers::from_config(&config.carriers));
        let state = AppState {
            store: data.store,
            clock,
            config: Arc::new(config),
            secrets,
            hasher: data.master_key.code_hasher(),
            captcha_key: Arc::new(data.master_key.captcha_key()),
            dispatch_wake: dispatcher.waker(),
            sms_reports: channels.sink,
            tenants: Default::default(),
            metrics: crate::metrics::handle(),
            carriers,
        };
        Ok(Self {
            state,
            listener,
            dispatcher,
            pusher: channels.pusher,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish and
    /// stops the background tasks.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let dispatcher = tokio::spawn(self.dispatcher.run(stop_rx.clone()));
        let pusher = tokio::spawn(self.pusher.run(stop_rx.clone()));
        let purger = tokio::spawn(purge_loop(self.state.clone(), stop_rx));
        let app = router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_tx.send(true);
        let _ = dispatcher.await;
        let _ = pusher.await;
        let _ = purger.await;
        served.context("serving HTTP")
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", any(gateway::open_api))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(crate::metrics::render))
        .route(
            "/sms/v1/providers/{name}/receipts",
            axum::routing::post(crate::provider_api::receipts),
        )
        .route("/client/v1/h5/sdk.js", get(crate::client_api::h5_sdk))
        .route("/client/v1/h5/demo.html", get(crate::client_api::h5_demo))
        .route(
            "/client/v1/h5/fusion-demo.html",
            get(crate::client_api::h5_fusion_demo),
        )
        .route("/client/v1/openapi.json", get(crate::client_api::openapi))
        .route(
            "/client/v1/h5/config",
            axum::routing::post(crate::client_api::h5_confirm::config)
                .options(crate::client_api::h5_confirm::preflight),
        )
        .route(
            "/client/v1/h5/confirm",
            axum::routing::post(crate::client_api::h5_confirm::handler)
                .options(crate::client_api::h5_confirm::preflight),
        )
        .route(
            "/client/v1/app/config",
            axum::routing::post(crate::client_api::app_config::handler),
        )
        .route(
            "/client/v1/fusion/start",
            axum::routing::post(crate::client_api::fusion::start)
                .options(crate::client_api::h5_confirm::preflight),
        )
        .route(
            "/client/v1/fusion/step",
            axum::routing::post(crate::client_api::fusion::step)
                .options(crate::client_api::h5_confirm::preflight),
        )
        .route(
            "/client/v1/app/token",
            axum::routing::post(crate::client_api::app_token::handler),
        )
        .merge(crate::console::routes())
        .with_state(state)
}

/// Deletes what has expired, once a minute. Safe on every node at once.
async fn purge_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(60);
    loop {
        let now = state.clock.now_millis();
        let keep_records = state.config.sms.record_retention_days * 86_400_000;
        match state.store.purge_expired(now, now - keep_records).await {
            Ok(c) => tracing::debug!(?c, "purged expired rows"),
            Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: call it before announcing that
/// the server is up, so that a signal sent right after the announcement stops
/// the server cleanly instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {}
                _ = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
