//! `numgate policy`: the Fusion-Auth policy graphs from the terminal — a scene's
//! default graph, the dry run (`explain`) of the path an attempt would take, and
//! the tenants' policies on a data directory or `--database` (`show`, `set`,
//! `inherit`, `restore`, `audit`), also while servers run on it: a change applies
//! to the next run on every node.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_domain::fusion::{
    default_graph, explain, CaptchaOutcome, Dimension, EndpointSignals, Hypothesis, ListMatch,
    MethodOutcome, NumberStatus, PolicyGraph, PolicySource, Scene, SmsDefaults,
};
use numgate_domain::{CountryCode, PhoneNumber};
use numgate_server::service::policies::{self, Change, GraphInput, InForce};
use numgate_server::{open_data_dir, DataDir, DEFAULT_TENANT};
use serde_json::{json, Value};

use crate::Global;

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Print a scene's default graph as JSON (what "restore defaults" brings back).
    Default(DefaultArgs),
    /// Dry run: the path an attempt with these signals and outcomes would take,
    /// the decision at each node and the rules that fired. Changes nothing.
    Explain(ExplainArgs),
    /// The graph in force for a tenant's scene (and scheme) as JSON, where it
    /// comes from (scheme, global or default), the inherit switch and the version.
    Show(ShowArgs),
    /// Store the tenant's global policy of a scene, or a scheme's (which then
    /// stops inheriting), after validating it. In force from the next run.
    Set(SetArgs),
    /// A scheme's inherit switch: on, it follows the tenant's global policy; off,
    /// it keeps the graph that was in force and no longer follows.
    Inherit(InheritArgs),
    /// Restore defaults: delete the policy, so that the global level follows the
    /// scene's default graph again, and a scheme the global policy.
    Restore(LevelArgs),
    /// The audit log of policy changes, newest first: who, when, what, to what
    /// (with --json also the policy before and after).
    Audit(AuditArgs),
}

/// Which policy: the tenant's global one of a scene, or a scheme's.
#[derive(Args)]
pub struct LevelArgs {
    #[arg(long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// 100001 to 100005.
    #[arg(long)]
    scene: String,
    /// A Fusion-Auth scheme code (FA…) [default: the tenant's global policy].
    #[arg(long)]
    scheme: Option<String>,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    level: LevelArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct SetArgs {
    #[command(flatten)]
    level: LevelArgs,
    /// The policy graph as JSON (`numgate policy show` or `default`, edited);
    /// `-` reads it from standard input.
    #[arg(long)]
    graph: PathBuf,
    /// Store only if the policy is still at this version (`show` tells it; 0:
    /// only if there is none), so that a concurrent change is not overwritten.
    #[arg(long)]
    expect_version: Option<i64>,
}

#[derive(Args)]
pub struct InheritArgs {
    #[arg(long, default_value = DEFAULT_TENANT)]
    tenant: String,
    #[arg(long)]
    scene: String,
    /// The Fusion-Auth scheme code (FA…).
    #[arg(long)]
    scheme: String,
    #[arg(value_enum)]
    switch: Switch,
}

#[derive(Clone, Copy, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Args)]
pub struct AuditArgs {
    #[arg(long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// How many entries at most.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// JSON, with the policy before and after each change.
    #[arg(long)]
    json: bool,
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
    #[arg(long, default_value = numgate_server::service::policies::DEFAULT_SIGN_NAME)]
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
    #[arg(long, conflicts_with_all = ["tenant", "scheme"])]
    graph: Option<PathBuf>,
    /// Explain the policy in force for this tenant (on the data directory or
    /// --database) instead of the default graph.
    #[arg(long)]
    tenant: Option<String>,
    /// … for this Fusion-Auth scheme of the tenant [--tenant defaults to `default`].
    #[arg(long)]
    scheme: Option<String>,
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

pub async fn run(global: &Global, cmd: PolicyCmd) -> anyhow::Result<()> {
    match cmd {
        PolicyCmd::Default(a) => {
            let scene = scene(&a.scene)?;
            let graph = default_graph(scene, &a.sms.defaults(scene));
            outln!("{}", serde_json::to_string_pretty(&graph)?);
            Ok(())
        }
        PolicyCmd::Explain(a) => explain_cmd(global, a).await,
        PolicyCmd::Show(a) => show(global, a).await,
        PolicyCmd::Set(a) => set(global, a).await,
        PolicyCmd::Inherit(a) => inherit(global, a).await,
        PolicyCmd::Restore(a) => restore(global, a).await,
        PolicyCmd::Audit(a) => audit(global, a).await,
    }
}

/// The store of the data directory or `--database`, and the configuration (its
/// `[fusion]` service number goes into the default graphs, as on the server).
async fn open(global: &Global) -> anyhow::Result<(DataDir, numgate_server::Config)> {
    let config = global.load()?;
    let data = open_data_dir(&config).await?;
    Ok((data, config))
}

/// The tenant's id; the default tenant is created if new (as the server does
/// at its start), any other must exist: a typo creates nothing.
async fn tenant_id(data: &DataDir, name: &str) -> anyhow::Result<i64> {
    if name == DEFAULT_TENANT {
        return Ok(data
            .store
            .ensure_tenant(name, SystemClock.now_millis())
            .await?
            .id);
    }
    Ok(data
        .store
        .find_tenant(name)
        .await?
        .with_context(|| format!("--tenant: no tenant named {name}"))?
        .id)
}

/// Who the audit log names: `cli:` and the operator's login name.
fn actor() -> String {
    numgate_server::service::audit::Actor::cli().tag()
}

fn when(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn source_name(s: PolicySource) -> &'static str {
    match s {
        PolicySource::Scheme => "scheme",
        PolicySource::Global => "global",
        PolicySource::Default => "default",
    }
}

fn source_words(s: PolicySource) -> &'static str {
    match s {
        PolicySource::Scheme => "the scheme's own policy",
        PolicySource::Global => "the tenant's global policy",
        PolicySource::Default => "the scene's default graph",
    }
}

/// The level's policy in force, after checking the tenant and the scheme.
async fn level_in_force(
    data: &DataDir,
    config: &numgate_server::Config,
    tenant: &str,
    scene: Scene,
    scheme: Option<&str>,
) -> anyhow::Result<InForce> {
    let id = tenant_id(data, tenant).await?;
    if let Some(code) = scheme {
        policies::require_scheme(data.store.as_ref(), id, code).await?;
    }
    Ok(policies::in_force(data.store.as_ref(), config, id, scene, scheme).await?)
}

async fn show(global: &Global, a: ShowArgs) -> anyhow::Result<()> {
    let scene = scene(&a.level.scene)?;
    let (data, config) = open(global).await?;
    let scheme = a.level.scheme.as_deref();
    let p = level_in_force(&data, &config, &a.level.tenant, scene, scheme).await?;
    if a.json {
        let own = p.own.as_ref();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "tenant": a.level.tenant,
                "scene": scene.code().to_string(),
                "scheme": scheme,
                "source": source_name(p.source),
                "inherit": p.inherit(),
                "version": p.version(),
                "updated_by": own.map(|o| o.updated_by.clone()),
                "updated_at": own.map(|o| when(o.updated_at)),
                "graph": p.graph,
            }))?
        );
        return Ok(());
    }
    outln!("policy:  {}", policies::level(scene, scheme));
    outln!(
        "source:  {} ({})",
        source_name(p.source),
        source_words(p.source)
    );
    outln!("inherit: {}", if p.inherit() { "on" } else { "off" });
    match &p.own {
        Some(o) => outln!(
            "version: {} (by {} at {})",
            o.version,
            o.updated_by,
            when(o.updated_at)
        ),
        None => outln!("version: 0 (nothing stored at this level)"),
    }
    outln!("{}", serde_json::to_string_pretty(&p.graph)?);
    Ok(())
}

fn read_graph(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(policies::MAX_GRAPH_JSON as u64 + 1)
            .read_to_string(&mut text)
            .context("reading the graph from standard input")?;
    } else {
        text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(text)
}

async fn set(global: &Global, a: SetArgs) -> anyhow::Result<()> {
    let scene = scene(&a.level.scene)?;
    let text = read_graph(&a.graph)?;
    let (data, _) = open(global).await?;
    let tenant = tenant_id(&data, &a.level.tenant).await?;
    let scheme = a.level.scheme.as_deref();
    let actor = actor();
    let change = Change {
        tenant_id: tenant,
        scene,
        scheme,
        actor: &actor,
        at: SystemClock.now_millis(),
    };
    let stored = policies::set(
        data.store.as_ref(),
        change,
        GraphInput::Json(&text),
        None,
        a.expect_version,
    )
    .await
    .with_context(|| format!("{} not stored", policies::level(scene, scheme)))?;
    outln!(
        "{}: version {} stored; in force from the next run",
        policies::level(scene, scheme),
        stored.version
    );
    Ok(())
}

async fn inherit(global: &Global, a: InheritArgs) -> anyhow::Result<()> {
    let scene = scene(&a.scene)?;
    let (data, config) = open(global).await?;
    let tenant = tenant_id(&data, &a.tenant).await?;
    let actor = actor();
    let on = matches!(a.switch, Switch::On);
    let change = Change {
        tenant_id: tenant,
        scene,
        scheme: Some(&a.scheme),
        actor: &actor,
        at: SystemClock.now_millis(),
    };
    let changed = policies::set_inherit(data.store.as_ref(), &config, change, on).await?;
    let level = policies::level(scene, Some(&a.scheme));
    match (changed, on) {
        (false, _) => outln!(
            "{level}: inherit was already {}; nothing changed",
            if on { "on" } else { "off" }
        ),
        (true, true) => outln!(
            "{level}: inherit on; it follows the tenant's global policy from the next run \
             (its own graph is kept, unused)"
        ),
        (true, false) => outln!(
            "{level}: inherit off; it keeps the graph that was in force and no longer \
             follows the global policy"
        ),
    }
    Ok(())
}

async fn restore(global: &Global, a: LevelArgs) -> anyhow::Result<()> {
    let scene = scene(&a.scene)?;
    let (data, _) = open(global).await?;
    let tenant = tenant_id(&data, &a.tenant).await?;
    let scheme = a.scheme.as_deref();
    let actor = actor();
    let change = Change {
        tenant_id: tenant,
        scene,
        scheme,
        actor: &actor,
        at: SystemClock.now_millis(),
    };
    let level = policies::level(scene, scheme);
    let follows = match scheme {
        Some(_) => "it follows the tenant's global policy",
        None => "the scene's default graph is in force",
    };
    if policies::restore(data.store.as_ref(), change).await? {
        outln!("{level}: restored to defaults; {follows} from the next run");
    } else {
        outln!("{level}: no policy stored, nothing to restore; {follows}");
    }
    Ok(())
}

/// A policy's JSON of an audit row, with its graph (a JSON string in the row)
/// as an object.
fn expand(row: Option<&str>) -> Value {
    let Some(mut v) = row.and_then(|r| serde_json::from_str::<Value>(r).ok()) else {
        return Value::Null;
    };
    if let Some(g) = v.get("graph").and_then(Value::as_str) {
        if let Ok(graph) = serde_json::from_str::<Value>(g) {
            v["graph"] = graph;
        }
    }
    v
}

async fn audit(global: &Global, a: AuditArgs) -> anyhow::Result<()> {
    let (data, _) = open(global).await?;
    let tenant = tenant_id(&data, &a.tenant).await?;
    let rows = policies::audit(data.store.as_ref(), tenant, a.limit).await?;
    if a.json {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "at": when(r.at),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "before": expand(r.before.as_deref()),
                    "after": expand(r.after.as_deref()),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for r in &rows {
        outln!("{}  {}  {}  {}", when(r.at), r.actor, r.action, r.target);
    }
    Ok(())
}

/// The graph `explain` runs on: the file's, the tenant's (and scheme's) in
/// force, or the scene's default.
async fn explain_graph(
    global: &Global,
    a: &ExplainArgs,
    scene: Scene,
) -> anyhow::Result<PolicyGraph> {
    if a.tenant.is_some() || a.scheme.is_some() {
        let tenant = a.tenant.as_deref().unwrap_or(DEFAULT_TENANT);
        let (data, config) = open(global).await?;
        let p = level_in_force(&data, &config, tenant, scene, a.scheme.as_deref()).await?;
        return Ok(p.graph);
    }
    Ok(match &a.graph {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a policy graph", path.display()))?
        }
        None => default_graph(scene, &a.sms.defaults(scene)),
    })
}

async fn explain_cmd(global: &Global, a: ExplainArgs) -> anyhow::Result<()> {
    let scene = scene(&a.scene)?;
    let graph = explain_graph(global, &a, scene).await?;
    // The catalog of a dry run is whatever the graph names: a stored policy was
    // checked against the tenant's when it was set.
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
