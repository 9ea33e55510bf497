//! Running the `numgate` binary: the server as a child process, admin commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_numgate");

/// Runs an admin command on the data directory; panics with its stderr on failure.
pub fn numgate(data_dir: &Path, args: &[&str]) -> String {
    let out = run(data_dir, args);
    assert!(
        out.status.success(),
        "numgate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("NUMGATE_CONFIG")
        .output()
        .expect("run numgate")
}

/// Runs a command with environment variables (no data directory given); panics
/// with its stderr on failure.
pub fn numgate_env(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("NUMGATE_CONFIG")
        .output()
        .expect("run numgate");
    assert!(
        out.status.success(),
        "numgate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A key made with `numgate keys create --json`.
pub fn create_key(data_dir: &Path) -> (String, String) {
    let out = numgate(data_dir, &["keys", "create", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    (
        v["AccessKeyId"].as_str().unwrap().to_owned(),
        v["AccessKeySecret"].as_str().unwrap().to_owned(),
    )
}

/// `numgate serve` on a random loopback port; its log lines are kept.
pub struct Server {
    pub child: Child,
    pub endpoint: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        let dir = data_dir.to_str().expect("a UTF-8 path");
        Server::start_with(&["--data-dir", dir], &[])
    }

    /// `numgate serve --listen 127.0.0.1:0` with more arguments and environment.
    pub fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Server {
        Server::start_on("127.0.0.1:0", args, envs)
    }

    /// `numgate serve --listen ADDR` with more arguments and environment.
    pub fn start_on(listen: &str, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", listen])
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("NUMGATE_CONFIG")
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn numgate serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line
                    .find("serving the Open API at http://")
                    .map(|i| i + "serving the Open API at ".len())
                {
                    if let Some(tx) = tx.take() {
                        let url: String = line[i..]
                            .chars()
                            .take_while(|c| !c.is_whitespace())
                            .collect();
                        let _ = tx.send(url.trim_end_matches('/').to_owned());
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let endpoint = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("numgate serve did not start: {:?}", log.lock().unwrap()));
        Server {
            child,
            endpoint,
            log,
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            assert!(Instant::now() < deadline, "numgate did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file of the data directory, for scanning.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect()
}

/// A fresh valid China Mobile number for each call.
pub fn phone() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("139{:08}", (std::process::id() % 1000) * 100_000 + n)
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `bin` folder of the Python venv with the official SDK
/// (`scripts/python-venv.sh` makes it), if there is one.
pub fn venv_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("NUMGATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let bin = venv.join("bin");
    bin.join("python3").exists().then_some(bin)
}

/// The venv's python, or `None` (and a note) outside CI; under CI its absence
/// is a failure, never a silent skip.
pub fn sdk_python() -> Option<PathBuf> {
    match venv_bin() {
        Some(bin) => Some(bin.join("python3")),
        None => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI must run the SDK tests: run scripts/python-venv.sh first"
            );
            eprintln!("skipped: no Python venv with the official SDK; run scripts/python-venv.sh");
            None
        }
    }
}

/// A simulator (`numgate smsc-sim`, `numgate sms-provider-sim`, …) as a child
/// process; its stderr lines are kept, the first ones say where it listens.
pub struct SimProcess {
    pub child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl SimProcess {
    /// Starts `numgate ARGS` and waits until it printed `lines` lines.
    pub fn start(args: &[&str], envs: &[(&str, &str)], lines: usize) -> SimProcess {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("NUMGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the simulator");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while log.lock().unwrap().len() < lines {
            assert!(
                Instant::now() < deadline,
                "numgate {args:?} did not start: {:?}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        SimProcess { child, log }
    }

    /// The `n`-th URL (`http://…` or `host:port` after `marker`) it printed.
    pub fn url_after(&self, marker: &str) -> String {
        let log = self.log.lock().unwrap();
        let line = log
            .iter()
            .find(|l| l.contains(marker))
            .unwrap_or_else(|| panic!("no line with {marker:?}: {log:?}"));
        let at = line.find(marker).unwrap() + marker.len();
        line[at..]
            .trim_start()
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect::<String>()
            .trim_end_matches([',', ')', ';'])
            .to_owned()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
