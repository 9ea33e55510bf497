//! What both backends' migration runners share: a migration, the schema status,
//! and the words used when a schema is refused.

use crate::{Result, StoreError};

/// One embedded migration of a backend (see `migrations/README.md`).
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// The newest version of a list of migrations.
pub(crate) fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// The schema version of a database that recorded `recorded`: the newest
/// recorded, unless a migration this build knows below it is missing (merged
/// from another branch later): then the version just below the first missing
/// one, so that the database counts as needing `migrate`.
pub(crate) fn current_of(recorded: &[i64], migrations: &[Migration]) -> i64 {
    let newest = recorded.iter().copied().max().unwrap_or(0);
    migrations
        .iter()
        .find(|m| m.version < newest && !recorded.contains(&m.version))
        .map_or(newest, |m| m.version - 1)
}

/// Where a database's schema stands against this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest version applied to the database; 0 for an empty database.
    pub current: i64,
    /// The newest version this build knows.
    pub latest: i64,
}

impl SchemaStatus {
    /// The database has exactly the schema this build writes.
    pub fn is_up_to_date(&self) -> bool {
        self.current == self.latest
    }

    /// `migrate` would apply something.
    pub fn needs_migration(&self) -> bool {
        self.current < self.latest
    }

    /// A newer numgate has migrated the database: this build must not write to it.
    pub fn is_newer_than_build(&self) -> bool {
        self.current > self.latest
    }

    /// `Ok` only for a schema this build may write to without migrating; otherwise
    /// a `Schema` error saying what to do about it.
    pub fn require_up_to_date(&self) -> Result<()> {
        if self.is_newer_than_build() {
            return Err(self.newer_error());
        }
        if self.needs_migration() {
            return Err(StoreError::Schema(format!(
                "the database's schema version {} is older than this build ({}); \
                 run `numgate migrate`",
                self.current, self.latest
            )));
        }
        Ok(())
    }

    /// `Ok` unless the database is newer than this build (an older one can be migrated).
    pub(crate) fn refuse_newer(self) -> Result<Self> {
        if self.is_newer_than_build() {
            return Err(self.newer_error());
        }
        Ok(self)
    }

    fn newer_error(&self) -> StoreError {
        StoreError::Schema(format!(
            "the database's schema version {} is newer than this build ({}); upgrade numgate",
            self.current, self.latest
        ))
    }
}

/// When a migration ran is bookkeeping for humans, not domain time: the wall clock will do.
pub(crate) fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_migration_below_the_newest_needs_migrating() {
        let m = |version| Migration {
            version,
            name: "m",
            sql: "",
        };
        let known = [m(1), m(2), m(3), m(5)];
        assert_eq!(current_of(&[], &known), 0);
        assert_eq!(current_of(&[1, 2, 3, 5], &known), 5);
        assert_eq!(current_of(&[1, 3, 5], &known), 1);
        assert_eq!(current_of(&[1, 2, 3, 5, 9], &known), 9);
    }

    #[test]
    fn only_the_known_version_is_up_to_date() {
        let s = |current| SchemaStatus { current, latest: 2 };
        assert!(s(2).require_up_to_date().is_ok());
        for (current, words) in [(1, "run `numgate migrate`"), (3, "upgrade numgate")] {
            match s(current).require_up_to_date() {
                Err(StoreError::Schema(msg)) => assert!(msg.contains(words), "{msg}"),
                other => panic!("{current}: {other:?}"),
            }
        }
        assert!(s(1).refuse_newer().is_ok());
        assert!(s(3).refuse_newer().is_err());
    }
}
