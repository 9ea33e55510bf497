//! What the load goes to: numgate started in-process on a temporary data
//! directory (with the carrier simulator of `serve --dev` when the mix has
//! carrier actions), the no-op server, or a URL the user gave.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use axum::http::header::CONTENT_TYPE;
use axum::Router;
use numgate_carrier_sim::SubscriberConfig;
use numgate_domain::clock::{Clock, SystemClock};
use numgate_server::service::keys;
use numgate_server::{Application, Config, DEFAULT_TENANT};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the no-op server answers to everything: a success envelope of the size
/// of a real CheckSmsVerifyCode answer, so that both put the same bytes on the wire.
const NOOP_BODY: &str = r#"{"RequestId":"4c1a2b3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","Code":"OK","Message":"OK","Success":true,"Model":{"VerifyResult":"PASS","OutId":null}}"#;

/// Sends per number and hour or day that a bench run can never reach (each
/// number gets one code, but keep the caps out of the measurement).
const BENCH_CAP: u32 = 1_000_000;

enum Server {
    /// numgate or the no-op server, running on this process's runtime.
    Local {
        stop: oneshot::Sender<()>,
        task: JoinHandle<anyhow::Result<()>>,
        /// Kept until the server has stopped, then deleted.
        data_dir: Option<tempfile::TempDir>,
    },
    External,
}

/// The carrier simulator started beside numgate (`serve --dev`'s demo table).
struct Sim {
    url: String,
    control_token: Option<String>,
    subscribers: Vec<SubscriberConfig>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// What `--target self` starts beside numgate.
#[derive(Clone, Copy, Default)]
pub struct SelfOptions {
    /// Start the carrier simulator and point `[carriers]` at it.
    pub carriers: bool,
    /// The latency that will be injected at the simulator: numgate's carrier
    /// timeout is raised by as much, so that slow stays slow and never becomes
    /// "unavailable".
    pub carrier_latency_ms: u64,
    /// Fusion-Auth scenes: the tenant's policy of scene 100001 without its
    /// frequency rules (the whole load comes from the demo table's few bearer
    /// addresses, which the rules would rightly step up).
    pub fusion: bool,
}

/// numgate's carrier timeout when nothing is injected (the adapters' default).
const CARRIER_TIMEOUT_MS: u64 = 3_000;

pub struct Target {
    name: String,
    /// Where requests go, in turn (several nodes behind no load balancer).
    endpoints: Vec<String>,
    key_id: String,
    key_secret: String,
    describe: String,
    server: Server,
    sim: Option<Sim>,
}

impl Target {
    /// `self`, `noop`, or `http://` URLs separated by commas (the nodes of one
    /// cluster: requests go to each in turn, as a load balancer would send them).
    pub async fn start(
        target: &str,
        key_id: Option<&str>,
        key_secret: Option<&str>,
        options: SelfOptions,
    ) -> anyhow::Result<Target> {
        match target {
            "self" => start_self(options).await,
            "noop" => start_noop().await,
            urls if urls.starts_with("http://") => {
                let (Some(id), Some(secret)) = (key_id, key_secret) else {
                    bail!("a URL target needs --key-id and --key-secret (numgate keys create)");
                };
                let endpoints: Vec<String> = urls
                    .split(',')
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
                    .collect();
                if endpoints.iter().any(|u| !u.starts_with("http://")) {
                    bail!("--target: every URL must start with http://");
                }
                let url = urls;
                Ok(Target {
                    name: if endpoints.len() == 1 {
                        "url".into()
                    } else {
                        format!("{} nodes", endpoints.len())
                    },
                    endpoints,
                    key_id: id.to_owned(),
                    key_secret: secret.to_owned(),
                    describe: format!("numgate at {url}"),
                    server: Server::External,
                    sim: None,
                })
            }
            other => bail!("--target must be self, noop or an http:// URL, not {other:?}"),
        }
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The first endpoint: where setup requests go.
    pub fn endpoint(&self) -> &str {
        &self.endpoints[0]
    }

    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn key_secret(&self) -> &str {
        &self.key_secret
    }

    pub fn describe(&self) -> String {
        self.describe.clone()
    }

    pub fn is_noop(&self) -> bool {
        self.name == "noop"
    }

    /// The demo subscribers of the carrier simulator, if one runs beside numgate.
    pub fn subscribers(&self) -> Option<&[SubscriberConfig]> {
        self.sim.as_ref().map(|s| s.subscribers.as_slice())
    }

    /// Makes every carrier call (device or numgate) take `ms` more, through the
    /// simulator's control API: `POST /control/faults` with a `latency` rule.
    pub async fn add_carrier_latency(&self, ms: u64) -> anyhow::Result<()> {
        let Some(sim) = &self.sim else {
            bail!("no carrier simulator runs beside this target");
        };
        let token = sim
            .control_token
            .as_deref()
            .context("the demo simulator has no control token")?;
        let rule =
            serde_json::json!({"carrier": "*", "endpoint": "*", "fault": "latency", "ms": ms});
        let resp = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?
            .post(format!("{}/control/faults", sim.url))
            .bearer_auth(token)
            .json(&rule)
            .send()
            .await
            .context("the simulator's control API")?;
        let status = resp.status();
        if status != reqwest::StatusCode::CREATED {
            let body = resp.text().await.unwrap_or_default();
            bail!("the simulator refused the latency fault: {status}: {body}");
        }
        Ok(())
    }

    /// Stops a server this process started and deletes its data directory, then
    /// the simulator (numgate's last carrier calls go to it).
    pub async fn stop(self) -> anyhow::Result<()> {
        if let Server::Local {
            stop,
            task,
            data_dir,
        } = self.server
        {
            let _ = stop.send(());
            task.await.context("the server task")??;
            drop(data_dir);
        }
        if let Some(sim) = self.sim {
            let _ = sim.stop.send(());
            sim.task
                .await
                .context("the carrier simulator task")?
                .context("the carrier simulator")?;
        }
        Ok(())
    }
}

async fn loopback() -> anyhow::Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding 127.0.0.1:0")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    Ok((listener, endpoint))
}

async fn start_self(options: SelfOptions) -> anyhow::Result<Target> {
    let dir = tempfile::Builder::new()
        .prefix("numgate-bench-")
        .tempdir()
        .context("creating a temporary data directory")?;
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.sms.hourly_cap = BENCH_CAP;
    config.sms.daily_cap = BENCH_CAP;
    // The load's numbers are consecutive: thousands share a prefix.
    config.sms.prefix_hourly_cap = BENCH_CAP;
    config.sms.throttled_prefix_hourly_cap = BENCH_CAP;
    config.sms.country_hourly_cap = BENCH_CAP;
    config.sms.daily_budget = BENCH_CAP;
    let sim = if options.carriers {
        let (stop, stopped) = oneshot::channel::<()>();
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let dev = crate::serve::start_dev_carriers(&mut config, loopback, async {
            let _ = stopped.await;
        })
        .await?;
        if options.carrier_latency_ms > 0 {
            config.carriers.timeout_ms = Some(CARRIER_TIMEOUT_MS + options.carrier_latency_ms);
        }
        Some(Sim {
            url: dev.url,
            control_token: dev.control_token,
            subscribers: dev.subscribers,
            stop,
            task: dev.task,
        })
    } else {
        None
    };
    config.validate()?;
    let (listener, endpoint) = loopback().await?;
    let app = Application::build(config, listener, Arc::new(SystemClock)).await?;
    let state = app.state();
    let tenant = state
        .store
        .find_tenant(DEFAULT_TENANT)
        .await?
        .context("the default tenant is missing")?;
    let issued = keys::create(
        state.store.as_ref(),
        &state.secrets,
        tenant.id,
        SystemClock.now_millis(),
    )
    .await?;
    if options.fusion {
        bench_policy(state, tenant.id).await?;
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    Ok(Target {
        name: "self".into(),
        describe: match &sim {
            Some(sim) => format!(
                "numgate in-process at {endpoint}, durable SQLite in {}, carrier simulator at {}",
                dir.path().display(),
                sim.url
            ),
            None => format!(
                "numgate in-process at {endpoint}, durable SQLite in {}",
                dir.path().display()
            ),
        },
        endpoints: vec![endpoint],
        key_id: issued.id,
        key_secret: issued.secret.to_string(),
        server: Server::Local {
            stop,
            task,
            data_dir: Some(dir),
        },
        sim,
    })
}

async fn start_noop() -> anyhow::Result<Target> {
    let (listener, endpoint) = loopback().await?;
    // No routing, no parsing, no signature, no database: only HTTP.
    let app =
        Router::new().fallback(|| async { ([(CONTENT_TYPE, "application/json")], NOOP_BODY) });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .context("the no-op server")
    });
    Ok(Target {
        name: "noop".into(),
        describe: format!(
            "no-op server in-process at {endpoint} (no parsing, no signature check, no database)"
        ),
        endpoints: vec![endpoint],
        key_id: "LTAIbenchnoop000000000000".into(),
        key_secret: "noop".into(),
        server: Server::Local {
            stop,
            task,
            data_dir: None,
        },
        sim: None,
    })
}

/// Scene 100001's default graph without frequency rules, as the tenant's
/// global policy (see [`SelfOptions::fusion`]).
async fn bench_policy(
    state: &numgate_server::state::AppState,
    tenant_id: i64,
) -> anyhow::Result<()> {
    use numgate_domain::fusion::{default_graph, Scene, Settings};
    let scene = Scene::Logon;
    let mut graph = default_graph(
        scene,
        &numgate_server::service::policies::sms_defaults(&state.config, scene),
    );
    for node in &mut graph.nodes {
        if let Settings::EndpointRisk(r) | Settings::NumberRisk(r) = &mut node.settings {
            r.frequency_rules.clear();
        }
    }
    state
        .store
        .put_policy(numgate_store::PutPolicy {
            tenant_id,
            scene: scene.code() as i32,
            scheme: None,
            graph: serde_json::to_string(&graph)?,
            inherit: false,
            logging: true,
            expected_version: None,
            actor: "bench".into(),
            at: SystemClock.now_millis(),
        })
        .await?;
    Ok(())
}
