//! Test fixtures shared by the fusion tests: the complimentary SMS catalog of a
//! new tenant (as `numgate-store` seeds it) and numbers.

use super::defaults::{default_graph, SmsDefaults};
use super::graph::PolicyGraph;
use super::scene::Scene;
use crate::{CountryCode, PhoneNumber};

const SIGNATURES: &[&str] = &[
    "速通互联验证码",
    "云渚科技验证平台",
    "速通互联验证平台",
    "云渚科技验证服务",
];

/// The complimentary catalog: any complimentary signature with a scene template.
pub(crate) fn catalog(sign: &str, template: &str) -> bool {
    SIGNATURES.contains(&sign) && Scene::parse(template).is_ok()
}

pub(crate) fn sms_defaults(scene: Scene) -> SmsDefaults {
    SmsDefaults {
        sign_name: SIGNATURES[0].to_owned(),
        template_code: scene.to_string(),
        service_number: "1069000012345".to_owned(),
    }
}

pub(crate) fn graph(scene: Scene) -> PolicyGraph {
    default_graph(scene, &sms_defaults(scene))
}

/// A China Mobile number.
pub(crate) fn cm() -> PhoneNumber {
    PhoneNumber::parse(&CountryCode::mainland(), "13800138000").unwrap()
}

/// Another China Mobile number.
pub(crate) fn cm2() -> PhoneNumber {
    PhoneNumber::parse(&CountryCode::mainland(), "13900139000").unwrap()
}

/// A virtual-operator number.
pub(crate) fn mvno() -> PhoneNumber {
    PhoneNumber::parse(&CountryCode::mainland(), "17012345678").unwrap()
}
