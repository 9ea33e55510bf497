//! `numgate policy`: the Fusion-Auth policy graphs from the terminal — a scene's
//! default graph, and the dry run (`explain`) of the path an attempt would take.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use numgate_domain::fusion::{
    default_graph, explain, CaptchaOutcome, Dimension, EndpointSignals, Hypothesis, ListMatch,
    MethodOutcome, NumberStatus, PolicyGraph, Scene, SmsDefaults,
};
use numgate_domain::{CountryCode, PhoneNumber};

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Print a scene's default graph as JSON (what "restore defaults" brings back).
    Default(DefaultArgs),
    /// Dry run: the path an attempt with these signals and outcomes would take,
    /// the decision at each node and the rules that fired. Changes nothing.
    Explain(ExplainArgs),
}

#[derive(Args)]
pub struct DefaultArgs {
    /// 100001 logon, 100002 change number, 100003 reset password, 100004 bind
    /// a new number, 100005 verify the bound number.
    #[arg(long)]
    scene: String,
    #[command(flatten)]
    sms: SmsArgs,
}

#[derive(Args)]
struct SmsArgs {
    /// The SMS signature of the default graphs' SMS node.
    #[arg(long, default_value = "速通互联验证码")]
    sign_name: String,
    /// The template of the default graphs' SMS node [default: the scene's
    /// complimentary template, whose code is the scene's].
    #[arg(long)]
    template_code: Option<String>,
    /// The number users send upstream SMS to.
    #[arg(long, default_value = numgate_domain::fusion::DEFAULT_SERVICE_NUMBER)]
    service_number: String,
}

impl SmsArgs {
    fn defaults(&self, scene: Scene) -> SmsDefaults {
        SmsDefaults {
            sign_name: self.sign_name.clone(),
            template_code: self
                .template_code
                .clone()
                .unwrap_or_else(|| scene.code().to_string()),
            service_number: self.service_number.clone(),
        }
    }
}

#[derive(Args)]
pub struct ExplainArgs {
    #[arg(long)]
    scene: String,
    /// A policy graph as JSON (from `numgate policy default`, edited) [default:
    /// the scene's default graph].
    #[arg(long)]
    graph: Option<PathBuf>,
    #[command(flatten)]
    sms: SmsArgs,
    /// Endpoint signals the SDK reports, comma separated: emulator, root,
    /// hooking, proxy, signature-mismatch, no-device-id [default: a clean device].
    #[arg(long, value_delimiter = ',')]
    signals: Vec<Signal>,
    /// The number (supplied by the client in scenes 100002–100005; in logon the
    /// one the carrier, the user or an inbound SMS would give).
    #[arg(long)]
    number: Option<String>,
    /// Days since the SIM was swapped (CAMARA SIM Swap).
    #[arg(long)]
    sim_swap_days: Option<u32>,
    #[arg(long, value_enum, default_value_t = Status::Unknown)]
    number_status: Status,
    /// Whether the number is on the tenant's block or allow list.
    #[arg(long, value_enum, default_value_t = List::None)]
    list: List,
    /// Attempts counted in a window, including this one: `device:60=5` is 5
    /// attempts from the device in 60 minutes (dimensions: device, ip, number).
    #[arg(long = "count", value_parser = parse_count)]
    counts: Vec<(Dimension, u32, u32)>,
    /// How one-click or the number check would end.
    #[arg(long, value_enum, default_value_t = Outcome::Success)]
    carrier: Outcome,
    #[arg(long, value_enum, default_value_t = Outcome::Success)]
    sms_outcome: Outcome,
    #[arg(long, value_enum, default_value_t = Outcome::Success)]
    upstream: Outcome,
    #[arg(long, value_enum, default_value_t = Captcha::Solved)]
    captcha: Captcha,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Signal {
    Emulator,
    Root,
    Hooking,
    Proxy,
    SignatureMismatch,
    NoDeviceId,
}

#[derive(Clone, Copy, ValueEnum)]
enum Status {
    Active,
    Suspended,
    Inactive,
    Unknown,
}

#[derive(Clone, Copy, ValueEnum)]
enum List {
    None,
    Block,
    Allow,
}

#[derive(Clone, Copy, ValueEnum)]
enum Outcome {
    Success,
    Failure,
    Timeout,
    CarrierError,
}

#[derive(Clone, Copy, ValueEnum)]
enum Captcha {
    Solved,
    Failed,
}

/// `device:60=5` → (device, 60 minutes, 5).
fn parse_count(s: &str) -> Result<(Dimension, u32, u32), String> {
    let bad = || format!("{s}: give DIMENSION:MINUTES=COUNT, e.g. device:60=5");
    let (dim, rest) = s.split_once(':').ok_or_else(bad)?;
    let (minutes, count) = rest.split_once('=').ok_or_else(bad)?;
    let dimension = match dim {
        "device" => Dimension::Device,
        "ip" => Dimension::Ip,
        "number" => Dimension::Number,
        _ => return Err(format!("{dim}: the dimensions are device, ip and number")),
    };
    let minutes: u32 = minutes.parse().map_err(|_| bad())?;
    let count: u32 = count.parse().map_err(|_| bad())?;
    if minutes == 0 {
        return Err(bad());
    }
    Ok((dimension, minutes, count))
}

fn scene(s: &str) -> anyhow::Result<Scene> {
    Scene::parse(s).map_err(|e| anyhow::anyhow!("--scene: {}", e.reason))
}

pub fn run(cmd: PolicyCmd) -> anyhow::Result<()> {
    match cmd {
        PolicyCmd::Default(a) => {
            let scene = scene(&a.scene)?;
            let graph = default_graph(scene, &a.sms.defaults(scene));
            outln!("{}", serde_json::to_string_pretty(&graph)?);
            Ok(())
        }
        PolicyCmd::Explain(a) => explain_cmd(a),
    }
}

fn explain_cmd(a: ExplainArgs) -> anyhow::Result<()> {
    let scene = scene(&a.scene)?;
    let graph: PolicyGraph = match &a.graph {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a policy graph", path.display()))?
        }
        None => default_graph(scene, &a.sms.defaults(scene)),
    };
    // The catalog of a dry run is whatever the graph names: `numgate policy
    // explain` has no tenant; the server checks templates against the tenant's.
    if let Err(e) = graph.validate(&|_, _| true) {
        bail!("the graph is not valid: {e}");
    }
    let mut signals = EndpointSignals::default();
    for s in &a.signals {
        match s {
            Signal::Emulator => signals.emulator = true,
            Signal::Root => signals.root_or_jailbreak = true,
            Signal::Hooking => signals.hooking = true,
            Signal::Proxy => signals.proxy_or_vpn = true,
            Signal::SignatureMismatch => signals.app_signature_mismatch = true,
            Signal::NoDeviceId => signals.device_id = false,
        }
    }
    let number = a
        .number
        .as_deref()
        .map(|n| PhoneNumber::parse(&CountryCode::mainland(), n))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--number: {e}"))?;
    let mut h = Hypothesis {
        number,
        signals,
        ..Hypothesis::default()
    };
    h.facts.sim_swap_days = a.sim_swap_days;
    h.facts.status = match a.number_status {
        Status::Active => NumberStatus::Active,
        Status::Suspended => NumberStatus::Suspended,
        Status::Inactive => NumberStatus::Inactive,
        Status::Unknown => NumberStatus::Unknown,
    };
    h.facts.list = match a.list {
        List::None => ListMatch::Unlisted,
        List::Block => ListMatch::Blocked,
        List::Allow => ListMatch::Allowed,
    };
    for (dimension, minutes, count) in a.counts {
        h.counts = std::mem::take(&mut h.counts).with(dimension, minutes, count);
    }
    let outcome = |o: Outcome| match o {
        Outcome::Success => MethodOutcome::Success,
        Outcome::Failure => MethodOutcome::Failure,
        Outcome::Timeout => MethodOutcome::Timeout,
        Outcome::CarrierError => MethodOutcome::CarrierError,
    };
    h.carrier = outcome(a.carrier);
    h.sms = outcome(a.sms_outcome);
    h.upstream = outcome(a.upstream);
    h.captcha = match a.captcha {
        Captcha::Solved => CaptchaOutcome::Solved,
        Captcha::Failed => CaptchaOutcome::Failed,
    };
    let e = explain(&graph, scene, &h).map_err(|e| anyhow::anyhow!("{e}"))?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        outln!("{e}");
    }
    Ok(())
}
