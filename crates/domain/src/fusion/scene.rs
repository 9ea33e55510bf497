//! Fusion-Auth scenes: what the user is doing, and whether the client brings the
//! number or the scene has to learn it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::InvalidParam;

/// A Fusion-Auth scene (`SceneCode`), serialised as its code string (`"100001"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Scene {
    /// 100001: one-click logon or registration.
    Logon,
    /// 100002: change the account's phone number.
    ChangeNumber,
    /// 100003: reset the password.
    ResetPassword,
    /// 100004: bind a new number.
    BindNewNumber,
    /// 100005: verify the number already bound to the account.
    VerifyBoundNumber,
}

/// Where a scene gets the number it verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberSource {
    /// The scene learns it: one-click gives it, else the user enters it for SMS.
    Learned,
    /// The client supplies it when the scene starts: the number the user entered,
    /// or (100005) the bound number, which the tenant's backend compares with the
    /// PhoneNumber that `VerifyWithFusionAuthToken` returns.
    Supplied,
}

impl Scene {
    pub const ALL: [Scene; 5] = [
        Scene::Logon,
        Scene::ChangeNumber,
        Scene::ResetPassword,
        Scene::BindNewNumber,
        Scene::VerifyBoundNumber,
    ];

    /// The numeric scene code of the Open API.
    pub fn code(self) -> u32 {
        match self {
            Self::Logon => 100001,
            Self::ChangeNumber => 100002,
            Self::ResetPassword => 100003,
            Self::BindNewNumber => 100004,
            Self::VerifyBoundNumber => 100005,
        }
    }

    pub fn from_code(code: u32) -> Result<Self, InvalidParam> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| InvalidParam::new("SceneCode", "must be 100001 to 100005"))
    }

    /// Parses a `SceneCode` parameter: the code as a decimal string.
    pub fn parse(s: &str) -> Result<Self, InvalidParam> {
        let code = s
            .trim()
            .parse::<u32>()
            .map_err(|_| InvalidParam::new("SceneCode", "must be 100001 to 100005"))?;
        Self::from_code(code)
    }

    /// A short English name, for logs and the console.
    pub fn name(self) -> &'static str {
        match self {
            Self::Logon => "logon or registration",
            Self::ChangeNumber => "change phone number",
            Self::ResetPassword => "reset password",
            Self::BindNewNumber => "bind a new number",
            Self::VerifyBoundNumber => "verify the bound number",
        }
    }

    pub fn number_source(self) -> NumberSource {
        match self {
            Self::Logon => NumberSource::Learned,
            _ => NumberSource::Supplied,
        }
    }

    /// Whether the client must supply the number when it starts the scene.
    pub fn requires_number_up_front(self) -> bool {
        self.number_source() == NumberSource::Supplied
    }
}

impl fmt::Display for Scene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl FromStr for Scene {
    type Err = InvalidParam;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Scene> for String {
    fn from(s: Scene) -> Self {
        s.to_string()
    }
}

impl TryFrom<String> for Scene {
    type Error = InvalidParam;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_parse_from_their_codes() {
        for scene in Scene::ALL {
            assert_eq!(Scene::from_code(scene.code()).unwrap(), scene);
            assert_eq!(Scene::parse(&scene.to_string()).unwrap(), scene);
        }
        assert_eq!(Scene::parse(" 100003 ").unwrap(), Scene::ResetPassword);
        assert!(Scene::parse("100006").is_err());
        assert!(Scene::parse("logon").is_err());
        assert!(Scene::from_code(100000).is_err());
    }

    #[test]
    fn only_logon_learns_the_number() {
        assert!(!Scene::Logon.requires_number_up_front());
        for scene in &Scene::ALL[1..] {
            assert!(scene.requires_number_up_front(), "{scene}");
        }
    }

    #[test]
    fn scenes_serialise_as_code_strings() {
        let json = serde_json::to_string(&Scene::VerifyBoundNumber).unwrap();
        assert_eq!(json, "\"100005\"");
        assert_eq!(
            serde_json::from_str::<Scene>("\"100002\"").unwrap(),
            Scene::ChangeNumber
        );
        assert!(serde_json::from_str::<Scene>("\"9\"").is_err());
    }
}
