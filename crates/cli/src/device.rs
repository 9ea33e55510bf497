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
    /// H5 one-click: type the middle digits; an spToken for GetPhoneWithToken.
    H5Login(H5Args),
    /// H5 number check: an spToken for VerifyPhoneWithToken.
    H5Check(H5Args),
}

#[derive(Args)]
pub struct H5Args {
    /// The bearer address that identifies the SIM.
    #[arg(long)]
    bind: IpAddr,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    endpoint: String,
    /// The page's tokens from GetAuthToken (BizType 1 for h5-login, 0 for h5-check).
    #[arg(long)]
    access_token: String,
    #[arg(long)]
    jwt_token: String,
    /// The four middle digits of the masked number, as the user types them.
    #[arg(long)]
    digits: String,
    #[arg(long)]
    json: bool,
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
        DeviceCmd::H5Login(a) | DeviceCmd::H5Check(a) => return h5(a).await,
    };
    let identity = AppIdentity::from_app_encrypt_info(&args.app_encrypt_info, &args.app)?;
    let device = Device::new(args.bind, &args.endpoint, identity)?;
    let t = device.token(purpose).await?;
    if args.json {
        let v = serde_json::json!({
            "Carrier": t.carrier, "MaskedNumber": t.masked_number, "AccessToken": t.access_token,
        });
        outln!("{v}");
    } else {
        if let Some(m) = &t.masked_number {
            eprintln!("{} SIM, number {m}", t.carrier);
        }
        outln!("{}", t.access_token);
    }
    Ok(())
}

/// The H5 flows: the purpose is the session's (GetAuthToken's BizType).
async fn h5(a: H5Args) -> anyhow::Result<()> {
    let (sp, masked) = Device::h5_confirm(
        &a.endpoint,
        a.bind,
        &a.access_token,
        &a.jwt_token,
        &a.digits,
    )
    .await?;
    if a.json {
        outln!(
            "{}",
            serde_json::json!({ "MaskedNumber": masked, "SpToken": sp })
        );
    } else {
        eprintln!("number {masked}");
        outln!("{sp}");
    }
    Ok(())
}
