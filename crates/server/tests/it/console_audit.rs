//! The console's audit log: changes made through the Open API (and the console
//! and CLI) are listed newest first, a page at a time, to their tenant only.

use numgate_domain::clock::Clock;
use numgate_server::service::audit::{self, Actor, Change};
use numgate_server::DEFAULT_TENANT;
use reqwest::StatusCode;
use serde_json::Value;

use crate::carriers::call;
use crate::console::{add_user, console_app, signed_in_browser, wait_text, Browser, PASSWORD};

fn actions(v: &Value) -> Vec<String> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn open_api_changes_appear_in_the_audit_log_of_their_tenant_only() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    data.store.ensure_tenant("globex", now).await.unwrap();
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "gina", Some("globex")).await;
    add_user(&app, &data, "root", None).await;

    let r = call(
        &app.client(),
        "CreateSchemeConfig",
        &[
            ("SchemeName", "audited"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", "com.acme.audited"),
            ("AndroidPackageSign", &"b".repeat(32)),
        ],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    let code = r["Model"]["SchemeCode"].as_str().unwrap();

    let mut alice = Browser::new(&app);
    assert_eq!(
        alice.sign_in("alice", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, log) = alice.json("/console/api/audit").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "fusion_scheme.create");
    assert_eq!(entry["target"], format!("scheme {code}"));
    assert_eq!(
        entry["actor"],
        format!("accesskey:{}", app.key_id),
        "the Open API caller is named by its AccessKey"
    );
    assert!(entry["after"].as_str().unwrap().contains("audited"));
    assert!(!log.to_string().contains(&app.key_secret));

    // Another tenant's user sees none of it, and may not ask for it.
    let mut gina = Browser::new(&app);
    gina.sign_in("gina", PASSWORD).await;
    let (status, theirs) = gina.json("/console/api/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(actions(&theirs).is_empty(), "{theirs}");
    let (status, _) = gina
        .json(&format!("/console/api/audit?tenant={DEFAULT_TENANT}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The operator picks the tenant.
    let mut root = Browser::new(&app);
    root.sign_in("root", PASSWORD).await;
    let (_, picked) = root
        .json(&format!("/console/api/audit?tenant={DEFAULT_TENANT}"))
        .await;
    assert_eq!(actions(&picked), vec!["fusion_scheme.create"]);
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_and_refuses_bad_paging() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let tenant = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    let who = Actor::Console("alice".into());
    for i in 0..55 {
        let change = Change {
            tenant_id: tenant.id,
            actor: &who,
            action: "test.change",
            target: format!("thing {i}"),
            before: None,
            after: Some(format!("{{\"n\":{i}}}")),
        };
        audit::record(data.store.as_ref(), change, app.clock.now_millis())
            .await
            .unwrap();
    }
    let mut b = Browser::new(&app);
    b.sign_in("alice", PASSWORD).await;
    let (_, first) = b.json("/console/api/audit").await;
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 50);
    assert_eq!(entries[0]["target"], "thing 54");
    assert_eq!(entries[49]["target"], "thing 5");
    let next = first["next"].as_i64().unwrap();
    let (_, second) = b.json(&format!("/console/api/audit?before={next}")).await;
    let targets: Vec<_> = second["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        targets,
        ["thing 4", "thing 3", "thing 2", "thing 1", "thing 0"]
    );
    assert_eq!(second["next"], Value::Null);
    for bad in ["before=x", "before=-1", "limit=0", "limit=201", "limit=ten"] {
        let (status, body) = b.json(&format!("/console/api/audit?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"], "InvalidParameter");
    }
}

#[tokio::test]
async fn in_a_real_browser_the_audit_page_lists_an_open_api_change() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let r = call(
        &app.client(),
        "CreateSchemeConfig",
        &[
            ("SchemeName", "seen"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", "com.acme.seen"),
            ("AndroidPackageSign", &"c".repeat(32)),
        ],
    )
    .await;
    let code = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    crate::console::click(&c, "#nav-audit").await;
    let row = wait_text(&c, "#audit-table tbody tr", |t| t.contains(&code)).await;
    assert!(row.contains("fusion_scheme.create"), "{row}");
    assert!(row.contains("Open API"), "{row}");
    // The settings after the change, without the ones left empty.
    assert!(row.contains("com.acme.seen"), "{row}");
    assert!(!row.contains("H5Origin"), "{row}");
    c.close().await.unwrap();
}
