//! The actions a bench run sends and their weights: `check=90,send=10`,
//! `getmobile=1`, `verifymobile=1`, `scene=1` (a whole Fusion-Auth scene).

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Check,
    Send,
    /// One-click logon: an AccessToken (purpose login) for the number behind it.
    GetMobile,
    /// Number check: an AccessToken (purpose verify) and a number, PASS or REJECT.
    VerifyMobile,
    /// A whole Fusion-Auth scene 100001 on its low-risk path (four requests).
    Scene,
}

impl Kind {
    pub fn action(self) -> &'static str {
        match self {
            Kind::Check => "CheckSmsVerifyCode",
            Kind::Send => "SendSmsVerifyCode",
            Kind::GetMobile => "GetMobile",
            Kind::VerifyMobile => "VerifyMobile",
            Kind::Scene => "FusionScene100001",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Send => "send",
            Kind::GetMobile => "getmobile",
            Kind::VerifyMobile => "verifymobile",
            Kind::Scene => "scene",
        }
    }

    /// Whether its requests carry a device's AccessToken, spent at a carrier.
    pub fn is_carrier(self) -> bool {
        matches!(self, Kind::GetMobile | Kind::VerifyMobile)
    }
}

/// Weights of the actions: `check=90,send=10`.
#[derive(Debug, Clone)]
pub struct Mix(Vec<(Kind, u32)>);

impl FromStr for Mix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut weights = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, w) = part.split_once('=').unwrap_or((part, "1"));
            let kind = match name.trim() {
                "check" | "CheckSmsVerifyCode" => Kind::Check,
                "send" | "SendSmsVerifyCode" => Kind::Send,
                "getmobile" | "GetMobile" => Kind::GetMobile,
                "verifymobile" | "VerifyMobile" => Kind::VerifyMobile,
                "scene" | "fusion" => Kind::Scene,
                other => {
                    return Err(format!(
                    "unknown action {other:?}: use check, send, getmobile, verifymobile or scene"
                ))
                }
            };
            let w: u32 = w
                .trim()
                .parse()
                .ok()
                .filter(|w| *w <= 1000)
                .ok_or_else(|| format!("the weight of {name} must be 0 to 1000"))?;
            if weights.iter().any(|(k, _)| *k == kind) {
                return Err(format!("{name} is given twice"));
            }
            weights.push((kind, w));
        }
        if weights.iter().all(|(_, w)| *w == 0) {
            return Err("give at least one action a weight above zero".into());
        }
        Ok(Mix(weights))
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, w)| format!("{}={w}", k.short()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Mix {
    pub fn weight(&self, kind: Kind) -> u32 {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, w)| *w)
    }

    /// Whether any action with a weight above zero is a carrier action.
    pub fn has_carrier(&self) -> bool {
        self.0.iter().any(|(k, w)| k.is_carrier() && *w > 0)
    }

    /// Whether the mix runs Fusion-Auth scenes (then nothing else).
    pub fn has_scene(&self) -> bool {
        self.weight(Kind::Scene) > 0
    }

    pub fn share(&self, kind: Kind) -> f64 {
        let total: u32 = self.0.iter().map(|(_, w)| w).sum();
        f64::from(self.weight(kind)) / f64::from(total)
    }

    /// One cycle of actions in which each has its weight, spread evenly (smooth
    /// weighted round robin): `check=90,send=10` sends every tenth request.
    pub fn schedule(&self) -> Vec<Kind> {
        let gcd = self.0.iter().fold(0, |g, (_, w)| gcd(g, *w));
        let weights: Vec<(Kind, i64)> = self
            .0
            .iter()
            .map(|(k, w)| (*k, i64::from(w / gcd)))
            .collect();
        let total: i64 = weights.iter().map(|(_, w)| w).sum();
        let mut current = vec![0i64; weights.len()];
        (0..total)
            .map(|_| {
                for (c, (_, w)) in current.iter_mut().zip(&weights) {
                    *c += w;
                }
                let best = (0..weights.len()).max_by_key(|&i| current[i]).unwrap_or(0);
                current[best] -= total;
                weights[best].0
            })
            .collect()
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
