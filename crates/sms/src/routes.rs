//! Which providers take a message: per tenant and country, in priority order.

use std::sync::Arc;

use crate::sender::SmsSender;

/// A configured channel under its name (the name receipts and records use).
pub struct Provider {
    pub name: String,
    pub sender: Arc<dyn SmsSender>,
}

impl Provider {
    pub fn new(name: impl Into<String>, sender: Arc<dyn SmsSender>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            sender,
        })
    }
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .finish()
    }
}

struct Rule {
    tenant_id: Option<i64>,
    country: Option<String>,
    providers: Vec<Arc<Provider>>,
}

/// The routing table. A message goes by the most specific rule that matches it:
/// its tenant and country, then its tenant (any country), then its country (any
/// tenant), then the default route.
pub struct Routes {
    rules: Vec<Rule>,
    default: Vec<Arc<Provider>>,
}

impl Routes {
    /// A table whose default route is `default` (tried in order).
    pub fn new(default: Vec<Arc<Provider>>) -> Self {
        Self {
            rules: Vec::new(),
            default,
        }
    }

    /// Adds a rule; `None` matches any tenant or any country. A later rule of the
    /// same tenant and country replaces an earlier one.
    pub fn add(
        &mut self,
        tenant_id: Option<i64>,
        country: Option<&str>,
        providers: Vec<Arc<Provider>>,
    ) {
        let country = country.map(str::to_owned);
        self.rules
            .retain(|r| !(r.tenant_id == tenant_id && r.country == country));
        self.rules.push(Rule {
            tenant_id,
            country,
            providers,
        });
    }

    /// The providers of the route a tenant's message to `country` takes, in order.
    pub fn providers(&self, tenant_id: i64, country: &str) -> &[Arc<Provider>] {
        let find = |t: Option<i64>, c: Option<&str>| {
            self.rules
                .iter()
                .find(|r| r.tenant_id == t && r.country.as_deref() == c)
        };
        find(Some(tenant_id), Some(country))
            .or_else(|| find(Some(tenant_id), None))
            .or_else(|| find(None, Some(country)))
            .map_or(&self.default[..], |r| &r.providers[..])
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::sender::{OutgoingSms, SendError, Submitted};

    struct Nothing;

    #[async_trait]
    impl SmsSender for Nothing {
        async fn send(&self, _: &OutgoingSms) -> Result<Submitted, SendError> {
            Ok(Submitted::delivered())
        }
    }

    fn p(name: &str) -> Arc<Provider> {
        Provider::new(name, Arc::new(Nothing))
    }

    fn names(ps: &[Arc<Provider>]) -> Vec<&str> {
        ps.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let mut r = Routes::new(vec![p("outbox")]);
        r.add(None, Some("86"), vec![p("cn-a"), p("cn-b")]);
        r.add(Some(7), None, vec![p("acme-any")]);
        r.add(Some(7), Some("86"), vec![p("acme-cn")]);
        assert_eq!(names(r.providers(7, "86")), ["acme-cn"]);
        assert_eq!(names(r.providers(7, "44")), ["acme-any"]);
        assert_eq!(names(r.providers(8, "86")), ["cn-a", "cn-b"]);
        assert_eq!(names(r.providers(8, "44")), ["outbox"]);
        r.add(Some(7), Some("86"), vec![p("acme-cn-2")]);
        assert_eq!(names(r.providers(7, "86")), ["acme-cn-2"]);
    }
}
