//! numgate-store's one integration test binary: a conformance suite that every
//! backend must pass (SQLite always, PostgreSQL when `NUMGATE_TEST_DATABASE_URL`
//! is set), and the tests particular to each backend.

mod attempts;
mod billing;
mod catalog;
mod codes;
mod deliveries;
mod fusion_schemes;
mod guards;
mod inbound;
mod maintenance;
mod nonces;
mod policies;
mod postgres;
mod queue;
mod risk;
mod schemes;
mod sessions;
mod sqlite;
mod statistics;
mod support;
mod tenants;
mod tokens;
mod users;
