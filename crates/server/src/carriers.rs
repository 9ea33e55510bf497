//! The carrier gateways of this installation, built once from `[carriers]`.

use std::time::Duration;

use numgate_carriers::camara::{Camara, CamaraClient};
use numgate_carriers::token_exchange::{AppCredentials, Dialect, TokenExchange};
use numgate_carriers::{CarrierGateway, Timeouts};
use numgate_domain::access_token::TokenCarrier;

use crate::config::{CarriersConfig, TokenCarrierConfig};

/// One adapter per configured carrier; a carrier left out of the configuration
/// is `None` and its tokens are refused.
#[derive(Debug, Default)]
pub struct Carriers {
    cm: Option<TokenExchange>,
    cu: Option<TokenExchange>,
    ct: Option<TokenExchange>,
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
        let exchange = |d: Dialect, t: &Option<TokenCarrierConfig>| {
            t.as_ref().map(|t| {
                let app = AppCredentials {
                    app_id: t.app_id.clone(),
                    app_key: t.app_key.clone(),
                };
                TokenExchange::new(d, &t.url, app, timeouts)
            })
        };
        Self {
            cm: exchange(Dialect::ChinaMobile, &c.cm),
            cu: exchange(Dialect::ChinaUnicom, &c.cu),
            ct: exchange(Dialect::ChinaTelecom, &c.ct),
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

    /// The adapter for a token's carrier, if that carrier is configured.
    pub fn get(&self, carrier: TokenCarrier) -> Option<&dyn CarrierGateway> {
        match carrier {
            TokenCarrier::Cm => self.cm.as_ref().map(|c| c as &dyn CarrierGateway),
            TokenCarrier::Cu => self.cu.as_ref().map(|c| c as &dyn CarrierGateway),
            TokenCarrier::Ct => self.ct.as_ref().map(|c| c as &dyn CarrierGateway),
            TokenCarrier::Camara => self.camara.as_ref().map(|c| c as &dyn CarrierGateway),
        }
    }

    /// The CAMARA operator (SIM swap, authorize URLs), if configured.
    pub fn camara(&self) -> Option<&Camara> {
        self.camara.as_ref()
    }
}
