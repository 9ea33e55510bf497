//! `numgate billing`: plans added and listed with what remains, and a month's
//! bill matching the charges made.

use numgate_domain::stats::Method;
use numgate_store::{Billing, Charge, SqliteOptions, SqliteStore, Tenants};
use serde_json::Value;

use crate::proc::{numgate, run};

#[tokio::test]
async fn plans_are_added_and_listed_and_the_bill_prices_what_they_did_not_cover() {
    let dir = tempfile::tempdir().unwrap();
    // A first command creates the data directory and the default tenant.
    numgate(dir.path(), &["keys", "create", "--json"]);
    let added: Value = serde_json::from_str(&numgate(
        dir.path(),
        &[
            "billing",
            "add-plan",
            "--method",
            "one-click",
            "--count",
            "2",
            "--from",
            "20200101",
            "--until",
            "2099-12-31",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(added["Total"], 2, "{added}");

    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("numgate.db")))
        .await
        .unwrap();
    let tenant = store.find_tenant("default").await.unwrap().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    store
        .charge(Charge {
            tenant_id: tenant.id,
            method: Method::OneClick,
            month: "2026-03".into(),
            scheme: "FC100000000000001".into(),
            scene: String::new(),
            units: 5,
            now,
        })
        .await
        .unwrap();

    let plans: Value =
        serde_json::from_str(&numgate(dir.path(), &["billing", "plans", "--json"])).unwrap();
    let p = &plans[0];
    assert_eq!(
        (&p["Method"], &p["Used"], &p["Left"], &p["ValidUntil"]),
        (
            &Value::from("one_click"),
            &Value::from(2),
            &Value::from(0),
            &Value::from("2099-12-31")
        ),
        "{plans}"
    );
    let bill: Value = serde_json::from_str(&numgate(
        dir.path(),
        &["billing", "bill", "--month", "202603", "--json"],
    ))
    .unwrap();
    let line = &bill["Lines"][0];
    assert_eq!(
        (&line["PlanUnits"], &line["PaidUnits"], &line["Amount"]),
        (&Value::from(2), &Value::from(3), &Value::from("0.09")),
        "{bill}"
    );
    assert_eq!(bill["AmountSum"], "0.09");
    let text = numgate(dir.path(), &["billing", "bill", "--month", "202603"]);
    assert!(text.contains("total 0.09 yuan"), "{text}");

    for bad in [
        &["billing", "bill", "--month", "2026-03"][..],
        &[
            "billing", "add-plan", "--method", "fax", "--count", "1", "--from", "20260101",
            "--until", "20260102",
        ],
        &[
            "billing", "add-plan", "--method", "sms", "--count", "1", "--from", "20260102",
            "--until", "20260101",
        ],
        &["billing", "plans", "--tenant", "nobody"],
    ] {
        let out = run(dir.path(), bad);
        assert!(!out.status.success(), "{bad:?}");
        assert!(!out.stderr.is_empty(), "{bad:?}");
    }
}
