//! `numgate device`: plays a phone on a bearer address end to end and prints
//! the AccessToken its app would hand its backend.

use std::net::IpAddr;

use clap::{Args, Subcommand};
use numgate_client::device::{AppIdentity, Device, Purpose};

#[derive(Subcommand)]
pub enum DeviceCmd {
    /// One-click logon: a token for GetMobile.
    OneClick(DeviceArgs),
    /// Number check: a token for VerifyMobile.
    Check(DeviceArgs),
}

#[derive(Args)]
pub struct DeviceArgs {
    /// The bearer address that identifies the SIM (127.0.0.N with the simulator).
    #[arg(long)]
    bind: IpAddr,
    /// numgate's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    endpoint: String,
    /// The scheme's AppEncryptInfo (DescribeVerifyScheme).
    #[arg(long, env = "NUMGATE_APP_ENCRYPT_INFO")]
    app_encrypt_info: String,
    /// The app's identity as the scheme registered it (package name, bundle id, origin).
    #[arg(long)]
    app: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: DeviceCmd) -> anyhow::Result<()> {
    let (purpose, args) = match cmd {
        DeviceCmd::OneClick(a) => (Purpose::Login, a),
        DeviceCmd::Check(a) => (Purpose::Verify, a),
    };
    let identity = AppIdentity::from_app_encrypt_info(&args.app_encrypt_info, &args.app)?;
    let device = Device::new(args.bind, &args.endpoint, identity)?;
    let t = device.token(purpose).await?;
    if args.json {
        let v = serde_json::json!({
            "Carrier": t.carrier, "MaskedNumber": t.masked_number, "AccessToken": t.access_token,
        });
        println!("{v}");
    } else {
        if let Some(m) = &t.masked_number {
            eprintln!("{} SIM, number {m}", t.carrier);
        }
        println!("{}", t.access_token);
    }
    Ok(())
}
