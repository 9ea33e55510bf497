//! The device side of one-click logon and number check: what an app's SDK does
//! on the phone. It asks numgate which carriers it may use, asks its carrier over
//! its own bearer (this client is bound to the bearer's address) for the masked
//! number and a token, and has numgate wrap the token into an AccessToken for
//! the app's backend.

use std::net::IpAddr;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

pub mod fusion;

/// What the app was built with: its scheme and app key (`AppEncryptInfo` of
/// `DescribeVerifyScheme`) and its own identity (package name, bundle id, origin).
#[derive(Clone)]
pub struct AppIdentity {
    pub scheme_code: String,
    app_key: Vec<u8>,
    pub app: String,
}

impl std::fmt::Debug for AppIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppIdentity")
            .field("scheme_code", &self.scheme_code)
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("AppEncryptInfo is not valid")]
    BadAppInfo,
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("numgate refused: {code}: {message}")]
    Numgate { code: String, message: String },
    #[error("no carrier serves this SIM: {0}")]
    NoCarrier(String),
    #[error("the carrier refused: {0}")]
    Carrier(String),
}

impl AppIdentity {
    pub fn from_app_encrypt_info(info: &str, app: &str) -> Result<Self, DeviceError> {
        let json = STANDARD
            .decode(info.trim())
            .map_err(|_| DeviceError::BadAppInfo)?;
        let v: Value = serde_json::from_slice(&json).map_err(|_| DeviceError::BadAppInfo)?;
        let scheme_code = v["scheme"]
            .as_str()
            .ok_or(DeviceError::BadAppInfo)?
            .to_owned();
        let key = v["key"].as_str().ok_or(DeviceError::BadAppInfo)?;
        let app_key = URL_SAFE_NO_PAD
            .decode(key)
            .map_err(|_| DeviceError::BadAppInfo)?;
        Ok(Self {
            scheme_code,
            app_key,
            app: app.to_owned(),
        })
    }
}

/// The kind of verification a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Verify,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Verify => "verify",
        }
    }
}

/// What the device obtained: the masked number shown to the user and the
/// AccessToken for the app's backend.
#[derive(Debug, Clone)]
pub struct DeviceToken {
    pub carrier: String,
    pub masked_number: Option<String>,
    pub access_token: String,
}

/// A phone on a bearer address.
pub struct Device {
    http: reqwest::Client,
    numgate: String,
    identity: AppIdentity,
}

impl Device {
    /// `bearer`: the source address the carrier identifies the SIM by.
    pub fn new(bearer: IpAddr, numgate: &str, identity: AppIdentity) -> Result<Self, DeviceError> {
        let http = reqwest::Client::builder()
            .local_address(Some(bearer))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            numgate: numgate.trim_end_matches('/').to_owned(),
            identity,
        })
    }

    /// A signed Client API call.
    async fn numgate(&self, path: &str, mut body: Value) -> Result<Value, DeviceError> {
        body["scheme_code"] = json!(self.identity.scheme_code);
        body["app"] = json!(self.identity.app);
        body["timestamp"] = json!(chrono::Utc::now().timestamp());
        let bytes = serde_json::to_vec(&body).expect("JSON serialises");
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.identity.app_key).expect("any key length");
        mac.update(&bytes);
        let resp = self
            .http
            .post(format!("{}{path}", self.numgate))
            .header("content-type", "application/json")
            .header(
                "x-numgate-signature",
                hex::encode(mac.finalize().into_bytes()),
            )
            .body(bytes)
            .send()
            .await?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await?;
        if !ok {
            return Err(DeviceError::Numgate {
                code: v["code"].as_str().unwrap_or_default().to_owned(),
                message: v["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(v)
    }

    /// The whole flow: find the SIM's carrier, get its token, wrap it.
    pub async fn token(&self, purpose: Purpose) -> Result<DeviceToken, DeviceError> {
        let config = self.numgate("/client/v1/app/config", json!({})).await?;
        let mut refusals = Vec::new();
        for c in config["Carriers"].as_array().into_iter().flatten() {
            match ask_carrier(&self.http, c, purpose).await? {
                Ok(got) => {
                    return self
                        .wrap(&got.carrier, &got.token, purpose, Some(got.masked))
                        .await
                }
                Err(refusal) => refusals.push(refusal),
            }
        }
        if let Some(camara) = config.get("Camara") {
            let key = match purpose {
                Purpose::Login => "AuthorizeUrlLogin",
                Purpose::Verify => "AuthorizeUrlVerify",
            };
            if let Some(url) = camara[key].as_str() {
                let resp = self.http.get(url).send().await?;
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
                let code = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("code="))
                    .map(str::to_owned);
                match code {
                    Some(code) => return self.wrap("camara", &code, purpose, None).await,
                    None => refusals.push(format!("camara: {location}")),
                }
            }
        }
        Err(DeviceError::NoCarrier(refusals.join("; ")))
    }

    /// The H5 flow from this phone: the page's session tokens (GetAuthToken),
    /// the middle digits the user typed; the spToken, and the masked number.
    pub async fn h5_confirm(
        numgate: &str,
        bearer: IpAddr,
        access_token: &str,
        jwt_token: &str,
        digits: &str,
    ) -> Result<(String, String), DeviceError> {
        let http = reqwest::Client::builder()
            .local_address(Some(bearer))
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        let numgate = numgate.trim_end_matches('/');
        let session = json!({"access_token": access_token, "jwt_token": jwt_token});
        let refusal = |v: &Value| DeviceError::Numgate {
            code: v["code"].as_str().unwrap_or_default().to_owned(),
            message: format!(
                "{}{}",
                v["message"].as_str().unwrap_or_default(),
                v["TriesLeft"]
                    .as_u64()
                    .map(|n| format!(" ({n} tries left)"))
                    .unwrap_or_default()
            ),
        };
        let resp = http
            .post(format!("{numgate}/client/v1/h5/config"))
            .json(&session)
            .send()
            .await?;
        let ok = resp.status().is_success();
        let config: Value = resp.json().await?;
        if !ok {
            return Err(refusal(&config));
        }
        let mut refusals = Vec::new();
        for c in config["Carriers"].as_array().into_iter().flatten() {
            let got = match ask_carrier(&http, c, Purpose::Login).await? {
                Ok(got) => got,
                Err(refusal) => {
                    refusals.push(refusal);
                    continue;
                }
            };
            let mut body = session.clone();
            body["carrier"] = json!(got.carrier);
            body["carrier_token"] = json!(got.token);
            body["digits"] = json!(digits);
            let resp = http
                .post(format!("{numgate}/client/v1/h5/confirm"))
                .json(&body)
                .send()
                .await?;
            let ok = resp.status().is_success();
            let v: Value = resp.json().await?;
            if !ok {
                return Err(refusal(&v));
            }
            let sp = v["SpToken"].as_str().ok_or_else(|| refusal(&v))?.to_owned();
            return Ok((sp, got.masked));
        }
        Err(DeviceError::NoCarrier(refusals.join("; ")))
    }

    async fn wrap(
        &self,
        carrier: &str,
        carrier_token: &str,
        purpose: Purpose,
        masked_number: Option<String>,
    ) -> Result<DeviceToken, DeviceError> {
        let v = self
            .numgate(
                "/client/v1/app/token",
                json!({"carrier": carrier, "carrier_token": carrier_token, "purpose": purpose.as_str()}),
            )
            .await?;
        let access_token = v["AccessToken"]
            .as_str()
            .ok_or_else(|| DeviceError::Numgate {
                code: "Malformed".into(),
                message: v.to_string(),
            })?
            .to_owned();
        Ok(DeviceToken {
            carrier: carrier.to_owned(),
            masked_number,
            access_token,
        })
    }
}

/// What one carrier gave this SIM over its bearer.
struct CarrierAnswer {
    carrier: String,
    masked: String,
    token: String,
}

/// Asks one offered carrier (`{Carrier, Gateway, AppId}`) for the masked number
/// and a token for `purpose`; `Err(text)` with the carrier's refusal when it does
/// not serve this SIM (another network's SIM, mobile data off, suspended line).
async fn ask_carrier(
    http: &reqwest::Client,
    offered: &Value,
    purpose: Purpose,
) -> Result<Result<CarrierAnswer, String>, DeviceError> {
    let (Some(carrier), Some(gateway), Some(app_id)) = (
        offered["Carrier"].as_str(),
        offered["Gateway"].as_str(),
        offered["AppId"].as_str(),
    ) else {
        return Ok(Err(format!("malformed offer {offered}")));
    };
    let gw = |ep: &str| format!("{}/{carrier}/{ep}", gateway.trim_end_matches('/'));
    let pre: Value = http
        .post(gw("prefetch"))
        .json(&json!({"app_id": app_id}))
        .send()
        .await?
        .json()
        .await?;
    let Some(masked) = pre["data"]["masked_number"].as_str() else {
        return Ok(Err(format!("{carrier}: {pre}")));
    };
    let tok: Value = http
        .post(gw("token"))
        .json(&json!({"app_id": app_id, "purpose": purpose.as_str()}))
        .send()
        .await?
        .json()
        .await?;
    let token = tok["data"]["token"]
        .as_str()
        .ok_or_else(|| DeviceError::Carrier(format!("{carrier}: {tok}")))?;
    Ok(Ok(CarrierAnswer {
        carrier: carrier.to_owned(),
        masked: masked.to_owned(),
        token: token.to_owned(),
    }))
}
