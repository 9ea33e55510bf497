//! Start a real server on a random port with a fresh data directory: on SQLite,
//! or with `NUMGATE_TEST_BACKEND=postgres` on a fresh PostgreSQL database of the
//! server named by `NUMGATE_TEST_DATABASE_URL` (scripts/test.sh runs both).

use std::sync::Arc;

use numgate_client::{OpenApi, SignatureScheme};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_domain::secrets::MasterKey;
use numgate_domain::FakeClock;
use numgate_server::service::keys;
use numgate_server::{Application, Config, DEFAULT_TENANT};
use numgate_store::testing::TestDatabase;
use numgate_store::{AnyStore, StoreLocation};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SIGN: &str = "速通互联验证码";
pub const TEMPLATE: &str = "100001";

pub struct TestApp {
    pub endpoint: String,
    pub key_id: String,
    pub key_secret: String,
    /// Starts at the real time; tests move it to expire codes and windows.
    pub clock: FakeClock,
    pub config: Config,
    pub data_dir: Arc<TempDir>,
    /// The PostgreSQL database, when the suite runs on PostgreSQL; dropped last.
    pub database: Option<Arc<TestDatabase>>,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let database = postgres_database(&mut config).await;
    tweak(&mut config);
    let clock = FakeClock::new(SystemClock.now_millis());
    let mut app = start(config, dir, clock, None).await;
    app.database = database;
    app
}

/// With `NUMGATE_TEST_BACKEND=postgres`: a fresh database, migrated as
/// `numgate migrate` would, and a master key given by configuration, as every
/// node of a shared database needs.
async fn postgres_database(config: &mut Config) -> Option<Arc<TestDatabase>> {
    if std::env::var("NUMGATE_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    let db = TestDatabase::create()
        .await
        .expect("NUMGATE_TEST_BACKEND=postgres needs NUMGATE_TEST_DATABASE_URL");
    let location = StoreLocation::Postgres(db.url());
    AnyStore::open(&location, false)
        .await
        .expect("open the test database")
        .migrate()
        .await
        .expect("migrate the test database");
    config.database_url = Some(db.url());
    config.master_key = Some(MasterKey::generate().to_base64().to_string());
    Some(Arc::new(db))
}

async fn start(
    config: Config,
    dir: Arc<TempDir>,
    clock: FakeClock,
    key: Option<(String, String)>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Application::build(config.clone(), listener, Arc::new(clock.clone()))
        .await
        .expect("build app");
    let (key_id, key_secret) = match key {
        Some(k) => k,
        None => {
            let state = app.state();
            let tenant = state
                .store
                .find_tenant(DEFAULT_TENANT)
                .await
                .expect("find tenant")
                .expect("default tenant");
            let issued = keys::create(
                state.store.as_ref(),
                &state.secrets,
                tenant.id,
                clock.now_millis(),
            )
            .await
            .expect("create key");
            (issued.id, issued.secret.to_string())
        }
    };
    let (tx, rx) = oneshot::channel();
    let handle = tokio::spawn(app.run(async {
        let _ = rx.await;
    }));
    TestApp {
        endpoint: format!("http://{addr}"),
        key_id,
        key_secret,
        clock,
        config,
        data_dir: dir,
        database: None,
        stop: Some(tx),
        handle: Some(handle),
    }
}

impl TestApp {
    /// A client that signs with the server's (fake) clock.
    pub fn client(&self) -> OpenApi {
        let clock = self.clock.clone();
        OpenApi::new(&self.endpoint, &self.key_id, &self.key_secret).with_time_source(Arc::new(
            move || {
                chrono::DateTime::from_timestamp_millis(clock.now_millis()).expect("a valid time")
            },
        ))
    }

    /// The server's (fake) time, in Unix seconds.
    pub fn clock_secs(&self) -> i64 {
        self.clock.now_millis() / 1000
    }

    pub fn client_v1(&self) -> OpenApi {
        self.client().with_scheme(SignatureScheme::V1)
    }

    /// Stops the server gracefully and starts a new one on the same data directory.
    pub async fn restart(mut self) -> TestApp {
        self.shutdown().await;
        let key = Some((self.key_id.clone(), self.key_secret.clone()));
        let mut app = start(
            self.config.clone(),
            self.data_dir.clone(),
            self.clock.clone(),
            key,
        )
        .await;
        app.database = self.database.take();
        app
    }

    pub async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server ran");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh valid China Mobile number for each call, so tests do not share limits.
pub fn phone() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("138{:08}", (std::process::id() % 1000) * 100_000 + n)
}

/// The newest code texted to `number`, from the development outbox.
pub async fn texted_code(app: &TestApp, number: &str) -> String {
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    texted_code_in(&data, number).await
}

/// [`texted_code`] in an already opened data directory.
pub async fn texted_code_in(data: &numgate_server::DataDir, number: &str) -> String {
    for _ in 0..200 {
        let list = data
            .store
            .list_outbox(Some(&format!("86{number}")), 1)
            .await
            .unwrap();
        if let Some(m) = list.first() {
            let text = data
                .master_key
                .secret_box()
                .open_string(&m.sealed_text)
                .unwrap();
            return text
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no code reached the outbox for {number}");
}
