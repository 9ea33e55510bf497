//! Managing Fusion-Auth policies: the graph in force for a tenant's scene (and
//! scheme), setting a global or a scheme's policy after validating it against the
//! tenant's SMS catalog, the inherit switch, restore to defaults, and the audit
//! log of these changes. Every change is audited by the store in the change's own
//! transaction.
//!
//! # No cache
//! The graph in force is read from the store at the start of every run (two
//! primary-key reads), on whichever node runs it: a change applies to the next
//! run on every node, and no node can go on using a graph that was replaced.
//! A run pins the graph it started with (see [`super::fusion`]).

use numgate_domain::clock::Millis;
use numgate_domain::fusion::{
    default_graph, effective_policy, Node, Policy, PolicyGraph, PolicySource, Scene, SmsDefaults,
};
use numgate_store::{
    AuditRecord, PolicyRecord, PutPolicy, SmsSignature, SmsTemplate, Store, StoreError,
};

use crate::config::Config;
use crate::error::{ApiError, BizCode};

/// The complimentary signature every tenant has: the default graphs' SMS nodes
/// send with it (and the scene's complimentary template, whose code is the scene's).
pub const DEFAULT_SIGN_NAME: &str = "速通互联验证码";

/// A graph's JSON above this size is refused: the largest valid graph (32 nodes,
/// five rules each) takes about a tenth of it.
pub const MAX_GRAPH_JSON: usize = 64 * 1024;

/// The prefix of the audit actions of policies (`policy.put`, `policy.delete`).
pub const AUDIT_PREFIX: &str = "policy.";

/// The SMS defaults of the default graphs on this deployment.
pub fn sms_defaults(config: &Config, scene: Scene) -> SmsDefaults {
    SmsDefaults {
        sign_name: DEFAULT_SIGN_NAME.to_owned(),
        template_code: scene.code().to_string(),
        service_number: config.fusion.service_number.clone(),
    }
}

/// A policy as stored at one level (the tenant's global one, or a scheme's).
#[derive(Debug, Clone)]
pub struct Stored {
    pub inherit: bool,
    pub logging: bool,
    pub version: i64,
    pub updated_at: Millis,
    pub updated_by: String,
    /// `None` if the stored JSON does not parse (logged; the level then follows
    /// the one above, as if it inherited).
    pub graph: Option<PolicyGraph>,
}

impl Stored {
    fn from_record(r: PolicyRecord) -> Self {
        let graph = serde_json::from_str(&r.graph)
            .map_err(|e| {
                tracing::error!(
                    error = %e,
                    tenant = r.tenant_id,
                    scene = r.scene,
                    "a stored policy graph does not parse"
                )
            })
            .ok();
        Self {
            inherit: r.inherit,
            logging: r.logging,
            version: r.version,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            graph,
        }
    }

    fn policy(&self) -> Option<Policy> {
        Some(Policy {
            inherit: self.inherit,
            graph: self.graph.clone()?,
        })
    }
}

/// The graph in force at a level, where it comes from, and the policy stored
/// at that level.
#[derive(Debug, Clone)]
pub struct InForce {
    pub graph: PolicyGraph,
    pub source: PolicySource,
    /// The policy stored at the level asked for: the scheme's, or (without a
    /// scheme) the tenant's global one. `None`: nothing stored, the level follows
    /// the one above.
    pub own: Option<Stored>,
    /// Whether runs under the graph record their decisions in the attempt log:
    /// the logging switch of the scheme's policy, else of the global policy
    /// (a level with no policy follows the one above), else on.
    pub logging: bool,
}

impl InForce {
    /// Whether the level follows the one above: its policy says so, or it has none.
    pub fn inherit(&self) -> bool {
        self.own.as_ref().is_none_or(|p| p.inherit)
    }

    /// The version of the level's stored policy; 0 when there is none (what
    /// `expected_version` takes to mean "only if there is none").
    pub fn version(&self) -> i64 {
        self.own.as_ref().map_or(0, |p| p.version)
    }
}

/// The graph in force for the tenant's scene: with a scheme, for that scheme
/// (its policy, else the global one, else the default); without, the global
/// level's (the global policy, else the default). Read from the store every
/// time (see the module's "No cache").
pub async fn in_force(
    store: &dyn Store,
    config: &Config,
    tenant_id: i64,
    scene: Scene,
    scheme: Option<&str>,
) -> Result<InForce, ApiError> {
    let code = scene_column(scene);
    let global = store
        .get_policy(tenant_id, code, None)
        .await?
        .map(Stored::from_record);
    let own = match scheme {
        Some(s) => store
            .get_policy(tenant_id, code, Some(s))
            .await?
            .map(Stored::from_record),
        None => None,
    };
    let (global_p, own_p) = (
        global.as_ref().and_then(Stored::policy),
        own.as_ref().and_then(Stored::policy),
    );
    let sms = sms_defaults(config, scene);
    let (graph, source) = effective_policy(scene, &sms, global_p.as_ref(), own_p.as_ref());
    let graph = graph.into_owned();
    let logging = own.as_ref().or(global.as_ref()).is_none_or(|p| p.logging);
    Ok(InForce {
        graph,
        source,
        own: if scheme.is_some() { own } else { global },
        logging,
    })
}

/// Who changes which level's policy, and when.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub tenant_id: i64,
    pub scene: Scene,
    /// `None`: the tenant's global policy of the scene.
    pub scheme: Option<&'a str>,
    /// Recorded as the policy's `updated_by` and the audit row's actor
    /// (`cli:alice`, a console user, …).
    pub actor: &'a str,
    pub at: Millis,
}

/// A graph to store: JSON as an editor sends it, or already parsed.
pub enum GraphInput<'a> {
    Json(&'a str),
    Graph(PolicyGraph),
}

/// Stores a policy for the level after checking it: the graph parses and is
/// valid (every problem names its node), its SMS nodes use a signature and
/// template of the tenant's catalog that go together, and a scheme's level
/// belongs to an existing Fusion-Auth scheme of the tenant.
///
/// `inherit`: `None` puts the graph in force (inherit off), as an editor who
/// sets a graph means to; `Some(true)` keeps it while the level follows the one
/// above. `expected_version`: only if the stored policy is at that version
/// (0: only if there is none); the policy version otherwise.
pub async fn set(
    store: &dyn Store,
    change: Change<'_>,
    graph: GraphInput<'_>,
    inherit: Option<bool>,
    expected_version: Option<i64>,
) -> Result<Stored, ApiError> {
    let graph = match graph {
        GraphInput::Graph(g) => g,
        GraphInput::Json(json) => parse(json)?,
    };
    if let Some(v) = expected_version {
        if v < 0 {
            return Err(invalid("the expected version is 0 (no policy) or more"));
        }
    }
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    let catalog = Catalog::load(store, change.tenant_id).await?;
    graph
        .validate(&|sign, template| catalog.allows(sign, template))
        .map_err(|e| invalid(e.to_string()))?;
    let before = store
        .get_policy(change.tenant_id, scene_column(change.scene), change.scheme)
        .await?;
    let logging = before.as_ref().is_none_or(|p| p.logging);
    let json = serde_json::to_string(&graph).expect("a graph serialises");
    put(
        store,
        change,
        json,
        inherit.unwrap_or(false),
        logging,
        expected_version,
    )
    .await
}

/// Turns the level's inherit switch. Off: the level starts from the graph that
/// was in force (the inherited one), so that nothing changes until it is
/// edited, and stops following the level above. On: the stored graph is kept
/// but no longer used. `false` when the switch was already so (nothing stored,
/// nothing audited).
pub async fn set_inherit(
    store: &dyn Store,
    config: &Config,
    change: Change<'_>,
    on: bool,
) -> Result<bool, ApiError> {
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    let current = in_force(store, config, change.tenant_id, change.scene, change.scheme).await?;
    if current.inherit() == on {
        return Ok(false);
    }
    let version = Some(current.version());
    let (graph, logging) = match (&current.own, on) {
        // Inherit on: keep what is stored (also a graph that no longer parses,
        // which is then simply not used).
        (Some(own), true) => {
            let record = store
                .get_policy(change.tenant_id, scene_column(change.scene), change.scheme)
                .await?
                .ok_or_else(|| changed_meanwhile(change))?;
            (record.graph, own.logging)
        }
        (None, true) => return Ok(false),
        (own, false) => {
            let mut policy = Policy {
                inherit: true,
                graph: current.graph.clone(),
            };
            policy.stop_inheriting(&current.graph);
            let json = serde_json::to_string(&policy.graph).expect("a graph serialises");
            (json, own.as_ref().is_none_or(|p| p.logging))
        }
    };
    put(store, change, graph, on, logging, version).await?;
    Ok(true)
}

/// A change to one node of the graph in force at a level, as an editor (the
/// console's node dialog) sends it: what is given replaces the node's own, what
/// is not is kept. The node's kind cannot change.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEdit {
    pub enabled: Option<bool>,
    pub log: Option<bool>,
    /// The kind's settings as JSON (`{"threshold": 70, …}` for a risk check).
    pub settings: Option<serde_json::Value>,
    /// Where each outcome leads: node ids, `pass` or `refuse`.
    pub next: Option<serde_json::Value>,
}

/// Changes one node of the graph in force at the level and stores the result
/// as the level's policy, through [`set`] (validated against the domain's rules
/// and the tenant's catalog; a refused change stores nothing). A level that
/// inherited stops inheriting, starting from the graph that was in force.
/// `expected_version` as for [`set`].
pub async fn set_node(
    store: &dyn Store,
    config: &Config,
    change: Change<'_>,
    node_id: &str,
    edit: NodeEdit,
    expected_version: Option<i64>,
) -> Result<Stored, ApiError> {
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    let current = in_force(store, config, change.tenant_id, change.scene, change.scheme).await?;
    let mut graph = current.graph;
    let node = graph
        .node_mut(node_id)
        .ok_or_else(|| no_such_node(change, node_id))?;
    let mut json = serde_json::to_value(&*node).expect("a node serialises");
    let fields = [
        ("enabled", edit.enabled.map(serde_json::Value::from)),
        ("log", edit.log.map(serde_json::Value::from)),
        ("settings", edit.settings),
        ("next", edit.next),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            json[name] = v;
        }
    }
    *node = serde_json::from_value::<Node>(json)
        .map_err(|e| invalid(format!("node `{node_id}`: the settings are not valid: {e}")))?;
    set(
        store,
        change,
        GraphInput::Graph(graph),
        None,
        expected_version,
    )
    .await
}

/// Restores one node of the graph in force at the level to the scene's default
/// graph's node of the same id (settings, switches and edges), and stores the
/// result as for [`set_node`]. A node the default graph does not have has no
/// defaults: refused.
pub async fn restore_node(
    store: &dyn Store,
    config: &Config,
    change: Change<'_>,
    node_id: &str,
    expected_version: Option<i64>,
) -> Result<Stored, ApiError> {
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    let defaults = default_graph(change.scene, &sms_defaults(config, change.scene));
    let default_node = defaults.node(node_id).cloned().ok_or_else(|| {
        invalid(format!(
            "node `{node_id}` is not in the default graph of scene {}: it has no defaults",
            change.scene.code()
        ))
    })?;
    let current = in_force(store, config, change.tenant_id, change.scene, change.scheme).await?;
    let mut graph = current.graph;
    let node = graph
        .node_mut(node_id)
        .ok_or_else(|| no_such_node(change, node_id))?;
    *node = default_node;
    set(
        store,
        change,
        GraphInput::Graph(graph),
        None,
        expected_version,
    )
    .await
}

/// Turns the level's logging switch: whether runs under its policy record
/// their nodes' decisions (path, rules that fired) in the attempt log; a scheme
/// without a policy follows the global switch (see [`InForce::logging`]). The level's policy keeps its graph and inherit switch;
/// a level with no policy gets one that still follows the level above (inherit
/// on), so that only the switch changes. `false` when the switch was already
/// so (nothing stored, nothing audited).
pub async fn set_logging(
    store: &dyn Store,
    config: &Config,
    change: Change<'_>,
    on: bool,
) -> Result<bool, ApiError> {
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    let current = in_force(store, config, change.tenant_id, change.scene, change.scheme).await?;
    let (graph, inherit) = match &current.own {
        Some(own) if own.logging == on => return Ok(false),
        Some(_) => {
            let record = store
                .get_policy(change.tenant_id, scene_column(change.scene), change.scheme)
                .await?
                .ok_or_else(|| changed_meanwhile(change))?;
            (record.graph, record.inherit)
        }
        // Without a policy logging is on.
        None if on => return Ok(false),
        None => (
            serde_json::to_string(&current.graph).expect("a graph serialises"),
            true,
        ),
    };
    put(store, change, graph, inherit, on, Some(current.version())).await?;
    Ok(true)
}

fn no_such_node(change: Change<'_>, node_id: &str) -> ApiError {
    invalid(format!(
        "the policy of {} has no node `{node_id}`",
        level(change.scene, change.scheme)
    ))
}

/// Restores the defaults at the level: its policy is deleted (audited), so the
/// global level follows the scene's default graph again and a scheme the global
/// policy. `false` when there was nothing to restore.
pub async fn restore(store: &dyn Store, change: Change<'_>) -> Result<bool, ApiError> {
    if let Some(code) = change.scheme {
        require_scheme(store, change.tenant_id, code).await?;
    }
    Ok(store
        .delete_policy(
            change.tenant_id,
            scene_column(change.scene),
            change.scheme,
            change.actor,
            change.at,
        )
        .await?)
}

/// Up to `limit` audit entries of the tenant's policies, newest first.
pub async fn audit(
    store: &dyn Store,
    tenant_id: i64,
    limit: u32,
) -> Result<Vec<AuditRecord>, ApiError> {
    const PAGE: u32 = 200;
    let mut out = Vec::new();
    let mut before = None;
    while out.len() < limit as usize {
        let page = store.list_audit(tenant_id, PAGE, before).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let full = page.len() == PAGE as usize;
        out.extend(
            page.into_iter()
                .filter(|r| r.action.starts_with(AUDIT_PREFIX)),
        );
        if !full {
            break;
        }
    }
    out.truncate(limit as usize);
    Ok(out)
}

/// A scheme level needs a Fusion-Auth scheme of the tenant.
pub async fn require_scheme(store: &dyn Store, tenant_id: i64, code: &str) -> Result<(), ApiError> {
    match store.find_fusion_scheme(tenant_id, code).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::biz(
            BizCode::VerifySchemeNotExist,
            format!("the account has no Fusion-Auth scheme {code}"),
        )),
    }
}

/// Parses an editor's JSON into a graph.
pub fn parse(json: &str) -> Result<PolicyGraph, ApiError> {
    if json.len() > MAX_GRAPH_JSON {
        return Err(invalid(format!(
            "the graph is {} bytes of JSON; at most {MAX_GRAPH_JSON}",
            json.len()
        )));
    }
    serde_json::from_str(json).map_err(|e| invalid(format!("the graph is not a policy graph: {e}")))
}

async fn put(
    store: &dyn Store,
    change: Change<'_>,
    graph: String,
    inherit: bool,
    logging: bool,
    expected_version: Option<i64>,
) -> Result<Stored, ApiError> {
    let put = PutPolicy {
        tenant_id: change.tenant_id,
        scene: scene_column(change.scene),
        scheme: change.scheme.map(str::to_owned),
        graph,
        inherit,
        logging,
        expected_version,
        actor: change.actor.to_owned(),
        at: change.at,
    };
    match store.put_policy(put).await {
        Ok(record) => Ok(Stored::from_record(record)),
        Err(StoreError::Conflict(_)) => {
            let now = store
                .get_policy(change.tenant_id, scene_column(change.scene), change.scheme)
                .await?
                .map_or(0, |p| p.version);
            Err(invalid(format!(
                "the policy changed since version {} was read (it is at version {now}): \
                 read it again and repeat the change",
                expected_version.unwrap_or(0)
            )))
        }
        Err(e) => Err(e.into()),
    }
}

fn changed_meanwhile(change: Change<'_>) -> ApiError {
    invalid(format!(
        "the policy of {} changed meanwhile: repeat the change",
        level(change.scene, change.scheme)
    ))
}

/// `scene 100001` or `scene 100001 scheme FA…`, as the audit log names it.
pub fn level(scene: Scene, scheme: Option<&str>) -> String {
    match scheme {
        Some(s) => format!("scene {} scheme {s}", scene.code()),
        None => format!("scene {}", scene.code()),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::biz(BizCode::InvalidParameters, message)
}

fn scene_column(scene: Scene) -> i32 {
    i32::try_from(scene.code()).expect("scene codes are six digits")
}

/// The tenant's SMS catalog, as SendSmsVerifyCode judges it: an approved
/// signature with an approved template, and a complimentary signature only with
/// a complimentary template.
struct Catalog {
    signatures: Vec<SmsSignature>,
    templates: Vec<SmsTemplate>,
}

impl Catalog {
    async fn load(store: &dyn Store, tenant_id: i64) -> Result<Self, StoreError> {
        Ok(Self {
            signatures: store.list_signatures(tenant_id).await?,
            templates: store.list_templates(tenant_id).await?,
        })
    }

    fn allows(&self, sign: &str, template: &str) -> bool {
        let s = self
            .signatures
            .iter()
            .find(|s| s.name == sign && s.approved);
        let t = self
            .templates
            .iter()
            .find(|t| t.code == template && t.approved);
        match (s, t) {
            (Some(s), Some(t)) => !s.complimentary || t.complimentary,
            _ => false,
        }
    }
}
