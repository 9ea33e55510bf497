//! Policies: a tenant's global policy per scene, per-scheme policies that inherit
//! it until told not to, and which graph is in force.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::defaults::{default_graph, SmsDefaults};
use super::graph::PolicyGraph;
use super::scene::Scene;

/// A stored policy of one scene: the tenant's global one, or a scheme's.
///
/// While `inherit` is on, the policy follows the level above (a scheme's follows
/// the tenant's global policy, the global one follows numgate's default graph),
/// and its own `graph` is kept but not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub inherit: bool,
    pub graph: PolicyGraph,
}

/// Where the graph in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Scheme,
    Global,
    Default,
}

impl Policy {
    /// "Restore defaults": the scene's default graph, in force at this level.
    pub fn defaults(scene: Scene, sms: &SmsDefaults) -> Self {
        Self {
            inherit: false,
            graph: default_graph(scene, sms),
        }
    }

    /// Turns inheritance off, starting from the graph that was in force (the
    /// inherited one), so that switching the flag changes nothing until edited.
    pub fn stop_inheriting(&mut self, in_force: &PolicyGraph) {
        if self.inherit {
            self.inherit = false;
            self.graph = in_force.clone();
        }
    }
}

/// The graph in force for an attempt: the scheme's policy if it has one and does
/// not inherit, else the tenant's global policy if it has one and does not
/// inherit, else the scene's default graph.
pub fn effective_policy<'a>(
    scene: Scene,
    sms: &SmsDefaults,
    global: Option<&'a Policy>,
    scheme: Option<&'a Policy>,
) -> (Cow<'a, PolicyGraph>, PolicySource) {
    if let Some(p) = scheme.filter(|p| !p.inherit) {
        return (Cow::Borrowed(&p.graph), PolicySource::Scheme);
    }
    if let Some(p) = global.filter(|p| !p.inherit) {
        return (Cow::Borrowed(&p.graph), PolicySource::Global);
    }
    (Cow::Owned(default_graph(scene, sms)), PolicySource::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::defaults::ids;
    use crate::fusion::testing::sms_defaults;

    fn edited(scene: Scene, threshold: u8) -> Policy {
        let mut p = Policy::defaults(scene, &sms_defaults(scene));
        let node = p.graph.node_mut(ids::ENDPOINT_RISK).unwrap();
        if let super::super::node::Settings::EndpointRisk(r) = &mut node.settings {
            r.threshold = threshold;
        }
        p
    }

    fn threshold(g: &PolicyGraph) -> u8 {
        g.node(ids::ENDPOINT_RISK)
            .unwrap()
            .settings
            .risk()
            .unwrap()
            .threshold
    }

    #[test]
    fn without_policies_the_default_graph_is_in_force() {
        let scene = Scene::Logon;
        let sms = sms_defaults(scene);
        let (g, source) = effective_policy(scene, &sms, None, None);
        assert_eq!(source, PolicySource::Default);
        assert_eq!(*g, default_graph(scene, &sms));
    }

    #[test]
    fn an_inheriting_scheme_follows_the_global_policy_and_a_detached_one_does_not() {
        let scene = Scene::ResetPassword;
        let sms = sms_defaults(scene);
        let mut global = edited(scene, 70);
        let mut scheme = edited(scene, 20);
        scheme.inherit = true;

        let (g, source) = effective_policy(scene, &sms, Some(&global), Some(&scheme));
        assert_eq!((threshold(&g), source), (70, PolicySource::Global));

        // The global policy changes: the inheriting scheme follows.
        global = edited(scene, 80);
        let (g, _) = effective_policy(scene, &sms, Some(&global), Some(&scheme));
        assert_eq!(threshold(&g), 80);

        // Inherit off: the scheme keeps what was in force, and no longer follows.
        let in_force = g.into_owned();
        scheme.stop_inheriting(&in_force);
        global = edited(scene, 90);
        let (g, source) = effective_policy(scene, &sms, Some(&global), Some(&scheme));
        assert_eq!((threshold(&g), source), (80, PolicySource::Scheme));
    }

    #[test]
    fn an_inheriting_global_policy_follows_the_defaults() {
        let scene = Scene::BindNewNumber;
        let sms = sms_defaults(scene);
        let mut global = edited(scene, 70);
        global.inherit = true;
        let (g, source) = effective_policy(scene, &sms, Some(&global), None);
        assert_eq!(source, PolicySource::Default);
        assert_eq!(threshold(&g), 50);
    }

    #[test]
    fn restoring_defaults_brings_the_default_graph_back() {
        let scene = Scene::Logon;
        let sms = sms_defaults(scene);
        let edited = edited(scene, 5);
        let (g, _) = effective_policy(scene, &sms, None, Some(&edited));
        assert_eq!(threshold(&g), 5);
        let scheme = Policy::defaults(scene, &sms);
        let (g, source) = effective_policy(scene, &sms, None, Some(&scheme));
        assert_eq!(source, PolicySource::Scheme);
        assert_eq!(*g, default_graph(scene, &sms));
    }

    #[test]
    fn policies_round_trip_through_json() {
        let p = Policy::defaults(
            Scene::VerifyBoundNumber,
            &sms_defaults(Scene::VerifyBoundNumber),
        );
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), p);
    }
}
