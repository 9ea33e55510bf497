//! `numgate bench-smpp`: submit_sm throughput of the SMPP sender, against the
//! SMSC simulator started as a separate process (or a given SMSC).

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_trait::async_trait;
use clap::Args;
use numgate_sms::{
    Inbound, OutgoingSms, Receipt, ReportError, ReportSink, SmppConfig, SmppSender, SmsSender,
};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The most messages and concurrent sends one run may take.
const MAX_MESSAGES: usize = 10_000_000;
const MAX_CONCURRENCY: usize = 100_000;

#[derive(Args)]
pub struct BenchSmppArgs {
    /// The SMSC, `host:port` [default: start `numgate smsc-sim` on a free port].
    #[arg(long)]
    smsc: Option<String>,
    /// The simulator's control URL, for its statistics (set when started here).
    #[arg(long)]
    control: Option<String>,
    #[arg(long, default_value = "numgate")]
    system_id: String,
    #[arg(
        long,
        env = "NUMGATE_SMSC_PASSWORD",
        hide_env_values = true,
        default_value = "secret"
    )]
    password: String,
    /// Messages to submit.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Binds (connections) of the sender.
    #[arg(long, default_value_t = 1)]
    binds: usize,
    /// Outstanding submit_sm per bind.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Sends in flight at once (a send waits while every window is full).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// The text of every message (one part unless it is long; each part is a submit_sm).
    #[arg(
        long,
        default_value = "Your numgate verification code is 123456. Valid for 5 minutes."
    )]
    text: String,
    /// Do not ask for delivery receipts.
    #[arg(long)]
    no_receipts: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Counts what comes back.
#[derive(Default)]
struct Counter {
    receipts: AtomicU64,
    inbound: AtomicU64,
}

#[async_trait]
impl ReportSink for Counter {
    async fn receipt(&self, _: Receipt) -> Result<(), ReportError> {
        self.receipts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    async fn inbound(&self, _: Inbound) -> Result<(), ReportError> {
        self.inbound.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Starts `numgate smsc-sim` on free ports; its SMPP address and control URL.
async fn spawn_sim(
    args: &BenchSmppArgs,
) -> anyhow::Result<(tokio::process::Child, String, String)> {
    let exe = std::env::current_exe().context("finding the numgate executable")?;
    let mut child = tokio::process::Command::new(exe)
        .args([
            "smsc-sim",
            "--smpp-listen",
            "127.0.0.1:0",
            "--control-listen",
            "127.0.0.1:0",
        ])
        .args(["--system-id", &args.system_id])
        .env("NUMGATE_SMSC_PASSWORD", &args.password)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting numgate smsc-sim")?;
    let stderr = child.stderr.take().context("the simulator's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let (mut smpp, mut control) = (None, None);
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(a) = line.strip_prefix("numgate smsc-sim: SMPP at ") {
                smpp = Some(a.trim().to_owned());
            } else if let Some(u) = line.strip_prefix("numgate smsc-sim: control at ") {
                control = Some(u.trim().to_owned());
            }
            if smpp.is_some() && control.is_some() {
                return Ok::<_, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    match (found, smpp, control) {
        (Ok(Ok(true)), Some(s), Some(c)) => {
            // Keep draining its stderr so that it never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok((child, s, c))
        }
        _ => bail!("numgate smsc-sim did not report its addresses"),
    }
}

pub async fn run(args: BenchSmppArgs) -> anyhow::Result<()> {
    if args.messages == 0 || args.messages > MAX_MESSAGES {
        bail!("--messages must be 1-{MAX_MESSAGES}");
    }
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        bail!("--concurrency must be 1-{MAX_CONCURRENCY}");
    }
    let (_child, addr, control) = match &args.smsc {
        Some(a) => (None, a.clone(), args.control.clone()),
        None => {
            let (child, a, c) = spawn_sim(&args).await?;
            (Some(child), a, Some(c))
        }
    };
    let config = SmppConfig {
        name: "bench".into(),
        addr: addr.clone(),
        system_id: args.system_id.clone(),
        password: args.password.clone(),
        source_addr: "1069".into(),
        binds: args.binds,
        window: args.window,
        registered_delivery: !args.no_receipts,
        ..SmppConfig::default()
    };
    config.validate()?;
    let sink = Arc::new(Counter::default());
    let sender = Arc::new(SmppSender::start(config, sink.clone()));
    if !sender.wait_bound(args.binds, Duration::from_secs(10)).await {
        bail!(
            "{} of {} binds came up at {addr}",
            sender.bound(),
            args.binds
        );
    }

    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency.min(args.messages))
        .map(|_| {
            let (sender, next, errors, text) = (
                sender.clone(),
                next.clone(),
                errors.clone(),
                args.text.clone(),
            );
            let total = args.messages;
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return latencies;
                    }
                    let sms = OutgoingSms {
                        message_id: i as i64,
                        tenant_id: 1,
                        biz_id: String::new(),
                        phone: format!("86139{:08}", i % 100_000_000),
                        text: text.clone(),
                        up_extend_code: None,
                    };
                    let t = Instant::now();
                    if sender.send(&sms).await.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    latencies.push(t.elapsed().as_micros() as u64);
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(args.messages);
    for w in workers {
        latencies.extend(w.await?);
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        let rank = ((p * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1] as f64 / 1000.0
    };
    let errors = errors.load(Ordering::Relaxed);
    let accepted = args.messages as u64 - errors;
    // Each part is one submit_sm, and has its own receipt.
    let parts = numgate_sms::segment::count_segments(&args.text);
    let expected_receipts = accepted * u64::from(parts);

    // Receipts trail the last submit_sm_resp: wait for them a little.
    let receipt_wait = Instant::now();
    if !args.no_receipts {
        while sink.receipts.load(Ordering::Relaxed) < expected_receipts
            && receipt_wait.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let receipts = sink.receipts.load(Ordering::Relaxed);
    let sim_stats = match &control {
        Some(url) => reqwest::get(format!("{url}/stats"))
            .await
            .ok()
            .and_then(|r| r.error_for_status().ok())
            .map(|r| r.json::<serde_json::Value>()),
        None => None,
    };
    let sim_stats = match sim_stats {
        Some(f) => f.await.ok(),
        None => None,
    };

    let rate = args.messages as f64 / secs;
    let submit_rate = rate * f64::from(parts);
    if args.json {
        outln!(
            "{}",
            json!({
                "messages": args.messages, "binds": args.binds, "window": args.window,
                "concurrency": args.concurrency, "seconds": secs,
                "parts_per_message": parts, "messages_per_sec": rate,
                "submit_sm_per_sec": submit_rate, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                "errors": errors, "receipts": receipts, "smsc": sim_stats,
            })
        );
    } else {
        outln!(
            "SMPP submit_sm: {} messages, {} bind(s), window {}, concurrency {}, receipts {}",
            args.messages,
            args.binds,
            args.window,
            args.concurrency,
            if args.no_receipts { "off" } else { "on" }
        );
        outln!("  submit_sm/s   {submit_rate:>10.0} ({parts} part(s) per message)");
        outln!("  messages/s    {rate:>10.0}");
        outln!("  p50 send ms   {:>10.3}", pct(0.5));
        outln!("  p99 send ms   {:>10.3}", pct(0.99));
        outln!("  errors        {errors:>10}");
        outln!("  receipts      {receipts:>10} (of {expected_receipts} parts accepted)");
        if let Some(s) = &sim_stats {
            outln!(
                "  smsc: submit_sm {}, most unanswered at once as the SMSC saw it {}, receipts sent {} / acknowledged {}",
                s["submits"], s["max_outstanding"], s["receipts_sent"], s["receipts_acked"]
            );
        }
    }
    Ok(())
}
