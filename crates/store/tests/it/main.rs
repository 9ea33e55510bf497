//! numgate-store's one integration test binary: a conformance suite that every
//! backend must pass, and the tests particular to SQLite.

mod codes;
mod maintenance;
mod nonces;
mod queue;
mod sqlite;
mod support;
mod tenants;
