//! Authorization codes and access tokens issued by the CAMARA operator.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

/// An authorization code waiting to be exchanged at `/camara/token`.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    /// Client that asked for it.
    pub(crate) client_id: String,
    /// Redirect URI it was sent to; the token request must repeat it.
    pub(crate) redirect_uri: String,
    /// Granted scopes.
    pub(crate) scopes: Vec<String>,
    /// E.164 number of the SIM identified on the bearer.
    pub(crate) number: String,
    /// Codes are short-lived (60 s).
    pub(crate) expires_at: DateTime<Utc>,
}

/// An access token.
#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    /// Granted scopes.
    pub(crate) scopes: Vec<String>,
    /// The number the token identifies: `Some` for three-legged (network-authenticated)
    /// tokens, `None` for client-credentials tokens.
    pub(crate) subject: Option<String>,
    /// Expiry on the simulated clock.
    pub(crate) expires_at: DateTime<Utc>,
    /// Number Verification tokens are good for one API call.
    pub(crate) single_use: bool,
    /// Whether that call has happened.
    pub(crate) used: bool,
}

/// Everything the operator has issued.
#[derive(Debug, Default)]
pub(crate) struct CamaraStore {
    codes: HashMap<String, AuthCode>,
    tokens: HashMap<String, AccessToken>,
}

/// Dead entries are forgotten this long after expiry.
const RETENTION: TimeDelta = TimeDelta::hours(1);

impl CamaraStore {
    pub(crate) fn insert_code(&mut self, code: String, grant: AuthCode, now: DateTime<Utc>) {
        self.codes.retain(|_, c| c.expires_at + RETENTION > now);
        self.codes.insert(code, grant);
    }

    /// Removes a code: codes are single use whatever the outcome of the token request.
    pub(crate) fn take_code(&mut self, code: &str) -> Option<AuthCode> {
        self.codes.remove(code)
    }

    pub(crate) fn insert_token(&mut self, token: String, grant: AccessToken, now: DateTime<Utc>) {
        self.tokens.retain(|_, t| t.expires_at + RETENTION > now);
        self.tokens.insert(token, grant);
    }

    /// A live token (not expired, not used up).
    pub(crate) fn live_token(&self, token: &str, now: DateTime<Utc>) -> Option<AccessToken> {
        self.tokens
            .get(token)
            .filter(|t| now < t.expires_at && !t.used)
            .cloned()
    }

    /// Marks a single-use token used; `false` if it was used meanwhile.
    pub(crate) fn spend(&mut self, token: &str) -> bool {
        match self.tokens.get_mut(token) {
            Some(t) if t.single_use => !std::mem::replace(&mut t.used, true),
            Some(_) => true,
            None => false,
        }
    }
}
