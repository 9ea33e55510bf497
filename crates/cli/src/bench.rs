//! `numgate bench`: a signed-request load generator (like pgbench) for the Open
//! API, against numgate in-process, a no-op server (the machine's ceiling) or a URL.
//!
//! - [`targets`]: the servers it can start itself: numgate on a temporary data
//!   directory (with the carrier simulator of `serve --dev` for carrier
//!   actions), and the no-op server.
//! - [`mix`]: the actions and their weights.
//! - [`load`]: the numbers and codes the requests carry, the timed run.
//! - [`tokens`]: the AccessTokens of GetMobile and VerifyMobile, prepared
//!   through the device flow.
//! - [`report`]: latency percentiles, outcome counts, text and JSON output.

mod load;
mod mix;
mod report;
mod scene;
mod targets;
mod tokens;

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use numgate_client::{OpenApi, SignatureScheme};

use mix::{Kind, Mix};
use report::Report;
use targets::{SelfOptions, Target};

/// The most concurrent requests, the longest run and the most codes prepared:
/// a load generator must stay bounded whatever it is asked.
const MAX_CONCURRENCY: usize = 4096;
const MAX_DURATION: Duration = Duration::from_secs(3600);
const MAX_CODES: usize = 2_000_000;
/// The most AccessTokens prepared (a few hundred bytes each), and the longest
/// their preparation may take: the run must end before the first one expires.
const MAX_TOKENS: usize = 500_000;
const MAX_TOKEN_SETUP: Duration = Duration::from_secs(300);
/// Without --tokens, tokens are prepared for this many times the run's time
/// (times the carrier actions' share): a device flow is five HTTP calls, the
/// request that spends the token one plus the carrier's.
const TOKEN_TIME_FACTOR: f64 = 3.0;
/// The most carrier latency injected: well below the 10 s request timeout.
const MAX_CARRIER_LATENCY_MS: u64 = 5_000;

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// `self`: numgate in-process on 127.0.0.1 with a fresh temporary data
    /// directory (durable SQLite) and, for getmobile/verifymobile, the carrier
    /// simulator of `serve --dev`; `noop`: a server that answers without doing
    /// any work (the ceiling of this machine, client and signing); or the URL of
    /// a running numgate (`http://host:port`, with --key-id and --key-secret),
    /// or the URLs of several nodes separated by commas: requests go to each in turn.
    #[arg(long, default_value = "self")]
    target: String,
    /// AccessKey id for a URL target.
    #[arg(long, env = "NUMGATE_BENCH_KEY_ID")]
    key_id: Option<String>,
    /// AccessKey secret for a URL target.
    #[arg(long, env = "NUMGATE_BENCH_KEY_SECRET", hide_env_values = true)]
    key_secret: Option<String>,
    /// Action mix as weights: `check=90,send=10`, `check=1`, `send=1`,
    /// `getmobile=1`, `verifymobile=1` (check: CheckSmsVerifyCode, send:
    /// SendSmsVerifyCode, getmobile: GetMobile, verifymobile: VerifyMobile; the
    /// last two spend AccessTokens that the device flow prepares beforehand,
    /// against --target self or noop only).
    #[arg(long, default_value = "check=90,send=10")]
    actions: Mix,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long the measured run lasts (`10s`, `500ms`, `2m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Load before the measured run, not counted.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Request signature.
    #[arg(long, value_enum, default_value_t = Signature::V3)]
    signature: Signature,
    /// Share of CheckSmsVerifyCode requests that carry a wrong code (0–80); the
    /// others carry the right one, each passing once. Also the share of
    /// VerifyMobile requests that carry a wrong number (REJECT, not PASS).
    #[arg(long, default_value_t = 20)]
    wrong_pct: u32,
    /// Codes to send before the run for the checks to verify [default: as many
    /// as can be sent in twice the run's time, so that checks hit live codes].
    #[arg(long)]
    codes: Option<usize>,
    /// AccessTokens to prepare through the device flow for getmobile and
    /// verifymobile, one per request [default: as many as can be prepared in
    /// three times the run's time; at most 500000, and 5 minutes].
    #[arg(long)]
    tokens: Option<usize>,
    /// With --target self: milliseconds the carrier simulator adds to every
    /// carrier call (a `latency` fault injected after the tokens are prepared,
    /// before the warm-up); 0 to 5000.
    #[arg(long, default_value_t = 0)]
    carrier_latency_ms: u64,
    /// First run the same load against the no-op server, then report each
    /// throughput as a ratio to that ceiling.
    #[arg(long)]
    baseline: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Signature {
    /// ACS3-HMAC-SHA256.
    V3,
    /// RPC HMAC-SHA1.
    V1,
}

impl Signature {
    fn scheme(self) -> SignatureScheme {
        match self {
            Signature::V3 => SignatureScheme::V3,
            Signature::V1 => SignatureScheme::V1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signature::V3 => "v3",
            Signature::V1 => "v1",
        }
    }
}

/// `10s`, `1500ms`, `2m`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("not a duration: {s}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s}: use ms, s or m")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("not a duration: {s}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    validate(&args)?;
    let baseline = if args.baseline && args.target != "noop" {
        Some(run_on(&args, "noop").await.context("the no-op baseline")?)
    } else {
        None
    };
    let report = run_on(&args, &args.target).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(baseline.as_ref()))?
        );
    } else {
        if let Some(b) = &baseline {
            print!("{}", b.to_text(None));
            println!();
        }
        print!("{}", report.to_text(baseline.as_ref()));
    }
    Ok(())
}

fn validate(args: &BenchArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        bail!("--concurrency must be 1 to {MAX_CONCURRENCY}");
    }
    if args.duration.is_zero() || args.duration + args.warmup > MAX_DURATION {
        bail!("--duration must be above zero and, with --warmup, at most an hour");
    }
    if args.wrong_pct > 80 {
        bail!("--wrong-pct must be 0 to 80: each code takes at most 4 wrong checks before its right one");
    }
    if args.codes.is_some_and(|n| n > MAX_CODES) {
        bail!("--codes must be at most {MAX_CODES}");
    }
    if args.actions.has_scene() {
        if args.actions.schedule().iter().any(|k| *k != Kind::Scene) {
            bail!("--actions scene runs whole Fusion-Auth scenes and nothing else: give it alone (scene=1)");
        }
        if args.target != "self" && args.target != "noop" {
            bail!("scene needs --target self (or noop): the scenes' one-click tokens come from the carrier simulator that `self` starts");
        }
        if args.carrier_latency_ms > 0 {
            bail!("--carrier-latency-ms is for getmobile and verifymobile, not scene");
        }
    }
    if args.tokens.is_some_and(|n| n == 0 || n > MAX_TOKENS) {
        bail!("--tokens must be 1 to {MAX_TOKENS}");
    }
    if args.carrier_latency_ms > MAX_CARRIER_LATENCY_MS {
        bail!("--carrier-latency-ms must be 0 to {MAX_CARRIER_LATENCY_MS}");
    }
    let carriers = args.actions.has_carrier();
    if args.carrier_latency_ms > 0 {
        if args.target != "self" {
            bail!(
                "--carrier-latency-ms applies to --target self only: its carrier simulator runs \
                 in this process (the no-op server calls no carrier; a URL target's carriers are \
                 not this command's to slow down)"
            );
        }
        if !carriers {
            bail!("--carrier-latency-ms needs getmobile or verifymobile in --actions: no other action calls a carrier");
        }
    }
    if carriers {
        if args.target != "self" && args.target != "noop" {
            bail!(
                "getmobile and verifymobile need --target self (or noop): their AccessTokens \
                 come from the device flow against the carrier simulator that `self` starts"
            );
        }
        let needed =
            token_setup_limit(args) + args.warmup + args.duration + tokens::LIFETIME_MARGIN;
        if needed > tokens::longest_lifetime() {
            bail!(
                "with getmobile or verifymobile, the token preparation ({}s at most), --warmup and \
                 --duration must end within {}s, before the first token prepared expires \
                 (China Unicom's live 30 minutes): shorten --duration",
                token_setup_limit(args).as_secs(),
                (tokens::longest_lifetime() - tokens::LIFETIME_MARGIN).as_secs()
            );
        }
    }
    Ok(())
}

/// How tokens are prepared: `--tokens N`, or for a time.
fn token_budget(args: &BenchArgs) -> load::Budget {
    match args.tokens {
        Some(n) => load::Budget::Count(n),
        None => {
            let share =
                args.actions.share(Kind::GetMobile) + args.actions.share(Kind::VerifyMobile);
            load::Budget::Time((args.warmup + args.duration).mul_f64(TOKEN_TIME_FACTOR * share))
        }
    }
}

/// The longest the token preparation may take.
fn token_setup_limit(args: &BenchArgs) -> Duration {
    match token_budget(args) {
        load::Budget::Count(_) => MAX_TOKEN_SETUP,
        load::Budget::Time(t) => t.min(MAX_TOKEN_SETUP),
    }
}

/// Starts (or reaches) the target, prepares codes, runs the load, stops the target
/// (also when the load failed).
async fn run_on(args: &BenchArgs, target: &str) -> anyhow::Result<Report> {
    let options = SelfOptions {
        carriers: args.actions.has_carrier() || args.actions.has_scene(),
        carrier_latency_ms: args.carrier_latency_ms,
        fusion: args.actions.has_scene(),
    };
    let target = Target::start(
        target,
        args.key_id.as_deref(),
        args.key_secret.as_deref(),
        options,
    )
    .await?;
    let result = load_target(args, &target).await;
    let (name, describe) = (target.name(), target.describe());
    target.stop().await?;
    let (settings, result) = result?;
    Ok(Report::new(
        name,
        describe,
        args.signature.name(),
        &settings,
        result,
    ))
}

async fn load_target(
    args: &BenchArgs,
    target: &Target,
) -> anyhow::Result<(load::Settings, load::RunResult)> {
    let api = OpenApi::new(target.endpoint(), target.key_id(), target.key_secret())
        .with_scheme(args.signature.scheme());
    let settings = load::Settings {
        mix: args.actions.clone(),
        concurrency: args.concurrency,
        warmup: args.warmup,
        duration: args.duration,
        wrong_pct: args.wrong_pct,
    };
    let checks = if args.actions.weight(Kind::Check) > 0 && !target.is_noop() {
        let budget = match args.codes {
            Some(n) => load::Budget::Count(n),
            None => {
                // Sends cost about what checks do, and a code serves 1.25 checks at
                // the default mix: twice the run's time keeps every check on a live code.
                let share = args.actions.share(Kind::Check);
                load::Budget::Time((args.warmup + args.duration).mul_f64(2.0 * share))
            }
        };
        eprintln!(
            "numgate bench: {}: sending codes for the checks…",
            target.name()
        );
        let plan = load::prepare_codes(&api, &settings, budget, MAX_CODES).await?;
        eprintln!(
            "numgate bench: {}: {} codes sent in {:.1}s",
            target.name(),
            plan.codes,
            plan.setup.as_secs_f64()
        );
        if let Some(phone) = plan.last_phone() {
            let waited = load::wait_for_deliveries(&api, phone, Duration::from_secs(600)).await?;
            eprintln!(
                "numgate bench: {}: their SMS were delivered {:.1}s later",
                target.name(),
                waited.as_secs_f64()
            );
        }
        Some(plan)
    } else {
        None
    };
    let tokens = if !args.actions.has_carrier() {
        None
    } else if target.is_noop() {
        Some(tokens::TokenPlan::random(&args.actions))
    } else {
        Some(prepare_tokens(args, target, &api).await?)
    };
    let latency = if target.is_noop() {
        0
    } else {
        args.carrier_latency_ms
    };
    if latency > 0 {
        target.add_carrier_latency(latency).await?;
        eprintln!(
            "numgate bench: {}: every carrier call now takes {latency} ms more",
            target.name()
        );
    }
    eprintln!(
        "numgate bench: {}: warm-up {:.1}s, then measuring {:.1}s…",
        target.name(),
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64()
    );
    let apis: Vec<OpenApi> = target
        .endpoints()
        .iter()
        .map(|e| {
            OpenApi::new(e, target.key_id(), target.key_secret())
                .with_scheme(args.signature.scheme())
        })
        .collect();
    let scenes = if !args.actions.has_scene() {
        None
    } else if target.is_noop() {
        Some(scene::ScenePlan::noop(target.endpoint())?)
    } else {
        let subscribers = target
            .subscribers()
            .context("scenes need the carrier simulator of --target self")?;
        eprintln!(
            "numgate bench: {}: registering a Fusion-Auth scheme…",
            target.name()
        );
        Some(scene::ScenePlan::prepare(&api, target.endpoint(), subscribers).await?)
    };
    let result = load::run(&apis, &settings, checks, tokens, scenes, latency).await?;
    Ok((settings, result))
}

/// A scheme for the bench's app, then tokens through the device flow from the
/// demo subscribers whose tokens outlive the preparation and the run.
async fn prepare_tokens(
    args: &BenchArgs,
    target: &Target,
    api: &OpenApi,
) -> anyhow::Result<tokens::TokenPlan> {
    let subscribers = target
        .subscribers()
        .context("getmobile and verifymobile need the carrier simulator of --target self")?;
    let needed = token_setup_limit(args) + args.warmup + args.duration + tokens::LIFETIME_MARGIN;
    let bearers = tokens::bearers(subscribers, needed);
    let identity = tokens::create_scheme(api).await?;
    eprintln!(
        "numgate bench: {}: preparing AccessTokens through the device flow ({})…",
        target.name(),
        bearers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let plan = tokens::prepare(
        target.endpoint(),
        &identity,
        &bearers,
        &args.actions,
        args.wrong_pct,
        args.concurrency.clamp(32, 256),
        token_budget(args),
        (MAX_TOKENS, MAX_TOKEN_SETUP),
    )
    .await?;
    eprintln!(
        "numgate bench: {}: {} tokens prepared in {:.1}s",
        target.name(),
        plan.login_tokens() + plan.verify_tokens(),
        plan.setup.as_secs_f64()
    );
    Ok(plan)
}
