//! The `numgate` binary as users run it: real processes, real signals.

mod admin;
mod bench;
mod billing;
mod cluster;
mod crash;
mod policy;
mod proc;
mod readme;
mod sim;
mod sms_delivery;
mod sms_provider_sim;
mod smsc;
mod users;
