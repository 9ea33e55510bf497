//! Screenshots of the console's main pages for the README: run by
//! `scripts/screenshots.sh`, which sets `NUMGATE_SCREENSHOTS` to the folder to
//! write them to. Without it this does nothing (it is not a check).

use std::path::PathBuf;
use std::time::Duration;

use numgate_client::{CreateVerifyScheme, SendSmsVerifyCode};
use numgate_domain::clock::Clock;
use numgate_domain::stats::Method;
use numgate_server::DEFAULT_TENANT;
use numgate_store::{ListEntry, ListKind, NewPlan};

use crate::carriers::call;
use crate::console::{add_user, console_app, signed_in_browser, wait_text};
use crate::helpers::{phone, texted_code, SIGN, TEMPLATE};

#[tokio::test]
async fn screenshots_of_the_main_pages() {
    let Some(dir) = std::env::var_os("NUMGATE_SCREENSHOTS").map(PathBuf::from) else {
        return;
    };
    let path = crate::browser::chromedriver().expect("chromedriver");
    std::fs::create_dir_all(&dir).unwrap();
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let api = app.client();
    let tenant = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    let now = app.clock.now_millis();

    // A little of everything: schemes, codes sent over three days, a plan, a
    // blocked number.
    for (name, pack) in [("Shop app", "com.acme.shop"), ("Wallet", "com.acme.wallet")] {
        let req = CreateVerifyScheme::android(name, "Acme", pack, &"a".repeat(32));
        api.create_verify_scheme(&req).await.unwrap();
    }
    call(
        &api,
        "CreateSchemeConfig",
        &[
            ("SchemeName", "Sign-in"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", "com.acme.shop"),
            ("AndroidPackageSign", &"a".repeat(32)),
        ],
    )
    .await;
    data.store
        .add_plan(NewPlan {
            tenant_id: tenant.id,
            method: Method::Sms,
            total: 1000,
            valid_from: now - 86_400_000 * 3,
            valid_until: now + 86_400_000 * 365,
            created_at: now,
        })
        .await
        .unwrap();
    data.store
        .set_list_entry(ListEntry {
            tenant_id: tenant.id,
            number: "8617000000001".into(),
            kind: ListKind::Block,
            note: Some("pumping".into()),
            updated_at: now,
        })
        .await
        .unwrap();
    for day in 0..3 {
        for _ in 0..(2 + day * 2) {
            let n = phone();
            api.send_sms_verify_code(&SendSmsVerifyCode::new(&n, SIGN, TEMPLATE))
                .await
                .unwrap();
            texted_code(&app, &n).await;
        }
        if day < 2 {
            app.clock.advance_secs(86_400);
        }
    }

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    c.set_window_size(1360, 1000).await.unwrap();
    for (page, lang) in [
        ("", "en"),
        ("schemes", "en"),
        ("policies", "en"),
        ("sms", "en"),
        ("keys", "en"),
        ("risk", "en"),
        ("billing", "en"),
        ("audit", "en"),
        ("", "zh-CN"),
    ] {
        let url = match page {
            "" => format!("{}/console?lang={lang}", app.endpoint),
            p => format!("{}/console/{p}?lang={lang}", app.endpoint),
        };
        c.goto(&url).await.unwrap();
        wait_text(&c, "#heading", |t| !t.is_empty()).await;
        // Let the page's script draw it (a picture, not a check).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let png = c.screenshot().await.unwrap();
        let name = match (page, lang) {
            ("", "en") => "overview".to_owned(),
            ("", _) => "overview-zh-CN".to_owned(),
            (p, _) => p.to_owned(),
        };
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
    c.set_window_size(1360, 1000).await.unwrap();
    c.close().await.unwrap();
}
