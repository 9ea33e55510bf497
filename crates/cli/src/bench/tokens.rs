//! The AccessTokens that GetMobile and VerifyMobile spend. Against numgate they
//! are prepared before the run through the real device flow: a phone on a demo
//! subscriber's bearer address asks numgate which carriers to use, asks the
//! simulator over its bearer for a carrier token, and has numgate wrap it. Each
//! is good once, so there is one per request. Against the no-op server they are
//! random tokens of the same shape (nothing checks them there).

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use numgate_carrier_sim::{Carrier, SubscriberConfig, SubscriberStatus};
use numgate_client::device::{AppIdentity, Device, Purpose};
use numgate_client::{CreateVerifyScheme, OpenApi};
use numgate_domain::access_token::{self, AccessToken, Sealed, TokenCarrier};
use numgate_domain::secrets::MasterKey;
use rand::Rng;

use super::load::{wrong, Budget};
use super::mix::{Kind, Mix};

/// The app the bench's scheme registers (an Android package and a signing
/// certificate's MD5): the device flow signs its Client API calls as it.
const APP: &str = "com.numgate.bench";
const APP_SIGN: &str = "0123456789abcdef0123456789abcdef";
/// One device flow (Client API config, the carrier's prefetch and token, the
/// wrap) that takes longer fails the preparation.
const FLOW_TIMEOUT: Duration = Duration::from_secs(30);
/// How many random tokens the no-op run cycles through.
const NOOP_TOKENS: usize = 4096;
/// What a token must outlive beyond the preparation and the run: requests in
/// flight at the end, and the clocks of numgate and the simulator.
pub const LIFETIME_MARGIN: Duration = Duration::from_secs(60);

/// How long the simulator's tokens live (crates/carrier-sim/PROTOCOL.md); numgate's
/// AccessToken lives as long as the carrier token inside it.
fn lifetime(carrier: Carrier) -> Option<Duration> {
    match carrier {
        Carrier::Cm => Some(Duration::from_secs(120)),
        Carrier::Cu => Some(Duration::from_secs(1800)),
        Carrier::Ct => Some(Duration::from_secs(600)),
        // An authorization code lives 60 s: not worth preparing ahead.
        Carrier::Camara => None,
    }
}

/// The longest a token of the demo carriers lives: no run with carrier actions
/// may need more.
pub fn longest_lifetime() -> Duration {
    Duration::from_secs(1800)
}

/// A demo subscriber whose phone prepares tokens.
#[derive(Clone)]
pub struct Bearer {
    address: IpAddr,
    number: String,
    carrier: Carrier,
}

impl std::fmt::Display for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.address, self.carrier.as_str())
    }
}

/// The subscribers that can get tokens (a token-exchange carrier, mobile data
/// on, the line active) and whose tokens live at least `needed`.
pub fn bearers(subscribers: &[SubscriberConfig], needed: Duration) -> Vec<Bearer> {
    subscribers
        .iter()
        .filter(|s| s.mobile_data && s.status == SubscriberStatus::Active)
        .filter(|s| lifetime(s.carrier).is_some_and(|l| l >= needed))
        .map(|s| Bearer {
            address: s.address,
            number: s.number.clone(),
            carrier: s.carrier,
        })
        .collect()
}

/// Registers the bench's app (CreateVerifyScheme, both kinds of verification)
/// and returns what it was built with (DescribeVerifyScheme's AppEncryptInfo).
pub async fn create_scheme(api: &OpenApi) -> anyhow::Result<AppIdentity> {
    let req = CreateVerifyScheme {
        auth_type: Some("1,2".into()),
        ..CreateVerifyScheme::android("bench", "numgate bench", APP, APP_SIGN)
    };
    let created = api
        .create_verify_scheme(&req)
        .await
        .context("CreateVerifyScheme")?;
    if !created.is_ok() {
        bail!("CreateVerifyScheme: {}: {}", created.code, created.message);
    }
    let scheme = created
        .body
        .gate_verify_scheme_dto
        .context("CreateVerifyScheme answered no SchemeCode")?
        .scheme_code;
    let described = api
        .describe_verify_scheme(&scheme)
        .await
        .context("DescribeVerifyScheme")?;
    if !described.is_ok() {
        bail!(
            "DescribeVerifyScheme: {}: {}",
            described.code,
            described.message
        );
    }
    let info = described
        .body
        .scheme_query_result_dto
        .context("DescribeVerifyScheme answered no AppEncryptInfo")?
        .app_encrypt_info;
    AppIdentity::from_app_encrypt_info(&info, APP).context("the scheme's AppEncryptInfo")
}

/// The tokens of one action, in the order the run uses them: each an
/// AccessToken and the number the request is about (GetMobile: the number it
/// must answer; VerifyMobile: the number it carries, right or wrong).
struct Pool {
    items: Vec<(String, String)>,
    next: AtomicUsize,
}

impl Pool {
    fn take(&self, live: bool) -> Option<(&str, &str, bool)> {
        if self.items.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let (token, number) = &self.items[i % self.items.len()];
        Some((token, number, live && i >= self.items.len()))
    }
}

/// The tokens of a run.
pub struct TokenPlan {
    login: Pool,
    verify: Pool,
    /// Prepared through the device flow, each good once (not the no-op's).
    pub live: bool,
    pub setup: Duration,
    /// The bearers that prepared them, `127.0.0.12 cu`.
    pub bearers: Vec<String>,
    pub wrong_pct: u32,
}

/// One token taken for a request.
pub struct Taken<'a> {
    pub token: &'a str,
    pub number: &'a str,
    /// The plan ran out: the token was already used by an earlier request.
    pub reused: bool,
}

impl TokenPlan {
    /// The next token for `kind` (GetMobile or VerifyMobile).
    pub fn take(&self, kind: Kind) -> Option<Taken<'_>> {
        let pool = match kind {
            Kind::GetMobile => &self.login,
            Kind::VerifyMobile => &self.verify,
            Kind::Check | Kind::Send | Kind::Scene => return None,
        };
        pool.take(self.live).map(|(token, number, reused)| Taken {
            token,
            number,
            reused,
        })
    }

    pub fn login_tokens(&self) -> usize {
        if self.live {
            self.login.items.len()
        } else {
            0
        }
    }

    pub fn verify_tokens(&self) -> usize {
        if self.live {
            self.verify.items.len()
        } else {
            0
        }
    }

    /// For the no-op server: random tokens of a real one's shape and size (an
    /// AccessToken sealed with a throwaway key), random China Unicom numbers.
    pub fn random(mix: &Mix) -> TokenPlan {
        let sealer = MasterKey::generate().secret_box();
        let mut rng = rand::thread_rng();
        let mut pool = |purpose: access_token::Purpose, wanted: bool| {
            let mut items = Vec::new();
            for _ in 0..if wanted { NOOP_TOKENS } else { 0 } {
                let token = AccessToken {
                    id: AccessToken::new_id(),
                    scheme: format!("FC{:015}", rng.gen_range(0..1_000_000_000_000_000u64)),
                    app: APP.to_owned(),
                    carrier: TokenCarrier::Cu,
                    purpose,
                    carrier_token: (0..32)
                        .map(|_| format!("{:02x}", rng.gen::<u8>()))
                        .collect(),
                    expires_at: chrono::Utc::now().timestamp_millis() + 1_800_000,
                };
                let number = format!("130{:08}", rng.gen_range(0..100_000_000));
                items.push((token.seal(&sealer), number));
            }
            Pool {
                items,
                next: AtomicUsize::new(0),
            }
        };
        TokenPlan {
            login: pool(
                access_token::Purpose::Login,
                mix.weight(Kind::GetMobile) > 0,
            ),
            verify: pool(
                access_token::Purpose::Verify,
                mix.weight(Kind::VerifyMobile) > 0,
            ),
            live: false,
            setup: Duration::ZERO,
            bearers: Vec::new(),
            wrong_pct: 0,
        }
    }
}

/// Prepares tokens through the device flow from `bearers` in turn, `workers` at
/// a time, until the budget (a count, or a time) or `max_setup` is reached;
/// login and verify tokens in the proportion of GetMobile and VerifyMobile in
/// the mix. `wrong_pct` of the verify tokens get a wrong number of the same
/// carrier (REJECT), the rest their SIM's (PASS).
#[allow(clippy::too_many_arguments)]
pub async fn prepare(
    numgate: &str,
    identity: &AppIdentity,
    bearers: &[Bearer],
    mix: &Mix,
    wrong_pct: u32,
    workers: usize,
    budget: Budget,
    (max, max_setup): (usize, Duration),
) -> anyhow::Result<TokenPlan> {
    if bearers.is_empty() {
        bail!("no demo subscriber can prepare tokens that outlive the run");
    }
    let started = Instant::now();
    let (limit, deadline) = match budget {
        Budget::Count(n) => (n.min(max), started + max_setup),
        Budget::Time(t) => (max, started + t.min(max_setup)),
    };
    let devices = bearers
        .iter()
        .map(|b| {
            Device::new(b.address, numgate, identity.clone())
                .map(Arc::new)
                .with_context(|| format!("a device on {}", b.address))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The i-th token is a login token for GetMobile's share of the carrier actions.
    let (wl, wv) = (
        mix.weight(Kind::GetMobile) as usize,
        mix.weight(Kind::VerifyMobile) as usize,
    );
    if wl + wv == 0 {
        bail!("the mix has no carrier action to prepare tokens for");
    }
    let is_login = move |i: usize| (i + 1) * wl / (wl + wv) - i * wl / (wl + wv) == 1;
    let taken = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (devices, taken, bearers) = (devices.clone(), taken.clone(), bearers.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let i = taken.fetch_add(1, Ordering::Relaxed);
                if i >= limit || Instant::now() >= deadline {
                    break;
                }
                let b = i % devices.len();
                let (login, purpose) = if is_login(i) {
                    (true, Purpose::Login)
                } else {
                    (false, Purpose::Verify)
                };
                let bearer = &bearers[b];
                match tokio::time::timeout(FLOW_TIMEOUT, devices[b].token(purpose)).await {
                    Ok(Ok(t)) if t.carrier == bearer.carrier.as_str() => {
                        got.push((i, login, t.access_token, b));
                    }
                    Ok(Ok(t)) => {
                        return Err(format!(
                            "the SIM on {bearer} got a token of carrier {}",
                            t.carrier
                        ))
                    }
                    Ok(Err(e)) => return Err(format!("the device on {bearer}: {e}")),
                    Err(_) => return Err(format!("the device flow on {bearer} timed out")),
                }
            }
            Ok(got)
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        match t.await? {
            Ok(mine) => got.extend(mine),
            Err(e) => bail!("preparing tokens for the carrier actions failed: {e}"),
        }
    }
    if got.is_empty() {
        bail!("no token could be prepared for the carrier actions");
    }
    let setup = started.elapsed();
    // In the order they were asked for: older tokens are spent first.
    got.sort_unstable_by_key(|(i, ..)| *i);
    let (mut login, mut verify) = (Vec::new(), Vec::new());
    for (_, is_login, token, b) in got {
        let number = bearers[b].number.clone();
        if is_login {
            login.push((token, number));
        } else {
            // The j-th verify token carries a wrong number for wrong_pct of them, spread evenly.
            let j = verify.len();
            let p = wrong_pct as usize;
            let number = if (j + 1) * p / 100 - j * p / 100 == 1 {
                wrong(&number)
            } else {
                number
            };
            verify.push((token, number));
        }
    }
    Ok(TokenPlan {
        login: Pool {
            items: login,
            next: AtomicUsize::new(0),
        },
        verify: Pool {
            items: verify,
            next: AtomicUsize::new(0),
        },
        live: true,
        setup,
        bearers: bearers.iter().map(|b| b.to_string()).collect(),
        wrong_pct,
    })
}
