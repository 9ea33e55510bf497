//! The policies section's JSON API (see [`super::api`] for the conventions):
//! the Fusion-Auth policy graph in force for a tenant's scene, globally or for
//! one of its Fusion-Auth schemes, with how each node is billed; changing or
//! restoring one node, the inherit and logging switches, and restoring the
//! level's defaults. Every change goes through [`crate::service::policies`]
//! (as the CLI's), which validates it and audits it with the console user as
//! the actor.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use numgate_domain::fusion::{PolicySource, Scene};
use numgate_store::Tenant;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{actor, invalid, scoped_tenant, TenantQuery};
use super::session::{parse_json, ApiSession, ConsoleError};
use crate::service::billing::{fusion_node_charges, item_name, yuan};
use crate::service::policies::{self, Change, NodeEdit};
use crate::state::AppState;

/// The section's routes under `/console/api/policies`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/policies", get(show))
        .route("/console/api/policies/node", post(set_node))
        .route("/console/api/policies/node/restore", post(restore_node))
        .route("/console/api/policies/inherit", post(set_inherit))
        .route("/console/api/policies/logging", post(set_logging))
        .route("/console/api/policies/restore", post(restore))
}

/// Which level: `?scene=100001[&scheme=FA…][&tenant=NAME]`.
#[derive(Debug, Deserialize)]
pub struct LevelQuery {
    pub tenant: Option<String>,
    pub scene: Option<String>,
    pub scheme: Option<String>,
}

/// The level of a change, in its JSON body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelBody {
    scene: Value,
    #[serde(default)]
    scheme: Option<String>,
}

/// `GET /console/api/policies?scene=&scheme=`: the level's graph in force.
async fn show(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<LevelQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = match q.scene.as_deref() {
        None | Some("") => Scene::Logon,
        Some(code) => parse_scene(&Value::from(code))?,
    };
    let scheme = q.scheme.as_deref().filter(|c| !c.is_empty());
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

/// `POST /console/api/policies/node`: `{scene, scheme?, node, version,
/// enabled?, log?, settings?, next?}` changes one node.
async fn set_node(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    body: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        scene: Value,
        #[serde(default)]
        scheme: Option<String>,
        node: String,
        #[serde(default)]
        version: Option<i64>,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        log: Option<bool>,
        #[serde(default)]
        settings: Option<Value>,
        #[serde(default)]
        next: Option<Value>,
    }
    let b: Body = parse_json(&body)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = parse_scene(&b.scene)?;
    let scheme = b.scheme.as_deref().filter(|c| !c.is_empty());
    let who = actor(&s).tag();
    let change = change(&state, &tenant, scene, scheme, &who);
    let edit = NodeEdit {
        enabled: b.enabled,
        log: b.log,
        settings: b.settings,
        next: b.next,
    };
    policies::set_node(
        state.store.as_ref(),
        &state.config,
        change,
        &b.node,
        edit,
        b.version,
    )
    .await?;
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

/// `POST /console/api/policies/node/restore`: `{scene, scheme?, node, version}`
/// brings the node's defaults back.
async fn restore_node(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    body: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        scene: Value,
        #[serde(default)]
        scheme: Option<String>,
        node: String,
        #[serde(default)]
        version: Option<i64>,
    }
    let b: Body = parse_json(&body)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = parse_scene(&b.scene)?;
    let scheme = b.scheme.as_deref().filter(|c| !c.is_empty());
    let who = actor(&s).tag();
    let change = change(&state, &tenant, scene, scheme, &who);
    policies::restore_node(
        state.store.as_ref(),
        &state.config,
        change,
        &b.node,
        b.version,
    )
    .await?;
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

/// The body of a switch: the level and `on`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchBody {
    scene: Value,
    #[serde(default)]
    scheme: Option<String>,
    on: bool,
}

/// `POST /console/api/policies/inherit`: `{scene, scheme, on}`.
async fn set_inherit(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    body: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    let b: SwitchBody = parse_json(&body)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = parse_scene(&b.scene)?;
    let scheme = b.scheme.as_deref().filter(|c| !c.is_empty());
    if scheme.is_none() {
        return Err(invalid(
            "isv.INVALID_PARAMETERS",
            "the inherit switch is a scheme's: name the scheme",
        ));
    }
    let who = actor(&s).tag();
    let change = change(&state, &tenant, scene, scheme, &who);
    policies::set_inherit(state.store.as_ref(), &state.config, change, b.on).await?;
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

/// `POST /console/api/policies/logging`: `{scene, scheme?, on}`.
async fn set_logging(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    body: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    let b: SwitchBody = parse_json(&body)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = parse_scene(&b.scene)?;
    let scheme = b.scheme.as_deref().filter(|c| !c.is_empty());
    let who = actor(&s).tag();
    let change = change(&state, &tenant, scene, scheme, &who);
    policies::set_logging(state.store.as_ref(), &state.config, change, b.on).await?;
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

/// `POST /console/api/policies/restore`: `{scene, scheme?}` deletes the level's
/// policy (the global level follows the defaults again, a scheme the global).
async fn restore(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    body: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    let b: LevelBody = parse_json(&body)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let scene = parse_scene(&b.scene)?;
    let scheme = b.scheme.as_deref().filter(|c| !c.is_empty());
    let who = actor(&s).tag();
    let change = change(&state, &tenant, scene, scheme, &who);
    policies::restore(state.store.as_ref(), change).await?;
    Ok(Json(view(&state, &tenant, scene, scheme).await?))
}

fn change<'a>(
    state: &AppState,
    tenant: &Tenant,
    scene: Scene,
    scheme: Option<&'a str>,
    who: &'a str,
) -> Change<'a> {
    Change {
        tenant_id: tenant.id,
        scene,
        scheme,
        actor: who,
        at: state.clock.now_millis(),
    }
}

/// A scene code, as a number or a string.
fn parse_scene(v: &Value) -> Result<Scene, ConsoleError> {
    let code = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    code.and_then(|c| u32::try_from(c).ok())
        .and_then(|c| Scene::from_code(c).ok())
        .ok_or_else(|| {
            invalid(
                "isv.INVALID_PARAMETERS",
                "the scene is one of 100001 to 100005",
            )
        })
}

/// The level as the page draws it: the graph in force, where it comes from,
/// the switches, the version to send back with a change, each node's billing,
/// and the tenant's Fusion-Auth schemes (for the scheme tab).
async fn view(
    state: &AppState,
    tenant: &Tenant,
    scene: Scene,
    scheme: Option<&str>,
) -> Result<Value, ConsoleError> {
    let schemes: Vec<Value> = state
        .store
        .list_fusion_schemes(tenant.id)
        .await?
        .into_iter()
        .map(|r| json!({ "code": r.code, "name": r.name, "app_name": r.app_name, "platform": r.platform }))
        .collect();
    if let Some(code) = scheme {
        policies::require_scheme(state.store.as_ref(), tenant.id, code).await?;
    }
    let f = policies::in_force(
        state.store.as_ref(),
        &state.config,
        tenant.id,
        scene,
        scheme,
    )
    .await?;
    let prices = &state.config.billing;
    let billing: serde_json::Map<String, Value> = f
        .graph
        .nodes
        .iter()
        .map(|n| {
            let charges: Vec<Value> = fusion_node_charges(n.kind())
                .iter()
                .map(|(method, basis)| {
                    let price = prices.price(*method);
                    json!({
                        "method": method.as_str(),
                        "item": item_name(*method),
                        "basis": basis.as_str(),
                        "price": price,
                        "price_yuan": yuan(price),
                    })
                })
                .collect();
            (n.id.clone(), Value::from(charges))
        })
        .collect();
    let source = match f.source {
        PolicySource::Scheme => "scheme",
        PolicySource::Global => "global",
        PolicySource::Default => "default",
    };
    let own = f.own.as_ref();
    Ok(json!({
        "tenant": tenant.name,
        "scene": scene.code(),
        "scheme": scheme,
        "source": source,
        "inherit": f.inherit(),
        "logging": own.is_none_or(|p| p.logging),
        "version": f.version(),
        "updated_at": own.map(|p| p.updated_at),
        "updated_by": own.map(|p| p.updated_by.clone()),
        "graph": f.graph,
        "billing": billing,
        "schemes": schemes,
    }))
}
