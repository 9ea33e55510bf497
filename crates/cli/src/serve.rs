//! `numgate serve`: logging, configuration, the listener, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use numgate_domain::SystemClock;
use numgate_server::config::LogFormat;
use numgate_server::startup::shutdown_signal;
use numgate_server::Application;
use tracing_subscriber::EnvFilter;

use crate::Global;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Development mode: also run the carrier simulator with demo subscribers
    /// (crates/carrier-sim/examples/sim.toml) and use it as the carriers.
    #[arg(long)]
    dev: bool,
    /// Where the simulator of --dev listens.
    #[arg(long, default_value = "127.0.0.1:9100")]
    dev_carriers: SocketAddr,
}

/// The demo subscriber table of `--dev`.
const DEV_SIM: &str = include_str!("../../carrier-sim/examples/sim.toml");

/// The simulator [`start_dev_carriers`] started, and what a caller needs of it.
pub(crate) struct DevCarriers {
    /// `http://127.0.0.1:PORT`: the gateways and `/control`.
    pub url: String,
    /// The bearer token of its `/control` API.
    pub control_token: Option<String>,
    /// The demo subscribers: bearer address, number, carrier, mobile data.
    pub subscribers: Vec<numgate_carrier_sim::SubscriberConfig>,
    /// The running simulator: it ends when the `shutdown` given completes.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the simulator with the demo table on `listen` and points `[carriers]`
/// at it with the table's apps; it runs until `shutdown` completes.
pub(crate) async fn start_dev_carriers(
    cfg: &mut numgate_server::Config,
    listen: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<DevCarriers> {
    use numgate_carrier_sim::{Carrier, SimConfig};
    use numgate_server::config::{CamaraConfig, TokenCarrierConfig};
    let sim = SimConfig::from_toml(DEV_SIM).context("the demo subscriber table")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen} for the carrier simulator"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = |c: Carrier| {
        sim.apps
            .iter()
            .find(|a| a.carrier == c)
            .map(|a| TokenCarrierConfig {
                url: url.clone(),
                app_id: a.app_id.clone(),
                app_key: a.app_key.clone(),
                accounts: Vec::new(),
            })
    };
    cfg.carriers.cm = app(Carrier::Cm);
    cfg.carriers.cu = app(Carrier::Cu);
    cfg.carriers.ct = app(Carrier::Ct);
    cfg.carriers.camara = sim.camara_clients.first().map(|c| CamaraConfig {
        url: format!("{url}/camara"),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        redirect_uri: c.redirect_uris.first().cloned().unwrap_or_default(),
        hashed: true,
    });
    for s in &sim.subscribers {
        tracing::info!(bearer = %s.address, number = %s.number, carrier = s.carrier.as_str(), mobile_data = s.mobile_data, "demo subscriber");
    }
    tracing::info!("carrier simulator at {url}/ (numgate device … --bind <bearer> plays a phone)");
    let (control_token, subscribers) = (sim.control_token.clone(), sim.subscribers.clone());
    let task = tokio::spawn(numgate_carrier_sim::run(sim, listener, shutdown));
    Ok(DevCarriers {
        url,
        control_token,
        subscribers,
        task,
    })
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let mut cfg = global.load()?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    init_logging(cfg.log_format);
    if args.dev {
        // Runs as long as the process: serve's shutdown ends the process.
        start_dev_carriers(&mut cfg, args.dev_carriers, std::future::pending()).await?;
    }
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let data_dir = cfg.data_dir.clone();
    let app = Application::build(cfg, listener, Arc::new(SystemClock)).await?;
    let shutdown = shutdown_signal();
    tracing::info!(
        listen = %app.local_addr()?,
        data_dir = %data_dir.display(),
        "numgate is serving the Open API at http://{}/",
        app.local_addr()?
    );
    app.run(shutdown).await?;
    tracing::info!("numgate stopped");
    Ok(())
}

/// Log lines to stderr; the level from `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
