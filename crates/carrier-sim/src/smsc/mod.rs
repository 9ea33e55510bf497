//! An SMSC simulator: a real SMPP 3.4 server over TCP, with a JSON control API
//! to look at what was submitted and to misbehave on demand (`numgate smsc-sim`).
//!
//! - **SMPP**: bind_transceiver / bind_transmitter / bind_receiver checked
//!   against one account (ESME_RBINDFAIL otherwise); submit_sm answered at once
//!   with a unique id (hex or decimal), then, when `registered_delivery` asks and
//!   the bind is a transceiver, one deliver_sm receipt per part (its id in the
//!   receipt form, DELIVRD or UNDELIV); enquire_link and unbind answered; a
//!   receipt answered with an error is sent again.
//! - **Control** (`/control`, JSON, no authentication: listen on loopback):
//!   `GET /messages`, `GET /stats`, `POST /fail {"numbers":[..]}`, `POST /drop`,
//!   `POST /unbind`, `POST /hold`, `POST /release`, `POST /throttle {"n":k}`,
//!   `POST /mo {"from","to","text"}`.
//!
//! # Layout
//! - `state`: the shared state, counters and recorded parts (no globals).
//! - `conn`: one SMPP connection.
//! - `control`: the HTTP API.

mod conn;
mod control;
mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use state::{Control, MessageView, Stats};

/// The form of message ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdForm {
    /// Upper-case hex, e.g. `1A2B3C4D`.
    Hex,
    /// Decimal, e.g. `439041101`.
    Decimal,
}

impl IdForm {
    fn format(self, n: u64) -> String {
        match self {
            IdForm::Hex => format!("{n:X}"),
            IdForm::Decimal => n.to_string(),
        }
    }
}

impl std::str::FromStr for IdForm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hex" => Ok(IdForm::Hex),
            "decimal" => Ok(IdForm::Decimal),
            _ => Err(format!("{s}: expected hex or decimal")),
        }
    }
}

/// The simulated SMSC's account and id forms.
#[derive(Debug, Clone)]
pub struct SmscConfig {
    pub system_id: String,
    pub password: String,
    /// The form of submit_sm_resp message ids.
    pub id_form: IdForm,
    /// The form of ids in receipts; `None` = the same as `id_form`. Real SMSCs
    /// often answer hex and report decimal.
    pub receipt_id_form: Option<IdForm>,
    /// Whether receipts carry the `receipted_message_id` and `message_state`
    /// TLVs besides the text (SMPP 3.4 SMSCs mostly do).
    pub receipt_tlvs: bool,
}

impl Default for SmscConfig {
    fn default() -> Self {
        Self {
            system_id: "numgate".into(),
            password: "secret".into(),
            id_form: IdForm::Hex,
            receipt_id_form: None,
            receipt_tlvs: true,
        }
    }
}

/// A running simulator (for tests: start it on port 0, read its addresses).
pub struct SmscSim {
    control: Control,
    smpp_addr: SocketAddr,
    control_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SmscSim {
    /// Serves SMPP on `smpp` and the control API on `control` until [`SmscSim::stop`]
    /// (or drop).
    pub fn start(
        config: SmscConfig,
        smpp: TcpListener,
        control: TcpListener,
    ) -> std::io::Result<SmscSim> {
        let smpp_addr = smpp.local_addr()?;
        let control_addr = control.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(state::State::new(config, stopped.clone()));
        let mut stopped_smpp = stopped.clone();
        let accept_state = state.clone();
        let accept = tokio::spawn(async move {
            tokio::select! {
                _ = conn::accept_loop(accept_state, smpp) => {}
                _ = stopped_smpp.wait_for(|s| *s) => {}
            }
        });
        let mut stopped_http = stopped;
        let app = control::router(state.clone());
        let http = tokio::spawn(async move {
            let _ = axum::serve(control, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped_http.wait_for(|s| *s).await;
                })
                .await;
        });
        Ok(SmscSim {
            control: Control(state),
            smpp_addr,
            control_addr,
            stop,
            tasks: vec![accept, http],
        })
    }

    /// Where ESMEs connect.
    pub fn smpp_addr(&self) -> SocketAddr {
        self.smpp_addr
    }

    /// The control API's base URL, `http://host:port/control`.
    pub fn control_url(&self) -> String {
        format!("http://{}/control", self.control_addr)
    }

    /// The control operations, in-process (the HTTP API calls the same).
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Stops listening and closes every connection.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for SmscSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Runs a simulator until `shutdown` completes.
pub async fn run(
    config: SmscConfig,
    smpp: TcpListener,
    control: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sim = SmscSim::start(config, smpp, control)?;
    shutdown.await;
    sim.stop().await;
    Ok(())
}
