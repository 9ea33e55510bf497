//! `numgate carrier-sim`: the simulated carrier networks as a server of their own.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use clap::Args;
use numgate_carrier_sim::SimConfig;
use numgate_server::startup::shutdown_signal;

use crate::Global;

#[derive(Args)]
pub struct SimArgs {
    /// Address to listen on: devices reach it from their bearer addresses
    /// (127.0.0.N), numgate from anywhere.
    #[arg(long, default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
}

pub async fn run(global: &Global, args: SimArgs) -> anyhow::Result<()> {
    let Some(path) = &global.config else {
        bail!("numgate carrier-sim needs --config FILE: the simulator's subscriber table (see crates/carrier-sim/examples/sim.toml)");
    };
    let config = SimConfig::load(path).with_context(|| format!("{}", path.display()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let shutdown = shutdown_signal();
    eprintln!(
        "numgate carrier-sim is serving the simulated carriers at http://{}/",
        listener.local_addr()?
    );
    numgate_carrier_sim::run(config, listener, shutdown).await?;
    Ok(())
}
