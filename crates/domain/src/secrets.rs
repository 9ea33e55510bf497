//! The master key and what it protects: AccessKey secrets and queued message texts
//! are sealed (XChaCha20-Poly1305), codes are stored only as keyed hashes (HMAC-SHA256),
//! and the secrets of temporary (STS) AccessKeys are derived, never stored.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    #[error("a sealed value could not be opened: wrong master key or damaged data")]
    Unseal,
}

/// The installation's master key: 32 random bytes. Never logged.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(k.as_mut());
        Self(k)
    }

    pub fn from_base64(s: &str) -> Result<Self, SecretError> {
        let bytes = Zeroizing::new(
            B64.decode(s.trim())
                .map_err(|_| SecretError::BadMasterKey)?,
        );
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SecretError::BadMasterKey)?;
        Ok(Self(Zeroizing::new(arr)))
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(B64.encode(self.0.as_ref()))
    }

    /// A key for one purpose, so that no two uses share key material.
    fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    pub fn secret_box(&self) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(self.derive("numgate/seal/v1").as_ref().into()),
            sts_key: self.sts_key(),
        }
    }

    /// The key from which the secrets of temporary (STS) AccessKeys are derived
    /// ([`SecretBox::sts_secret`]): every node with the master key agrees on them.
    fn sts_key(&self) -> Zeroizing<[u8; 32]> {
        self.derive("numgate/sts-secret/v1")
    }

    /// The HMAC key of CAPTCHA challenges (`crate::captcha`).
    pub fn captcha_key(&self) -> Zeroizing<[u8; 32]> {
        self.derive("numgate/captcha/v1")
    }

    pub fn code_hasher(&self) -> CodeHasher {
        CodeHasher {
            key: self.derive("numgate/code-hash/v1"),
        }
    }
}

/// Seals and opens small secrets: output is `nonce || ciphertext+tag`. Also
/// derives the secrets of temporary (STS) AccessKeys, which the gateway needs
/// wherever it opens AccessKey secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    sts_key: Zeroizing<[u8; 32]>,
}

impl SecretBox {
    /// The secret of the temporary AccessKey `access_key_id`: base64url (no
    /// padding) of HMAC-SHA256 of the id under a key derived for this purpose
    /// only. Nothing is stored: the id and the master key determine it.
    pub fn sts_secret(&self, access_key_id: &str) -> Zeroizing<String> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.sts_key.as_ref())
            .expect("HMAC takes any key length");
        mac.update(access_key_id.as_bytes());
        Zeroizing::new(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .expect("XChaCha20-Poly1305 encrypts any message this small");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretError::Unseal);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map(Zeroizing::new)
            .map_err(|_| SecretError::Unseal)
    }

    pub fn open_string(&self, sealed: &[u8]) -> Result<Zeroizing<String>, SecretError> {
        let bytes = self.open(sealed)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| SecretError::Unseal)
    }
}

/// Keyed hashes of codes: what the store keeps instead of the code.
/// The number is hashed with the code, so equal codes of two numbers differ.
#[derive(Clone)]
pub struct CodeHasher {
    key: Zeroizing<[u8; 32]>,
}

impl CodeHasher {
    pub fn hash(&self, number_e164: &str, code: &str) -> Vec<u8> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.key.as_ref())
            .expect("HMAC takes any key length");
        mac.update(number_e164.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key() {
        let k = MasterKey::generate();
        let sealed = k.secret_box().seal(b"the secret");
        assert_eq!(
            k.secret_box().open(&sealed).unwrap().as_slice(),
            b"the secret"
        );
        assert!(!sealed.windows(10).any(|w| w == b"the secret"));
        let other = MasterKey::generate();
        assert_eq!(other.secret_box().open(&sealed), Err(SecretError::Unseal));
        let mut damaged = sealed.clone();
        damaged[30] ^= 1;
        assert_eq!(k.secret_box().open(&damaged), Err(SecretError::Unseal));
        assert_eq!(k.secret_box().open(b"short"), Err(SecretError::Unseal));
    }

    #[test]
    fn a_master_key_round_trips_through_base64() {
        let k = MasterKey::generate();
        let again = MasterKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(
            k.code_hasher().hash("86138", "1234"),
            again.code_hasher().hash("86138", "1234")
        );
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(***)");
    }

    #[test]
    fn sts_secrets_depend_on_the_master_key_and_the_id_only() {
        let k = MasterKey::generate();
        let a = k.secret_box().sts_secret("STS.a");
        assert_eq!(a, k.secret_box().sts_secret("STS.a"));
        assert_ne!(a, k.secret_box().sts_secret("STS.b"));
        assert_ne!(a, MasterKey::generate().secret_box().sts_secret("STS.a"));
        assert_eq!(URL_SAFE_NO_PAD.decode(a.as_bytes()).unwrap().len(), 32);
    }

    #[test]
    fn code_hashes_depend_on_key_number_and_code() {
        let h = MasterKey::generate().code_hasher();
        let a = h.hash("8613800138000", "123456");
        assert_eq!(a, h.hash("8613800138000", "123456"));
        assert_ne!(a, h.hash("8613800138001", "123456"));
        assert_ne!(a, h.hash("8613800138000", "123457"));
        assert_ne!(
            a,
            MasterKey::generate()
                .code_hasher()
                .hash("8613800138000", "123456")
        );
    }
}
