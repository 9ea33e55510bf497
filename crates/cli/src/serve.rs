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

/// Starts the simulator and points `[carriers]` at it with the table's apps.
async fn start_dev_carriers(
    cfg: &mut numgate_server::Config,
    listen: SocketAddr,
) -> anyhow::Result<()> {
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
    tokio::spawn(numgate_carrier_sim::run(
        sim,
        listener,
        std::future::pending(),
    ));
    Ok(())
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let mut cfg = global.load()?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    init_logging(cfg.log_format);
    if args.dev {
        start_dev_carriers(&mut cfg, args.dev_carriers).await?;
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
