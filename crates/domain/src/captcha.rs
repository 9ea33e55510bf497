//! The CAPTCHA: ALTCHA v1 proof-of-work challenges, HMAC-signed, bound to a session,
//! valid at most 120 s, harder as the risk score rises.
//!
//! The wire format is the one the public `altcha` widget and libraries speak, so that
//! they work as clients unchanged:
//!
//! - challenge (JSON the server hands out):
//!   `{"algorithm":"SHA-256","challenge":C,"maxnumber":M,"salt":S,"signature":G}` with
//!   `C = hex(sha256(S + decimal(number)))` for a secret `number` in `0..=M` and
//!   `G = hex(hmac_sha256(key, C))`;
//! - salt: `<32 hex nonce>?expires=<unix seconds>&bind=<32 hex>&`. The libraries
//!   read `expires` from the salt's query; the trailing `&` is their delimiter
//!   against parameter splicing. `bind` is an HMAC of the session (never the session
//!   itself), so a solution obtained for one session fails for another;
//! - payload (what the client sends back): base64 of the JSON
//!   `{"algorithm","challenge","number","salt","signature"}`; the widget adds
//!   `"took"` (milliseconds), which is ignored like any other extra field.
//!
//! The salt is hashed into `C` and `C` is signed, so every field is authenticated.
//! Single use is not decided here: the caller consumes [`Verified::id`] once in the
//! store before it treats the CAPTCHA as passed.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Millis;

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm numgate issues (and so the only one it accepts).
pub const ALGORITHM: &str = "SHA-256";
/// The longest a challenge lives, whatever the caller asks for.
pub const MAX_TTL_SECS: u64 = 120;
/// Payloads longer than this (base64 characters) are refused before decoding; a
/// real one is about 450.
pub const MAX_PAYLOAD_LEN: usize = 2048;
/// Bounds of the max number [`difficulty_for_score`] returns: below the floor the
/// work is no obstacle; at the ceiling a phone needs tens of seconds, near the
/// widget's time-out and the challenge's 120 s.
pub const MAX_NUMBER_FLOOR: u64 = 1_000;
pub const MAX_NUMBER_CEILING: u64 = 10_000_000;
/// A base max number for [`difficulty_for_score`]: 25 000 hashes on average at
/// score 0, a fraction of a second in a browser.
pub const DEFAULT_BASE_MAX_NUMBER: u64 = 50_000;

const NONCE_LEN: usize = 16;
const BIND_TAG_LEN: usize = 16;
const BINDING_PURPOSE: &[u8] = b"numgate/captcha/binding/v1";
/// Standard base64 as `btoa` and Python's `b64encode` write it; padding optional.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a payload was refused. For logs and metrics only: callers answer every
/// variant alike, so that a client learns nothing from the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaptchaError {
    #[error("the CAPTCHA payload is not base64 JSON of the expected shape")]
    Malformed,
    #[error("the CAPTCHA payload names an algorithm numgate does not issue")]
    Algorithm,
    #[error("the CAPTCHA challenge does not carry numgate's signature")]
    Signature,
    #[error("the CAPTCHA number does not solve the challenge")]
    Solution,
    #[error("the CAPTCHA salt is not of the form numgate issues")]
    Salt,
    #[error("the CAPTCHA challenge was issued to another session")]
    Binding,
    #[error("the CAPTCHA challenge has expired")]
    Expired,
}

/// A challenge as the widget fetches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    #[serde(rename = "maxnumber")]
    pub max_number: u64,
    pub salt: String,
    pub signature: String,
}

impl Challenge {
    /// When the challenge expires, as its salt says.
    pub fn expires_at(&self) -> Option<Millis> {
        parse_salt(&self.salt).map(|s| s.expires_at)
    }
}

/// A payload that solves a live challenge of this session. `id` is unique per
/// challenge: consume it once (e.g. `Tokens::consume_token(id, expires_at)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub id: String,
    pub expires_at: Millis,
}

/// A new challenge for the session `binding`, with a secret number drawn uniformly
/// in `0..=max_number` (clamped to `1..=MAX_NUMBER_CEILING`), valid `ttl_secs`
/// (clamped to `1..=MAX_TTL_SECS`) from `now`.
pub fn create_challenge(
    key: &[u8],
    binding: &str,
    max_number: u64,
    now: Millis,
    ttl_secs: u64,
) -> Challenge {
    let max_number = max_number.clamp(1, MAX_NUMBER_CEILING);
    let ttl_millis = ttl_secs.clamp(1, MAX_TTL_SECS) as i64 * 1000;
    // Rounded down to whole seconds, the unit of `expires`: never longer than asked.
    let expires = now.saturating_add(ttl_millis).div_euclid(1000);
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let nonce = to_hex(&nonce);
    let tag = binding_mac(key, &nonce, binding).finalize().into_bytes();
    let salt = format!(
        "{nonce}?expires={expires}&bind={}&",
        to_hex(&tag[..BIND_TAG_LEN])
    );
    let challenge = solution_hash(&salt, draw_number(&mut OsRng, max_number));
    let signature = to_hex(&signature_mac(key, &challenge).finalize().into_bytes());
    Challenge {
        algorithm: ALGORITHM.to_owned(),
        challenge,
        max_number,
        salt,
        signature,
    }
}

/// Checks a payload the client sent for the session `binding` at `now`.
pub fn verify_solution(
    key: &[u8],
    payload_b64: &str,
    binding: &str,
    now: Millis,
) -> Result<Verified, CaptchaError> {
    let p = decode(payload_b64)?;
    if p.algorithm != ALGORITHM {
        return Err(CaptchaError::Algorithm);
    }
    let signature = from_hex(&p.signature).ok_or(CaptchaError::Signature)?;
    signature_mac(key, &p.challenge)
        .verify_slice(&signature)
        .map_err(|_| CaptchaError::Signature)?;
    // Public values: no need for a constant-time comparison.
    if solution_hash(&p.salt, p.number) != p.challenge {
        return Err(CaptchaError::Solution);
    }
    let salt = parse_salt(&p.salt).ok_or(CaptchaError::Salt)?;
    let tag = from_hex(salt.bind).ok_or(CaptchaError::Salt)?;
    binding_mac(key, salt.nonce, binding)
        .verify_truncated_left(&tag)
        .map_err(|_| CaptchaError::Binding)?;
    if now > salt.expires_at {
        return Err(CaptchaError::Expired);
    }
    Ok(Verified {
        id: format!("altcha:{}", salt.nonce),
        expires_at: salt.expires_at,
    })
}

/// The max number for a risk score (0–100; above counts as 100): `base` doubled
/// every 20 points, linearly in between — ×1 at 0, ×2 at 20, ×6 at 50, ×32 at 100 —
/// then held within `MAX_NUMBER_FLOOR..=MAX_NUMBER_CEILING`.
///
/// The client tries numbers from 0 up, so it computes `max/2` SHA-256 hashes on
/// average and `max` at worst. Browsers manage roughly 10^5–10^6 of them per second
/// (phones at the low end), so with [`DEFAULT_BASE_MAX_NUMBER`] a score of 0 costs a
/// fraction of a second and a score of 100 (1.6 M, 800 000 hashes on average) about
/// one second on a desktop and several on a low-end phone.
pub fn difficulty_for_score(base: u64, score: u8) -> u64 {
    let score = u64::from(score.min(100));
    let (doublings, rest) = (score / 20, score % 20);
    (base
        .saturating_mul(1 << doublings)
        .saturating_mul(20 + rest)
        / 20)
        .clamp(MAX_NUMBER_FLOOR, MAX_NUMBER_CEILING)
}

/// The fields of a payload that matter; others (the widget's `took`) are ignored.
#[derive(Deserialize)]
struct Payload {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

fn decode(payload_b64: &str) -> Result<Payload, CaptchaError> {
    if payload_b64.len() > MAX_PAYLOAD_LEN {
        return Err(CaptchaError::Malformed);
    }
    let json = B64
        .decode(payload_b64)
        .map_err(|_| CaptchaError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| CaptchaError::Malformed)
}

/// The parts of a salt numgate issued; `None` for any other form.
struct Salt<'a> {
    nonce: &'a str,
    expires_at: Millis,
    bind: &'a str,
}

fn parse_salt(salt: &str) -> Option<Salt<'_>> {
    let (nonce, query) = salt.split_once('?')?;
    let (expires, bind) = query.strip_suffix('&')?.split_once('&')?;
    let expires = expires.strip_prefix("expires=")?;
    let bind = bind.strip_prefix("bind=")?;
    let digits = !expires.is_empty() && expires.len() <= 12;
    if !digits || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !is_hex_of_len(nonce, NONCE_LEN) || !is_hex_of_len(bind, BIND_TAG_LEN) {
        return None;
    }
    Some(Salt {
        nonce,
        expires_at: expires.parse::<i64>().ok()? * 1000,
        bind,
    })
}

/// `hex(sha256(salt + decimal(number)))`, as the libraries and the widget compute it.
fn solution_hash(salt: &str, number: u64) -> String {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(number.to_string().as_bytes())
        .finalize();
    to_hex(&digest)
}

/// The libraries sign the challenge's hex text, with the key as it is.
fn signature_mac(key: &[u8], challenge: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(challenge.as_bytes());
    mac
}

/// Ties the nonce to the session under a key of its own, so that the tag reveals
/// nothing of the session and no other use of `key` can produce it.
fn binding_mac(key: &[u8], nonce: &str, binding: &str) -> HmacSha256 {
    let subkey = HmacSha256::new_from_slice(key)
        .expect("HMAC takes any key length")
        .chain_update(BINDING_PURPOSE)
        .finalize()
        .into_bytes();
    let mut mac = HmacSha256::new_from_slice(&subkey).expect("HMAC takes any key length");
    mac.update(nonce.as_bytes());
    mac.update(b"\n");
    mac.update(binding.as_bytes());
    mac
}

/// Uniform in `0..=max`: `gen_range` rejects samples outside the largest multiple of
/// the range, so there is no modulo bias.
fn draw_number(rng: &mut impl Rng, max: u64) -> u64 {
    rng.gen_range(0..=max)
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

fn is_hex_of_len(s: &str, bytes: usize) -> bool {
    s.len() == 2 * bytes && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex only, as numgate and the libraries write it.
fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const KEY: &[u8] = b"a captcha key of thirty-two byte";
    const NOW: Millis = 1_760_000_000_123;
    const SESSION: &str = "session-a";

    /// The widget's work: numbers from 0 up until one hashes to the challenge.
    fn solve(c: &Challenge) -> u64 {
        (0..=c.max_number)
            .find(|n| solution_hash(&c.salt, *n) == c.challenge)
            .expect("the challenge has a solution in 0..=maxnumber")
    }

    fn encode(v: &Value) -> String {
        B64.encode(v.to_string())
    }

    /// The payload as the widget sends it, with `took`.
    fn payload_value(c: &Challenge, number: u64) -> Value {
        json!({
            "algorithm": c.algorithm,
            "challenge": c.challenge,
            "number": number,
            "salt": c.salt,
            "signature": c.signature,
            "took": 42,
        })
    }

    fn solved() -> (Challenge, Value) {
        let c = create_challenge(KEY, SESSION, 1_000, NOW, 60);
        let p = payload_value(&c, solve(&c));
        (c, p)
    }

    fn verify(p: &Value) -> Result<Verified, CaptchaError> {
        verify_solution(KEY, &encode(p), SESSION, NOW)
    }

    #[test]
    fn a_solved_challenge_is_accepted_with_an_id_of_its_own() {
        let (c, p) = solved();
        let v = verify(&p).unwrap();
        let nonce = c.salt.split('?').next().unwrap();
        assert_eq!(v.id, format!("altcha:{nonce}"));
        assert_eq!(v.expires_at, (NOW + 60_000) / 1000 * 1000);
        assert_eq!(c.expires_at(), Some(v.expires_at));
        let (c2, p2) = solved();
        assert_ne!(c.salt, c2.salt);
        assert_ne!(verify(&p2).unwrap().id, v.id);
    }

    #[test]
    fn a_challenge_has_the_wire_form_of_the_altcha_libraries() {
        let c = create_challenge(KEY, SESSION, 5_000, NOW, 30);
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["algorithm", "challenge", "maxnumber", "salt", "signature"]
        );
        assert_eq!(v["algorithm"], "SHA-256");
        assert_eq!(v["maxnumber"], 5_000);
        let expires = (NOW + 30_000) / 1000;
        let (nonce, query) = c.salt.split_once('?').unwrap();
        assert!(is_hex_of_len(nonce, NONCE_LEN));
        assert!(query.starts_with(&format!("expires={expires}&bind=")));
        assert!(query.ends_with('&'));
        assert_eq!(c.challenge, solution_hash(&c.salt, solve(&c)));
        assert_eq!(
            c.signature,
            to_hex(&signature_mac(KEY, &c.challenge).finalize().into_bytes())
        );
        // The session is only present as a keyed hash.
        assert!(!c.salt.contains(SESSION));
    }

    #[test]
    fn the_payload_of_the_library_without_took_and_unpadded_base64_are_accepted() {
        let (_, mut p) = solved();
        p.as_object_mut().unwrap().remove("took");
        assert!(verify(&p).is_ok());
        p["extra"] = json!({"any": ["thing"]});
        let unpadded = encode(&p).trim_end_matches('=').to_owned();
        assert!(verify_solution(KEY, &unpadded, SESSION, NOW).is_ok());
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let (c, p) = solved();
        let n = p["number"].as_u64().unwrap();
        let mut t = p.clone();
        t["number"] = json!(n + 1);
        assert_eq!(verify(&t), Err(CaptchaError::Solution));

        let mut t = p.clone();
        let first = if c.salt.starts_with('0') { "1" } else { "0" };
        t["salt"] = json!(format!("{first}{}", &c.salt[1..]));
        assert_eq!(verify(&t), Err(CaptchaError::Solution));

        // A later expiry needs a new challenge hash, which the signature does not cover.
        let mut t = p.clone();
        let later = c.salt.replace("expires=", "expires=9");
        t["salt"] = json!(later);
        t["challenge"] = json!(solution_hash(&later, n));
        assert_eq!(verify(&t), Err(CaptchaError::Signature));

        let mut t = p.clone();
        let first = if c.signature.starts_with('0') {
            "1"
        } else {
            "0"
        };
        t["signature"] = json!(format!("{first}{}", &c.signature[1..]));
        assert_eq!(verify(&t), Err(CaptchaError::Signature));
        t["signature"] = json!(c.signature.to_uppercase());
        assert_eq!(verify(&t), Err(CaptchaError::Signature));
        t["signature"] = json!("");
        assert_eq!(verify(&t), Err(CaptchaError::Signature));

        for algorithm in ["SHA-1", "SHA-512", "sha-256", ""] {
            let mut t = p.clone();
            t["algorithm"] = json!(algorithm);
            assert_eq!(verify(&t), Err(CaptchaError::Algorithm));
        }

        let other_key = verify_solution(b"another key", &encode(&p), SESSION, NOW);
        assert_eq!(other_key, Err(CaptchaError::Signature));
    }

    #[test]
    fn a_challenge_expires_and_lives_at_most_120_seconds() {
        let c = create_challenge(KEY, SESSION, 1_000, NOW, 60);
        let p = encode(&payload_value(&c, solve(&c)));
        let expires_at = c.expires_at().unwrap();
        assert!(verify_solution(KEY, &p, SESSION, expires_at).is_ok());
        assert_eq!(
            verify_solution(KEY, &p, SESSION, expires_at + 1),
            Err(CaptchaError::Expired)
        );

        let long = create_challenge(KEY, SESSION, 1_000, NOW, 3_600);
        let expires_at = long.expires_at().unwrap();
        assert!(expires_at <= NOW + 120_000 && expires_at > NOW + 119_000);
        let p = encode(&payload_value(&long, solve(&long)));
        assert_eq!(
            verify_solution(KEY, &p, SESSION, NOW + 121_000),
            Err(CaptchaError::Expired)
        );
        let zero = create_challenge(KEY, SESSION, 1_000, NOW, 0);
        assert!(zero.expires_at().unwrap() > NOW);
    }

    #[test]
    fn a_solution_for_one_session_fails_for_another() {
        let (_, p) = solved();
        let p = encode(&p);
        for other in ["session-b", "", "session-a ", "Session-a"] {
            assert_eq!(
                verify_solution(KEY, &p, other, NOW),
                Err(CaptchaError::Binding)
            );
        }
    }

    #[test]
    fn a_signed_challenge_without_numgates_binding_is_refused() {
        // What a library would mint with the same key: no `bind` parameter.
        let salt = "00112233445566778899aabbccddeeff?expires=9999999999&";
        let challenge = solution_hash(salt, 7);
        let signature = to_hex(&signature_mac(KEY, &challenge).finalize().into_bytes());
        let p = json!({"algorithm": ALGORITHM, "challenge": challenge, "number": 7,
            "salt": salt, "signature": signature});
        assert_eq!(verify(&p), Err(CaptchaError::Salt));
    }

    #[test]
    fn garbage_and_oversized_payloads_are_refused_without_panic() {
        let (_, p) = solved();
        let oversized = "A".repeat(MAX_PAYLOAD_LEN + 4);
        let mut inputs = vec![
            String::new(),
            "not base64!".to_owned(),
            "====".to_owned(),
            oversized,
            B64.encode("not json"),
            B64.encode("[1,2,3]"),
            B64.encode("null"),
            B64.encode([0xff, 0xfe, 0x00]),
            encode(&json!({"challenge": null, "solution": null, "test": true})),
        ];
        for field in ["algorithm", "challenge", "number", "salt", "signature"] {
            let mut t = p.clone();
            t.as_object_mut().unwrap().remove(field);
            inputs.push(encode(&t));
        }
        for number in [
            json!(-1),
            json!(1.5),
            json!("7"),
            json!(u64::MAX as f64 * 4.0),
        ] {
            let mut t = p.clone();
            t["number"] = number;
            inputs.push(encode(&t));
        }
        let duplicate = p.to_string().replacen('{', "{\"number\":1,", 1);
        inputs.push(B64.encode(duplicate));
        for input in &inputs {
            assert_eq!(
                verify_solution(KEY, input, SESSION, NOW),
                Err(CaptchaError::Malformed),
                "{input:.60}"
            );
        }
        // Random bytes and random text: refused, never a panic.
        let mut rng = OsRng;
        for len in 0..400 {
            let mut bytes = vec![0u8; len];
            rng.fill_bytes(&mut bytes);
            assert!(verify_solution(KEY, &B64.encode(&bytes), SESSION, NOW).is_err());
            let text: String = (0..len).map(|_| rng.gen_range(' '..='~')).collect();
            assert!(verify_solution(KEY, &text, SESSION, NOW).is_err());
        }
    }

    #[test]
    fn salts_of_other_forms_are_not_parsed() {
        let nonce = "00112233445566778899aabbccddeeff";
        let bind = "ffeeddccbbaa99887766554433221100";
        assert!(parse_salt(&format!("{nonce}?expires=17&bind={bind}&")).is_some());
        for bad in [
            format!("{nonce}?expires=17&bind={bind}"),
            format!("{nonce}?bind={bind}&expires=17&"),
            format!("{nonce}?expires=17&bind={bind}&expires=99&"),
            format!("{nonce}?expires=-17&bind={bind}&"),
            format!("{nonce}?expires=&bind={bind}&"),
            format!("{nonce}?expires=1234567890123&bind={bind}&"),
            format!("{}?expires=17&bind={bind}&", nonce.to_uppercase()),
            format!("{nonce}0?expires=17&bind={bind}&"),
            format!("{nonce}?expires=17&bind={}&", &bind[2..]),
            format!("{nonce}&"),
        ] {
            assert!(parse_salt(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numbers_are_drawn_uniformly_without_modulo_bias() {
        let mut rng = OsRng;
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[draw_number(&mut rng, 9) as usize] += 1;
        }
        // Each bucket expects 10 000 (standard deviation about 95).
        assert!(
            counts.iter().all(|c| (9_500..=10_500).contains(c)),
            "{counts:?}"
        );

        // A range of 3 * 2^62 values: `next_u64() % range` would land below 2^62
        // half of the time instead of a third.
        let max = 3 * (1u64 << 62) - 1;
        let low = (0..30_000)
            .filter(|_| draw_number(&mut rng, max) < 1 << 62)
            .count();
        assert!((9_000..=11_000).contains(&low), "{low}");

        let numbers: std::collections::HashSet<u64> = (0..200)
            .map(|_| solve(&create_challenge(KEY, SESSION, 3, NOW, 60)))
            .collect();
        assert_eq!(numbers.len(), 4, "every number of 0..=3 is drawn");
    }

    #[test]
    fn difficulty_rises_with_the_risk_score_within_bounds() {
        let base = DEFAULT_BASE_MAX_NUMBER;
        assert_eq!(difficulty_for_score(base, 0), base);
        assert_eq!(difficulty_for_score(base, 10), base * 3 / 2);
        assert_eq!(difficulty_for_score(base, 20), 2 * base);
        assert_eq!(difficulty_for_score(base, 50), 6 * base);
        assert_eq!(difficulty_for_score(base, 100), 32 * base);
        assert_eq!(difficulty_for_score(base, 255), 32 * base);
        let curve: Vec<u64> = (0..=100).map(|s| difficulty_for_score(base, s)).collect();
        assert!(curve.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(difficulty_for_score(0, 0), MAX_NUMBER_FLOOR);
        assert_eq!(difficulty_for_score(u64::MAX, 100), MAX_NUMBER_CEILING);
        assert_eq!(difficulty_for_score(1_000_000, 100), MAX_NUMBER_CEILING);
        assert_eq!(
            create_challenge(KEY, SESSION, u64::MAX, NOW, 60).max_number,
            MAX_NUMBER_CEILING
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_non_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&bytes)).unwrap(), bytes);
        for bad in ["0", "0g", "AB", "é0", " 00"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }
}
