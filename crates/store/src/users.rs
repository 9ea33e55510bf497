//! The records of console users and their sign-in sessions ([`crate::ConsoleUsers`]).

use numgate_domain::clock::Millis;

/// What a console user may see: an operator everything, a tenant user one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    Operator,
    Tenant,
}

impl UserRole {
    /// The word stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Operator => "operator",
            UserRole::Tenant => "tenant",
        }
    }

    pub fn parse(s: &str) -> Option<UserRole> {
        match s {
            "operator" => Some(UserRole::Operator),
            "tenant" => Some(UserRole::Tenant),
            _ => None,
        }
    }
}

/// A user to create. The store never sees a password, only its hash.
#[derive(Clone)]
pub struct NewUser {
    pub name: String,
    pub role: UserRole,
    /// The tenant of a tenant user; `None` for an operator (the database refuses
    /// any other combination).
    pub tenant_id: Option<i64>,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub created_at: Millis,
}

#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub role: UserRole,
    pub tenant_id: Option<i64>,
    pub password_hash: String,
    pub enabled: bool,
    /// Wrong passwords since the last sign-in or lock.
    pub failed_attempts: i64,
    /// Sign-in is refused while `now < locked_until`.
    pub locked_until: Option<Millis>,
    pub created_at: Millis,
}

impl UserRecord {
    pub fn is_locked(&self, now: Millis) -> bool {
        self.locked_until.is_some_and(|t| now < t)
    }
}

// The hash is a secret's derivative: never printed.
impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("tenant_id", &self.tenant_id)
            .field("enabled", &self.enabled)
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until", &self.locked_until)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// How wrong passwords lock a user: `max_failures` in a row lock it for `lock_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_failures: i64,
    pub lock_ms: Millis,
}

/// How failed sign-ins from one client address block it: `max_failures` within
/// a window of `window_ms` (which starts at the window's first failure) refuse
/// every further sign-in from the address until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpLimit {
    pub max_failures: i64,
    pub window_ms: Millis,
}

/// How long an address's failure window is kept: at least the longest window
/// the configuration allows (a day). Purged after that.
pub const SIGN_IN_IP_RETENTION_MS: Millis = 24 * 3_600_000;

/// A session to start at sign-in.
#[derive(Clone)]
pub struct NewConsoleSession {
    /// SHA-256 of the session's random id (the cookie holds the id).
    pub id_hash: Vec<u8>,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: Millis,
    /// The absolute end of the session.
    pub expires_at: Millis,
    /// The end if unused; at most `expires_at`.
    pub idle_until: Millis,
}

/// A live session with its user, as found on a request.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub user: UserRecord,
    pub csrf_token: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub idle_until: Millis,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .field("idle_until", &self.idle_until)
            .finish_non_exhaustive()
    }
}
