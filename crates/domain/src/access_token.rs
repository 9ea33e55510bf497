//! The AccessToken of the carrier flows: what a device hands its tenant's
//! backend, and the backend hands `GetMobile`/`VerifyMobile`. It wraps the
//! carrier's token with what it is good for (scheme, app, purpose) and when it
//! expires, sealed with the master key: opaque to everyone but numgate, and any
//! change to it makes it invalid. Single use is the store's job, by `id`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::secrets::SecretBox;

/// Which network's token is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenCarrier {
    Cm,
    Cu,
    Ct,
    Camara,
}

/// Which of its own carrier contracts a tenant uses (`CmApiCode`, `CuApiCode`,
/// `CtApiCode`): none means numgate's own app at that carrier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierAccounts {
    /// The tenant whose contracts these are: an API code is only good for it.
    pub tenant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cu: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ct: Option<i64>,
}

impl CarrierAccounts {
    /// The API code for `carrier`, if the tenant names one.
    pub fn api_code(&self, carrier: TokenCarrier) -> Option<i64> {
        match carrier {
            TokenCarrier::Cm => self.cm,
            TokenCarrier::Cu => self.cu,
            TokenCarrier::Ct => self.ct,
            TokenCarrier::Camara => None,
        }
    }
}

/// What the token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// One-click logon: `GetMobile` returns the number.
    Login,
    /// Number check: `VerifyMobile` answers whether a number matches.
    Verify,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// Random: the key under which the store records the token's one use.
    pub id: String,
    pub scheme: String,
    /// The app identity the token was minted for (package, bundle id or origin).
    pub app: String,
    pub carrier: TokenCarrier,
    pub purpose: Purpose,
    /// The carrier's own token (or CAMARA authorization code).
    pub carrier_token: String,
    pub expires_at: Millis,
}

/// Why a token string is not a usable token. Callers answer both the same
/// (`isv.TOKEN_INVALID`); the difference is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or was not made by this installation")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// Longest token string accepted (a sealed token is a few hundred bytes).
const MAX_LEN: usize = 4096;

/// A value numgate seals into an opaque token string and opens again: the
/// carrier flows' tokens all travel this way.
pub trait Sealed: Serialize + serde::de::DeserializeOwned {
    /// When the token stops being good.
    fn expires_at(&self) -> Millis;

    /// The token as handed out: base64url of the sealed JSON.
    fn seal(&self, sealer: &SecretBox) -> String {
        let json = serde_json::to_vec(self).expect("a token serialises");
        URL_SAFE_NO_PAD.encode(sealer.seal(&json))
    }

    /// Opens a token string; it must be ours, unchanged and not expired at `now`.
    fn open(s: &str, sealer: &SecretBox, now: Millis) -> Result<Self, TokenError> {
        if s.len() > MAX_LEN {
            return Err(TokenError::Invalid);
        }
        let sealed = URL_SAFE_NO_PAD
            .decode(s.trim())
            .map_err(|_| TokenError::Invalid)?;
        let json = sealer.open(&sealed).map_err(|_| TokenError::Invalid)?;
        let token: Self = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if token.expires_at() <= now {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }
}

impl Sealed for AccessToken {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

/// What `GetAuthToken` gives a web page (the AccessToken and the JwtToken of the
/// H5 flow): the right to run one H5 verification for a Web scheme's origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Session {
    /// Random; attempts and the one success are recorded under it.
    pub id: String,
    /// `access` (short) or `jwt` (long): the page must present both.
    pub kind: String,
    pub scheme: String,
    pub origin: String,
    pub purpose: Purpose,
    /// The carrier apps the page's exchanges go through (`GetAuthToken`'s API codes).
    #[serde(default)]
    pub accounts: CarrierAccounts,
    pub expires_at: Millis,
}

impl Sealed for H5Session {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

/// The spToken: proof that the user typed the right middle digits of the
/// number the carrier named; good once, for `GetPhoneWithToken` or
/// `VerifyPhoneWithToken`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpToken {
    pub id: String,
    pub scheme: String,
    pub purpose: Purpose,
    pub number: String,
    pub expires_at: Millis,
}

impl std::fmt::Debug for SpToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpToken")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Sealed for SpToken {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

/// What `GetFusionAuthToken` gives the tenant's app: the right to run
/// Fusion-Auth scenes of one scheme, from one app, until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FusionAuthToken {
    /// Always `"fusion"`: no other sealed token opens as this one.
    pub kind: String,
    pub id: String,
    /// The scheme's tenant.
    pub tenant_id: i64,
    pub scheme: String,
    /// The app identity the scheme registered (package name, bundle id, origin).
    pub app: String,
    pub expires_at: Millis,
}

impl FusionAuthToken {
    pub const KIND: &'static str = "fusion";

    /// Opens a token string that must be a FusionAuthToken.
    pub fn open_fusion(s: &str, sealer: &SecretBox, now: Millis) -> Result<Self, TokenError> {
        let t = Self::open(s, sealer, now)?;
        if t.kind != Self::KIND {
            return Err(TokenError::Invalid);
        }
        Ok(t)
    }
}

impl Sealed for FusionAuthToken {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

/// The VerifyToken a finished Fusion-Auth scene gives the app, which its backend
/// redeems once with `VerifyWithFusionAuthToken`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FusionVerifyToken {
    /// Always `"fusion-verify"`.
    pub kind: String,
    /// The store records the token's one use under this.
    pub id: String,
    /// Only this tenant's AccessKeys may redeem it.
    pub tenant_id: i64,
    pub scheme: String,
    pub scene: u32,
    /// E.164 digits without `+`, or national digits for mainland numbers.
    pub number: String,
    /// `PASS` or `UNKNOWN`.
    pub result: String,
    /// PhoneScore 0–100 when the scene scored the number.
    pub score: Option<u8>,
    pub expires_at: Millis,
}

impl FusionVerifyToken {
    pub const KIND: &'static str = "fusion-verify";

    pub fn open_verify(s: &str, sealer: &SecretBox, now: Millis) -> Result<Self, TokenError> {
        let t = Self::open(s, sealer, now)?;
        if t.kind != Self::KIND {
            return Err(TokenError::Invalid);
        }
        Ok(t)
    }
}

impl std::fmt::Debug for FusionVerifyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FusionVerifyToken")
            .field("scheme", &self.scheme)
            .field("scene", &self.scene)
            .finish_non_exhaustive()
    }
}

impl Sealed for FusionVerifyToken {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

impl AccessToken {
    pub fn new_id() -> String {
        let mut id = [0u8; 16];
        OsRng.fill_bytes(&mut id);
        URL_SAFE_NO_PAD.encode(id)
    }
}

/// `Debug` leaves the carrier's token out: it is a bearer credential.
impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("scheme", &self.scheme)
            .field("carrier", &self.carrier)
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The StsToken of `GetSmsAuthTokens`: what the temporary AccessKey
/// `sts_key_id` may do, for whom, until when. Sent back by the client SDK as
/// the security token of every call made with those credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsAuthGrant {
    /// Always `"sms-auth"`.
    pub kind: String,
    /// The tenant whose codes the credentials send.
    pub tenant_id: i64,
    /// The AccessKey that asked for the grant: disabled, it takes the grant along.
    pub issuer_key_id: String,
    /// `STS.…`: the only AccessKey id this token is good with.
    pub sts_key_id: String,
    /// The BizToken: the code scheme under which the grant's codes are stored
    /// and `VerifySmsCode` checks them.
    pub biz_token: String,
    /// The verification scheme (`SceneCode`) the grant was made for.
    pub scheme: String,
    pub sign_name: String,
    pub template_code: String,
    /// The validity of each code sent (`SmsCodeExpire`), in seconds.
    pub code_valid_secs: i64,
    /// The actions the credentials may call.
    pub actions: Vec<String>,
    pub expires_at: Millis,
}

impl SmsAuthGrant {
    pub const KIND: &'static str = "sms-auth";

    /// Opens a token string that must be an SmsAuthGrant.
    pub fn open_grant(s: &str, sealer: &SecretBox, now: Millis) -> Result<Self, TokenError> {
        let t = Self::open(s, sealer, now)?;
        if t.kind != Self::KIND {
            return Err(TokenError::Invalid);
        }
        Ok(t)
    }

    /// Whether the credentials may call `action`.
    pub fn allows(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }
}

/// `Debug` leaves the BizToken out: with the tenant's AccessKey it checks codes.
impl std::fmt::Debug for SmsAuthGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsAuthGrant")
            .field("tenant_id", &self.tenant_id)
            .field("sts_key_id", &self.sts_key_id)
            .field("scheme", &self.scheme)
            .field("actions", &self.actions)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Sealed for SmsAuthGrant {
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MasterKey;

    fn token() -> AccessToken {
        AccessToken {
            id: AccessToken::new_id(),
            scheme: "FC100000000000001".into(),
            app: "com.example.app".into(),
            carrier: TokenCarrier::Cm,
            purpose: Purpose::Login,
            carrier_token: "STsid0123456789ABCDEF".into(),
            expires_at: 2_000,
        }
    }

    #[test]
    fn a_sealed_token_opens_to_itself_until_it_expires() {
        let k = MasterKey::generate().secret_box();
        let t = token();
        let s = t.seal(&k);
        assert!(!s.contains("STsid"), "the carrier token is not readable");
        assert_eq!(AccessToken::open(&s, &k, 1_999), Ok(t));
        assert_eq!(AccessToken::open(&s, &k, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn a_changed_or_foreign_token_is_invalid() {
        let k = MasterKey::generate().secret_box();
        let s = token().seal(&k);
        let mut bytes = s.clone().into_bytes();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        assert_eq!(AccessToken::open(&changed, &k, 0), Err(TokenError::Invalid));
        let other = MasterKey::generate().secret_box();
        assert_eq!(AccessToken::open(&s, &other, 0), Err(TokenError::Invalid));
        assert_eq!(
            AccessToken::open("not a token", &k, 0),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            AccessToken::open(&"A".repeat(5000), &k, 0),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn ids_are_random_and_debug_hides_the_carrier_token() {
        assert_ne!(AccessToken::new_id(), AccessToken::new_id());
        assert!(!format!("{:?}", token()).contains("STsid"));
    }

    #[test]
    fn fusion_tokens_open_only_as_their_own_kind() {
        let k = MasterKey::generate().secret_box();
        let f = FusionAuthToken {
            kind: FusionAuthToken::KIND.into(),
            id: AccessToken::new_id(),
            tenant_id: 1,
            scheme: "FC100000000000001".into(),
            app: "com.example.app".into(),
            expires_at: 2_000,
        };
        let s = f.seal(&k);
        assert_eq!(FusionAuthToken::open_fusion(&s, &k, 1_000), Ok(f.clone()));
        assert!(FusionVerifyToken::open_verify(&s, &k, 1_000).is_err());
        let v = FusionVerifyToken {
            kind: FusionVerifyToken::KIND.into(),
            id: AccessToken::new_id(),
            tenant_id: 1,
            scheme: f.scheme.clone(),
            scene: 100001,
            number: "13800000000".into(),
            result: "PASS".into(),
            score: Some(12),
            expires_at: 2_000,
        };
        let vs = v.seal(&k);
        assert_eq!(FusionVerifyToken::open_verify(&vs, &k, 1_000), Ok(v));
        assert!(FusionAuthToken::open_fusion(&vs, &k, 1_000).is_err());
        // A token of another kind with the same fields is still refused.
        let mut odd = f;
        odd.kind = "other".into();
        assert!(FusionAuthToken::open_fusion(&odd.seal(&k), &k, 1_000).is_err());
        assert!(
            !format!("{:?}", FusionVerifyToken::open_verify(&vs, &k, 1_000))
                .contains("13800000000")
        );
    }

    #[test]
    fn sms_auth_grants_open_only_as_their_own_kind_until_they_expire() {
        let k = MasterKey::generate().secret_box();
        let g = SmsAuthGrant {
            kind: SmsAuthGrant::KIND.into(),
            tenant_id: 1,
            issuer_key_id: "LTAIissuer".into(),
            sts_key_id: "STS.abc".into(),
            biz_token: "BizTokenSecretPart01".into(),
            scheme: "FC100000000000001".into(),
            sign_name: "sign".into(),
            template_code: "100001".into(),
            code_valid_secs: 180,
            actions: vec!["SendSmsVerifyCode".into()],
            expires_at: 2_000,
        };
        let s = g.seal(&k);
        assert!(!s.contains("BizToken"), "the grant is not readable");
        assert_eq!(SmsAuthGrant::open_grant(&s, &k, 1_999), Ok(g.clone()));
        assert_eq!(
            SmsAuthGrant::open_grant(&s, &k, 2_000),
            Err(TokenError::Expired)
        );
        assert!(g.allows("SendSmsVerifyCode"));
        assert!(!g.allows("CheckSmsVerifyCode"));
        assert!(!format!("{g:?}").contains("BizTokenSecretPart01"));
        // Another sealed token is not a grant, nor is a grant another token.
        assert!(FusionAuthToken::open_fusion(&s, &k, 1_000).is_err());
        let f = FusionAuthToken {
            kind: FusionAuthToken::KIND.into(),
            id: AccessToken::new_id(),
            tenant_id: 1,
            scheme: "FC100000000000001".into(),
            app: "com.example.app".into(),
            expires_at: 2_000,
        };
        assert!(SmsAuthGrant::open_grant(&f.seal(&k), &k, 1_000).is_err());
        let mut odd = g;
        odd.kind = "other".into();
        assert!(SmsAuthGrant::open_grant(&odd.seal(&k), &k, 1_000).is_err());
    }
}
