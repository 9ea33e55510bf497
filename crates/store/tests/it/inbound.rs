//! Conformance: upstream (MO) messages, each taken at most once.

use std::sync::Arc;

use numgate_store::{InboundTake, NewInbound};

use crate::support::{backends, SEC, T0};

const FROM: &str = "8613800000001";
const TO: &str = "1069000000";

fn inbound(from: &str, text: &str, received_at: i64) -> NewInbound {
    NewInbound {
        from: from.into(),
        to: TO.into(),
        text: text.into(),
        received_at,
    }
}

fn take(from: &str, to: &str, text: &str, since: i64) -> InboundTake {
    InboundTake {
        from: from.into(),
        to: to.into(),
        text: text.into(),
        since,
        now: T0 + 60 * SEC,
    }
}

#[tokio::test]
async fn a_message_is_taken_only_by_its_sender_number_and_text_once() {
    for b in backends().await {
        let s = &*b.store;
        let id = s
            .record_inbound(inbound(FROM, "NG 4821", T0 + 10 * SEC))
            .await
            .unwrap();
        let since = T0;
        for wrong in [
            take("8613800000002", TO, "NG 4821", since),
            take(FROM, "1069000001", "NG 4821", since),
            take(FROM, TO, "NG 4822", since),
            take(FROM, TO, "ng 4821", since),
            take(FROM, TO, "NG 4821", T0 + 10 * SEC + 1),
        ] {
            assert!(!s.take_inbound(wrong).await.unwrap(), "{}", b.name);
        }
        // Received exactly at `since`: taken.
        assert!(
            s.take_inbound(take(FROM, TO, "NG 4821", T0 + 10 * SEC))
                .await
                .unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.take_inbound(take(FROM, TO, "NG 4821", since))
                .await
                .unwrap(),
            "{}: taken once",
            b.name
        );
        let listed = s.list_inbound(10).await.unwrap();
        assert_eq!(listed.len(), 1);
        let m = &listed[0];
        assert_eq!(
            (
                m.id,
                m.from.as_str(),
                m.to.as_str(),
                m.text.as_str(),
                m.received_at,
                m.consumed_at
            ),
            (id, FROM, TO, "NG 4821", T0 + 10 * SEC, Some(T0 + 60 * SEC)),
            "{}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_fifty_concurrent_takes_of_one_message_exactly_one_succeeds() {
    for b in backends().await {
        b.store
            .record_inbound(inbound(FROM, "NG 7777", T0))
            .await
            .unwrap();
        let takes: Vec<_> = (0..50)
            .map(|_| {
                let store = Arc::clone(&b.store);
                tokio::spawn(async move { store.take_inbound(take(FROM, TO, "NG 7777", T0)).await })
            })
            .collect();
        let taken = futures::future::join_all(takes)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap().as_ref().unwrap())
            .count();
        assert_eq!(taken, 1, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_equal_messages_are_two_takes() {
    for b in backends().await {
        let s = &*b.store;
        s.record_inbound(inbound(FROM, "NG 1", T0)).await.unwrap();
        s.record_inbound(inbound(FROM, "NG 1", T0 + SEC))
            .await
            .unwrap();
        let takes: Vec<_> = (0..20)
            .map(|_| {
                let store = Arc::clone(&b.store);
                tokio::spawn(async move { store.take_inbound(take(FROM, TO, "NG 1", T0)).await })
            })
            .collect();
        let taken = futures::future::join_all(takes)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap().as_ref().unwrap())
            .count();
        assert_eq!(taken, 2, "{}", b.name);
        let consumed = s
            .list_inbound(10)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.consumed_at.is_some())
            .count();
        assert_eq!(consumed, 2, "{}", b.name);
    }
}

#[tokio::test]
async fn messages_are_listed_newest_first() {
    for b in backends().await {
        let s = &*b.store;
        for i in 0..5 {
            s.record_inbound(inbound(FROM, &format!("m{i}"), T0 + i * SEC))
                .await
                .unwrap();
        }
        let texts: Vec<String> = s
            .list_inbound(3)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, vec!["m4", "m3", "m2"], "{}", b.name);
    }
}

#[tokio::test]
async fn a_message_taken_from_anyone_tells_its_sender_once() {
    for b in backends().await {
        let s = &*b.store;
        s.record_inbound(inbound(FROM, "ANY 7341", T0 + 10 * SEC))
            .await
            .unwrap();
        for wrong in [
            take("", "1069000001", "ANY 7341", T0),
            take("", TO, "ANY 7342", T0),
            take("", TO, "ANY 7341", T0 + 11 * SEC),
        ] {
            assert_eq!(
                s.take_inbound_from_anyone(wrong).await.unwrap(),
                None,
                "{}",
                b.name
            );
        }
        let got = s
            .take_inbound_from_anyone(take("ignored", TO, "ANY 7341", T0))
            .await
            .unwrap();
        assert_eq!(got.as_deref(), Some(FROM), "{}", b.name);
        assert_eq!(
            s.take_inbound_from_anyone(take("", TO, "ANY 7341", T0))
                .await
                .unwrap(),
            None,
            "{}: taken once",
            b.name
        );
        assert!(
            !s.take_inbound(take(FROM, TO, "ANY 7341", T0))
                .await
                .unwrap(),
            "{}",
            b.name
        );
    }
}
