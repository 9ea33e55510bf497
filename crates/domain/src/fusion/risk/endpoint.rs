//! Endpoint risk: the device and connection, from what the SDK reports.

use serde::{Deserialize, Serialize};

use super::{frequency, FiredRule, RiskEvaluation, Rule};
use crate::fusion::node::RiskSettings;

// Weights, with the default threshold of 50 in mind: one signal of active
// tampering is high risk on its own, an everyday one is not.

/// A repackaged app is someone else's code speaking for the tenant: high alone.
pub const APP_SIGNATURE_MISMATCH: u8 = 60;
/// Frida/Xposed-style hooking is live instrumentation of the app: high alone.
pub const HOOKING: u8 = 50;
/// Emulators are how verification farms scale, but also how developers test:
/// high only with one more signal.
pub const EMULATOR: u8 = 40;
/// The genuine SDK always reports a device id; a missing one means a scripted
/// client or a privacy-hardened phone.
pub const NO_DEVICE_ID: u8 = 20;
/// Rooted and jailbroken phones are common among enthusiasts; it weakens the
/// other signals, so it counts, but not much.
pub const ROOT_OR_JAILBREAK: u8 = 25;
/// VPNs and proxies are everyday privacy tools; together with another signal
/// they hide a farm's origin.
pub const PROXY_OR_VPN: u8 = 15;

/// What the SDK reports about the device and the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointSignals {
    /// The SDK reported a device id.
    pub device_id: bool,
    pub emulator: bool,
    pub root_or_jailbreak: bool,
    pub hooking: bool,
    pub proxy_or_vpn: bool,
    /// The app's signing certificate differs from the one in the scheme.
    pub app_signature_mismatch: bool,
}

/// A genuine app on a clean phone.
impl Default for EndpointSignals {
    fn default() -> Self {
        Self {
            device_id: true,
            emulator: false,
            root_or_jailbreak: false,
            hooking: false,
            proxy_or_vpn: false,
            app_signature_mismatch: false,
        }
    }
}

/// Scores the device's signals and the node's frequency rules.
pub fn evaluate_endpoint(
    settings: &RiskSettings,
    signals: &EndpointSignals,
    counts: &super::AttemptCounts,
) -> RiskEvaluation {
    let checks = [
        (
            !signals.device_id,
            Rule::NoDeviceId,
            NO_DEVICE_ID,
            "the SDK reported no device id",
        ),
        (
            signals.emulator,
            Rule::Emulator,
            EMULATOR,
            "the app runs in an emulator",
        ),
        (
            signals.root_or_jailbreak,
            Rule::RootOrJailbreak,
            ROOT_OR_JAILBREAK,
            "the phone is rooted or jailbroken",
        ),
        (
            signals.hooking,
            Rule::Hooking,
            HOOKING,
            "a hooking framework is attached to the app",
        ),
        (
            signals.proxy_or_vpn,
            Rule::ProxyOrVpn,
            PROXY_OR_VPN,
            "the connection goes through a proxy or VPN",
        ),
        (
            signals.app_signature_mismatch,
            Rule::AppSignatureMismatch,
            APP_SIGNATURE_MISMATCH,
            "the app's signature differs from the scheme's",
        ),
    ];
    let mut fired: Vec<FiredRule> = checks
        .into_iter()
        .filter(|(hit, ..)| *hit)
        .map(|(_, rule, points, reason)| FiredRule::new(rule, points, reason))
        .collect();
    fired.extend(frequency(settings, counts));
    RiskEvaluation::judge(settings, fired)
}
