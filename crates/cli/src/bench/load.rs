//! The load: which action each request is, the numbers, codes and tokens it
//! carries, the codes prepared for the checks (the tokens: [`super::tokens`]),
//! and the timed run with its warm-up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use numgate_client::{ClientError, OpenApi, QuerySendDetails, SendSmsVerifyCode};
use rand::Rng;

use super::mix::{Kind, Mix};
use super::tokens::TokenPlan;

/// The complimentary signature and template every tenant has.
const SIGN_NAME: &str = "速通互联验证码";
const TEMPLATE_CODE: &str = "100001";
const TEMPLATE_PARAM: &str = r###"{"code":"##code##","min":"5"}"###;
/// A request that takes longer counts as a `timeout`; bounds how long the run
/// waits for the requests in flight at its end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Settings {
    pub mix: Mix,
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub wrong_pct: u32,
}

/// Valid China Mobile numbers, `138` and 8 digits counted up from a random base:
/// each is used once per run (a number gets one code: the 60 s interval and the
/// caps apply per number), and two runs against one server rarely meet.
struct Numbers {
    base: u64,
    next: AtomicU64,
}

impl Numbers {
    fn new() -> Self {
        Self {
            base: rand::thread_rng().gen_range(0..100_000_000),
            next: AtomicU64::new(0),
        }
    }

    fn fresh(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("138{:08}", (self.base + n) % 100_000_000)
    }
}

/// How many codes to prepare: a count, or as many as can be sent in a time.
pub enum Budget {
    Count(usize),
    Time(Duration),
}

/// The checks of the run, in order: for each prepared code its wrong checks
/// (a live code counts the attempt), then its right one (consumes it).
pub struct CheckPlan {
    numbers: Arc<Numbers>,
    items: Vec<(Arc<str>, String)>,
    pub codes: usize,
    pub setup: Duration,
    pub wrong_pct: u32,
}

/// Sends codes with `ReturnVerifyCode` before the run, at the run's concurrency.
pub async fn prepare_codes(
    api: &OpenApi,
    settings: &Settings,
    budget: Budget,
    max: usize,
) -> anyhow::Result<CheckPlan> {
    let numbers = Arc::new(Numbers::new());
    let started = Instant::now();
    let (limit, deadline) = match budget {
        Budget::Count(n) => (n.min(max), None),
        Budget::Time(t) => (max, Some(started + t)),
    };
    let taken = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..settings.concurrency {
        let (api, numbers, taken) = (api.clone(), numbers.clone(), taken.clone());
        workers.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            while taken.fetch_add(1, Ordering::Relaxed) < limit
                && deadline.is_none_or(|d| Instant::now() < d)
            {
                let phone = numbers.fresh();
                let req = SendSmsVerifyCode {
                    return_verify_code: Some(true),
                    ..SendSmsVerifyCode::new(&phone, SIGN_NAME, TEMPLATE_CODE)
                };
                let call = api.send_sms_verify_code(&req);
                match tokio::time::timeout(REQUEST_TIMEOUT, call).await {
                    Ok(Ok(r)) if r.is_ok() => match r.body.model.and_then(|m| m.verify_code) {
                        Some(code) => sent.push((Arc::<str>::from(phone), code)),
                        None => return Err("no VerifyCode in the answer".to_owned()),
                    },
                    Ok(Ok(r)) => return Err(format!("{}: {}", r.code, r.message)),
                    Ok(Err(e)) => return Err(e.to_string()),
                    Err(_) => return Err("timed out".to_owned()),
                }
            }
            Ok(sent)
        }));
    }
    let mut codes = Vec::new();
    for w in workers {
        match w.await? {
            Ok(sent) => codes.extend(sent),
            Err(e) => bail!("sending the codes for the checks failed: {e}"),
        }
    }
    if codes.is_empty() {
        bail!("no code could be sent for the checks");
    }
    let setup = started.elapsed();
    // k wrong checks per code on average, so that wrong/(wrong+right) = wrong_pct.
    let per_code = f64::from(settings.wrong_pct) / f64::from(100 - settings.wrong_pct);
    let mut items = Vec::new();
    for (i, (phone, code)) in codes.iter().enumerate() {
        let wrongs = ((i + 1) as f64 * per_code).floor() - (i as f64 * per_code).floor();
        for _ in 0..wrongs as usize {
            items.push((phone.clone(), wrong(code)));
        }
        items.push((phone.clone(), code.clone()));
    }
    Ok(CheckPlan {
        numbers,
        codes: codes.len(),
        items,
        setup,
        wrong_pct: settings.wrong_pct,
    })
}

impl CheckPlan {
    /// The number of the last code prepared.
    pub fn last_phone(&self) -> Option<&str> {
        self.items.last().map(|(p, _)| &**p)
    }
}

/// Waits until the last prepared code's SMS is delivered (QuerySendDetails says
/// so): messages leave the queue in order, so the queue is then drained and the
/// timed checks do not compete with the setup's deliveries. Works on any target.
pub async fn wait_for_deliveries(
    api: &OpenApi,
    phone: &str,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    // The server's calendar day; numgate's default offset is +8 (China time),
    // so ask about both the UTC day and the next, whichever holds the send.
    let days = {
        let now = chrono::Utc::now();
        [now, now + chrono::Duration::hours(8)].map(|t| t.format("%Y%m%d").to_string())
    };
    while started.elapsed() < limit {
        for day in &days {
            let q = QuerySendDetails {
                phone_number: phone.to_owned(),
                send_date: day.clone(),
                page_size: 1,
                current_page: 1,
                biz_id: None,
            };
            if let Ok(r) = api.query_send_details(&q).await {
                if r.body.model.first().is_some_and(|d| d.send_status != 1) {
                    return Ok(started.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the SMS queue did not drain within {}s", limit.as_secs())
}

/// The code (or number) with its last character changed: same length and
/// kind, never right; a number stays in its carrier's segment.
pub fn wrong(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match *last {
            '9' => '0',
            'z' => 'a',
            'Z' => 'A',
            c => char::from_u32(c as u32 + 1).unwrap_or('0'),
        };
    }
    chars.into_iter().collect()
}

/// What one action's requests gave in the measured window.
#[derive(Default)]
pub struct ActionResult {
    /// Latency of each request, microseconds.
    pub latencies_us: Vec<u32>,
    /// `OK`, `PASS`, `REJECT`, `UNKNOWN`, `WRONG_MOBILE`, `refused:<Code>`,
    /// `error:<Code>`, `transport`, `timeout`.
    pub outcomes: BTreeMap<String, u64>,
}

pub struct CheckInfo {
    pub codes: usize,
    pub setup: Duration,
    pub wrong_pct: u32,
    /// Checks in the window whose code had already been used up (the plan ran out).
    pub stale: u64,
}

pub struct TokenInfo {
    pub login: usize,
    pub verify: usize,
    pub setup: Duration,
    pub bearers: Vec<String>,
    pub wrong_pct: u32,
    /// Requests in the window whose token was not live: the plan ran out (an
    /// already used token), or numgate answered `isv.TOKEN_INVALID`.
    pub stale: u64,
    /// Injected at the simulator before the warm-up.
    pub carrier_latency_ms: u64,
}

pub struct RunResult {
    pub window: Duration,
    pub actions: BTreeMap<Kind, ActionResult>,
    pub checks: Option<CheckInfo>,
    /// Prepared tokens (not the no-op's random ones).
    pub tokens: Option<TokenInfo>,
}

/// The answer numgate gives a token that is unknown, expired or already used.
const TOKEN_INVALID: &str = "refused:isv.TOKEN_INVALID";

struct Ctx {
    /// One client per node; requests go to each in turn.
    apis: Vec<OpenApi>,
    schedule: Vec<Kind>,
    seq: AtomicU64,
    numbers: Arc<Numbers>,
    plan: Option<CheckPlan>,
    next_check: AtomicUsize,
    tokens: Option<TokenPlan>,
    scenes: Option<super::scene::ScenePlan>,
    measure_from: Instant,
    end: Instant,
}

/// The warm-up, then the measured window; requests that start in the window count.
pub async fn run(
    apis: &[OpenApi],
    settings: &Settings,
    plan: Option<CheckPlan>,
    tokens: Option<TokenPlan>,
    scenes: Option<super::scene::ScenePlan>,
    carrier_latency_ms: u64,
) -> anyhow::Result<RunResult> {
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let ctx = Arc::new(Ctx {
        apis: apis.to_vec(),
        schedule: settings.mix.schedule(),
        seq: AtomicU64::new(0),
        numbers: plan
            .as_ref()
            .map_or_else(|| Arc::new(Numbers::new()), |p| p.numbers.clone()),
        plan,
        next_check: AtomicUsize::new(0),
        tokens,
        scenes,
        measure_from,
        end: measure_from + settings.duration,
    });
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| tokio::spawn(worker(ctx.clone())))
        .collect();
    let mut actions: BTreeMap<Kind, ActionResult> = BTreeMap::new();
    let (mut stale, mut stale_tokens) = (0, 0);
    for w in workers {
        let (mine, my_stale, my_stale_tokens) = w.await?;
        stale += my_stale;
        stale_tokens += my_stale_tokens;
        for (kind, r) in mine {
            let all = actions.entry(kind).or_default();
            all.latencies_us.extend(r.latencies_us);
            for (k, n) in r.outcomes {
                *all.outcomes.entry(k).or_default() += n;
            }
        }
    }
    let checks = ctx.plan.as_ref().map(|p| CheckInfo {
        codes: p.codes,
        setup: p.setup,
        wrong_pct: p.wrong_pct,
        stale,
    });
    let tokens = ctx.tokens.as_ref().filter(|t| t.live).map(|t| TokenInfo {
        login: t.login_tokens(),
        verify: t.verify_tokens(),
        setup: t.setup,
        bearers: t.bearers.clone(),
        wrong_pct: t.wrong_pct,
        stale: stale_tokens,
        carrier_latency_ms,
    });
    Ok(RunResult {
        window: settings.duration,
        actions,
        checks,
        tokens,
    })
}

/// What one worker measured, its checks that hit a used code, and its carrier
/// requests whose token was not live.
async fn worker(ctx: Arc<Ctx>) -> (BTreeMap<Kind, ActionResult>, u64, u64) {
    let mut mine: BTreeMap<Kind, ActionResult> = BTreeMap::new();
    let (mut stale, mut stale_tokens) = (0, 0);
    loop {
        let t0 = Instant::now();
        if t0 >= ctx.end {
            break;
        }
        let n = ctx.seq.fetch_add(1, Ordering::Relaxed) as usize;
        let kind = ctx.schedule[n % ctx.schedule.len()];
        let api = &ctx.apis[n % ctx.apis.len()];
        if kind == Kind::Scene {
            let Some(scenes) = &ctx.scenes else { break };
            let outcome = tokio::time::timeout(REQUEST_TIMEOUT, scenes.run(api, n))
                .await
                .unwrap_or_else(|_| "timeout".into());
            if t0 >= ctx.measure_from {
                let r = mine.entry(kind).or_default();
                r.latencies_us
                    .push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                *r.outcomes.entry(outcome).or_default() += 1;
            }
            continue;
        }
        let mut params = BTreeMap::new();
        let mut is_stale = false;
        let (mut token_reused, mut expected) = (false, None);
        match kind {
            Kind::Send => {
                params.insert("PhoneNumber".to_owned(), ctx.numbers.fresh());
                params.insert("SignName".to_owned(), SIGN_NAME.to_owned());
                params.insert("TemplateCode".to_owned(), TEMPLATE_CODE.to_owned());
                params.insert("TemplateParam".to_owned(), TEMPLATE_PARAM.to_owned());
            }
            Kind::Check => {
                let (phone, code) = match &ctx.plan {
                    Some(plan) => {
                        let i = ctx.next_check.fetch_add(1, Ordering::Relaxed);
                        is_stale = i >= plan.items.len();
                        let (p, c) = &plan.items[i % plan.items.len()];
                        (p.to_string(), c.clone())
                    }
                    None => (ctx.numbers.fresh(), "123456".to_owned()),
                };
                params.insert("PhoneNumber".to_owned(), phone);
                params.insert("VerifyCode".to_owned(), code);
            }
            Kind::GetMobile | Kind::VerifyMobile => {
                // The plan has a pool for every carrier action of the mix.
                let Some(t) = ctx.tokens.as_ref().and_then(|p| p.take(kind)) else {
                    break;
                };
                token_reused = t.reused;
                if kind == Kind::GetMobile {
                    params.insert("AccessToken".to_owned(), t.token.to_owned());
                    expected = Some(t.number.to_owned());
                } else {
                    params.insert("AccessCode".to_owned(), t.token.to_owned());
                    params.insert("PhoneNumber".to_owned(), t.number.to_owned());
                }
            }
            // Handled above, as a whole scene.
            Kind::Scene => continue,
        }
        let answer =
            tokio::time::timeout(REQUEST_TIMEOUT, api.call_raw(kind.action(), &params)).await;
        let took = t0.elapsed();
        if t0 < ctx.measure_from {
            continue;
        }
        let r = mine.entry(kind).or_default();
        r.latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        let outcome = classify(kind, answer, expected.as_deref());
        stale_tokens += u64::from(token_reused || outcome == TOKEN_INVALID);
        *r.outcomes.entry(outcome).or_default() += 1;
        stale += u64::from(is_stale);
    }
    (mine, stale, stale_tokens)
}

/// The outcome of one answer; `expected` is the number a GetMobile must answer.
fn classify(
    kind: Kind,
    answer: Result<Result<(u16, Vec<u8>), ClientError>, tokio::time::error::Elapsed>,
    expected: Option<&str>,
) -> String {
    let (status, body) = match answer {
        Err(_) => return "timeout".into(),
        Ok(Err(_)) => return "transport".into(),
        Ok(Ok(a)) => a,
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return format!("error:HTTP {status}, not JSON");
    };
    let code = v["Code"].as_str().unwrap_or("(no Code)");
    match (status, code, kind) {
        (200, "OK", Kind::Check) => v["Model"]["VerifyResult"]
            .as_str()
            .unwrap_or("OK")
            .to_owned(),
        (200, "OK", Kind::Send) => "OK".into(),
        (200, "OK", Kind::VerifyMobile) => v["GateVerifyResultDTO"]["VerifyResult"]
            .as_str()
            .unwrap_or("OK")
            .to_owned(),
        // The no-op server answers no number.
        (200, "OK", Kind::GetMobile) => match v["GetMobileResultDTO"]["Mobile"].as_str() {
            Some(m) if expected.is_some_and(|e| e != m) => "WRONG_MOBILE".into(),
            _ => "OK".into(),
        },
        (200, _, _) => format!("refused:{code}"),
        _ => format!("error:{code}"),
    }
}
