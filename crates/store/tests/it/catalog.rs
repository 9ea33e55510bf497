//! Conformance: custom SMS signatures and templates, submitted and reviewed, and
//! the outbox of one tenant.

use numgate_store::{
    NewSignature, NewTemplate, OutboxEntry, OwnerDetails, Review, ReviewStatus, StoreError,
};

use crate::support::{backends, tenant, SEC, T0};

fn owner() -> OwnerDetails {
    OwnerDetails {
        owner_name: Some("鲸落科技有限公司".into()),
        owner_id_number: Some("91350100M000100Y43".into()),
        contact_phone: Some("8613800138000".into()),
    }
}

fn signature(tenant_id: i64, name: &str, owner: OwnerDetails, now: i64) -> NewSignature {
    NewSignature {
        tenant_id,
        name: name.into(),
        purpose: "own".into(),
        owner,
        submitted_by: "console:alice".into(),
        now,
    }
}

fn review(tenant_id: i64, key: &str, submitted_at: i64, approve: bool) -> Review {
    Review {
        tenant_id,
        key: key.into(),
        submitted_at,
        approve,
        reason: (!approve).then(|| "the name is not registered".to_owned()),
        reviewed_by: "console:root".into(),
        now: T0 + 10 * SEC,
    }
}

#[tokio::test]
async fn a_custom_signature_is_pending_until_reviewed() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "globex").await;

        let sig = s
            .submit_signature(signature(t.id, "鲸落科技", OwnerDetails::default(), T0))
            .await
            .unwrap();
        assert_eq!(sig.status, ReviewStatus::Pending, "{}", b.name);
        assert!(!sig.approved && !sig.complimentary);
        assert_eq!(sig.purpose.as_deref(), Some("own"));
        assert_eq!(sig.review.submitted_by.as_deref(), Some("console:alice"));
        assert_eq!(sig.review.submitted_at, Some(T0));
        assert_eq!(s.list_signatures(t.id).await.unwrap().len(), 5);
        assert_eq!(s.list_signatures(other.id).await.unwrap().len(), 4);
        assert_eq!(s.find_signature(other.id, "鲸落科技").await.unwrap(), None);

        // A resubmission replaces the pending one (here: with the owner's details).
        let again = s
            .submit_signature(signature(t.id, "鲸落科技", owner(), T0 + SEC))
            .await
            .unwrap();
        assert_eq!(again.owner, owner(), "{}", b.name);
        assert_eq!(again.review.submitted_at, Some(T0 + SEC));

        // A review of the submission as it was before is not applied; nor one
        // of another tenant.
        assert_eq!(
            s.review_signature(review(t.id, "鲸落科技", T0, true))
                .await
                .unwrap(),
            None,
            "{}",
            b.name
        );
        assert_eq!(
            s.review_signature(review(other.id, "鲸落科技", T0 + SEC, true))
                .await
                .unwrap(),
            None
        );
        let approved = s
            .review_signature(review(t.id, "鲸落科技", T0 + SEC, true))
            .await
            .unwrap()
            .expect("reviewed");
        assert!(approved.approved, "{}", b.name);
        assert_eq!(approved.status, ReviewStatus::Approved);
        assert_eq!(approved.review.reviewed_by.as_deref(), Some("console:root"));
        assert_eq!(approved.review.reviewed_at, Some(T0 + 10 * SEC));
        assert_eq!(
            s.find_signature(t.id, "鲸落科技").await.unwrap(),
            Some(approved.clone())
        );
        // Decided once; an approved or complimentary name cannot be submitted again.
        assert_eq!(
            s.review_signature(review(t.id, "鲸落科技", T0 + SEC, false))
                .await
                .unwrap(),
            None
        );
        for name in ["鲸落科技", "速通互联验证码"] {
            assert!(
                matches!(
                    s.submit_signature(signature(t.id, name, owner(), T0 + 20 * SEC))
                        .await,
                    Err(StoreError::Conflict("signature"))
                ),
                "{} {name}",
                b.name
            );
        }
        assert_eq!(
            s.find_signature(t.id, "鲸落科技").await.unwrap(),
            Some(approved)
        );
        // Complimentary signatures are never under review.
        assert_eq!(
            s.review_signature(review(t.id, "速通互联验证码", T0, false))
                .await
                .unwrap(),
            None
        );

        // A rejected one keeps its reason, and may be submitted again.
        s.submit_signature(signature(t.id, "海豚出行", owner(), T0))
            .await
            .unwrap();
        let rejected = s
            .review_signature(review(t.id, "海豚出行", T0, false))
            .await
            .unwrap()
            .expect("reviewed");
        assert_eq!(rejected.status, ReviewStatus::Rejected, "{}", b.name);
        assert!(!rejected.approved);
        assert_eq!(
            rejected.review.reason.as_deref(),
            Some("the name is not registered")
        );
        let resubmitted = s
            .submit_signature(signature(t.id, "海豚出行", owner(), T0 + 30 * SEC))
            .await
            .unwrap();
        assert_eq!(resubmitted.status, ReviewStatus::Pending);
        assert_eq!(resubmitted.review.reason, None);
        assert_eq!(resubmitted.review.reviewed_by, None);
    }
}

#[tokio::test]
async fn a_custom_template_is_pending_until_reviewed() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let new = NewTemplate {
            tenant_id: t.id,
            code: "SMS_100200300".into(),
            name: "登录验证".into(),
            content: "您的登录验证码为${code}，5分钟内有效。".into(),
            template_type: 0,
            remark: Some("app logon".into()),
            submitted_by: "console:alice".into(),
            now: T0,
        };
        let tpl = s.submit_template(new.clone()).await.unwrap();
        assert_eq!(tpl.status, ReviewStatus::Pending, "{}", b.name);
        assert!(!tpl.approved && !tpl.complimentary);
        assert_eq!(tpl.template_type, Some(0));
        assert_eq!(tpl.remark.as_deref(), Some("app logon"));
        assert!(matches!(
            s.submit_template(new.clone()).await,
            Err(StoreError::Conflict("template"))
        ));
        // Complimentary codes are taken too.
        assert!(matches!(
            s.submit_template(NewTemplate {
                code: "100001".into(),
                ..new.clone()
            })
            .await,
            Err(StoreError::Conflict("template"))
        ));
        // The same code in another tenant is that tenant's own.
        let other = tenant(s, "globex").await;
        s.submit_template(NewTemplate {
            tenant_id: other.id,
            ..new.clone()
        })
        .await
        .unwrap();

        let approved = s
            .review_template(review(t.id, "SMS_100200300", T0, true))
            .await
            .unwrap()
            .expect("reviewed");
        assert!(approved.approved, "{}", b.name);
        assert_eq!(approved.review.reviewed_by.as_deref(), Some("console:root"));
        assert_eq!(
            s.find_template(t.id, "SMS_100200300").await.unwrap(),
            Some(approved)
        );
        let theirs = s
            .find_template(other.id, "SMS_100200300")
            .await
            .unwrap()
            .expect("template");
        assert_eq!(theirs.status, ReviewStatus::Pending, "{}", b.name);
        assert_eq!(
            s.review_template(review(t.id, "100001", T0, true))
                .await
                .unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn a_tenant_outbox_holds_only_its_own_messages() {
    for b in backends().await {
        let s = &*b.store;
        let entry = |message_id: i64, tenant_id: i64, phone: &str| OutboxEntry {
            message_id,
            tenant_id,
            biz_id: format!("biz-{message_id}"),
            phone: phone.into(),
            sealed_text: b"text".to_vec(),
            status: "delivered".into(),
            created_at: T0 + message_id * SEC,
        };
        s.put_outbox(entry(1, 1, "8613800138000")).await.unwrap();
        s.put_outbox(entry(2, 2, "8613800138000")).await.unwrap();
        s.put_outbox(entry(3, 1, "8613900139000")).await.unwrap();
        let ids = |v: Vec<OutboxEntry>| v.iter().map(|e| e.message_id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.list_tenant_outbox(1, None, 10).await.unwrap()),
            [3, 1],
            "{}",
            b.name
        );
        assert_eq!(ids(s.list_tenant_outbox(2, None, 10).await.unwrap()), [2]);
        assert_eq!(
            ids(s
                .list_tenant_outbox(1, Some("8613800138000"), 10)
                .await
                .unwrap()),
            [1]
        );
        assert_eq!(ids(s.list_tenant_outbox(1, None, 1).await.unwrap()), [3]);
        assert!(s.list_tenant_outbox(3, None, 10).await.unwrap().is_empty());
    }
}
