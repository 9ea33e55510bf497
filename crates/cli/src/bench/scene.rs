//! The Fusion-Auth scene of `--actions scene=1`: scene 100001 on its low-risk
//! path, as an app and its backend run it — the app starts the scene with the
//! SDK token, asks the carrier over its bearer for a one-click token, reports
//! it; the backend redeems the VerifyToken. Four HTTP requests (five calls to
//! the simulator inside numgate: the exchange, and CAMARA's token and SIM-swap
//! date for the number's risk); one sample per scene.
//!
//! Against `noop` the same four requests go to the no-op server.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use numgate_carrier_sim::{Carrier, SubscriberConfig};
use numgate_client::OpenApi;
use serde_json::{json, Value};

/// One phone on its bearer address, and its SIM's number.
struct Phone {
    http: reqwest::Client,
    number: String,
}

pub struct ScenePlan {
    /// GetFusionAuthToken's token (12 hours: outlives any run).
    token: String,
    phones: Vec<Phone>,
    /// Where the app's requests go (numgate, or the no-op server).
    endpoint: String,
    noop: bool,
}

fn phone(bearer: IpAddr, number: &str) -> anyhow::Result<Phone> {
    Ok(Phone {
        http: reqwest::Client::builder()
            .local_address(Some(bearer))
            .timeout(Duration::from_secs(10))
            .build()?,
        number: number.to_owned(),
    })
}

impl ScenePlan {
    /// Registers a Fusion-Auth scheme and gets its SDK token; the phones are the
    /// demo subscribers on mobile data.
    pub async fn prepare(
        api: &OpenApi,
        endpoint: &str,
        subscribers: &[SubscriberConfig],
    ) -> anyhow::Result<ScenePlan> {
        let call = |action: &'static str, params: &[(&str, &str)]| {
            let p: BTreeMap<String, String> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            async move {
                let (status, body) = api.call_raw(action, &p).await?;
                let v: Value = serde_json::from_slice(&body)
                    .with_context(|| format!("{action} answered HTTP {status}, not JSON"))?;
                if v["Code"] != "OK" {
                    bail!("{action} refused: {v}");
                }
                Ok(v)
            }
        };
        let (package, sign) = ("com.numgate.bench", "0123456789abcdef0123456789abcdef");
        let v = call(
            "CreateSchemeConfig",
            &[
                ("SchemeName", "bench"),
                ("AppName", "numgate bench"),
                ("Platform", "Android"),
                ("AndroidPackageName", package),
                ("AndroidPackageSign", sign),
            ],
        )
        .await?;
        let scheme = v["Model"]["SchemeCode"]
            .as_str()
            .context("no SchemeCode")?
            .to_owned();
        let v = call(
            "GetFusionAuthToken",
            &[
                ("SchemeCode", &scheme),
                ("Platform", "Android"),
                ("PackageName", package),
                ("PackageSign", sign),
                ("DurationSeconds", "43200"),
            ],
        )
        .await?;
        let token = v["Model"].as_str().context("no token")?.to_owned();
        let phones = subscribers
            .iter()
            .filter(|s| s.mobile_data && s.carrier != Carrier::Camara)
            .map(|s| phone(s.address, &s.number))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if phones.is_empty() {
            bail!("the demo table has no mainland SIM on mobile data");
        }
        Ok(ScenePlan {
            token,
            phones,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            noop: false,
        })
    }

    /// The same requests for the no-op server.
    pub fn noop(endpoint: &str) -> anyhow::Result<ScenePlan> {
        Ok(ScenePlan {
            token: "x".repeat(400),
            phones: vec![phone([127, 0, 0, 1].into(), "13800000000")?],
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            noop: true,
        })
    }

    /// Runs scene `n` (its phone is `n`'s turn); the outcome: `PASS` when the
    /// backend got the phone's number, else what went wrong.
    pub async fn run(&self, api: &OpenApi, n: usize) -> String {
        match self.try_run(api, n).await {
            Ok(outcome) => outcome,
            Err(e) => format!("error:{e}"),
        }
    }

    async fn try_run(&self, api: &OpenApi, n: usize) -> anyhow::Result<String> {
        let phone = &self.phones[n % self.phones.len()];
        let post = |url: String, body: Value| async move {
            let r = phone.http.post(url).json(&body).send().await?;
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            anyhow::Ok((status.as_u16(), v))
        };
        let (status, first) = post(
            format!("{}/client/v1/fusion/start", self.endpoint),
            json!({"Token": self.token, "Scene": "100001", "DeviceId": format!("bench-{n}")}),
        )
        .await?;
        if status != 200 {
            return Ok(format!("start:HTTP {status}"));
        }
        // As an SDK does: ask the offered carriers in turn until one knows the SIM.
        let offered: Vec<(String, String, String)> = if self.noop {
            vec![("cm".into(), self.endpoint.clone(), "app".into())]
        } else {
            if first["Step"] != "carrier_consent" {
                return Ok(format!("start:{}", first["Step"].as_str().unwrap_or("?")));
            }
            first["Carriers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
                    (s("Carrier"), s("Gateway"), s("AppId"))
                })
                .collect()
        };
        let mut got = None;
        for (carrier, gateway, app_id) in &offered {
            let (status, t) = post(
                format!("{gateway}/{carrier}/token"),
                json!({"app_id": app_id, "purpose": "login"}),
            )
            .await?;
            // Each carrier has its own envelope; a token only on success.
            let token = t["data"]["token"].as_str();
            if status == 200 && (token.is_some() || self.noop) {
                got = Some((carrier.clone(), token.unwrap_or("x").to_owned()));
                break;
            }
        }
        let Some((carrier, carrier_token)) = got else {
            return Ok("carrier:no token".into());
        };
        let session = first["Session"].as_str().unwrap_or("x");
        let (status, done) = post(
            format!("{}/client/v1/fusion/step", self.endpoint),
            json!({"Session": session, "Action": "carrier", "Carrier": carrier, "CarrierToken": carrier_token}),
        )
        .await?;
        if status != 200 {
            return Ok(format!("step:HTTP {status}"));
        }
        if !self.noop && done["Step"] != "done" {
            return Ok(format!("step:{}", done["Step"].as_str().unwrap_or("?")));
        }
        let token = done["VerifyToken"].as_str().unwrap_or("x").to_owned();
        let p = BTreeMap::from([("VerifyToken".to_owned(), token)]);
        let (status, body) = api.call_raw("VerifyWithFusionAuthToken", &p).await?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(match (status, v["Code"].as_str()) {
            (200, Some("OK")) if self.noop => "OK".into(),
            (200, Some("OK")) if v["Model"]["PhoneNumber"] == phone.number.as_str() => {
                "PASS".into()
            }
            (200, Some("OK")) => "WRONG_MOBILE".into(),
            (_, Some(code)) => format!("refused:{code}"),
            _ => format!("verify:HTTP {status}"),
        })
    }
}
