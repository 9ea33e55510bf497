//! `numgate users`: console users created with a password on standard input,
//! listed without it, disabled; and signing in to a running server with them.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::proc::{numgate, run, Server, BIN};

/// Runs `numgate ARGS --data-dir DIR` with `stdin` as its standard input.
fn with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("NUMGATE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn users_are_created_from_stdin_listed_disabled_and_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    // Before any server ran: the default tenant is created for its user.
    let out = with_stdin(
        dir.path(),
        &[
            "users", "create", "--name", "alice", "--role", "tenant", "--tenant", "default",
        ],
        "tenant password\r\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start_with(
        &["--data-dir", dir.path().to_str().unwrap()],
        &[("NUMGATE_CONSOLE__SECURE_COOKIES", "false")],
    );

    let out = with_stdin(
        dir.path(),
        &[
            "users",
            "create",
            "--name",
            "root",
            "--role",
            "operator",
            "--password-stdin",
        ],
        "operator password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Refused: a taken name, a tenant user without a tenant, an unknown tenant,
    // a short or missing password.
    for (args, stdin, says) in [
        (
            &["--name", "alice", "--role", "operator"][..],
            "another password\n",
            "exists",
        ),
        (
            &["--name", "bob", "--role", "tenant"][..],
            "another password\n",
            "--tenant",
        ),
        (
            &["--name", "bob", "--role", "tenant", "--tenant", "nobody"][..],
            "another password\n",
            "no tenant",
        ),
        (
            &["--name", "bob", "--role", "operator"][..],
            "short\n",
            "at least 8",
        ),
        (
            &["--name", "bob", "--role", "operator"][..],
            "",
            "no password",
        ),
    ] {
        let mut all = vec!["users", "create"];
        all.extend_from_slice(args);
        let out = with_stdin(dir.path(), &all, stdin);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // No argument takes a password.
    let out = run(
        dir.path(),
        &[
            "users",
            "create",
            "--name",
            "bob",
            "--role",
            "operator",
            "--password",
            "x",
        ],
    );
    assert!(!out.status.success());

    let list: Value =
        serde_json::from_str(&numgate(dir.path(), &["users", "list", "--json"])).unwrap();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["Name"], "alice");
    assert_eq!(rows[0]["Role"], "tenant");
    assert_eq!(rows[0]["Tenant"], "default");
    assert_eq!(rows[1]["Name"], "root");
    assert_eq!(rows[1]["Tenant"], Value::Null);
    let text = numgate(dir.path(), &["users", "list"]);
    assert!(text.contains("alice") && text.contains("active"), "{text}");
    assert!(!list.to_string().contains("argon2") && !text.contains("argon2"));
    assert!(!text.contains("tenant password"));

    // The server takes the password that came through stdin (without its CR LF).
    assert_eq!(
        sign_in(&server.endpoint, "alice", "tenant password").await,
        303
    );
    numgate(dir.path(), &["users", "disable", "alice"]);
    assert_eq!(
        sign_in(&server.endpoint, "alice", "tenant password").await,
        401
    );
    let list: Value =
        serde_json::from_str(&numgate(dir.path(), &["users", "list", "--json"])).unwrap();
    assert_eq!(list[0]["Enabled"], false);
    numgate(dir.path(), &["users", "enable", "alice"]);
    assert_eq!(
        sign_in(&server.endpoint, "alice", "tenant password").await,
        303
    );
    let out = run(dir.path(), &["users", "disable", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named nobody"));
}

/// Loads the sign-in form and posts it; the status.
async fn sign_in(endpoint: &str, name: &str, password: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{endpoint}/console/login"))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap();
    let body = format!(
        "name={name}&password={}&csrf={csrf}",
        password.replace(' ', "+")
    );
    http.post(format!("{endpoint}/console/login"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
