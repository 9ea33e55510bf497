//! `numgate sms-provider-sim`: the simulated HTTP SMS provider as a server of its own.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use clap::Args;
use numgate_carrier_sim::sms_http::{self, SmsProviderSimConfig};
use numgate_server::startup::shutdown_signal;

#[derive(Args)]
pub struct SmsProviderSimArgs {
    /// Address to listen on (port 0: any free port; the URL is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: SocketAddr,
    /// The HMAC secret shared with numgate's HTTP provider configuration:
    /// checks sends and signs receipts (env NUMGATE_SMS_PROVIDER_SECRET).
    #[arg(long, env = "NUMGATE_SMS_PROVIDER_SECRET", hide_env_values = true)]
    secret: String,
    /// Bearer token the control API wants; without one it is open.
    #[arg(
        long,
        env = "NUMGATE_SMS_PROVIDER_CONTROL_TOKEN",
        hide_env_values = true
    )]
    control_token: Option<String>,
    /// Signature timestamps further than this from the clock are refused.
    #[arg(long, default_value_t = 300)]
    max_skew_secs: u64,
}

pub async fn run(args: SmsProviderSimArgs) -> anyhow::Result<()> {
    if args.secret.is_empty() {
        bail!("numgate sms-provider-sim needs a non-empty --secret");
    }
    let config = SmsProviderSimConfig {
        control_token: args.control_token,
        max_skew_secs: args.max_skew_secs,
        ..SmsProviderSimConfig::new(args.secret)
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let shutdown = shutdown_signal();
    eprintln!(
        "numgate sms-provider-sim is serving the simulated SMS provider at http://{}/ (sends: POST /send)",
        listener.local_addr()?
    );
    sms_http::run(config, listener, shutdown).await?;
    Ok(())
}
