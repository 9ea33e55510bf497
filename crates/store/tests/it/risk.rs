//! Conformance: velocity counting for the frequency rules, and the tenants'
//! block/allow lists.

use numgate_store::{ListEntry, ListKind, RiskDimension, RiskEvent};

use crate::support::{backends, tenant, SEC, T0};

fn event(tenant_id: i64, dimension: RiskDimension, value: &str, at: i64) -> RiskEvent {
    RiskEvent {
        tenant_id,
        dimension,
        value: value.into(),
        at,
    }
}

/// Windows are `at >= since`: an event exactly at `since` counts, so a rule "more
/// than N in M minutes" at `now` counts with `since = now - M minutes`.
#[tokio::test]
async fn events_are_counted_per_tenant_dimension_and_value_within_a_window() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        for at in [T0, T0 + 10 * SEC, T0 + 20 * SEC] {
            s.record_risk_event(event(t.id, RiskDimension::Device, "h:dev1", at))
                .await
                .unwrap();
        }
        s.record_risk_event(event(t.id, RiskDimension::Ip, "h:dev1", T0))
            .await
            .unwrap();
        s.record_risk_event(event(other.id, RiskDimension::Device, "h:dev1", T0))
            .await
            .unwrap();

        let count = |tenant_id, dimension, value: &'static str, since| async move {
            s.count_risk_events(tenant_id, dimension, value, since)
                .await
                .unwrap()
        };
        let device = RiskDimension::Device;
        assert_eq!(count(t.id, device, "h:dev1", 0).await, 3, "{}", b.name);
        assert_eq!(count(t.id, device, "h:dev1", T0).await, 3, "{}", b.name);
        assert_eq!(
            count(t.id, device, "h:dev1", T0 + 10 * SEC).await,
            2,
            "{}: an event exactly at `since` counts",
            b.name
        );
        assert_eq!(count(t.id, device, "h:dev1", T0 + 10 * SEC + 1).await, 1);
        assert_eq!(count(t.id, device, "h:dev1", T0 + 21 * SEC).await, 0);
        assert_eq!(count(t.id, RiskDimension::Ip, "h:dev1", T0).await, 1);
        assert_eq!(count(t.id, RiskDimension::Number, "h:dev1", T0).await, 0);
        assert_eq!(count(t.id, device, "h:dev2", T0).await, 0);
        assert_eq!(count(other.id, device, "h:dev1", T0).await, 1);
    }
}

#[tokio::test]
async fn a_batch_of_events_is_recorded_at_once() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.record_risk_events(&[]).await.unwrap();
        let batch: Vec<RiskEvent> = (0..100)
            .flat_map(|i| {
                [
                    event(t.id, RiskDimension::Number, "h:n1", T0 + i * SEC),
                    event(t.id, RiskDimension::Ip, "h:ip1", T0 + i * SEC),
                ]
            })
            .collect();
        s.record_risk_events(&batch).await.unwrap();
        let n = |d, v: &'static str, since| s.count_risk_events(t.id, d, v, since);
        assert_eq!(n(RiskDimension::Number, "h:n1", T0).await.unwrap(), 100);
        assert_eq!(n(RiskDimension::Ip, "h:ip1", T0).await.unwrap(), 100);
        assert_eq!(
            n(RiskDimension::Ip, "h:ip1", T0 + 90 * SEC).await.unwrap(),
            10,
            "{}",
            b.name
        );
    }
}

fn listed(tenant_id: i64, number: &str, kind: ListKind, note: Option<&str>) -> ListEntry {
    ListEntry {
        tenant_id,
        number: number.into(),
        kind,
        note: note.map(str::to_owned),
        updated_at: T0,
    }
}

#[tokio::test]
async fn a_number_is_on_at_most_one_list() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let n1 = "8613800000001";
        let n2 = "8613800000002";
        assert_eq!(s.list_kind(t.id, n1).await.unwrap(), None);
        s.set_list_entry(listed(t.id, n1, ListKind::Block, Some("fraud")))
            .await
            .unwrap();
        s.set_list_entry(listed(t.id, n2, ListKind::Allow, None))
            .await
            .unwrap();
        assert_eq!(s.list_kind(t.id, n1).await.unwrap(), Some(ListKind::Block));
        assert_eq!(s.list_kind(other.id, n1).await.unwrap(), None, "{}", b.name);

        // Moving the number to the other list: one entry, the new kind and note.
        let moved = ListEntry {
            updated_at: T0 + SEC,
            ..listed(t.id, n1, ListKind::Allow, Some("verified by support"))
        };
        s.set_list_entry(moved.clone()).await.unwrap();
        assert_eq!(s.list_kind(t.id, n1).await.unwrap(), Some(ListKind::Allow));
        assert_eq!(
            s.list_entries(t.id).await.unwrap(),
            vec![moved, listed(t.id, n2, ListKind::Allow, None)],
            "{}",
            b.name
        );

        assert!(s.remove_list_entry(t.id, n1).await.unwrap());
        assert!(!s.remove_list_entry(t.id, n1).await.unwrap(), "{}", b.name);
        assert_eq!(s.list_kind(t.id, n1).await.unwrap(), None);
        assert_eq!(s.list_entries(t.id).await.unwrap().len(), 1);
        assert!(s.list_entries(other.id).await.unwrap().is_empty());
    }
}
