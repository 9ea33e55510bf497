//! [`SmppSender`]: picks a bind with window room, paces it, submits every part
//! of a message and waits for their responses.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use rusmpp::pdus::SubmitSm;
use rusmpp::types::OctetString;
use rusmpp::values::{DataCoding, EsmClass, Npi, RegisteredDelivery, Ton};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::sender::{OutgoingSms, ReportSink, SendError, SmsSender, Submitted};

use super::pdu::short_messages;
use super::session::{self, cstr, Bind, Session, Shared, WindowPermit};
use super::SmppConfig;

/// An SMPP 3.4 provider: `binds` connections kept bound (bind_transceiver),
/// receipts and upstream messages handed to the sink. Dropping it closes them.
pub struct SmppSender {
    shared: Arc<Shared>,
    binds: Vec<Arc<Bind>>,
    /// Round robin over the binds.
    next: AtomicUsize,
    /// The UDH reference of the next concatenated message.
    reference: AtomicU8,
    tasks: Vec<JoinHandle<()>>,
}

impl SmppSender {
    /// Starts one task per bind; they connect, bind and reconnect on their own.
    /// Call [`SmppConfig::validate`] first: an invalid account only fails its binds.
    pub fn start(config: SmppConfig, sink: Arc<dyn ReportSink>) -> SmppSender {
        let binds: Vec<Arc<Bind>> = (0..config.binds.max(1))
            .map(|i| Arc::new(Bind::new(i, config.window.max(1))))
            .collect();
        let shared = Arc::new(Shared {
            config,
            sink,
            room: Arc::new(Notify::new()),
        });
        let tasks = binds
            .iter()
            .map(|b| tokio::spawn(session::run(shared.clone(), b.clone())))
            .collect();
        SmppSender {
            shared,
            binds,
            next: AtomicUsize::new(0),
            reference: AtomicU8::new(rand::random()),
            tasks,
        }
    }

    /// How many binds are bound now.
    pub fn bound(&self) -> usize {
        self.binds.iter().filter(|b| b.session().is_some()).count()
    }

    /// Waits until `n` binds are bound, at most `timeout`; whether they are.
    pub async fn wait_bound(&self, n: usize, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.bound() < n {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// A bound session with window room, round robin; waits while every
    /// window is full (back-pressure). With no bind up at all it waits at
    /// most the response timeout.
    async fn slot(&self) -> Result<Slot, SendError> {
        let no_bind_deadline = tokio::time::Instant::now() + self.shared.config.response_timeout();
        loop {
            let notified = self.shared.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();

            let n = self.binds.len();
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            let mut any_bound = false;
            for i in 0..n {
                let bind = &self.binds[(start + i) % n];
                let Some(session) = bind.session() else {
                    continue;
                };
                any_bound = true;
                if let Ok(permit) = bind.window.clone().try_acquire_owned() {
                    return Ok(Slot {
                        bind: bind.clone(),
                        session,
                        place: WindowPermit::new(permit, self.shared.room.clone()),
                    });
                }
            }
            if any_bound {
                notified.await;
            } else if tokio::time::timeout_at(no_bind_deadline, notified)
                .await
                .is_err()
            {
                return Err(SendError::Temporary("no SMPP bind is up".into()));
            }
        }
    }

    async fn submit_all(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        let config = &self.shared.config;
        let reference = self.reference.fetch_add(1, Ordering::Relaxed);
        let messages = short_messages(&sms.text, reference)?;
        let source = format!(
            "{}{}",
            config.source_addr,
            sms.up_extend_code.as_deref().unwrap_or("")
        );
        let source_addr = cstr::<1, 21>(&source).ok_or_else(|| SendError::Permanent {
            err_code: "SMPP:INVALID_SOURCE".into(),
        })?;
        let source_ton = if source.bytes().all(|b| b.is_ascii_digit()) {
            Ton::Unknown
        } else {
            Ton::Alphanumeric
        };
        let destination_addr = match cstr::<1, 21>(&sms.phone) {
            Some(d) if !sms.phone.is_empty() && sms.phone.bytes().all(|b| b.is_ascii_digit()) => d,
            _ => {
                return Err(SendError::Permanent {
                    err_code: "SMPP:INVALID_DESTINATION".into(),
                })
            }
        };
        let registered = RegisteredDelivery::from(u8::from(config.registered_delivery));

        let mut waits = Vec::with_capacity(messages.parts.len());
        for part in messages.parts {
            let short_message =
                OctetString::<0, 255>::from_vec(part).map_err(|_| SendError::Permanent {
                    err_code: "SMPP:PART_TOO_LONG".into(),
                })?;
            let submit = SubmitSm::builder()
                .source_addr_ton(source_ton)
                .source_addr_npi(Npi::Unknown)
                .source_addr(source_addr.clone())
                .dest_addr_ton(Ton::International)
                .dest_addr_npi(Npi::Isdn)
                .destination_addr(destination_addr.clone())
                .esm_class(EsmClass::from(messages.esm_class))
                .registered_delivery(registered)
                .data_coding(DataCoding::from(messages.data_coding))
                .short_message(short_message)
                .build();
            let slot = self.slot().await?;
            slot.bind.pace(config.throughput_per_sec).await;
            let Slot { session, place, .. } = slot;
            let (seq, rx) = session.submit(submit, place)?;
            let timeout = config.response_timeout();
            waits.push(async move {
                match tokio::time::timeout(timeout, rx).await {
                    Ok(Ok(result)) => result,
                    Ok(Err(_)) => Err(SendError::Temporary("the SMPP connection was lost".into())),
                    Err(_) => {
                        // Gives the window place back; a late response is ignored.
                        session.forget(seq);
                        Err(SendError::Temporary("no submit_sm_resp in time".into()))
                    }
                }
            });
        }
        let mut ids = Vec::new();
        for result in futures::future::join_all(waits).await {
            ids.push(result?);
        }
        Ok(Submitted::accepted_parts(ids))
    }
}

/// A bound session with a place in its bind's window.
struct Slot {
    bind: Arc<Bind>,
    session: Arc<Session>,
    place: WindowPermit,
}

#[async_trait]
impl SmsSender for SmppSender {
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        let result = self.submit_all(sms).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(SendError::Temporary(_)) => "temporary",
            Err(SendError::Permanent { .. }) => "permanent",
        };
        metrics::counter!("numgate_smpp_submits_total", "provider" => self.shared.config.name.clone(), "outcome" => outcome).increment(1);
        result
    }
}

impl Drop for SmppSender {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
