//! Integration tests: real simulators on loopback, clients bound to 127.0.0.N as SIMs.

mod camara_flows;
mod control;
mod faults;
mod features_number_verification;
mod features_sim_swap;
mod helpers;
mod token_exchange;
