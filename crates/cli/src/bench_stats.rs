//! `numgate bench-stats`: statistics queries over many recorded attempts, on the
//! store directly (SQLite or PostgreSQL). Records `--attempts` attempts' worth of
//! rollups (spread over `--days` days, `--tenants` tenants, every method, several
//! schemes and OS types, the five Fusion-Auth scenes), then times `--queries`
//! 30-day queries shaped like `QueryGateVerifyStatisticPublic`'s (one tenant, one
//! method, a random 30-day window, with and without an OS type or scheme
//! filter) and prints their latency percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use futures::stream::{self, StreamExt, TryStreamExt};
use numgate_domain::stats::{Day, Method, Outcome, OS_TYPES, OS_UNKNOWN};
use numgate_store::{StatFilter, StatKey, Store, StoreLocation};
use rand::{Rng, SeedableRng};
use serde_json::json;

#[derive(Args, Clone)]
pub struct BenchStatsArgs {
    /// The database: a SQLite file (created) or a postgres:// URL (migrated);
    /// default: a SQLite file in a temporary directory, deleted afterwards.
    #[arg(long)]
    database: Option<String>,
    /// Attempts recorded (as rollups: one upsert per key and outcome).
    #[arg(long, default_value_t = 10_000_000)]
    attempts: u64,
    /// Days the attempts are spread over, ending today.
    #[arg(long, default_value_t = 90)]
    days: i64,
    #[arg(long, default_value_t = 10)]
    tenants: u32,
    /// Queries timed.
    #[arg(long, default_value_t = 2_000)]
    queries: u32,
    /// Concurrent upserts while recording.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long)]
    json: bool,
}

/// Schemes per tenant: each of one OS type.
const SCHEMES: usize = 4;
const SCENES: [&str; 5] = ["100001", "100002", "100003", "100004", "100005"];

pub async fn run(args: BenchStatsArgs) -> anyhow::Result<()> {
    if !(1..=1_000_000_000_000).contains(&args.attempts)
        || !(30..=3_650).contains(&args.days)
        || !(1..=1_000).contains(&args.tenants)
        || !(1..=1_000_000).contains(&args.queries)
        || !(1..=256).contains(&args.concurrency)
    {
        bail!("--attempts 1–10^12, --days 30–3650, --tenants 1–1000, --queries 1–10^6, --concurrency 1–256");
    }
    let tmp = tempfile::tempdir()?;
    let location = match &args.database {
        Some(d) => StoreLocation::parse(d),
        None => StoreLocation::parse(&tmp.path().join("stats.db").display().to_string()),
    };
    let store = numgate_store::open_with(&location, true, Some(args.concurrency as u32 + 2))
        .await
        .context("opening the database")?;
    let backend = if matches!(location, StoreLocation::Postgres(_)) {
        "postgres"
    } else {
        "sqlite"
    };
    let run_id = rand::random::<u32>();
    let mut tenants = Vec::new();
    for i in 0..args.tenants {
        let t = store
            .ensure_tenant(&format!("bench-stats-{run_id}-{i}"), 0)
            .await?;
        tenants.push(t.id);
    }
    let today = Day::of(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64,
        8 * 3_600_000,
    );
    let first = today.plus(1 - args.days);

    // Every key of every day, then each key's share of the attempts.
    let mut keys = Vec::new();
    for &tenant_id in &tenants {
        for d in 0..args.days {
            let day = first.plus(d).iso();
            for s in 0..SCHEMES {
                let scheme = format!("FC{tenant_id:06}{s:09}");
                let os = OS_TYPES[s % OS_TYPES.len()];
                let key = |method, scene: &str, os: &str| StatKey {
                    tenant_id,
                    method,
                    day: day.clone(),
                    scheme: scheme.clone(),
                    scene: scene.to_owned(),
                    os_type: os.to_owned(),
                };
                keys.push(key(Method::OneClick, "", os));
                keys.push(key(Method::NumberCheck, "", os));
                if s < 2 {
                    keys.push(key(Method::Sms, "", OS_UNKNOWN));
                }
                for scene in SCENES {
                    keys.push(key(Method::Fusion, scene, os));
                }
            }
        }
    }
    let per_key = args.attempts / keys.len() as u64;
    let extra = args.attempts % keys.len() as u64;
    let mut ops = Vec::with_capacity(keys.len() * 3);
    for (i, key) in keys.iter().enumerate() {
        let n = per_key + u64::from((i as u64) < extra);
        let (fail, unknown) = (n * 15 / 100, n * 5 / 100);
        for (outcome, count) in [
            (Outcome::Success, n - fail - unknown),
            (Outcome::Fail, fail),
            (Outcome::Unknown, unknown),
        ] {
            if count > 0 {
                ops.push((key.clone(), outcome, count));
            }
        }
    }
    let rows = keys.len();
    let upserts = ops.len();
    let started = Instant::now();
    stream::iter(ops)
        .map(|(key, outcome, n)| {
            let store = store.clone();
            async move { store.count_attempt(key, outcome, n).await }
        })
        .buffer_unordered(args.concurrency)
        .try_collect::<()>()
        .await?;
    let record_secs = started.elapsed().as_secs_f64();

    // Check one tenant's total before timing: the rollups hold what was recorded.
    let mut total = 0;
    for method in Method::ALL {
        for d in store
            .query_statistics(
                tenants[0],
                StatFilter::method(method),
                &first.iso(),
                &today.iso(),
            )
            .await?
        {
            total += d.success + d.fail + d.unknown;
        }
    }

    let latencies = time_queries(&store, &tenants, first, args.days, args.queries).await?;
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    let (p50, p99, max) = (pct(0.50), pct(0.99), pct(1.0));
    if args.json {
        outln!(
            "{}",
            json!({
                "backend": backend, "attempts": args.attempts, "days": args.days,
                "tenants": args.tenants, "rollup_rows": rows, "upserts": upserts,
                "record_secs": record_secs, "first_tenant_attempts": total,
                "queries": args.queries, "query_days": 30,
                "p50_ms": p50, "p99_ms": p99, "max_ms": max,
            })
        );
    } else {
        outln!(
            "{backend}: {} attempts over {} days as {rows} rollup rows ({upserts} upserts) in {record_secs:.1} s",
            args.attempts,
            args.days
        );
        outln!(
            "{} 30-day queries: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms",
            args.queries
        );
    }
    Ok(())
}

/// Sequential 30-day queries: a random tenant, method and window; a third with
/// an OS type filter, a third with a scheme filter. Sorted latencies.
async fn time_queries(
    store: &Arc<dyn Store>,
    tenants: &[i64],
    first: Day,
    days: i64,
    queries: u32,
) -> anyhow::Result<Vec<Duration>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut latencies = Vec::with_capacity(queries as usize);
    for i in 0..queries {
        let tenant_id = tenants[rng.gen_range(0..tenants.len())];
        let method = Method::ALL[rng.gen_range(0..Method::ALL.len())];
        let from = first.plus(rng.gen_range(0..=days - 30));
        let mut filter = StatFilter::method(method);
        match i % 3 {
            1 => filter.os_type = Some(OS_TYPES[rng.gen_range(0..OS_TYPES.len())].to_owned()),
            2 => filter.scheme = Some(format!("FC{tenant_id:06}{:09}", rng.gen_range(0..SCHEMES))),
            _ => {}
        }
        let started = Instant::now();
        let rows = store
            .query_statistics(tenant_id, filter, &from.iso(), &from.plus(29).iso())
            .await?;
        latencies.push(started.elapsed());
        std::hint::black_box(rows);
    }
    latencies.sort();
    Ok(latencies)
}
