//! numgate's server: the Alibaba-compatible Open API and the operations endpoints.
//!
//! # Layout
//! - [`startup`]: build the application from a [`Config`] and serve on a bound listener.
//! - [`gateway`]: the Open API entry: signature, nonce, action, envelope.
//! - [`actions`]: one file per Open API action: parse parameters, call a service, shape the payload.
//! - [`service`]: the rules of each operation, shared by the Open API and the CLI.
//! - [`error`]: the one error type and its mapping to Alibaba's codes.
//! - [`console`]: the web console at `/console` (sign-in, sessions, pages, JSON API).
//! - [`config`], [`state`], [`master_key`], [`ops`], [`params`].
#![forbid(unsafe_code)]

pub mod actions;
pub mod carriers;
pub mod client_api;
pub mod config;
pub mod console;
pub mod error;
pub mod gateway;
pub mod master_key;
pub mod metrics;
pub mod ops;
pub mod params;
pub mod provider_api;
pub mod service;
pub mod sms_channels;
pub mod startup;
pub mod state;

pub use config::Config;
pub use startup::{open_data_dir, Application, DataDir, DEFAULT_TENANT};
