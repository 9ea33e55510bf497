//! numgate server integration tests: the real server on port 0 with a fresh data
//! directory, spoken to over HTTP by the Rust client and the official Python SDK.

mod billing;
mod browser;
mod captcha;
mod carriers;
mod codes;
mod console;
mod console_audit;
mod console_billing;
mod console_keys;
mod console_overview;
mod console_policies;
mod console_risk;
mod console_schemes;
mod console_screenshots;
mod console_sms;
mod fusion;
mod fusion_policy;
mod fusion_sdk;
mod gateway;
mod helpers;
mod malformed;
mod schemes;
mod sdk;
mod sms_auth;
mod sms_guards;
mod statistics;
