//! Conformance: console users, the sign-in lockout and console sessions.

use numgate_store::{
    IpLimit, Lockout, NewConsoleSession, NewUser, PurgeCutoffs, Store, StoreError, UserRecord,
    UserRole,
};

use crate::support::{backends, tenant, HOUR, SEC, T0};

const LOCKOUT: Lockout = Lockout {
    max_failures: 5,
    lock_ms: 15 * 60 * SEC,
};

fn new_user(name: &str, tenant_id: Option<i64>) -> NewUser {
    NewUser {
        name: name.into(),
        role: if tenant_id.is_some() {
            UserRole::Tenant
        } else {
            UserRole::Operator
        },
        tenant_id,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-{name}$hash"),
        created_at: T0,
    }
}

fn session(id: u8, user_id: i64, now: i64) -> NewConsoleSession {
    NewConsoleSession {
        id_hash: vec![id; 32],
        user_id,
        csrf_token: format!("csrf-{id}"),
        created_at: now,
        expires_at: now + 12 * HOUR,
        idle_until: now + HOUR,
    }
}

async fn user(s: &dyn Store, name: &str, tenant_id: Option<i64>) -> UserRecord {
    s.create_user(new_user(name, tenant_id)).await.unwrap()
}

#[tokio::test]
async fn users_are_created_found_listed_and_unique_by_name() {
    for b in backends().await {
        let s = &*b.store;
        let acme = tenant(s, "acme").await;
        let op = user(s, "root", None).await;
        let alice = user(s, "alice", Some(acme.id)).await;
        assert_eq!(
            (op.role, op.tenant_id, op.enabled, op.failed_attempts),
            (UserRole::Operator, None, true, 0),
            "{}",
            b.name
        );
        assert_eq!(
            (alice.role, alice.tenant_id),
            (UserRole::Tenant, Some(acme.id))
        );
        assert!(alice.password_hash.starts_with("$argon2id$"));
        assert_eq!(s.find_user("alice").await.unwrap(), Some(alice.clone()));
        assert_eq!(s.find_user_by_id(op.id).await.unwrap(), Some(op.clone()));
        assert_eq!(s.find_user("bob").await.unwrap(), None);
        let names: Vec<_> = s
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, ["alice", "root"], "{}", b.name);

        let err = s.create_user(new_user("alice", None)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict("user")),
            "{}: {err:?}",
            b.name
        );
        // A tenant user needs a tenant; an operator has none.
        let mut orphan = new_user("orphan", None);
        orphan.role = UserRole::Tenant;
        assert!(s.create_user(orphan).await.is_err(), "{}", b.name);
        assert_eq!(s.find_user("orphan").await.unwrap(), None);
    }
}

#[tokio::test]
async fn five_failures_lock_the_user_and_the_lock_refuses_a_session() {
    for b in backends().await {
        let s = &*b.store;
        let u = user(s, "root", None).await;
        for i in 1..=4 {
            assert!(
                !s.record_sign_in_failure(u.id, LOCKOUT, T0 + i)
                    .await
                    .unwrap(),
                "{}: failure {i}",
                b.name
            );
        }
        assert_eq!(
            s.find_user("root").await.unwrap().unwrap().failed_attempts,
            4
        );
        assert!(s
            .record_sign_in_failure(u.id, LOCKOUT, T0 + 5)
            .await
            .unwrap());
        let locked = s.find_user("root").await.unwrap().unwrap();
        assert_eq!(
            locked.locked_until,
            Some(T0 + 5 + LOCKOUT.lock_ms),
            "{}",
            b.name
        );
        assert!(locked.is_locked(T0 + 6));

        // Failures while locked do not prolong the lock.
        assert!(s
            .record_sign_in_failure(u.id, LOCKOUT, T0 + 60 * SEC)
            .await
            .unwrap());
        assert_eq!(
            s.find_user("root").await.unwrap().unwrap().locked_until,
            Some(T0 + 5 + LOCKOUT.lock_ms)
        );
        // The right password is refused while locked: no session.
        assert!(!s
            .start_console_session(session(1, u.id, T0 + 61 * SEC), T0 + 61 * SEC)
            .await
            .unwrap());
        assert_eq!(
            s.touch_console_session(&[1; 32], T0 + 2 * HOUR, T0 + 62 * SEC)
                .await
                .unwrap(),
            None,
            "{}",
            b.name
        );

        // Once the lock ran out, sign-in works and resets the count.
        let later = T0 + 5 + LOCKOUT.lock_ms;
        s.record_sign_in_failure(u.id, LOCKOUT, later)
            .await
            .unwrap();
        assert_eq!(
            s.find_user("root").await.unwrap().unwrap().failed_attempts,
            1
        );
        assert!(s
            .start_console_session(session(2, u.id, later), later)
            .await
            .unwrap());
        assert_eq!(
            s.find_user("root").await.unwrap().unwrap().failed_attempts,
            0,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn concurrent_failures_lock_exactly_once() {
    for b in backends().await {
        let s = b.store.clone();
        let u = user(&*s, "root", None).await;
        let tries = (0..20).map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.record_sign_in_failure(u.id, LOCKOUT, T0).await })
        });
        for t in futures::future::join_all(tries).await {
            t.unwrap().unwrap();
        }
        let after = s.find_user("root").await.unwrap().unwrap();
        // The fifth failure locked; the fifteen after it found the user locked.
        assert_eq!(
            (after.locked_until, after.failed_attempts),
            (Some(T0 + LOCKOUT.lock_ms), 0),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_session_lives_until_idle_or_expired_and_ends_at_sign_out() {
    for b in backends().await {
        let s = &*b.store;
        let acme = tenant(s, "acme").await;
        let u = user(s, "alice", Some(acme.id)).await;
        assert!(s
            .start_console_session(session(7, u.id, T0), T0)
            .await
            .unwrap());

        let found = s
            .touch_console_session(&[7; 32], T0 + 30 * 60 * SEC + HOUR, T0 + 30 * 60 * SEC)
            .await
            .unwrap()
            .expect("live session");
        assert_eq!(found.user.name, "alice", "{}", b.name);
        assert_eq!(found.user.tenant_id, Some(acme.id));
        assert_eq!(found.csrf_token, "csrf-7");
        assert_eq!(found.idle_until, T0 + 30 * 60 * SEC + HOUR);
        // An unknown id finds nothing.
        assert!(s
            .touch_console_session(&[8; 32], T0 + HOUR, T0)
            .await
            .unwrap()
            .is_none());
        // Idle for longer than the timeout: gone.
        assert!(s
            .touch_console_session(&[7; 32], T0 + 4 * HOUR, T0 + 3 * HOUR)
            .await
            .unwrap()
            .is_none());

        // Kept in use, it still ends at its expiry.
        assert!(s
            .start_console_session(session(9, u.id, T0), T0)
            .await
            .unwrap());
        let mut now = T0;
        while now < T0 + 12 * HOUR - HOUR / 2 {
            now += HOUR / 2;
            let touched = s
                .touch_console_session(&[9; 32], now + HOUR, now)
                .await
                .unwrap();
            if now < T0 + 12 * HOUR {
                let touched = touched.expect("in use");
                assert!(touched.idle_until <= T0 + 12 * HOUR, "{}", b.name);
            }
        }
        assert!(s
            .touch_console_session(&[9; 32], T0 + 13 * HOUR, T0 + 12 * HOUR)
            .await
            .unwrap()
            .is_none());

        assert!(s
            .start_console_session(session(3, u.id, T0), T0)
            .await
            .unwrap());
        assert!(s.end_console_session(&[3; 32]).await.unwrap());
        assert!(!s.end_console_session(&[3; 32]).await.unwrap());
        assert!(s
            .touch_console_session(&[3; 32], T0 + HOUR, T0)
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_refuses_new_ones() {
    for b in backends().await {
        let s = &*b.store;
        let u = user(s, "root", None).await;
        assert!(s
            .start_console_session(session(1, u.id, T0), T0)
            .await
            .unwrap());
        assert!(s.set_user_enabled("root", false).await.unwrap());
        assert!(!s.find_user("root").await.unwrap().unwrap().enabled);
        assert!(s
            .touch_console_session(&[1; 32], T0 + HOUR, T0)
            .await
            .unwrap()
            .is_none());
        assert!(!s
            .start_console_session(session(2, u.id, T0), T0)
            .await
            .unwrap());
        assert!(
            !s.set_user_enabled("nobody", false).await.unwrap(),
            "{}",
            b.name
        );

        assert!(s.set_user_enabled("root", true).await.unwrap());
        assert!(s
            .start_console_session(session(2, u.id, T0), T0)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn purge_removes_idle_and_expired_console_sessions_only() {
    for b in backends().await {
        let s = &*b.store;
        let u = user(s, "root", None).await;
        assert!(s
            .start_console_session(session(1, u.id, T0), T0)
            .await
            .unwrap());
        assert!(s
            .start_console_session(session(2, u.id, T0 + 2 * HOUR), T0 + 2 * HOUR)
            .await
            .unwrap());
        let counts = s.purge(PurgeCutoffs::new(T0 + 2 * HOUR, 0)).await.unwrap();
        assert_eq!(counts.console_sessions, 1, "{}", b.name);
        assert!(s
            .touch_console_session(&[2; 32], T0 + 3 * HOUR, T0 + 2 * HOUR)
            .await
            .unwrap()
            .is_some());
        // Users are never purged.
        assert!(s.find_user("root").await.unwrap().is_some());
    }
}

const IP_LIMIT: IpLimit = IpLimit {
    max_failures: 3,
    window_ms: 15 * 60 * SEC,
};

#[tokio::test]
async fn failures_from_an_address_block_it_until_its_window_ends() {
    for b in backends().await {
        let s = &*b.store;
        let ip = "192.0.2.7";
        assert!(!s.sign_in_ip_blocked(ip, IP_LIMIT, T0).await.unwrap());
        assert!(!s.record_sign_in_ip_failure(ip, IP_LIMIT, T0).await.unwrap());
        assert!(!s
            .record_sign_in_ip_failure(ip, IP_LIMIT, T0 + 60 * SEC)
            .await
            .unwrap());
        assert!(!s
            .sign_in_ip_blocked(ip, IP_LIMIT, T0 + 61 * SEC)
            .await
            .unwrap());
        // The third in the window blocks the address, not another one.
        assert!(
            s.record_sign_in_ip_failure(ip, IP_LIMIT, T0 + 120 * SEC)
                .await
                .unwrap(),
            "{}",
            b.name
        );
        assert!(s
            .sign_in_ip_blocked(ip, IP_LIMIT, T0 + 121 * SEC)
            .await
            .unwrap());
        assert!(!s
            .sign_in_ip_blocked("192.0.2.8", IP_LIMIT, T0 + 121 * SEC)
            .await
            .unwrap());
        // The window started at the first failure: it ends 15 minutes after it.
        let end = T0 + 15 * 60 * SEC;
        assert!(s.sign_in_ip_blocked(ip, IP_LIMIT, end - 1).await.unwrap());
        assert!(
            !s.sign_in_ip_blocked(ip, IP_LIMIT, end).await.unwrap(),
            "{}",
            b.name
        );
        // A failure after it starts a new window with one failure.
        assert!(!s
            .record_sign_in_ip_failure(ip, IP_LIMIT, end)
            .await
            .unwrap());
        assert!(!s
            .record_sign_in_ip_failure(ip, IP_LIMIT, end + 1)
            .await
            .unwrap());
        assert!(s
            .record_sign_in_ip_failure(ip, IP_LIMIT, end + 2)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn concurrent_failures_from_an_address_are_all_counted() {
    for b in backends().await {
        let s = b.store.clone();
        let limit = IpLimit {
            max_failures: 40,
            window_ms: HOUR,
        };
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.record_sign_in_ip_failure("198.51.100.1", limit, T0)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut blocked = 0;
        for t in tasks {
            blocked += usize::from(t.await.unwrap());
        }
        assert_eq!(blocked, 1, "{}: exactly the 40th reaches the limit", b.name);
        assert!(s
            .sign_in_ip_blocked("198.51.100.1", limit, T0)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn purge_removes_sign_in_windows_a_day_after_they_started() {
    for b in backends().await {
        let s = &*b.store;
        s.record_sign_in_ip_failure("192.0.2.1", IP_LIMIT, T0)
            .await
            .unwrap();
        s.record_sign_in_ip_failure("192.0.2.2", IP_LIMIT, T0 + 2 * HOUR)
            .await
            .unwrap();
        let counts = s.purge(PurgeCutoffs::new(T0 + 25 * HOUR, 0)).await.unwrap();
        assert_eq!(counts.sign_in_ips, 1, "{}", b.name);
        // The kept window still counts.
        for _ in 0..2 {
            s.record_sign_in_ip_failure("192.0.2.2", IP_LIMIT, T0 + 2 * HOUR + SEC)
                .await
                .unwrap();
        }
        assert!(s
            .sign_in_ip_blocked("192.0.2.2", IP_LIMIT, T0 + 2 * HOUR + SEC)
            .await
            .unwrap());
    }
}
