//! One-time tokens of the token-exchange carriers, and the nonce cache of their signed calls.
//!
//! A token is bound at minting to the carrier, the app that asked for it, its purpose and the
//! number of the SIM that asked; redeeming checks all four, and a token is spent only by a
//! successful redemption (a wrong app or purpose does not burn the rightful owner's token).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Carrier;

/// What a token may be redeemed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Purpose {
    /// One-click logon: `exchange` returns the full number.
    Login,
    /// Number check: `verify` answers match / no match.
    Verify,
}

/// Why a redemption failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RedeemError {
    /// Unknown, expired or already used: carriers do not say which.
    Invalid,
    /// Minted for another app.
    WrongApp,
    /// Minted for the other purpose.
    WrongPurpose,
}

#[derive(Debug)]
struct Minted {
    carrier: Carrier,
    app_id: String,
    purpose: Purpose,
    number: String,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// Issued tokens by value.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    tokens: HashMap<String, Minted>,
    /// When each token may be forgotten, soonest first: forgetting costs
    /// O(log n) per token, not a scan of all of them per call.
    forget: BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
}

/// Pops the entries of `queue` due at `now`, removing each from `map` unless a
/// newer entry of the same key is still live there (`live` says).
fn forget_due<K: std::hash::Hash + Eq + Ord, V>(
    queue: &mut BinaryHeap<Reverse<(DateTime<Utc>, K)>>,
    map: &mut HashMap<K, V>,
    now: DateTime<Utc>,
    live: impl Fn(&V) -> bool,
) {
    while queue.peek().is_some_and(|Reverse((at, _))| *at <= now) {
        let Some(Reverse((_, key))) = queue.pop() else {
            break;
        };
        if map.get(&key).is_some_and(|v| !live(v)) {
            map.remove(&key);
        }
    }
}

/// How long a dead token is remembered before being forgotten (it is refused either way).
const RETENTION: TimeDelta = TimeDelta::hours(1);

impl TokenStore {
    /// Records a freshly minted token.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        token: String,
        carrier: Carrier,
        app_id: &str,
        purpose: Purpose,
        number: &str,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
    ) {
        // Forget long-dead tokens here rather than in a background task: the simulator has no
        // tasks of its own to stop.
        forget_due(&mut self.forget, &mut self.tokens, now, |t| {
            t.expires_at + RETENTION > now
        });
        self.forget
            .push(Reverse((now + lifetime + RETENTION, token.clone())));
        self.tokens.insert(
            token,
            Minted {
                carrier,
                app_id: app_id.to_owned(),
                purpose,
                number: number.to_owned(),
                expires_at: now + lifetime,
                used: false,
            },
        );
    }

    /// Spends a token, returning the number it was minted for.
    pub(crate) fn redeem(
        &mut self,
        token: &str,
        carrier: Carrier,
        app_id: &str,
        purpose: Purpose,
        now: DateTime<Utc>,
    ) -> Result<String, RedeemError> {
        let t = self.tokens.get_mut(token).ok_or(RedeemError::Invalid)?;
        if t.carrier != carrier || t.used || now >= t.expires_at {
            return Err(RedeemError::Invalid);
        }
        if t.app_id != app_id {
            return Err(RedeemError::WrongApp);
        }
        if t.purpose != purpose {
            return Err(RedeemError::WrongPurpose);
        }
        t.used = true;
        Ok(t.number.clone())
    }
}

/// Nonces seen in the last signature window, per carrier and app.
#[derive(Debug, Default)]
pub(crate) struct NonceCache {
    seen: HashMap<NonceKey, DateTime<Utc>>,
    /// When each nonce may be forgotten, soonest first.
    forget: BinaryHeap<Reverse<(DateTime<Utc>, NonceKey)>>,
}

/// A nonce as one app of one carrier used it.
type NonceKey = (Carrier, String, String);

impl NonceCache {
    /// Records a nonce; `false` if it was already used within `window`.
    pub(crate) fn check_and_record(
        &mut self,
        carrier: Carrier,
        app_id: &str,
        nonce: &str,
        now: DateTime<Utc>,
        window: TimeDelta,
    ) -> bool {
        forget_due(&mut self.forget, &mut self.seen, now, |at| {
            *at + window * 2 > now
        });
        let key = (carrier, app_id.to_owned(), nonce.to_owned());
        if self.seen.contains_key(&key) {
            return false;
        }
        self.forget.push(Reverse((now + window * 2, key.clone())));
        self.seen.insert(key, now);
        true
    }
}

/// `n` bytes from the OS-seeded thread RNG, for tokens and codes.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(now: DateTime<Utc>) -> TokenStore {
        let mut s = TokenStore::default();
        s.insert(
            "t".into(),
            Carrier::Cm,
            "app",
            Purpose::Login,
            "13800000011",
            now,
            TimeDelta::minutes(2),
        );
        s
    }

    #[test]
    fn a_token_is_single_use() {
        let now = Utc::now();
        let mut s = store(now);
        assert_eq!(
            s.redeem("t", Carrier::Cm, "app", Purpose::Login, now)
                .unwrap(),
            "13800000011"
        );
        assert_eq!(
            s.redeem("t", Carrier::Cm, "app", Purpose::Login, now),
            Err(RedeemError::Invalid)
        );
    }

    #[test]
    fn a_token_expires_after_its_lifetime() {
        let now = Utc::now();
        let mut s = store(now);
        let later = now + TimeDelta::minutes(2);
        assert_eq!(
            s.redeem("t", Carrier::Cm, "app", Purpose::Login, later),
            Err(RedeemError::Invalid)
        );
    }

    #[test]
    fn a_wrong_app_or_purpose_does_not_spend_the_token() {
        let now = Utc::now();
        let mut s = store(now);
        assert_eq!(
            s.redeem("t", Carrier::Cm, "other", Purpose::Login, now),
            Err(RedeemError::WrongApp)
        );
        assert_eq!(
            s.redeem("t", Carrier::Cm, "app", Purpose::Verify, now),
            Err(RedeemError::WrongPurpose)
        );
        assert_eq!(
            s.redeem("t", Carrier::Cu, "app", Purpose::Login, now),
            Err(RedeemError::Invalid)
        );
        assert!(s
            .redeem("t", Carrier::Cm, "app", Purpose::Login, now)
            .is_ok());
    }

    #[test]
    fn a_nonce_is_refused_the_second_time() {
        let now = Utc::now();
        let mut n = NonceCache::default();
        assert!(n.check_and_record(Carrier::Ct, "a", "n1", now, TimeDelta::minutes(5)));
        assert!(!n.check_and_record(Carrier::Ct, "a", "n1", now, TimeDelta::minutes(5)));
        assert!(n.check_and_record(Carrier::Ct, "b", "n1", now, TimeDelta::minutes(5)));
    }

    #[test]
    fn nonces_and_dead_tokens_are_forgotten_once_their_time_is_up() {
        let t0 = Utc::now();
        let w = TimeDelta::minutes(5);
        let mut n = NonceCache::default();
        assert!(n.check_and_record(Carrier::Ct, "a", "n1", t0, w));
        // Still remembered just before twice the window, forgotten at it.
        assert!(!n.check_and_record(
            Carrier::Ct,
            "a",
            "n1",
            t0 + w * 2 - TimeDelta::seconds(1),
            w
        ));
        assert!(n.check_and_record(Carrier::Ct, "a", "n1", t0 + w * 2, w));
        assert_eq!(n.seen.len(), 1);

        let mut s = TokenStore::default();
        let life = TimeDelta::minutes(2);
        s.insert(
            "old".into(),
            Carrier::Cm,
            "app",
            Purpose::Login,
            "1",
            t0,
            life,
        );
        s.insert(
            "new".into(),
            Carrier::Cm,
            "app",
            Purpose::Login,
            "1",
            t0 + life + RETENTION,
            life,
        );
        assert!(
            !s.tokens.contains_key("old"),
            "forgotten once dead for RETENTION"
        );
        assert!(s.tokens.contains_key("new"));
    }
}
