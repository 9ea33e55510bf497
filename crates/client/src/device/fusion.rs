//! The device side of a Fusion-Auth scene: what an app's SDK does on the phone
//! between `POST /client/v1/fusion/start` and the VerifyToken.
//!
//! [`FusionRun`] is bound to the phone's bearer address. It does by itself what
//! an SDK does by itself: at a carrier step it asks the offered carrier over the
//! bearer for a token (one-click: purpose `login`, number check: `verify`)
//! within the step's `TimeoutMs`, or reports why it could not (`no_data`: no
//! offered carrier sees this SIM; `timeout`: none answered in time); at a
//! CAPTCHA it solves the ALTCHA proof of work as the widget does. What needs the
//! user (the number, the texted code, sending the upstream text, giving up a
//! method) it asks a [`FusionHandler`] for. The run ends with the scene's
//! [`FusionOutcome`]: `done` (the VerifyToken for the app's backend) or `refused`.

use std::future::Future;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{ask_carrier, DeviceError, Purpose};

/// The most steps one run takes before it gives up on a server that keeps
/// answering (a real scene needs fewer than 20).
const MAX_STEPS: usize = 64;
/// The only proof-of-work algorithm the ALTCHA widget and numgate speak.
const ALGORITHM: &str = "SHA-256";
/// The most work a challenge may ask for (numgate's ceiling is 10 000 000): a
/// larger `maxnumber` is a broken or hostile server, not a risk score.
pub const MAX_CAPTCHA_NUMBER: u64 = 20_000_000;
/// The longest a carrier step may last whatever `TimeoutMs` says.
const MAX_CARRIER_TIMEOUT_MS: u64 = 60_000;

/// What the SDK detected on the device (`Signals` of the start request);
/// `Default` is a clean phone running the genuine app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    pub emulator: bool,
    pub root_or_jailbreak: bool,
    pub hooking: bool,
    pub proxy_or_vpn: bool,
    pub app_signature_mismatch: bool,
}

impl Signals {
    fn to_json(self) -> Value {
        json!({
            "emulator": self.emulator,
            "root_or_jailbreak": self.root_or_jailbreak,
            "hooking": self.hooking,
            "proxy_or_vpn": self.proxy_or_vpn,
            "app_signature_mismatch": self.app_signature_mismatch,
        })
    }
}

/// A comma-separated list: `emulator`, `root` (`jailbreak`, `root_or_jailbreak`),
/// `hooking` (`hook`), `proxy` (`vpn`, `proxy_or_vpn`), `signature`
/// (`signature-mismatch`, `app_signature_mismatch`); empty is none. (The names
/// of `numgate policy explain --signals`; a missing device id is the absence
/// of one at start, not a signal.)
impl FromStr for Signals {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut signals = Signals::default();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let flag = match name.to_ascii_lowercase().replace('-', "_").as_str() {
                "emulator" => &mut signals.emulator,
                "root" | "jailbreak" | "root_or_jailbreak" => &mut signals.root_or_jailbreak,
                "hook" | "hooking" => &mut signals.hooking,
                "proxy" | "vpn" | "proxy_or_vpn" => &mut signals.proxy_or_vpn,
                "signature" | "signature_mismatch" | "app_signature_mismatch" => {
                    &mut signals.app_signature_mismatch
                }
                _ => {
                    return Err(format!(
                        "unknown signal `{name}`: one of emulator, root, hooking, proxy, signature"
                    ))
                }
            };
            *flag = true;
        }
        Ok(signals)
    }
}

/// A carrier the step offers: `{"Carrier", "Gateway", "AppId"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Offer {
    #[serde(rename = "Carrier")]
    pub carrier: String,
    #[serde(rename = "Gateway")]
    pub gateway: String,
    #[serde(rename = "AppId")]
    pub app_id: String,
}

impl Offer {
    fn to_json(&self) -> Value {
        json!({"Carrier": self.carrier, "Gateway": self.gateway, "AppId": self.app_id})
    }
}

/// An ALTCHA challenge as numgate hands it out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    #[serde(rename = "maxnumber")]
    pub max_number: u64,
    pub salt: String,
    pub signature: String,
}

/// What the server asks the client to show next (the `Step` of its answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// One-click: ask an offered carrier for a `login` token.
    CarrierConsent {
        carriers: Vec<Offer>,
        timeout_ms: u64,
    },
    /// Number check: ask the number's carrier for a `verify` token.
    NumberCheck {
        masked_number: String,
        carriers: Vec<Offer>,
        timeout_ms: u64,
    },
    Captcha(Challenge),
    EnterNumber,
    SmsCode {
        masked_number: String,
        code_length: u32,
        valid_seconds: u32,
    },
    UpstreamSms {
        to: String,
        text: String,
        wait_seconds: u32,
    },
    Done {
        verify_token: String,
        masked_number: String,
    },
    Refused {
        node: String,
        reason: String,
    },
}

/// One answer of the Client API: the session, its step, and the message of a
/// step shown again (a wrong code, an upstream message not yet in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub session: String,
    pub step: Step,
    pub error: Option<String>,
}

fn text(v: &Value, key: &str) -> Result<String, FusionError> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| FusionError::Malformed(format!("no `{key}` text in {}", clip(v))))
}

fn number(v: &Value, key: &str) -> Result<u64, FusionError> {
    v[key]
        .as_u64()
        .ok_or_else(|| FusionError::Malformed(format!("no `{key}` number in {}", clip(v))))
}

fn small(v: &Value, key: &str) -> Result<u32, FusionError> {
    u32::try_from(number(v, key)?)
        .map_err(|_| FusionError::Malformed(format!("`{key}` out of range in {}", clip(v))))
}

/// A server answer, shortened for an error message.
fn clip(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn offers(v: &Value) -> Result<Vec<Offer>, FusionError> {
    match &v["Carriers"] {
        Value::Null => Ok(Vec::new()),
        list => serde_json::from_value(list.clone())
            .map_err(|_| FusionError::Malformed(format!("bad `Carriers` in {}", clip(v)))),
    }
}

impl Shown {
    /// Reads a `/client/v1/fusion/*` answer; anything unexpected is `Malformed`.
    pub fn parse(v: &Value) -> Result<Shown, FusionError> {
        let kind = text(v, "Step")?;
        let step = match kind.as_str() {
            "carrier_consent" => Step::CarrierConsent {
                carriers: offers(v)?,
                timeout_ms: number(v, "TimeoutMs")?,
            },
            "number_check" => Step::NumberCheck {
                masked_number: text(v, "MaskedNumber")?,
                carriers: offers(v)?,
                timeout_ms: number(v, "TimeoutMs")?,
            },
            "captcha" => {
                Step::Captcha(serde_json::from_value(v["Challenge"].clone()).map_err(|_| {
                    FusionError::Malformed(format!("bad `Challenge` in {}", clip(v)))
                })?)
            }
            "enter_number" => Step::EnterNumber,
            "sms_code" => Step::SmsCode {
                masked_number: text(v, "MaskedNumber")?,
                code_length: small(v, "CodeLength")?,
                valid_seconds: small(v, "ValidSeconds")?,
            },
            "upstream_sms" => Step::UpstreamSms {
                to: text(v, "To")?,
                text: text(v, "Text")?,
                wait_seconds: small(v, "WaitSeconds")?,
            },
            "done" => Step::Done {
                verify_token: text(v, "VerifyToken")?,
                masked_number: text(v, "MaskedNumber")?,
            },
            "refused" => Step::Refused {
                node: text(v, "Node")?,
                reason: text(v, "Reason")?,
            },
            other => {
                return Err(FusionError::Malformed(format!(
                    "a step this client does not know: `{other}`"
                )))
            }
        };
        if let Step::UpstreamSms { text, .. } = &step {
            if text.is_empty() {
                return Err(FusionError::Malformed(
                    "an upstream step without the text to send".into(),
                ));
            }
        }
        Ok(Shown {
            session: text(v, "Session")?,
            step,
            error: v["Error"].as_str().map(str::to_owned),
        })
    }

    /// The step's name on the wire (`carrier_consent`, `captcha`, …).
    pub fn name(&self) -> &'static str {
        self.step.name()
    }
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::CarrierConsent { .. } => "carrier_consent",
            Step::NumberCheck { .. } => "number_check",
            Step::Captcha(_) => "captcha",
            Step::EnterNumber => "enter_number",
            Step::SmsCode { .. } => "sms_code",
            Step::UpstreamSms { .. } => "upstream_sms",
            Step::Done { .. } => "done",
            Step::Refused { .. } => "refused",
        }
    }
}

/// What the user is asked for. `error` is the server's message when the same
/// step comes again (a mistyped number, a wrong code, a message not yet in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// The number to verify (logon, after one-click did not work).
    EnterNumber { error: Option<String> },
    /// The code texted to `masked_number`.
    SmsCode {
        masked_number: String,
        code_length: u32,
        valid_seconds: u32,
        error: Option<String>,
    },
    /// Send `text` to `to` from the phone, then say so.
    UpstreamSms {
        to: String,
        text: String,
        wait_seconds: u32,
        error: Option<String>,
    },
}

/// The user's answer to a [`Prompt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Number(String),
    SmsCode(String),
    /// The upstream message is sent.
    Sent,
    /// Give up this method: the policy's next one takes over.
    GiveUp,
    /// Stop the whole run ([`FusionError::Quit`]).
    Quit,
}

/// What the run did by itself, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The carrier step: asking these carriers within `timeout_ms`.
    AskingCarrier {
        carriers: Vec<String>,
        timeout_ms: u64,
    },
    /// The carrier step's report: a carrier's token, or why none.
    CarrierReport(CarrierReport),
    SolvingCaptcha {
        max_number: u64,
    },
    CaptchaSolved {
        number: u64,
        took: Duration,
    },
}

/// What the run reports at a carrier step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierReport {
    Token {
        carrier: String,
        masked_number: String,
    },
    /// No offered carrier sees this SIM (mobile data off, another network's SIM,
    /// a barred line), or none is offered.
    NoData { why: String },
    /// No carrier answered within the step's `TimeoutMs`.
    Timeout,
}

/// The human side of a run: what the app's screens would ask the user.
pub trait FusionHandler {
    fn prompt(&mut self, prompt: Prompt) -> impl Future<Output = Reply> + Send;

    /// What the run does by itself; ignored by default.
    fn notice(&mut self, _notice: &Notice) {}
}

/// How the scene ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FusionOutcome {
    /// The VerifyToken for the app's backend (`VerifyWithFusionAuthToken`).
    Done {
        verify_token: String,
        masked_number: String,
    },
    /// The policy refused at `node` for `reason`.
    Refused { node: String, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum FusionError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("numgate refused ({status}): {code}: {message}")]
    Numgate {
        status: u16,
        code: String,
        message: String,
    },
    #[error("numgate's answer is not what a Fusion-Auth client expects: {0}")]
    Malformed(String),
    #[error("the CAPTCHA cannot be solved: {0}")]
    Captcha(String),
    #[error("stopped at the user's request")]
    Quit,
    #[error("the scene did not end within {MAX_STEPS} steps")]
    TooManySteps,
    #[error("the run has no session: start it first")]
    NotStarted,
    #[error("an action is a JSON object")]
    NotAnAction,
}

/// A Fusion-Auth scene played from a phone on a bearer address.
pub struct FusionRun {
    http: reqwest::Client,
    numgate: String,
    session: Option<String>,
    trail: Vec<&'static str>,
}

impl FusionRun {
    /// `bearer`: the source address the carrier identifies the SIM by;
    /// `numgate`: the server's base URL.
    pub fn new(bearer: IpAddr, numgate: &str) -> Result<Self, FusionError> {
        let http = reqwest::Client::builder()
            .local_address(Some(bearer))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            numgate: numgate.trim_end_matches('/').to_owned(),
            session: None,
            trail: Vec::new(),
        })
    }

    /// The session id, once started.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The steps shown so far, in order, one entry per answer of the server
    /// (a step shown again appears again).
    pub fn trail(&self) -> &[&'static str] {
        &self.trail
    }

    /// Starts `scene` (`100001`–`100005`) with the SDK token of
    /// `GetFusionAuthToken`; `number` is the entered or bound number of scenes
    /// 100002–100005. Returns the first step.
    pub async fn start(
        &mut self,
        token: &str,
        scene: &str,
        number: Option<&str>,
        device_id: Option<&str>,
        signals: Signals,
    ) -> Result<Shown, FusionError> {
        let mut body = json!({"Token": token, "Scene": scene, "Signals": signals.to_json()});
        if let Some(n) = number {
            body["Number"] = json!(n);
        }
        if let Some(d) = device_id {
            body["DeviceId"] = json!(d);
        }
        self.trail.clear();
        self.session = None;
        let shown = self.post("/client/v1/fusion/start", body).await?;
        self.session = Some(shown.session.clone());
        Ok(shown)
    }

    /// Posts one action (`{"Action": …}`) for the current session.
    pub async fn act(&mut self, mut action: Value) -> Result<Shown, FusionError> {
        let session = self.session.clone().ok_or(FusionError::NotStarted)?;
        let Value::Object(fields) = &mut action else {
            return Err(FusionError::NotAnAction);
        };
        fields.insert("Session".into(), json!(session));
        self.post("/client/v1/fusion/step", action).await
    }

    async fn post(&mut self, path: &str, body: Value) -> Result<Shown, FusionError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.numgate))
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| {
            FusionError::Malformed(format!(
                "HTTP {status} with a body that is not JSON ({} bytes)",
                bytes.len()
            ))
        })?;
        if !status.is_success() {
            return Err(FusionError::Numgate {
                status: status.as_u16(),
                code: v["code"].as_str().unwrap_or_default().to_owned(),
                message: v["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let shown = Shown::parse(&v)?;
        if self.session.as_ref().is_some_and(|s| *s != shown.session) {
            return Err(FusionError::Malformed(
                "the answer is for another session".into(),
            ));
        }
        self.trail.push(shown.name());
        Ok(shown)
    }

    /// Plays the scene from `shown` (the answer of [`FusionRun::start`]) to its end.
    pub async fn drive<H: FusionHandler>(
        &mut self,
        mut shown: Shown,
        handler: &mut H,
    ) -> Result<FusionOutcome, FusionError> {
        for _ in 0..MAX_STEPS {
            let action = match shown.step {
                Step::Done {
                    verify_token,
                    masked_number,
                } => {
                    return Ok(FusionOutcome::Done {
                        verify_token,
                        masked_number,
                    })
                }
                Step::Refused { node, reason } => {
                    return Ok(FusionOutcome::Refused { node, reason })
                }
                Step::CarrierConsent {
                    carriers,
                    timeout_ms,
                } => {
                    self.carrier(&carriers, timeout_ms, Purpose::Login, handler)
                        .await
                }
                Step::NumberCheck {
                    carriers,
                    timeout_ms,
                    ..
                } => {
                    self.carrier(&carriers, timeout_ms, Purpose::Verify, handler)
                        .await
                }
                Step::Captcha(challenge) => captcha(challenge, handler).await?,
                Step::EnterNumber => {
                    let prompt = Prompt::EnterNumber { error: shown.error };
                    human(handler.prompt(prompt).await)?
                }
                Step::SmsCode {
                    masked_number,
                    code_length,
                    valid_seconds,
                } => {
                    let prompt = Prompt::SmsCode {
                        masked_number,
                        code_length,
                        valid_seconds,
                        error: shown.error,
                    };
                    human(handler.prompt(prompt).await)?
                }
                Step::UpstreamSms {
                    to,
                    text,
                    wait_seconds,
                } => {
                    let prompt = Prompt::UpstreamSms {
                        to,
                        text,
                        wait_seconds,
                        error: shown.error,
                    };
                    human(handler.prompt(prompt).await)?
                }
            };
            shown = self.act(action).await?;
        }
        Err(FusionError::TooManySteps)
    }

    /// [`FusionRun::start`], then [`FusionRun::drive`].
    pub async fn run<H: FusionHandler>(
        &mut self,
        token: &str,
        scene: &str,
        number: Option<&str>,
        device_id: Option<&str>,
        signals: Signals,
        handler: &mut H,
    ) -> Result<FusionOutcome, FusionError> {
        let first = self.start(token, scene, number, device_id, signals).await?;
        self.drive(first, handler).await
    }

    /// A carrier step: the first offered carrier that gives this SIM a token
    /// within `timeout_ms`, or why none did.
    async fn carrier<H: FusionHandler>(
        &self,
        carriers: &[Offer],
        timeout_ms: u64,
        purpose: Purpose,
        handler: &mut H,
    ) -> Value {
        let timeout_ms = timeout_ms.min(MAX_CARRIER_TIMEOUT_MS);
        handler.notice(&Notice::AskingCarrier {
            carriers: carriers.iter().map(|c| c.carrier.clone()).collect(),
            timeout_ms,
        });
        let (report, token) = self.ask(carriers, timeout_ms, purpose).await;
        handler.notice(&Notice::CarrierReport(report.clone()));
        carrier_action(&report, token.as_deref())
    }

    /// The report and, with `CarrierReport::Token`, the carrier's token.
    async fn ask(
        &self,
        carriers: &[Offer],
        timeout_ms: u64,
        purpose: Purpose,
    ) -> (CarrierReport, Option<String>) {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let mut refusals = Vec::new();
        for offer in carriers {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (CarrierReport::Timeout, None);
            }
            let asked =
                tokio::time::timeout(left, ask_carrier(&self.http, &offer.to_json(), purpose))
                    .await;
            match asked {
                Err(_) => return (CarrierReport::Timeout, None),
                Ok(Ok(Ok(answer))) => {
                    let report = CarrierReport::Token {
                        carrier: answer.carrier,
                        masked_number: answer.masked,
                    };
                    return (report, Some(answer.token));
                }
                Ok(Ok(Err(refusal))) => refusals.push(clip_text(&refusal)),
                Ok(Err(DeviceError::Http(e))) if e.is_timeout() => {
                    return (CarrierReport::Timeout, None)
                }
                Ok(Err(e)) => refusals.push(clip_text(&format!("{}: {e}", offer.carrier))),
            }
        }
        let why = if refusals.is_empty() {
            "no carrier offered".to_owned()
        } else {
            refusals.join("; ")
        };
        (CarrierReport::NoData { why }, None)
    }
}

fn clip_text(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The `carrier` action for a carrier step's report.
fn carrier_action(report: &CarrierReport, token: Option<&str>) -> Value {
    match (report, token) {
        (CarrierReport::Token { carrier, .. }, Some(token)) => {
            json!({"Action": "carrier", "Carrier": carrier, "CarrierToken": token})
        }
        (CarrierReport::Timeout, _) => json!({"Action": "carrier", "Failed": "timeout"}),
        _ => json!({"Action": "carrier", "Failed": "no_data"}),
    }
}

/// The action for the user's reply; `Quit` ends the run.
fn human(reply: Reply) -> Result<Value, FusionError> {
    Ok(match reply {
        Reply::Number(n) => json!({"Action": "number", "Number": n}),
        Reply::SmsCode(c) => json!({"Action": "sms_code", "Code": c}),
        Reply::Sent => json!({"Action": "upstream"}),
        Reply::GiveUp => json!({"Action": "give_up"}),
        Reply::Quit => return Err(FusionError::Quit),
    })
}

/// Solves the challenge off the async threads and answers with its payload.
async fn captcha<H: FusionHandler>(
    challenge: Challenge,
    handler: &mut H,
) -> Result<Value, FusionError> {
    check_challenge(&challenge)?;
    handler.notice(&Notice::SolvingCaptcha {
        max_number: challenge.max_number,
    });
    let began = Instant::now();
    let c = challenge.clone();
    let found = tokio::task::spawn_blocking(move || solve(&c.salt, &c.challenge, c.max_number))
        .await
        .map_err(|e| FusionError::Captcha(format!("the solver stopped: {e}")))?;
    let Some(n) = found else {
        return Err(FusionError::Captcha(
            "no number up to maxnumber solves it".into(),
        ));
    };
    let took = began.elapsed();
    handler.notice(&Notice::CaptchaSolved { number: n, took });
    Ok(json!({"Action": "captcha", "Payload": payload(&challenge, n, took)}))
}

/// Refuses what the widget would not work on.
fn check_challenge(c: &Challenge) -> Result<(), FusionError> {
    if c.algorithm != ALGORITHM {
        return Err(FusionError::Captcha(format!(
            "algorithm {:?} (only {ALGORITHM})",
            clip_text(&c.algorithm)
        )));
    }
    if c.max_number > MAX_CAPTCHA_NUMBER {
        return Err(FusionError::Captcha(format!(
            "maxnumber {} is above {MAX_CAPTCHA_NUMBER}",
            c.max_number
        )));
    }
    if target(&c.challenge).is_none() {
        return Err(FusionError::Captcha(
            "the challenge is not 64 hex digits".into(),
        ));
    }
    Ok(())
}

fn target(challenge: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(challenge, &mut out).ok()?;
    Some(out)
}

/// The ALTCHA search: the `n` in `0..=max` with `hex(sha256(salt + n)) ==
/// challenge`, counting up from 0 as the widget does.
pub fn solve(salt: &str, challenge: &str, max: u64) -> Option<u64> {
    let target = target(challenge)?;
    let prefix = Sha256::new_with_prefix(salt.as_bytes());
    let mut digits = [0u8; 20];
    (0..=max).find(|&n| {
        let mut h = prefix.clone();
        h.update(decimal(n, &mut digits));
        h.finalize()[..] == target[..]
    })
}

/// `n` in decimal, written into `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// The payload the widget sends: base64 of the solved challenge's JSON.
pub fn payload(c: &Challenge, number: u64, took: Duration) -> String {
    let took = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    let json = json!({
        "algorithm": c.algorithm,
        "challenge": c.challenge,
        "number": number,
        "salt": c.salt,
        "signature": c.signature,
        "took": took,
    });
    STANDARD.encode(json.to_string())
}

#[cfg(test)]
#[path = "fusion_tests.rs"]
mod tests;
