//! The audit log of changes: every change made through the console, the Open
//! API or the CLI appends one entry, after the change has committed, naming who
//! made it ([`Actor`]), what was done (`area.verb`), to what, and the settings
//! before and after (never a secret).

use numgate_domain::clock::Millis;
use numgate_store::{Audit, AuditEntry, StoreError};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An Open API call signed with this AccessKey.
    AccessKey(String),
    /// A console user.
    Console(String),
    /// The command line (the OS user).
    Cli(String),
}

impl Actor {
    /// The command line's actor: the OS user running it (`$USER`), else `operator`.
    pub fn cli() -> Actor {
        let user = std::env::var("USER")
            .ok()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "operator".to_owned());
        Actor::Cli(user)
    }

    /// The form kept in the log: `accesskey:ID`, `console:NAME`, `cli:USER`.
    pub fn tag(&self) -> String {
        match self {
            Actor::AccessKey(id) => format!("accesskey:{id}"),
            Actor::Console(name) => format!("console:{name}"),
            Actor::Cli(user) => format!("cli:{user}"),
        }
    }
}

/// One change to record.
pub struct Change<'a> {
    pub tenant_id: i64,
    pub actor: &'a Actor,
    /// `area.verb`: `scheme.create`, `access_key.disable`, …
    pub action: &'a str,
    /// What it was done to, in words: `scheme FC100…`, `access key LTAI…`.
    pub target: String,
    /// The settings before and after, as JSON text; no secret.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Appends the change to the log.
pub async fn record(store: &dyn Audit, change: Change<'_>, at: Millis) -> Result<i64, StoreError> {
    store
        .append_audit(AuditEntry {
            tenant_id: change.tenant_id,
            actor: change.actor.tag(),
            action: change.action.to_owned(),
            target: change.target,
            before: change.before,
            after: change.after,
            at,
        })
        .await
}
