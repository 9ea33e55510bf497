//! Choosing the backend from what `--database` names: a SQLite file, or a
//! `postgres://` URL. The server and the CLI open stores only through here.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{PgOptions, PgStore, Result, SchemaStatus, SqliteOptions, SqliteStore, Store};

/// Where a store lives.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file; created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL URL; may hold a password, so it is never printed whole.
    Postgres(String),
}

impl StoreLocation {
    /// `postgres://…` and `postgresql://…` are PostgreSQL; anything else is the path
    /// of a SQLite file (an optional `sqlite://` in front is dropped).
    pub fn parse(s: &str) -> StoreLocation {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return StoreLocation::Postgres(s.to_owned());
        }
        let path = s.strip_prefix("sqlite://").unwrap_or(s);
        StoreLocation::Sqlite(PathBuf::from(path))
    }
}

/// So that a command-line parser can take `--database` as a `StoreLocation`.
impl std::str::FromStr for StoreLocation {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(StoreLocation::parse(s))
    }
}

/// For logs and messages: the file, or the URL without its password.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(_) => write!(f, "Sqlite({self})"),
            StoreLocation::Postgres(_) => write!(f, "Postgres({self})"),
        }
    }
}

/// A store of either backend, before it is shared as `Arc<dyn Store>`: what the
/// CLI's `numgate migrate` needs (the schema operations are not part of [`Store`]).
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the store with the backend's default options; `migrate` as in
    /// [`SqliteOptions::migrate`] and [`PgOptions::migrate`].
    pub async fn open(location: &StoreLocation, migrate: bool) -> Result<AnyStore> {
        AnyStore::open_with(location, migrate, None).await
    }

    /// As [`AnyStore::open`], with the PostgreSQL pool's size (connections of
    /// this node) when given; SQLite ignores it.
    pub async fn open_with(
        location: &StoreLocation,
        migrate: bool,
        max_connections: Option<u32>,
    ) -> Result<AnyStore> {
        Ok(match location {
            StoreLocation::Sqlite(path) => {
                let mut opts = SqliteOptions::new(path);
                opts.migrate = migrate;
                AnyStore::Sqlite(SqliteStore::open(opts).await?)
            }
            StoreLocation::Postgres(url) => {
                let mut opts = PgOptions::new(url.as_str());
                opts.migrate = migrate;
                if let Some(n) = max_connections {
                    opts.max_connections = n;
                }
                AnyStore::Postgres(PgStore::open(opts).await?)
            }
        })
    }

    /// Applies the migrations the database lacks; returns their versions.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        match self {
            AnyStore::Sqlite(s) => s.migrate().await,
            AnyStore::Postgres(s) => s.migrate().await,
        }
    }

    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        match self {
            AnyStore::Sqlite(s) => s.schema_status().await,
            AnyStore::Postgres(s) => s.schema_status().await,
        }
    }

    pub fn into_shared(self) -> Arc<dyn Store> {
        match self {
            AnyStore::Sqlite(s) => Arc::new(s),
            AnyStore::Postgres(s) => Arc::new(s),
        }
    }
}

/// The store the server runs on. With `migrate`, the schema is brought up to date
/// first; without, a schema other than exactly this build's is refused with a
/// `Schema` error that says what to do (`numgate migrate`, or upgrade numgate).
pub async fn open(location: &StoreLocation, migrate: bool) -> Result<Arc<dyn Store>> {
    open_with(location, migrate, None).await
}

/// As [`open`], with the PostgreSQL pool's size when given.
pub async fn open_with(
    location: &StoreLocation,
    migrate: bool,
    max_connections: Option<u32>,
) -> Result<Arc<dyn Store>> {
    let store = AnyStore::open_with(location, migrate, max_connections).await?;
    if !migrate {
        store.schema_status().await?.require_up_to_date()?;
    }
    Ok(store.into_shared())
}

/// The URL with its password (in the user part or a `password=` parameter) replaced
/// by `***`; anything that does not look like a URL is returned as it is.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{host}", &userinfo[..colon]),
                None => authority.to_owned(),
            }
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_a_url_or_a_file() {
        for url in [
            "postgres://db/numgate",
            "postgresql://u@db:5433/n?sslmode=require",
        ] {
            assert_eq!(
                StoreLocation::parse(url),
                StoreLocation::Postgres(url.into())
            );
        }
        assert_eq!(
            StoreLocation::parse("/var/lib/numgate/numgate.db"),
            StoreLocation::Sqlite("/var/lib/numgate/numgate.db".into())
        );
        assert_eq!(
            StoreLocation::parse("sqlite://data/numgate.db"),
            StoreLocation::Sqlite("data/numgate.db".into())
        );
    }

    #[test]
    fn passwords_are_redacted() {
        let cases = [
            (
                "postgres://numgate:s3cret@db:5432/numgate",
                "postgres://numgate:***@db:5432/numgate",
            ),
            (
                "postgres://numgate@db/numgate?password=s3cret&sslmode=require",
                "postgres://numgate@db/numgate?password=***&sslmode=require",
            ),
            ("postgres://u:p@ss:w@rd@db", "postgres://u:***@db"),
            ("postgres://db/numgate", "postgres://db/numgate"),
            ("not a url", "not a url"),
            ("postgres://", "postgres://"),
            ("postgres://:@?&=#", "postgres://:***@?&=#"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        let location = StoreLocation::parse("postgres://numgate:s3cret@db/numgate");
        assert!(!format!("{location} {location:?}").contains("s3cret"));
    }
}
