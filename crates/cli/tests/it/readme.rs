//! The README's walkthroughs, run as written (less the `# setup` lines, whose
//! tools the test provides: this build of `numgate` and the project's venv).
//! One test runs them in turn: both listen on 127.0.0.1:8080, as written.

use std::path::Path;
use std::process::Command;

use crate::proc::{repo, venv_bin, BIN};

/// The shell blocks between `<!-- NAME:start -->` and `<!-- NAME:end -->`,
/// without `# setup` lines.
fn walkthrough_script(readme: &str, name: &str) -> String {
    let start = readme
        .find(&format!("<!-- {name}:start -->"))
        .expect("start marker");
    let end = readme
        .find(&format!("<!-- {name}:end -->"))
        .expect("end marker");
    let mut script = String::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if in_block && !line.contains("# setup") {
            script.push_str(line);
            script.push('\n');
        }
    }
    script
}

/// Runs one walkthrough in a fresh directory; its standard output.
fn run_walkthrough(readme: &str, name: &str, venv_bin: &Path) -> String {
    for port in [8080, 9100] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            panic!("the walkthrough needs 127.0.0.1:{port}, which is taken on this machine");
        }
    }
    let script = walkthrough_script(readme, name);
    assert!(script.contains("numgate serve"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("walkthrough.sh");
    std::fs::write(&file, format!("set -euo pipefail\n{script}")).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}:{}",
        bin_dir.display(),
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["120", "bash"])
        .arg(&file)
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("NUMGATE_CONFIG")
        .env_remove("NUMGATE_APP_ENCRYPT_INFO")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the {name} walkthrough failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn the_readme_walkthroughs_work_as_written() {
    let Some(venv_bin) = venv_bin() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must run the walkthrough: run scripts/python-venv.sh first"
        );
        eprintln!("skipped: no Python venv with the official SDK; run scripts/python-venv.sh");
        return;
    };
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();

    let stdout = run_walkthrough(&readme, "walkthrough", &venv_bin);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("OK ") && l.ends_with("^0")),
        "a send: {stdout}"
    );
    assert!(lines.contains(&"OK PASS"), "{stdout}");
    assert!(lines.contains(&"OK UNKNOWN"), "{stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with("biz.FREQUENCY")),
        "{stdout}"
    );
    assert!(stdout.contains("AccessKeySecret"), "the key is shown");

    let stdout = run_walkthrough(&readme, "one-click", &venv_bin);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&"OK 13800000011"), "get_mobile: {stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with("isv.TOKEN_INVALID")),
        "{stdout}"
    );
}
