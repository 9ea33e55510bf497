//! Console passwords: argon2id hashes as PHC strings, verified off the runtime's
//! threads, and a dummy hash so that an unknown user costs what a known one does.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password `users create` accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A hash that no known password matches (its digest is arbitrary bytes), with the same parameters as [`hash`]
/// (argon2's defaults: argon2id, v19, m=19456, t=2, p=1; a test checks they
/// match): verified for an unknown user, so that the answer takes as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bnVtZ2F0ZWR1bW15c2FsdA$Gg0BuVvxHcW3+yX0bMW7X3hQAVHbXFvFqqYwEH+1VaU";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("hashing the password failed")]
    Hash,
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches `phc`; a malformed hash matches nothing.
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`verify`] on a blocking thread; without a hash (an unknown user) the dummy
/// hash is verified and the answer is `false`, after the same work.
pub async fn verify_blocking(phc: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify(&phc, &password),
        None => {
            let _ = verify(DUMMY_HASH, &password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify(&phc, "correct horse"));
        assert!(!verify(&phc, "correct horsE"));
        assert!(!verify("not a hash", "correct horse"));
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_hashes() {
        let real = hash("some password").unwrap();
        let params = |phc: &str| {
            let p = PasswordHash::new(phc).unwrap();
            (p.algorithm.to_string(), p.version, p.params.to_string())
        };
        assert_eq!(params(DUMMY_HASH), params(&real));
    }
}
