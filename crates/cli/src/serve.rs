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
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let mut cfg = global.load()?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    init_logging(cfg.log_format);
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let data_dir = cfg.data_dir.clone();
    let app = Application::build(cfg, listener, Arc::new(SystemClock)).await?;
    tracing::info!(
        listen = %app.local_addr()?,
        data_dir = %data_dir.display(),
        "numgate is serving the Open API at http://{}/",
        app.local_addr()?
    );
    app.run(shutdown_signal()).await?;
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
