//! The service functions: the rules of each operation, called by the Open API
//! actions, the CLI and the console, so that no rule exists twice.

pub mod audit;
pub mod billing;
pub mod carrier_tokens;
pub mod codes;
pub mod fusion;
pub mod fusion_schemes;
pub mod h5;
pub mod keys;
pub mod policies;
pub mod risk_lists;
pub mod schemes;
pub mod send_details;
pub mod sms_auth;
pub mod sms_catalog;
pub mod stats;
