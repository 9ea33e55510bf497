//! What risk rules need to know, gathered from the store and the carriers: the
//! attempts counted per device, address and number, the tenant's lists, and
//! how recently the number's SIM was swapped.

use numgate_domain::fusion::{
    AttemptCounts, Decision, Dimension, ListMatch, NumberFacts, NumberStatus, RiskSettings,
    TraceEntry,
};
use numgate_domain::PhoneNumber;
use numgate_store::{ListKind, RiskDimension, RiskEvent};

use super::Session;
use crate::error::ApiError;
use crate::state::AppState;

/// A keyed hash of a device id, an address or a number: velocity counting
/// compares values, and the store never needs them in clear.
pub fn hashed(state: &AppState, dimension: &str, value: &str) -> String {
    hex::encode(&state.hasher.hash(&format!("risk/{dimension}"), value)[..16])
}

fn dimension(d: Dimension) -> RiskDimension {
    match d {
        Dimension::Device => RiskDimension::Device,
        Dimension::Ip => RiskDimension::Ip,
        Dimension::Number => RiskDimension::Number,
    }
}

/// Counts the run's attempt for its device and address (once, at its start).
pub async fn count_start(state: &AppState, session: &Session) -> Result<(), ApiError> {
    let at = state.clock.now_millis();
    let mut events = vec![RiskEvent {
        tenant_id: session.tenant_id,
        dimension: RiskDimension::Ip,
        value: hashed(state, "ip", &session.run.ip),
        at,
    }];
    if let Some(d) = &session.run.device {
        events.push(RiskEvent {
            tenant_id: session.tenant_id,
            dimension: RiskDimension::Device,
            value: d.clone(),
            at,
        });
    }
    state.store.record_risk_events(&events).await?;
    Ok(())
}

/// Counts the run's attempt for its number, once the number is known.
pub async fn count_number(
    state: &AppState,
    session: &mut Session,
    number: &PhoneNumber,
) -> Result<(), ApiError> {
    if session.run.number_counted {
        return Ok(());
    }
    state
        .store
        .record_risk_event(RiskEvent {
            tenant_id: session.tenant_id,
            dimension: RiskDimension::Number,
            value: hashed(state, "number", &number.e164_digits()),
            at: state.clock.now_millis(),
        })
        .await?;
    session.run.number_counted = true;
    Ok(())
}

/// The counts a risk node's frequency rules need (each includes this run).
pub async fn counts(
    state: &AppState,
    session: &Session,
    settings: &RiskSettings,
    number: Option<&PhoneNumber>,
) -> Result<AttemptCounts, ApiError> {
    let now = state.clock.now_millis();
    let mut counts = AttemptCounts::new();
    for (d, minutes) in settings.counts_needed() {
        let value = match d {
            Dimension::Device => session.run.device.clone(),
            Dimension::Ip => Some(hashed(state, "ip", &session.run.ip)),
            Dimension::Number => number.map(|n| hashed(state, "number", &n.e164_digits())),
        };
        let Some(value) = value else { continue };
        let since = now - i64::from(minutes) * 60_000;
        let n = state
            .store
            .count_risk_events(session.tenant_id, dimension(d), &value, since)
            .await?;
        counts = counts.with(d, minutes, u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(counts)
}

/// The number's list, SIM swap and status. A carrier that cannot tell leaves
/// the fact unknown (which the rules score as such), never an error.
async fn number_facts(
    state: &AppState,
    tenant_id: i64,
    number: &PhoneNumber,
) -> Result<NumberFacts, ApiError> {
    let list = match state
        .store
        .list_kind(tenant_id, &number.e164_digits())
        .await?
    {
        Some(ListKind::Block) => ListMatch::Blocked,
        Some(ListKind::Allow) => ListMatch::Allowed,
        None => ListMatch::Unlisted,
    };
    let sim_swap_days = match state.carriers.camara() {
        Some(camara) => match camara
            .sim_swap_date(&format!("+{}", number.e164_digits()))
            .await
        {
            Ok(Some(date)) => {
                let now = state.clock.now_millis() / 1000;
                let days = (now - date.timestamp()).max(0) / 86_400;
                Some(u32::try_from(days).unwrap_or(u32::MAX))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(error = %e, "SIM swap date unavailable");
                None
            }
        },
        None => None,
    };
    Ok(NumberFacts {
        sim_swap_days,
        status: NumberStatus::Unknown,
        list,
    })
}

/// [`number_facts`], gathered once per number: `known` keeps the last ones.
pub async fn number_facts_once<'a>(
    state: &AppState,
    tenant_id: i64,
    number: &PhoneNumber,
    known: &'a mut Option<(PhoneNumber, NumberFacts)>,
) -> Result<&'a NumberFacts, ApiError> {
    if known.as_ref().is_none_or(|(n, _)| n != number) {
        let f = number_facts(state, tenant_id, number).await?;
        *known = Some((number.clone(), f));
    }
    Ok(&known.as_ref().expect("just filled").1)
}

/// The run's endpoint and number risk scores, from its decisions.
pub fn scores(trace: &[TraceEntry]) -> (Option<u8>, Option<u8>) {
    let mut endpoint = None;
    let mut number = None;
    for t in trace {
        if let Decision::Evaluated { evaluation, .. } = &t.decision {
            match t.kind {
                numgate_domain::fusion::NodeKind::EndpointRisk => endpoint = Some(evaluation.score),
                numgate_domain::fusion::NodeKind::NumberRisk => number = Some(evaluation.score),
                _ => {}
            }
        }
    }
    (endpoint, number)
}
