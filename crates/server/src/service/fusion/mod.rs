//! Fusion-Auth scene runs on the server: a session per run, stored (so that any
//! node can take the next step), moved through the policy graph by the domain's
//! walker. The server performs the walker's own steps (risk evaluations,
//! scoring) at once, prepares the client's (sends the SMS code, draws the
//! CAPTCHA challenge and the upstream text) and checks what the client reports.
//!
//! - [`facts`]: the counts, lists and SIM-swap facts that risk rules need.
//! - [`client`]: the client's actions at each step, and what it is shown.
//!
//! A session pins the graph in force when it started: a policy changed in the
//! middle of a run applies to the next run, never half-way through one.

pub mod client;
mod facts;

use numgate_domain::access_token::{AccessToken, FusionVerifyToken, Sealed};
use numgate_domain::fusion::{
    advance, begin, Advance, EndpointSignals, Event, PolicyGraph, Scene, SessionState, Step,
    TraceEntry,
};
use numgate_domain::PhoneNumber;
use numgate_store::{NewAttempt, NewSession};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// What the store keeps per session (as JSON).
#[derive(Clone, Serialize, Deserialize)]
pub struct Run {
    pub walker: SessionState,
    /// The graph in force when the run started.
    pub graph: PolicyGraph,
    pub tenant: String,
    pub app: String,
    /// The client's address and keyed hash of its device id (velocity rules).
    pub ip: String,
    pub device: Option<String>,
    pub signals: EndpointSignals,
    /// What the current client step was prepared with.
    #[serde(default)]
    pub pending: Pending,
    /// Every decision so far: the attempt's record.
    #[serde(default)]
    pub trace: Vec<TraceEntry>,
    /// Whether the number's attempt was counted (once per run).
    #[serde(default)]
    pub number_counted: bool,
}

/// What a client step was prepared with.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    #[default]
    Nothing,
    /// A CAPTCHA challenge was handed out for `node`.
    Captcha { node: String },
    /// A code was sent for `node`; `wrong` codes were typed since.
    Sms { node: String, wrong: u8 },
    /// The user was told to send `text` for `node`, from `since` on.
    Upstream {
        node: String,
        text: String,
        since: i64,
    },
}

/// A loaded session: its id, its version in the store, its run.
pub struct Session {
    pub id: String,
    pub tenant_id: i64,
    pub scheme: String,
    pub version: i64,
    pub expires_at: i64,
    pub run: Run,
}

impl Session {
    pub fn scene(&self) -> Scene {
        self.run.walker.scene()
    }

    /// The code scheme of the session's SMS codes: a code sent in one run is
    /// never good in another.
    fn code_scheme(&self) -> numgate_domain::names::SchemeName {
        let id: String = self.id.chars().take(17).collect();
        numgate_domain::names::SchemeName::parse(&format!("fa:{id}"))
            .expect("20 characters at most")
    }
}

/// The graph in force for a scheme's scene: the scheme's policy, the tenant's
/// global one, or the default ([`crate::service::policies::in_force`], read from
/// the store each time: a change applies to the next run on every node), with
/// every node's `log` off when the policy's logging switch is.
pub async fn graph_in_force(
    state: &AppState,
    tenant_id: i64,
    scheme: &str,
    scene: Scene,
) -> Result<PolicyGraph, ApiError> {
    let p = crate::service::policies::in_force(
        state.store.as_ref(),
        &state.config,
        tenant_id,
        scene,
        Some(scheme),
    )
    .await?;
    let mut graph = p.graph;
    // Logging off: no node's decisions are recorded (the attempt itself is).
    if !p.logging {
        for node in &mut graph.nodes {
            node.log = false;
        }
    }
    Ok(graph)
}

/// What starting a run needs.
pub struct Start {
    pub tenant_id: i64,
    pub tenant: String,
    pub scheme: String,
    pub app: String,
    pub scene: Scene,
    pub number: Option<PhoneNumber>,
    pub ip: String,
    pub device_id: Option<String>,
    pub signals: EndpointSignals,
}

/// Why a run could not start: the client's input does not fit the scene.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Starts a run and takes it to its first client step.
pub async fn start(state: &AppState, s: Start) -> Result<(Session, Step), StartError> {
    super::billing::ensure_quota(state, s.tenant_id, numgate_domain::stats::Method::Fusion).await?;
    let graph = graph_in_force(state, s.tenant_id, &s.scheme, s.scene).await?;
    let (walker, first) =
        begin(&graph, s.scene, s.number).map_err(|e| StartError::Input(e.to_string()))?;
    let now = state.clock.now_millis();
    let device = s
        .device_id
        .as_deref()
        .map(|d| facts::hashed(state, "device", d));
    let mut session = Session {
        id: AccessToken::new_id(),
        tenant_id: s.tenant_id,
        scheme: s.scheme,
        version: 0,
        expires_at: now + state.config.fusion.session_secs * 1000,
        run: Run {
            walker,
            graph,
            tenant: s.tenant,
            app: s.app,
            ip: s.ip,
            device,
            signals: s.signals,
            pending: Pending::Nothing,
            trace: Vec::new(),
            number_counted: false,
        },
    };
    facts::count_start(state, &session).await?;
    let step = drive(state, &mut session, first).await?;
    state
        .store
        .create_session(NewSession {
            id: session.id.clone(),
            tenant_id: session.tenant_id,
            scheme: session.scheme.clone(),
            scene: session.scene().code() as i32,
            state: serde_json::to_string(&session.run).expect("a run serialises"),
            created_at: now,
            expires_at: session.expires_at,
        })
        .await
        .map_err(ApiError::from)?;
    session.version = 1;
    finish(state, &session, &step).await?;
    Ok((session, step))
}

/// Loads a live session.
pub async fn load(state: &AppState, id: &str) -> Result<Option<Session>, ApiError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let now = state.clock.now_millis();
    let Some(r) = state.store.load_session(id, now).await? else {
        return Ok(None);
    };
    let run: Run = serde_json::from_str(&r.state)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a stored session does not parse: {e}")))?;
    Ok(Some(Session {
        id: r.id,
        tenant_id: r.tenant_id,
        scheme: r.scheme,
        version: r.version,
        expires_at: r.expires_at,
        run,
    }))
}

/// Applies an event, runs the server's own steps, prepares the next client
/// step, and stores the session (compare-and-swap: a concurrent step on the
/// same session loses). `Ok(None)`: another request moved the session first.
pub async fn apply(
    state: &AppState,
    session: &mut Session,
    event: Event,
) -> Result<Option<Step>, ApiError> {
    let a = advance(&session.run.graph, &mut session.run.walker, event)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the walker refused an event: {e}")))?;
    let step = drive(state, session, a).await?;
    let now = state.clock.now_millis();
    let saved = state
        .store
        .update_session(
            &session.id,
            session.version,
            &serde_json::to_string(&session.run).expect("a run serialises"),
            session.expires_at,
            now,
        )
        .await?;
    if !saved {
        return Ok(None);
    }
    session.version += 1;
    finish(state, session, &step).await?;
    Ok(Some(step))
}

/// Stores the session as it is (a step shown again with changed preparation,
/// e.g. one more wrong code). `false`: another request moved it first.
pub async fn save(state: &AppState, session: &mut Session) -> Result<bool, ApiError> {
    let saved = state
        .store
        .update_session(
            &session.id,
            session.version,
            &serde_json::to_string(&session.run).expect("a run serialises"),
            session.expires_at,
            state.clock.now_millis(),
        )
        .await?;
    if saved {
        session.version += 1;
    }
    Ok(saved)
}

/// Runs the walker's server steps until a client step or the end; prepares the
/// client step (clearing what the previous one was prepared with).
async fn drive(state: &AppState, session: &mut Session, mut a: Advance) -> Result<Step, ApiError> {
    // The number's facts cost store reads and two carrier calls (CAMARA token,
    // SIM-swap date): gathered once per number for the risk nodes and scoring
    // that this request runs.
    let mut known: Option<(PhoneNumber, numgate_domain::fusion::NumberFacts)> = None;
    loop {
        session.run.trace.append(&mut a.trace);
        let event = match &a.step {
            Step::EvaluateEndpointRisk { settings, .. } => {
                let counts = facts::counts(state, session, settings, None).await?;
                Event::RiskEvaluated(numgate_domain::fusion::evaluate_endpoint(
                    settings,
                    &session.run.signals,
                    &counts,
                ))
            }
            Step::EvaluateNumberRisk {
                settings, number, ..
            } => {
                facts::count_number(state, session, number).await?;
                let counts = facts::counts(state, session, settings, Some(number)).await?;
                let f =
                    facts::number_facts_once(state, session.tenant_id, number, &mut known).await?;
                Event::RiskEvaluated(numgate_domain::fusion::evaluate_number(
                    settings, number, f, &counts,
                ))
            }
            Step::ScoreNumber { number, .. } => {
                let f =
                    facts::number_facts_once(state, session.tenant_id, number, &mut known).await?;
                Event::NumberScored(numgate_domain::fusion::phone_score(number, f))
            }
            _ => match client::prepare(state, session, &a.step).await? {
                Some(event) => event,
                None => return Ok(a.step),
            },
        };
        a = advance(&session.run.graph, &mut session.run.walker, event)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("the walker refused an event: {e}")))?;
    }
}

/// At the end of a run: the attempt's record (after the session's last state
/// is stored, so that a run is recorded once).
async fn finish(state: &AppState, session: &Session, step: &Step) -> Result<(), ApiError> {
    let outcome = match step {
        Step::Done { .. } => "pass",
        Step::Refused { .. } => "refused",
        _ => return Ok(()),
    };
    // The scene's statistics: passed is a success, refused a fail; the OS is the
    // scheme's platform.
    let platform = state
        .store
        .find_fusion_scheme(session.tenant_id, &session.scheme)
        .await?
        .map(|s| s.platform);
    let scene = session.scene().code().to_string();
    let attempt = super::stats::Attempt {
        tenant_id: session.tenant_id,
        method: numgate_domain::stats::Method::Fusion,
        scheme: &session.scheme,
        scene: &scene,
        os: platform.as_deref(),
    };
    let passed = numgate_domain::stats::Outcome::fusion(outcome == "pass");
    super::stats::count(state, attempt, passed).await;
    let scores = facts::scores(&session.run.trace);
    let fired: Vec<_> = session
        .run
        .trace
        .iter()
        .filter(|t| t.log)
        .filter_map(|t| match &t.decision {
            numgate_domain::fusion::Decision::Evaluated { evaluation, .. } => {
                Some(serde_json::json!({"node": t.node, "fired": evaluation.fired}))
            }
            _ => None,
        })
        .collect();
    let path: Vec<_> = session
        .run
        .trace
        .iter()
        .filter(|t| t.log)
        .map(|t| serde_json::json!({"node": t.node, "decision": t.decision}))
        .collect();
    state
        .store
        .record_attempt(NewAttempt {
            tenant_id: session.tenant_id,
            scheme: session.scheme.clone(),
            scene: session.scene().code() as i32,
            session_id: session.id.clone(),
            number: session.run.walker.number().map(|n| n.masked()),
            device_id: session.run.device.clone(),
            ip: Some(session.run.ip.clone()),
            outcome: outcome.to_owned(),
            endpoint_score: scores.0.map(i32::from),
            number_score: scores.1.map(i32::from),
            fired_rules: serde_json::Value::from(fired).to_string(),
            path: serde_json::Value::from(path).to_string(),
            at: state.clock.now_millis(),
        })
        .await?;
    Ok(())
}

/// The VerifyToken of a passed run. Its single use is recorded under the
/// session's id: however often a client asks, one run redeems once.
pub fn verify_token(
    state: &AppState,
    session: &Session,
    number: &PhoneNumber,
    score: Option<u8>,
) -> String {
    let now = state.clock.now_millis();
    FusionVerifyToken {
        kind: FusionVerifyToken::KIND.to_owned(),
        id: format!("fusion-verify:{}", session.id),
        tenant_id: session.tenant_id,
        scheme: session.scheme.clone(),
        scene: session.scene().code(),
        number: number.national().to_owned(),
        result: "PASS".to_owned(),
        score,
        expires_at: now + state.config.fusion.verify_token_secs * 1000,
    }
    .seal(&state.secrets)
}
