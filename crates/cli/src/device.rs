//! `numgate device`: plays a phone on a bearer address end to end and prints
//! the AccessToken (one-click, number check), spToken (H5) or VerifyToken
//! (Fusion-Auth) its app would hand its backend.

use std::io::Write;
use std::net::IpAddr;

use anyhow::bail;
use clap::{Args, Subcommand};
use numgate_client::device::fusion::{
    CarrierReport, FusionHandler, FusionOutcome, FusionRun, Notice, Prompt, Reply, Signals,
};
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
    /// A Fusion-Auth scene from the terminal: a VerifyToken for
    /// VerifyWithFusionAuthToken. Carrier steps and CAPTCHAs run by themselves;
    /// the number, the texted code and the upstream text are asked on stderr.
    Fusion(FusionArgs),
}

#[derive(Args)]
pub struct FusionArgs {
    /// The bearer address that identifies the SIM (127.0.0.N with the simulator).
    #[arg(long)]
    bind: IpAddr,
    /// The SDK token of GetFusionAuthToken.
    #[arg(long, env = "NUMGATE_FUSION_TOKEN")]
    token: String,
    /// 100001 logon, 100002 change number, 100003 reset password, 100004 bind a
    /// new number, 100005 verify the bound number.
    #[arg(long)]
    scene: String,
    /// The entered or bound number (scenes 100002–100005; logon learns it).
    #[arg(long)]
    number: Option<String>,
    /// The device id the SDK reports (without one, endpoint risk counts it).
    #[arg(long)]
    device_id: Option<String>,
    /// What the SDK detected, comma separated: emulator, root, hooking, proxy,
    /// signature-mismatch [default: a clean device].
    #[arg(long)]
    signals: Option<Signals>,
    /// numgate's address.
    #[arg(long, alias = "endpoint", default_value = "http://127.0.0.1:8080")]
    numgate: String,
    /// Print {"VerifyToken", "MaskedNumber"} instead of the bare token.
    #[arg(long)]
    json: bool,
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
        DeviceCmd::Fusion(a) => return fusion(a).await,
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

/// Plays a Fusion-Auth scene; the VerifyToken on stdout, the rest on stderr.
async fn fusion(a: FusionArgs) -> anyhow::Result<()> {
    let mut run = FusionRun::new(a.bind, &a.numgate)?;
    let mut terminal = Terminal {
        number: a.number.clone(),
    };
    let outcome = run
        .run(
            &a.token,
            &a.scene,
            a.number.as_deref(),
            a.device_id.as_deref(),
            a.signals.unwrap_or_default(),
            &mut terminal,
        )
        .await?;
    match outcome {
        FusionOutcome::Done {
            verify_token,
            masked_number,
        } => {
            if a.json {
                outln!(
                    "{}",
                    serde_json::json!({"VerifyToken": verify_token, "MaskedNumber": masked_number})
                );
            } else {
                eprintln!("verified {masked_number}");
                outln!("{verify_token}");
            }
            Ok(())
        }
        FusionOutcome::Refused { node, reason } => {
            bail!("the scene was refused at `{node}`: {reason}")
        }
    }
}

/// The user at the terminal: prompts on stderr, answers on stdin.
struct Terminal {
    /// The number typed or given, for the development hints.
    number: Option<String>,
}

/// One line of stdin, trimmed; `None` at its end.
async fn read_line(prompt: String) -> Option<String> {
    tokio::task::spawn_blocking(move || {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => {
                // The prompt's line ends here, before any error message.
                let _ = writeln!(err);
                None
            }
            Ok(_) => Some(line.trim().to_owned()),
        }
    })
    .await
    .ok()
    .flatten()
}

impl Terminal {
    fn hint_number(&self) -> &str {
        self.number.as_deref().unwrap_or("<number>")
    }
}

impl FusionHandler for Terminal {
    async fn prompt(&mut self, prompt: Prompt) -> Reply {
        let error = match &prompt {
            Prompt::EnterNumber { error }
            | Prompt::SmsCode { error, .. }
            | Prompt::UpstreamSms { error, .. } => error.clone(),
        };
        if let Some(e) = error {
            eprintln!("numgate: {e}");
        }
        match prompt {
            Prompt::EnterNumber { .. } => {
                let Some(n) = read_line("Your phone number: ".into()).await else {
                    return Reply::Quit;
                };
                self.number = Some(n.clone());
                Reply::Number(n)
            }
            Prompt::SmsCode {
                masked_number,
                code_length,
                valid_seconds,
                ..
            } => {
                eprintln!(
                    "A {code_length}-digit code was texted to {masked_number} (valid {} min; in \
                     development `numgate outbox --phone {}` shows it).",
                    valid_seconds.div_ceil(60),
                    self.hint_number()
                );
                match read_line("Code (empty: verify another way): ".into()).await {
                    None => Reply::Quit,
                    Some(c) if c.is_empty() => Reply::GiveUp,
                    Some(c) => Reply::SmsCode(c),
                }
            }
            Prompt::UpstreamSms {
                to,
                text,
                wait_seconds,
                ..
            } => {
                eprintln!(
                    "Send the text {text} from your phone to {to} within {wait_seconds} s (in \
                     development: `numgate sms inbound --from {} --to {to} --text {text}`).",
                    self.hint_number()
                );
                match read_line("Press Enter when it is sent (`skip`: give up): ".into()).await {
                    None => Reply::Quit,
                    Some(s) if s.eq_ignore_ascii_case("skip") => Reply::GiveUp,
                    Some(_) => Reply::Sent,
                }
            }
        }
    }

    fn notice(&mut self, notice: &Notice) {
        match notice {
            Notice::AskingCarrier {
                carriers,
                timeout_ms,
            } => eprintln!(
                "asking the carrier ({}) over the bearer, at most {timeout_ms} ms",
                if carriers.is_empty() {
                    "none offered".to_owned()
                } else {
                    carriers.join(", ")
                }
            ),
            Notice::CarrierReport(CarrierReport::Token {
                carrier,
                masked_number,
            }) => eprintln!("{carrier} SIM, number {masked_number}"),
            Notice::CarrierReport(CarrierReport::NoData { why }) => {
                eprintln!("no carrier sees this SIM ({why})")
            }
            Notice::CarrierReport(CarrierReport::Timeout) => {
                eprintln!("the carrier did not answer in time")
            }
            Notice::SolvingCaptcha { max_number } => {
                eprintln!("solving a CAPTCHA (maxnumber {max_number})")
            }
            Notice::CaptchaSolved { took, .. } => {
                eprintln!("CAPTCHA solved in {} ms", took.as_millis())
            }
        }
    }
}
