//! `numgate bench`: a signed-request load generator (like pgbench) for the Open
//! API, against numgate in-process, a no-op server (the machine's ceiling) or a URL.
//!
//! - [`targets`]: the servers it can start itself: numgate on a temporary data
//!   directory, and the no-op server.
//! - [`mix`]: the actions and their weights.
//! - [`load`]: the numbers and codes the requests carry, the timed run.
//! - [`report`]: latency percentiles, outcome counts, text and JSON output.

mod load;
mod mix;
mod report;
mod targets;

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use numgate_client::{OpenApi, SignatureScheme};

use mix::{Kind, Mix};
use report::Report;
use targets::Target;

/// The most concurrent requests, the longest run and the most codes prepared:
/// a load generator must stay bounded whatever it is asked.
const MAX_CONCURRENCY: usize = 4096;
const MAX_DURATION: Duration = Duration::from_secs(3600);
const MAX_CODES: usize = 2_000_000;

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// `self`: numgate in-process on 127.0.0.1 with a fresh temporary data
    /// directory (durable SQLite); `noop`: a server that answers without doing
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
    /// Action mix as weights: `check=90,send=10`, `check=1`, `send=1`.
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
    /// others carry the right one, each passing once.
    #[arg(long, default_value_t = 20)]
    wrong_pct: u32,
    /// Codes to send before the run for the checks to verify [default: as many
    /// as can be sent in twice the run's time, so that checks hit live codes].
    #[arg(long)]
    codes: Option<usize>,
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
    Ok(())
}

/// Starts (or reaches) the target, prepares codes, runs the load, stops the target
/// (also when the load failed).
async fn run_on(args: &BenchArgs, target: &str) -> anyhow::Result<Report> {
    let target = Target::start(target, args.key_id.as_deref(), args.key_secret.as_deref()).await?;
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
    let result = load::run(&apis, &settings, checks).await?;
    Ok((settings, result))
}
