//! The SMPP sender against the SMSC simulator of `numgate-carrier-sim`, over
//! real TCP on 127.0.0.1: encodings, parts, receipts, upstream messages,
//! dropped connections, back-pressure, bind failures, several binds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use numgate_carrier_sim::smsc::{IdForm, SmscConfig, SmscSim};
use numgate_sms::{
    receipt_id_forms, Inbound, OutgoingSms, Receipt, ReportError, ReportSink, SendError,
    SmppConfig, SmppSender, SmsSender,
};
use tokio::net::TcpListener;

/// Records what the sender hands back; can refuse the first `refuse` reports.
#[derive(Default)]
struct Recorder {
    receipts: Mutex<Vec<Receipt>>,
    inbound: Mutex<Vec<Inbound>>,
    refuse: AtomicUsize,
}

impl Recorder {
    fn refusing(n: usize) -> Arc<Recorder> {
        let r = Recorder::default();
        r.refuse.store(n, Ordering::SeqCst);
        Arc::new(r)
    }

    fn take_refusal(&self) -> bool {
        self.refuse
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap().clone()
    }

    fn inbound(&self) -> Vec<Inbound> {
        self.inbound.lock().unwrap().clone()
    }
}

#[async_trait]
impl ReportSink for Recorder {
    async fn receipt(&self, receipt: Receipt) -> Result<(), ReportError> {
        if self.take_refusal() {
            return Err(ReportError("refused for the test".into()));
        }
        self.receipts.lock().unwrap().push(receipt);
        Ok(())
    }

    async fn inbound(&self, message: Inbound) -> Result<(), ReportError> {
        if self.take_refusal() {
            return Err(ReportError("refused for the test".into()));
        }
        self.inbound.lock().unwrap().push(message);
        Ok(())
    }
}

async fn start_sim(config: SmscConfig) -> SmscSim {
    let smpp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control = TcpListener::bind("127.0.0.1:0").await.unwrap();
    SmscSim::start(config, smpp, control).unwrap()
}

/// Hex submit ids, decimal receipt ids: what many real SMSCs do.
fn sim_config() -> SmscConfig {
    SmscConfig {
        id_form: IdForm::Hex,
        receipt_id_form: Some(IdForm::Decimal),
        ..SmscConfig::default()
    }
}

fn sender_config(sim: &SmscSim) -> SmppConfig {
    SmppConfig {
        name: "sim".into(),
        addr: sim.smpp_addr().to_string(),
        system_id: "numgate".into(),
        password: "secret".into(),
        source_addr: "1069".into(),
        reconnect_min_ms: 20,
        reconnect_max_ms: 200,
        response_timeout_ms: 5_000,
        ..SmppConfig::default()
    }
}

async fn start_sender(config: SmppConfig, sink: Arc<Recorder>) -> SmppSender {
    config.validate().unwrap();
    let binds = config.binds;
    let sender = SmppSender::start(config, sink);
    assert!(
        sender.wait_bound(binds, Duration::from_secs(5)).await,
        "binds came up"
    );
    sender
}

fn sms(id: i64, phone: &str, text: &str) -> OutgoingSms {
    OutgoingSms {
        message_id: id,
        tenant_id: 1,
        biz_id: format!("biz-{id}"),
        phone: phone.into(),
        text: text.into(),
        up_extend_code: None,
    }
}

/// Polls `f` until it is true, at most 5 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn gsm_text_arrives_with_data_coding_0_and_its_septets() {
    let sim = start_sim(sim_config()).await;
    let sink = Arc::new(Recorder::default());
    let sender = start_sender(sender_config(&sim), sink).await;
    let mut m = sms(1, "8613800138000", "Code @123456 {ok}");
    m.up_extend_code = Some("42".into());
    let submitted = sender.send(&m).await.unwrap();

    let messages = sim.control().messages();
    assert_eq!(messages.len(), 1);
    let got = &messages[0];
    assert_eq!(got.destination, "8613800138000");
    assert_eq!(got.source, "106942", "extension code appended");
    assert_eq!(got.data_coding, 0);
    assert_eq!(got.esm_class, 0);
    assert_eq!(got.parts, 1);
    // Unpacked GSM septets: '@' is 0x00, '{' the escape 0x1B then 0x28.
    let mut expected = b"Code ".to_vec();
    expected.push(0x00);
    expected.extend_from_slice(b"123456 ");
    expected.extend_from_slice(&[0x1B, 0x28]);
    expected.extend_from_slice(b"ok");
    expected.extend_from_slice(&[0x1B, 0x29]);
    assert_eq!(got.short_messages_hex, vec![hex::encode(expected)]);
    assert_eq!(got.text.as_deref(), Some("Code @123456 {ok}"));
    assert_eq!(
        submitted.provider_message_id.as_deref(),
        Some(got.message_ids[0].as_str())
    );
}

#[tokio::test]
async fn chinese_text_arrives_as_ucs2_big_endian() {
    let sim = start_sim(sim_config()).await;
    let sender = start_sender(sender_config(&sim), Arc::new(Recorder::default())).await;
    let text = "【速通】验证码123456";
    sender.send(&sms(1, "8613800138000", text)).await.unwrap();

    let got = &sim.control().messages()[0];
    assert_eq!(got.data_coding, 8);
    assert_eq!(got.esm_class, 0);
    let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(got.short_messages_hex, vec![hex::encode(utf16be)]);
    assert_eq!(got.text.as_deref(), Some(text));
}

#[tokio::test]
async fn a_long_text_arrives_in_concatenated_parts_that_reassemble() {
    let sim = start_sim(sim_config()).await;
    let sender = start_sender(sender_config(&sim), Arc::new(Recorder::default())).await;
    let long_gsm = "Your numgate code is 123456. ".repeat(12); // 348 septets: 3 parts
    let long_ucs2 = "您的验证码为123456，请勿告知他人。".repeat(5); // 100 units: 2 parts
    sender
        .send(&sms(1, "8613800138000", &long_gsm))
        .await
        .unwrap();
    sender
        .send(&sms(2, "8613800138001", &long_ucs2))
        .await
        .unwrap();

    let messages = sim.control().messages();
    assert_eq!(messages.len(), 2);
    let (gsm, ucs2) = (&messages[0], &messages[1]);
    assert_eq!(
        (gsm.parts, gsm.total, gsm.esm_class, gsm.data_coding),
        (3, 3, 0x40, 0)
    );
    assert_eq!(
        (ucs2.parts, ucs2.total, ucs2.esm_class, ucs2.data_coding),
        (2, 2, 0x40, 8)
    );
    for (i, part) in gsm.short_messages_hex.iter().enumerate() {
        let bytes = hex::decode(part).unwrap();
        assert_eq!(&bytes[..3], &[0x05, 0x00, 0x03], "UDH IEI 0x00");
        assert_eq!(&bytes[4..6], &[3, i as u8 + 1]);
        assert!(bytes.len() <= 6 + 153);
    }
    assert_eq!(gsm.text.as_deref(), Some(long_gsm.as_str()));
    assert_eq!(ucs2.text.as_deref(), Some(long_ucs2.as_str()));
}

#[tokio::test]
async fn receipts_name_the_submitted_id_and_failures_are_failed() {
    for tlvs in [true, false] {
        let sim = start_sim(SmscConfig {
            receipt_tlvs: tlvs,
            ..sim_config()
        })
        .await;
        sim.control().fail(["8613900000002".to_owned()]);
        let sink = Arc::new(Recorder::default());
        let sender = start_sender(sender_config(&sim), sink.clone()).await;
        let ok = sender
            .send(&sms(1, "8613900000001", "hello"))
            .await
            .unwrap();
        let bad = sender
            .send(&sms(2, "8613900000002", "hello"))
            .await
            .unwrap();
        eventually("two receipts", || sink.receipts().len() == 2).await;

        let ok_id = ok.provider_message_id.unwrap();
        let bad_id = bad.provider_message_id.unwrap();
        // Submit ids are hex with letters; receipts name them in decimal.
        assert!(ok_id.bytes().any(|b| b.is_ascii_alphabetic()), "{ok_id}");
        let meets = |a: &str, b: &str| {
            let fb = receipt_id_forms(b);
            receipt_id_forms(a).iter().any(|f| fb.contains(f))
        };
        let receipts = sink.receipts();
        let r_ok = receipts
            .iter()
            .find(|r| meets(&r.provider_message_id, &ok_id))
            .expect("receipt of the delivered one");
        let r_bad = receipts
            .iter()
            .find(|r| meets(&r.provider_message_id, &bad_id))
            .expect("receipt of the failed one");
        assert!(r_ok.provider_message_id.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(r_ok.provider_message_id, ok_id);
        assert!(r_ok.delivered && r_ok.err_code.is_none());
        assert!(!r_bad.delivered);
        assert_eq!(r_bad.err_code.as_deref(), Some("UNDELIV:001"));
        assert_eq!(r_ok.provider, "sim");
        assert!(r_ok.done_at.is_some());
        eventually("receipts acknowledged", || {
            sim.control().stats().receipts_acked == 2
        })
        .await;
    }
}

#[tokio::test]
async fn a_receipt_the_sink_refuses_is_sent_again() {
    let sim = start_sim(sim_config()).await;
    let sink = Recorder::refusing(1);
    let sender = start_sender(sender_config(&sim), sink.clone()).await;
    sender
        .send(&sms(1, "8613900000001", "hello"))
        .await
        .unwrap();
    eventually("the receipt, the second time", || {
        sink.receipts().len() == 1
    })
    .await;
    let stats = sim.control().stats();
    assert_eq!(stats.receipts_nacked, 1);
    eventually("acknowledged", || sim.control().stats().receipts_acked == 1).await;
}

#[tokio::test]
async fn an_upstream_message_reaches_the_sink() {
    let sim = start_sim(sim_config()).await;
    let sink = Arc::new(Recorder::default());
    let _sender = start_sender(sender_config(&sim), sink.clone()).await;
    assert_eq!(
        sim.control().mo("+8613900000009", "106942", "TD 验证"),
        Some(1)
    );
    eventually("the MO message", || sink.inbound().len() == 1).await;
    let got = &sink.inbound()[0];
    assert_eq!(got.provider, "sim");
    assert_eq!(got.from, "8613900000009");
    assert_eq!(got.to, "106942");
    assert_eq!(got.text, "TD 验证");
    eventually("acknowledged", || sim.control().stats().mo_acked == 1).await;
}

#[tokio::test]
async fn throttled_submits_are_temporary_and_pass_later() {
    let sim = start_sim(sim_config()).await;
    let sender = start_sender(sender_config(&sim), Arc::new(Recorder::default())).await;
    sim.control().throttle(1);
    let err = sender
        .send(&sms(1, "8613900000001", "hi"))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "{err:?}");
    sender.send(&sms(1, "8613900000001", "hi")).await.unwrap();
    assert_eq!(sim.control().messages().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_reconnects_and_every_message_arrives_once() {
    let sim = start_sim(sim_config()).await;
    let sender = Arc::new(start_sender(sender_config(&sim), Arc::new(Recorder::default())).await);
    let total = 300;
    let mut tasks = Vec::new();
    for i in 0..total {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let m = sms(i, "8613900000001", &format!("message {i}"));
            // Retried on temporary failures, as the dispatcher does.
            for _ in 0..100 {
                match sender.send(&m).await {
                    Ok(_) => return,
                    Err(SendError::Temporary(_)) => {
                        tokio::time::sleep(Duration::from_millis(20)).await
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
            panic!("message {i} never accepted");
        }));
        if i == total / 3 || i == 2 * total / 3 {
            sim.control().drop_connections();
        }
        if i % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(sim.control().stats().binds >= 2, "reconnected");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in sim.control().messages() {
        *seen.entry(m.text.unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len(), total as usize);
    assert!(seen.values().all(|&n| n == 1), "each exactly once");
}

#[tokio::test]
async fn with_hold_the_window_fills_and_blocked_sends_complete_on_release() {
    let sim = start_sim(sim_config()).await;
    let sender = Arc::new(
        start_sender(
            SmppConfig {
                window: 4,
                ..sender_config(&sim)
            },
            Arc::new(Recorder::default()),
        )
        .await,
    );
    sim.control().hold();
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (sender, done) = (sender.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            sender
                .send(&sms(i, "8613900000001", &format!("m{i}")))
                .await
                .unwrap();
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    eventually("the window to fill", || sim.control().stats().submits == 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = sim.control().stats();
    assert_eq!(stats.submits, 4, "no more than the window in flight");
    assert_eq!(stats.max_outstanding, 4);
    assert_eq!(done.load(Ordering::SeqCst), 0);

    sim.control().release();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 20);
    assert_eq!(sim.control().messages().len(), 20, "none dropped");
    assert!(sim.control().stats().max_outstanding <= 4);
}

#[tokio::test]
async fn a_wrong_password_never_binds() {
    let sim = start_sim(sim_config()).await;
    let config = SmppConfig {
        password: "wrong".into(),
        response_timeout_ms: 300,
        ..sender_config(&sim)
    };
    let sender = SmppSender::start(config, Arc::new(Recorder::default()));
    eventually("bind attempts", || sim.control().stats().bind_failures >= 2).await;
    assert_eq!(sender.bound(), 0);
    assert_eq!(sim.control().stats().binds, 0);
    let err = sender
        .send(&sms(1, "8613900000001", "hi"))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "{err:?}");
    assert!(sim.control().messages().is_empty());
}

#[tokio::test]
async fn several_binds_share_the_load() {
    let sim = start_sim(sim_config()).await;
    let sender = Arc::new(
        start_sender(
            SmppConfig {
                binds: 4,
                window: 2,
                ..sender_config(&sim)
            },
            Arc::new(Recorder::default()),
        )
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..200 {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            sender.send(&sms(i, "8613900000001", "x")).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = sim.control().stats();
    assert_eq!(stats.binds, 4);
    assert_eq!(stats.submits, 200);
    assert_eq!(stats.submits_per_connection.len(), 4, "{stats:?}");
    assert!(
        stats.submits_per_connection.iter().all(|&n| n >= 20),
        "{stats:?}"
    );
}

#[tokio::test]
async fn enquire_links_keep_an_idle_bind_checked() {
    let sim = start_sim(sim_config()).await;
    let _sender = start_sender(
        SmppConfig {
            enquire_link_secs: 1,
            ..sender_config(&sim)
        },
        Arc::new(Recorder::default()),
    )
    .await;
    eventually("an enquire_link", || {
        sim.control().stats().enquire_links >= 1
    })
    .await;
    assert_eq!(sim.control().stats().binds, 1);
}

#[tokio::test]
async fn long_messages_pass_a_window_smaller_than_their_parts() {
    let sim = start_sim(sim_config()).await;
    let sender = Arc::new(
        start_sender(
            SmppConfig {
                window: 1,
                ..sender_config(&sim)
            },
            Arc::new(Recorder::default()),
        )
        .await,
    );
    // Eight texts of three parts each, at once, through one place in the window.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let text = format!("{i} {}", "x".repeat(400));
            sender.send(&sms(i, "8613900000001", &text)).await.unwrap();
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("no deadlock")
            .unwrap();
    }
    let messages = sim.control().messages();
    assert_eq!(messages.len(), 8);
    assert!(messages.iter().all(|m| m.parts == 3 && m.text.is_some()));
    assert_eq!(sim.control().stats().max_outstanding, 1);
}

#[tokio::test]
async fn the_throughput_limit_paces_submits() {
    let sim = start_sim(sim_config()).await;
    let sender = Arc::new(
        start_sender(
            SmppConfig {
                throughput_per_sec: 50,
                ..sender_config(&sim)
            },
            Arc::new(Recorder::default()),
        )
        .await,
    );
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..21 {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            sender.send(&sms(i, "8613900000001", "x")).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // 21 submits 20 ms apart: at least 400 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(390),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.control().stats().submits, 21);
}

#[tokio::test]
async fn an_unbind_from_the_smsc_is_answered_and_the_bind_comes_back() {
    let sim = start_sim(sim_config()).await;
    let sender = start_sender(sender_config(&sim), Arc::new(Recorder::default())).await;
    sim.control().unbind();
    eventually("the unbind_resp", || {
        sim.control().stats().unbinds_acked == 1
    })
    .await;
    eventually("a new bind", || sim.control().stats().binds == 2).await;
    assert!(sender.wait_bound(1, Duration::from_secs(5)).await);
    sender
        .send(&sms(1, "8613900000001", "after"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_long_upstream_message_reaches_the_sink_part_by_part_without_its_udh() {
    let sim = start_sim(sim_config()).await;
    let sink = Arc::new(Recorder::default());
    let _sender = start_sender(sender_config(&sim), sink.clone()).await;
    let text = "取消订阅".repeat(20); // 80 UCS-2 units: 2 parts
    assert_eq!(sim.control().mo("8613900000009", "1069", &text), Some(2));
    eventually("both parts", || sink.inbound().len() == 2).await;
    let joined: String = sink.inbound().iter().map(|m| m.text.as_str()).collect();
    assert_eq!(joined, text);
}
