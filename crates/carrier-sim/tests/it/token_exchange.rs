//! China Mobile, Unicom and Telecom: prefetch, token, exchange, verify, and every refusal.

use serde_json::{json, Value};

use crate::helpers::{chrono_now_secs, random_nonce, sha256_hex, spawn, Sim};

/// What differs per carrier, as PROTOCOL.md documents it.
struct Case {
    carrier: &'static str,
    device: u8,
    number: &'static str,
    data_off_device: u8,
    lifetime_secs: i64,
    code_field: &'static str,
    ok: Value,
    bad_request: Value,
    bad_signature: Value,
    skew: Value,
    replay: Value,
    unknown_app: Value,
    token_invalid: Value,
    wrong_app: Value,
    wrong_purpose: Value,
    not_subscriber: Value,
    data_off: Value,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            carrier: "cm",
            device: 11,
            number: "13800000011",
            data_off_device: 12,
            lifetime_secs: 120,
            code_field: "resultCode",
            ok: json!("103000"),
            bad_request: json!("103108"),
            bad_signature: json!("103101"),
            skew: json!("103102"),
            replay: json!("103103"),
            unknown_app: json!("103119"),
            token_invalid: json!("105312"),
            wrong_app: json!("105313"),
            wrong_purpose: json!("105314"),
            not_subscriber: json!("103901"),
            data_off: json!("103902"),
        },
        Case {
            carrier: "cu",
            device: 21,
            number: "13000000021",
            data_off_device: 22,
            lifetime_secs: 1800,
            code_field: "code",
            ok: json!(0),
            bad_request: json!(1001),
            bad_signature: json!(1002),
            skew: json!(1003),
            replay: json!(1004),
            unknown_app: json!(1005),
            token_invalid: json!(2001),
            wrong_app: json!(2002),
            wrong_purpose: json!(2003),
            not_subscriber: json!(3001),
            data_off: json!(3002),
        },
        Case {
            carrier: "ct",
            device: 31,
            number: "13300000031",
            data_off_device: 32,
            lifetime_secs: 600,
            code_field: "result",
            ok: json!(0),
            bad_request: json!(-10001),
            bad_signature: json!(-10002),
            skew: json!(-10003),
            replay: json!(-10004),
            unknown_app: json!(-10005),
            token_invalid: json!(-20001),
            wrong_app: json!(-20002),
            wrong_purpose: json!(-20003),
            not_subscriber: json!(-30001),
            data_off: json!(-30002),
        },
    ]
}

impl Case {
    fn app(&self) -> String {
        format!("app-{}", self.carrier)
    }
    fn key(&self) -> String {
        format!("key-{}", self.carrier)
    }
    fn path(&self, endpoint: &str) -> String {
        format!("/{}/{endpoint}", self.carrier)
    }
    fn code<'a>(&self, reply: &'a Value) -> &'a Value {
        &reply[self.code_field]
    }

    async fn token(&self, sim: &Sim, purpose: &str) -> String {
        let reply = sim
            .device_post(
                self.device,
                &self.path("token"),
                json!({ "app_id": self.app(), "purpose": purpose }),
            )
            .await;
        assert_eq!(self.code(&reply), &self.ok, "{reply}");
        reply["data"]["token"].as_str().expect("token").to_owned()
    }

    async fn exchange(&self, sim: &Sim, token: &str) -> Value {
        sim.signed(
            &self.path("exchange"),
            &self.app(),
            &self.key(),
            &json!({ "token": token }),
        )
        .await
    }

    async fn verify(&self, sim: &Sim, body: Value) -> Value {
        sim.signed(&self.path("verify"), &self.app(), &self.key(), &body)
            .await
    }
}

#[tokio::test]
async fn prefetch_answers_the_masked_number_and_availability_for_every_carrier() {
    let sim = spawn().await;
    for case in cases() {
        let reply = sim
            .device_post(
                case.device,
                &case.path("prefetch"),
                json!({ "app_id": case.app() }),
            )
            .await;
        assert_eq!(case.code(&reply), &case.ok, "{reply}");
        let masked = format!("{}****{}", &case.number[..3], &case.number[7..]);
        assert_eq!(reply["data"]["masked_number"], masked.as_str());
        assert_eq!(reply["data"]["carrier"], case.carrier);
        assert_eq!(reply["data"]["available"], true);
    }
}

#[tokio::test]
async fn each_carrier_mints_tokens_in_its_own_format() {
    let sim = spawn().await;
    let cases = cases();
    let cm = cases[0].token(&sim, "login").await;
    let cu = cases[1].token(&sim, "login").await;
    let ct = cases[2].token(&sim, "login").await;
    assert!(cm.starts_with("STsid") && cm.len() == 45, "{cm}");
    assert!(
        cu.len() == 64 && cu.bytes().all(|b| b.is_ascii_hexdigit()),
        "{cu}"
    );
    assert!(ct.starts_with("nm") && ct.len() == 46, "{ct}");
}

#[tokio::test]
async fn a_login_token_exchanges_for_the_full_number_exactly_once() {
    let sim = spawn().await;
    for case in cases() {
        let token = case.token(&sim, "login").await;
        let reply = case.exchange(&sim, &token).await;
        assert_eq!(case.code(&reply), &case.ok, "{reply}");
        assert_eq!(reply["data"]["phone_number"], case.number);
        let again = case.exchange(&sim, &token).await;
        assert_eq!(case.code(&again), &case.token_invalid, "{again}");
        assert!(again.get("data").is_none());
    }
}

#[tokio::test]
async fn a_verify_token_matches_the_right_number_plain_or_hashed_and_not_another() {
    let sim = spawn().await;
    for case in cases() {
        let plain = case.token(&sim, "verify").await;
        let reply = case
            .verify(&sim, json!({ "token": plain, "phone_number": case.number }))
            .await;
        assert_eq!(reply["data"]["match"], true, "{reply}");

        let hashed = case.token(&sim, "verify").await;
        let reply = case
            .verify(&sim, json!({ "token": hashed, "phone_number_sha256": sha256_hex(case.number).to_uppercase() }))
            .await;
        assert_eq!(reply["data"]["match"], true, "{reply}");

        let other = case.token(&sim, "verify").await;
        let reply = case
            .verify(
                &sim,
                json!({ "token": other, "phone_number": "18600000000" }),
            )
            .await;
        assert_eq!(case.code(&reply), &case.ok);
        assert_eq!(reply["data"]["match"], false, "{reply}");

        let again = case
            .verify(&sim, json!({ "token": other, "phone_number": case.number }))
            .await;
        assert_eq!(case.code(&again), &case.token_invalid, "{again}");
    }
}

#[tokio::test]
async fn a_token_expires_after_its_carriers_lifetime() {
    for case in cases() {
        // A fresh simulator per carrier: the clock is shared by all carriers of one simulator.
        let sim = spawn().await;
        let kept = case.token(&sim, "login").await;
        let lapsed = case.token(&sim, "login").await;
        sim.advance_clock(case.lifetime_secs - 10).await;
        let reply = case.exchange(&sim, &kept).await;
        assert_eq!(
            case.code(&reply),
            &case.ok,
            "{} just inside its lifetime: {reply}",
            case.carrier
        );
        sim.advance_clock(11).await;
        let reply = case.exchange(&sim, &lapsed).await;
        assert_eq!(
            case.code(&reply),
            &case.token_invalid,
            "{} after its lifetime: {reply}",
            case.carrier
        );
    }
}

#[tokio::test]
async fn a_token_is_refused_to_another_app_and_stays_good_for_its_own() {
    let sim = spawn().await;
    for case in cases() {
        let token = case.token(&sim, "login").await;
        let other_app = format!("other-{}", case.carrier);
        let other_key = format!("key-other-{}", case.carrier);
        let reply = sim
            .signed(
                &case.path("exchange"),
                &other_app,
                &other_key,
                &json!({ "token": token }),
            )
            .await;
        assert_eq!(case.code(&reply), &case.wrong_app, "{reply}");
        assert_eq!(case.code(&case.exchange(&sim, &token).await), &case.ok);
    }
}

#[tokio::test]
async fn a_token_of_one_carrier_is_invalid_at_another() {
    let sim = spawn().await;
    let cases = cases();
    let cm_token = cases[0].token(&sim, "login").await;
    let reply = cases[1].exchange(&sim, &cm_token).await;
    assert_eq!(cases[1].code(&reply), &cases[1].token_invalid, "{reply}");
}

#[tokio::test]
async fn a_login_token_cannot_verify_and_a_verify_token_cannot_exchange() {
    let sim = spawn().await;
    for case in cases() {
        let login = case.token(&sim, "login").await;
        let reply = case
            .verify(&sim, json!({ "token": login, "phone_number": case.number }))
            .await;
        assert_eq!(case.code(&reply), &case.wrong_purpose, "{reply}");
        let verify = case.token(&sim, "verify").await;
        let reply = case.exchange(&sim, &verify).await;
        assert_eq!(case.code(&reply), &case.wrong_purpose, "{reply}");
    }
}

#[tokio::test]
async fn a_bad_signature_an_unknown_app_a_skewed_clock_and_a_replayed_nonce_are_refused() {
    let sim = spawn().await;
    for case in cases() {
        let token = case.token(&sim, "login").await;
        let body = json!({ "token": token });
        let path = case.path("exchange");

        let reply = sim.signed(&path, &case.app(), "wrong-key", &body).await;
        assert_eq!(case.code(&reply), &case.bad_signature, "{reply}");

        let reply = sim.signed(&path, "nobody", &case.key(), &body).await;
        assert_eq!(case.code(&reply), &case.unknown_app, "{reply}");

        let stale = chrono_now_secs() - 301;
        let reply = sim
            .signed_at(
                &path,
                &case.app(),
                &case.key(),
                &body,
                stale,
                &random_nonce(),
            )
            .await;
        assert_eq!(case.code(&reply), &case.skew, "{reply}");

        let nonce = random_nonce();
        let now = chrono_now_secs();
        let first = sim
            .signed_at(&path, &case.app(), &case.key(), &body, now, &nonce)
            .await;
        assert_eq!(case.code(&first), &case.ok, "{first}");
        let replay = sim
            .signed_at(&path, &case.app(), &case.key(), &body, now, &nonce)
            .await;
        assert_eq!(case.code(&replay), &case.replay, "{replay}");
    }
}

#[tokio::test]
async fn a_device_with_mobile_data_off_gets_the_carriers_refusal_and_no_token() {
    let sim = spawn().await;
    for case in cases() {
        for endpoint in ["prefetch", "token"] {
            let reply = sim
                .device_post(
                    case.data_off_device,
                    &case.path(endpoint),
                    json!({ "app_id": case.app(), "purpose": "login" }),
                )
                .await;
            assert_eq!(case.code(&reply), &case.data_off, "{reply}");
            assert!(reply.get("data").is_none());
        }
    }
}

#[tokio::test]
async fn an_address_that_is_no_subscriber_of_the_carrier_is_refused() {
    let sim = spawn().await;
    let cases = cases();
    for (i, case) in cases.iter().enumerate() {
        // Unknown address, and a subscriber of the next carrier.
        let foreign = cases[(i + 1) % cases.len()].device;
        for device in [99, foreign] {
            let reply = sim
                .device_post(
                    device,
                    &case.path("token"),
                    json!({ "app_id": case.app(), "purpose": "login" }),
                )
                .await;
            assert_eq!(
                case.code(&reply),
                &case.not_subscriber,
                "{} from .{device}: {reply}",
                case.carrier
            );
        }
    }
}

#[tokio::test]
async fn a_suspended_line_is_refused_by_china_mobile() {
    let sim = spawn().await;
    let reply = sim
        .device_post(
            13,
            "/cm/token",
            json!({ "app_id": "app-cm", "purpose": "login" }),
        )
        .await;
    assert_eq!(reply["resultCode"], "103903", "{reply}");
}

#[tokio::test]
async fn malformed_requests_get_the_carriers_bad_request_code() {
    let sim = spawn().await;
    for case in cases() {
        let reply = sim
            .device_post(
                case.device,
                &case.path("token"),
                json!({ "app_id": case.app(), "purpose": "pay" }),
            )
            .await;
        assert_eq!(case.code(&reply), &case.bad_request, "{reply}");
        let reply = sim
            .device_post(
                case.device,
                &case.path("prefetch"),
                json!({ "app_id": "not-registered" }),
            )
            .await;
        assert_eq!(case.code(&reply), &case.unknown_app, "{reply}");
        let token = case.token(&sim, "verify").await;
        let reply = case
            .verify(&sim, json!({ "token": token, "phone_number": case.number, "phone_number_sha256": sha256_hex(case.number) }))
            .await;
        assert_eq!(case.code(&reply), &case.bad_request, "{reply}");
        // The malformed call did not burn the token.
        let reply = case
            .verify(&sim, json!({ "token": token, "phone_number": case.number }))
            .await;
        assert_eq!(reply["data"]["match"], true, "{reply}");
        let reply = sim
            .signed(
                &case.path("exchange"),
                &case.app(),
                &case.key(),
                &json!([1, 2]),
            )
            .await;
        assert_eq!(case.code(&reply), &case.bad_request, "{reply}");
    }
}
