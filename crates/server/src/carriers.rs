//! The carrier gateways of this installation, built once from `[carriers]`.
//!
//! Each token-exchange carrier has numgate's own app and, optionally, tenants'
//! own apps (`[[carriers.cm.accounts]]`), each named by an API code that only its
//! tenant may use. A device asks the carrier with the app id of the account its
//! scheme names, and numgate exchanges the token with that account's key: the
//! carrier only redeems a token for the app it was minted for.

use std::collections::HashMap;
use std::time::Duration;

use numgate_carriers::camara::{Camara, CamaraClient};
use numgate_carriers::token_exchange::{AppCredentials, Dialect, TokenExchange};
use numgate_carriers::{CarrierGateway, Timeouts};
use numgate_domain::access_token::{CarrierAccounts, TokenCarrier};

use crate::config::{CarriersConfig, TokenCarrierConfig};

/// One app at a token-exchange carrier, with the adapter that uses its key.
#[derive(Debug)]
struct App {
    app_id: String,
    adapter: TokenExchange,
}

/// A token-exchange carrier: its gateway, numgate's app, tenants' apps by API code.
#[derive(Debug)]
struct TokenCarrierSet {
    url: String,
    platform: App,
    /// API code → (tenant name, app).
    accounts: HashMap<i64, (String, App)>,
}

impl TokenCarrierSet {
    fn new(dialect: Dialect, c: &TokenCarrierConfig, timeouts: Timeouts) -> Self {
        let app = |app_id: &str, app_key: &str| App {
            app_id: app_id.to_owned(),
            adapter: TokenExchange::new(
                dialect,
                &c.url,
                AppCredentials {
                    app_id: app_id.to_owned(),
                    app_key: app_key.to_owned(),
                },
                timeouts,
            ),
        };
        Self {
            url: c.url.clone(),
            platform: app(&c.app_id, &c.app_key),
            accounts: c
                .accounts
                .iter()
                .map(|a| (a.api_code, (a.tenant.clone(), app(&a.app_id, &a.app_key))))
                .collect(),
        }
    }

    /// The app for `code`: numgate's own for none, the tenant's for a code of
    /// that tenant, nothing for a code that is unknown or another tenant's.
    fn app(&self, tenant: &str, code: Option<i64>) -> Option<&App> {
        match code {
            None => Some(&self.platform),
            Some(code) => match self.accounts.get(&code) {
                Some((owner, app)) if owner == tenant => Some(app),
                _ => None,
            },
        }
    }
}

/// One adapter per configured carrier; a carrier left out of the configuration
/// is `None` and its tokens are refused.
#[derive(Debug, Default)]
pub struct Carriers {
    cm: Option<TokenCarrierSet>,
    cu: Option<TokenCarrierSet>,
    ct: Option<TokenCarrierSet>,
    camara: Option<Camara>,
}

impl Carriers {
    pub fn from_config(c: &CarriersConfig) -> Self {
        let timeouts = match c.timeout_ms {
            Some(ms) => Timeouts {
                connect: Duration::from_millis(ms.min(1_000)),
                request: Duration::from_millis(ms),
            },
            None => Timeouts::default(),
        };
        let set = |d: Dialect, t: &Option<TokenCarrierConfig>| {
            t.as_ref().map(|t| TokenCarrierSet::new(d, t, timeouts))
        };
        Self {
            cm: set(Dialect::ChinaMobile, &c.cm),
            cu: set(Dialect::ChinaUnicom, &c.cu),
            ct: set(Dialect::ChinaTelecom, &c.ct),
            camara: c.camara.as_ref().map(|k| {
                let client = CamaraClient {
                    client_id: k.client_id.clone(),
                    client_secret: k.client_secret.clone(),
                    redirect_uri: k.redirect_uri.clone(),
                };
                Camara::new(&k.url, client, k.hashed, timeouts)
            }),
        }
    }

    fn token_set(&self, carrier: TokenCarrier) -> Option<&TokenCarrierSet> {
        match carrier {
            TokenCarrier::Cm => self.cm.as_ref(),
            TokenCarrier::Cu => self.cu.as_ref(),
            TokenCarrier::Ct => self.ct.as_ref(),
            TokenCarrier::Camara => None,
        }
    }

    /// The adapter that exchanges a token of `carrier` minted for the app that
    /// `accounts` names, if that carrier is configured and the account is the
    /// tenant's. CAMARA has one client for every tenant.
    pub fn get(
        &self,
        carrier: TokenCarrier,
        accounts: &CarrierAccounts,
    ) -> Option<&dyn CarrierGateway> {
        if carrier == TokenCarrier::Camara {
            return self.camara.as_ref().map(|c| c as &dyn CarrierGateway);
        }
        let set = self.token_set(carrier)?;
        let app = set.app(&accounts.tenant, accounts.api_code(carrier));
        if app.is_none() {
            tracing::warn!(
                carrier = ?carrier,
                tenant = %accounts.tenant,
                api_code = ?accounts.api_code(carrier),
                "a scheme names a carrier API code that [carriers] does not give its tenant"
            );
        }
        app.map(|a| &a.adapter as &dyn CarrierGateway)
    }

    /// Whether `tenant` may name `code` at `carrier` (a configured account of its own).
    pub fn has_account(&self, carrier: TokenCarrier, tenant: &str, code: i64) -> bool {
        self.token_set(carrier)
            .is_some_and(|s| s.app(tenant, Some(code)).is_some())
    }

    /// The token-exchange carriers a device may ask, with the gateway and the app
    /// id to ask with (`{"Carrier", "Gateway", "AppId"}`).
    pub fn offered(&self, accounts: &CarrierAccounts) -> Vec<serde_json::Value> {
        [TokenCarrier::Cm, TokenCarrier::Cu, TokenCarrier::Ct]
            .into_iter()
            .filter_map(|c| {
                let set = self.token_set(c)?;
                let app = set.app(&accounts.tenant, accounts.api_code(c))?;
                let name = match c {
                    TokenCarrier::Cm => "cm",
                    TokenCarrier::Cu => "cu",
                    _ => "ct",
                };
                Some(serde_json::json!({"Carrier": name, "Gateway": set.url, "AppId": app.app_id}))
            })
            .collect()
    }

    /// The CAMARA operator (SIM swap, authorize URLs), if configured.
    pub fn camara(&self) -> Option<&Camara> {
        self.camara.as_ref()
    }
}
