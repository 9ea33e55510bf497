//! One bind: connect, bind_transceiver, then read and write PDUs until the
//! connection ends; reconnect with backoff. Owns the in-flight submits of its
//! connection and fails them at once when it drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rand::Rng;
use rusmpp::pdus::{BindTransceiver, DeliverSm, DeliverSmResp, SubmitSm};
use rusmpp::tlvs::TlvValue;
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::types::COctetString;
use rusmpp::values::{InterfaceVersion, Npi, Ton};
use rusmpp::{Command, CommandId, CommandStatus, Pdu};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::sender::{Inbound, Receipt, ReportSink, SendError};

use super::pdu::{decode_text, split_udh};
use super::receipt::{
    is_delivery_receipt, parse_done_date, parse_receipt_text, receipt_state, submit_error,
    ReceiptState, ESM_UDHI, STATUS_TEMPORARY_APP_ERROR,
};
use super::SmppConfig;

/// What one provider's binds share.
pub(crate) struct Shared {
    pub config: SmppConfig,
    pub sink: Arc<dyn ReportSink>,
    /// Signalled when a window slot frees (one waiter) or a bind comes up (all).
    pub room: Arc<Notify>,
}

/// A submit_sm's place in a bind's window. It lives in the session's table of
/// submits awaiting their response, so that the place frees the moment the
/// response comes (or the connection fails), whoever awaits it.
pub(crate) struct WindowPermit {
    permit: Option<OwnedSemaphorePermit>,
    room: Arc<Notify>,
}

impl WindowPermit {
    pub fn new(permit: OwnedSemaphorePermit, room: Arc<Notify>) -> Self {
        Self {
            permit: Some(permit),
            room,
        }
    }
}

impl Drop for WindowPermit {
    fn drop(&mut self) {
        // Release first, then wake one waiter: woken before the release, it
        // could find the window still full and wait again with nobody to wake it.
        drop(self.permit.take());
        self.room.notify_one();
    }
}

/// One of a provider's binds: its window and, while bound, its session.
pub(crate) struct Bind {
    pub index: usize,
    /// submit_sm in flight on this bind; `window` permits.
    pub window: Arc<Semaphore>,
    session: Mutex<Option<Arc<Session>>>,
    /// When the next submit_sm may leave under the throughput limit.
    next_slot: Mutex<Instant>,
}

impl Bind {
    pub fn new(index: usize, window: usize) -> Self {
        Self {
            index,
            window: Arc::new(Semaphore::new(window)),
            session: Mutex::new(None),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    pub fn session(&self) -> Option<Arc<Session>> {
        self.session.lock().expect("session lock").clone()
    }

    fn set_session(&self, s: Option<Arc<Session>>) {
        *self.session.lock().expect("session lock") = s;
    }

    /// Waits for this bind's next throughput slot (no wait when unlimited).
    pub async fn pace(&self, per_sec: u32) {
        if per_sec == 0 {
            return;
        }
        let interval = Duration::from_secs(1) / per_sec;
        let at = {
            let mut next = self.next_slot.lock().expect("pacer lock");
            let at = (*next).max(Instant::now());
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

type Reply = (oneshot::Sender<Result<String, SendError>>, WindowPermit);

/// A bound connection: the writer's queue and the submits awaiting their resp.
pub(crate) struct Session {
    out: mpsc::UnboundedSender<Command>,
    /// `None` once the connection is gone: nothing may wait on it any more.
    pending: Mutex<Option<HashMap<u32, Reply>>>,
    seq: AtomicU32,
}

impl Session {
    fn new(out: mpsc::UnboundedSender<Command>) -> Self {
        Self {
            out,
            pending: Mutex::new(Some(HashMap::new())),
            // 1 was the bind.
            seq: AtomicU32::new(2),
        }
    }

    fn next_seq(&self) -> u32 {
        // Sequence numbers are 0x00000001..=0x7FFFFFFF.
        (self.seq.fetch_add(1, Ordering::Relaxed) % 0x7FFF_FFFF) + 1
    }

    /// Sends a submit_sm; the receiver gets the message id or the error.
    /// The window place is given back when the response comes.
    pub fn submit(
        &self,
        sm: SubmitSm,
        place: WindowPermit,
    ) -> Result<(u32, oneshot::Receiver<Result<String, SendError>>), SendError> {
        let seq = self.next_seq();
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self.pending.lock().expect("pending lock");
            let Some(map) = pending.as_mut() else {
                return Err(lost());
            };
            map.insert(seq, (tx, place));
        }
        if self
            .out
            .send(Command::new(CommandStatus::EsmeRok, seq, sm))
            .is_err()
        {
            self.forget(seq);
            return Err(lost());
        }
        Ok((seq, rx))
    }

    /// Stops waiting for `seq` (its response timed out).
    pub fn forget(&self, seq: u32) {
        if let Some(map) = self.pending.lock().expect("pending lock").as_mut() {
            map.remove(&seq);
        }
    }

    fn answer(&self, seq: u32, result: Result<String, SendError>) {
        let reply = self
            .pending
            .lock()
            .expect("pending lock")
            .as_mut()
            .and_then(|m| m.remove(&seq));
        if let Some((reply, place)) = reply {
            drop(place);
            let _ = reply.send(result);
        }
    }

    /// The connection is gone: every submit in flight fails now, as temporary.
    fn fail_all(&self) {
        let map = self.pending.lock().expect("pending lock").take();
        for (_, (reply, place)) in map.into_iter().flatten() {
            drop(place);
            let _ = reply.send(Err(lost()));
        }
    }

    fn send(&self, command: Command) {
        let _ = self.out.send(command);
    }
}

fn lost() -> SendError {
    SendError::Temporary("the SMPP connection was lost".into())
}

/// Keeps one bind up for as long as the sender lives.
pub(crate) async fn run(shared: Arc<Shared>, bind: Arc<Bind>) {
    let config = &shared.config;
    let provider = config.name.clone();
    let mut backoff = config.reconnect_min_ms;
    loop {
        match connect(config).await {
            Ok((read, write)) => {
                metrics::counter!("numgate_smpp_binds_total", "provider" => provider.clone(), "outcome" => "bound").increment(1);
                tracing::info!(provider = %provider, bind = bind.index, "SMPP bound");
                backoff = config.reconnect_min_ms;
                serve(&shared, &bind, read, write).await;
                metrics::counter!("numgate_smpp_disconnects_total", "provider" => provider.clone())
                    .increment(1);
                tracing::warn!(provider = %provider, bind = bind.index, "SMPP connection ended; reconnecting");
            }
            Err(e) => {
                let outcome = if matches!(e, ConnectError::Refused(_)) {
                    "refused"
                } else {
                    "failed"
                };
                metrics::counter!("numgate_smpp_binds_total", "provider" => provider.clone(), "outcome" => outcome).increment(1);
                // The system_id names the account; the password is never logged.
                tracing::warn!(provider = %provider, bind = bind.index, system_id = %config.system_id, error = %e, "SMPP bind failed");
            }
        }
        let jittered = rand::thread_rng().gen_range(backoff / 2..=backoff);
        tokio::time::sleep(Duration::from_millis(jittered)).await;
        backoff = (backoff * 2).min(config.reconnect_max_ms);
    }
}

#[derive(Debug, thiserror::Error)]
enum ConnectError {
    #[error("cannot connect: {0}")]
    Io(#[from] std::io::Error),
    #[error("no bind response in time")]
    Timeout,
    #[error("the SMSC closed the connection or sent an unreadable PDU")]
    Closed,
    #[error("the SMSC refused the bind with status {0:#010X}")]
    Refused(u32),
    #[error("invalid bind field: {0}")]
    Field(&'static str),
}

type Reader = FramedRead<OwnedReadHalf, CommandCodec>;
pub(crate) type Writer = FramedWrite<OwnedWriteHalf, CommandCodec>;

async fn connect(config: &SmppConfig) -> Result<(Reader, Writer), ConnectError> {
    let timeout = config.response_timeout();
    let stream = tokio::time::timeout(timeout, TcpStream::connect(&config.addr))
        .await
        .map_err(|_| ConnectError::Timeout)??;
    stream.set_nodelay(true)?;
    let (r, w) = stream.into_split();
    let mut read = FramedRead::new(r, CommandCodec::new());
    let mut write = FramedWrite::new(w, CommandCodec::new());
    let bind = BindTransceiver::builder()
        .system_id(cstr(&config.system_id).ok_or(ConnectError::Field("system_id"))?)
        .password(cstr(&config.password).ok_or(ConnectError::Field("password"))?)
        .system_type(cstr(&config.system_type).ok_or(ConnectError::Field("system_type"))?)
        .interface_version(InterfaceVersion::Smpp3_4)
        .addr_ton(Ton::Unknown)
        .addr_npi(Npi::Unknown)
        .build();
    write
        .send(Command::new(CommandStatus::EsmeRok, 1, bind))
        .await
        .map_err(|_| ConnectError::Closed)?;
    let resp = tokio::time::timeout(timeout, async {
        loop {
            match read.next().await {
                Some(Ok(c)) if c.id() == CommandId::BindTransceiverResp => return Ok(c),
                Some(Ok(c)) if c.id() == CommandId::GenericNack => return Ok(c),
                Some(Ok(_)) => continue,
                _ => return Err(ConnectError::Closed),
            }
        }
    })
    .await
    .map_err(|_| ConnectError::Timeout)??;
    let status = u32::from(resp.status());
    if status != 0 {
        return Err(ConnectError::Refused(status));
    }
    Ok((read, write))
}

/// An ASCII field as a C-octet string of at most `MAX - 1` characters.
pub(crate) fn cstr<const MIN: usize, const MAX: usize>(s: &str) -> Option<COctetString<MIN, MAX>> {
    COctetString::from_string(s.to_owned()).ok()
}

/// Writes what a session queues, many PDUs per flush, until told to finish;
/// then writes what is still queued and closes. Both ends use it: numgate's
/// sender and the SMSC simulator.
pub async fn write_loop(
    mut write: FramedWrite<OwnedWriteHalf, CommandCodec>,
    mut rx: mpsc::UnboundedReceiver<Command>,
    mut finish: oneshot::Receiver<()>,
) {
    loop {
        let first = tokio::select! {
            c = rx.recv() => c,
            _ = &mut finish => None,
        };
        let Some(first) = first else { break };
        if write.feed(first).await.is_err() {
            return;
        }
        while let Ok(c) = rx.try_recv() {
            if write.feed(c).await.is_err() {
                return;
            }
        }
        if SinkExt::<Command>::flush(&mut write).await.is_err() {
            return;
        }
    }
    while let Ok(c) = rx.try_recv() {
        if write.feed(c).await.is_err() {
            return;
        }
    }
    let _ = SinkExt::<Command>::flush(&mut write).await;
}

/// Runs one bound connection until it ends.
async fn serve(shared: &Arc<Shared>, bind: &Arc<Bind>, mut read: Reader, write: Writer) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (finish_tx, finish_rx) = oneshot::channel();
    let writer = tokio::spawn(write_loop(write, rx, finish_rx));
    let session = Arc::new(Session::new(tx));
    bind.set_session(Some(session.clone()));
    shared.room.notify_waiters();

    let config = &shared.config;
    let probe_every = Duration::from_secs(config.enquire_link_secs.max(1));
    let mut probe =
        tokio::time::interval_at(tokio::time::Instant::now() + probe_every, probe_every);
    // When an enquire_link went unanswered (no PDU at all heard since).
    let mut awaiting: Option<Instant> = None;
    loop {
        tokio::select! {
            next = read.next() => {
                let Some(Ok(command)) = next else { break };
                awaiting = None;
                if !handle(shared, &session, command) {
                    break;
                }
            }
            _ = probe.tick() => {
                if let Some(since) = awaiting {
                    if since.elapsed() >= config.response_timeout() {
                        tracing::warn!(provider = %config.name, bind = bind.index, "SMPP enquire_link unanswered");
                        break;
                    }
                } else {
                    awaiting = Some(Instant::now());
                    session.send(Command::new(CommandStatus::EsmeRok, session.next_seq(), Pdu::EnquireLink));
                }
            }
        }
    }
    bind.set_session(None);
    session.fail_all();
    let _ = finish_tx.send(());
    // Give the writer a moment to flush an unbind_resp; then the socket closes.
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    shared.room.notify_waiters();
}

/// Handles one PDU from the SMSC; `false` ends the connection.
fn handle(shared: &Arc<Shared>, session: &Arc<Session>, command: Command) -> bool {
    let seq = command.sequence_number();
    let status = u32::from(command.status());
    match command.id() {
        CommandId::SubmitSmResp => {
            let result = if status == 0 {
                match command.pdu() {
                    Some(Pdu::SubmitSmResp(r)) => Ok(r.message_id().as_str().to_owned()),
                    _ => Err(SendError::Temporary(
                        "submit_sm_resp without a message id".into(),
                    )),
                }
            } else {
                Err(submit_error(status))
            };
            session.answer(seq, result);
        }
        CommandId::GenericNack => session.answer(seq, Err(submit_error(status))),
        CommandId::EnquireLink => session.send(Command::new(
            CommandStatus::EsmeRok,
            seq,
            Pdu::EnquireLinkResp,
        )),
        CommandId::EnquireLinkResp => {}
        CommandId::Unbind => {
            session.send(Command::new(CommandStatus::EsmeRok, seq, Pdu::UnbindResp));
            return false;
        }
        CommandId::UnbindResp => return false,
        CommandId::DeliverSm => {
            if let Some(Pdu::DeliverSm(sm)) = command.pdu() {
                let (shared, session, sm) = (shared.clone(), session.clone(), sm.clone());
                tokio::spawn(async move {
                    let status = deliver(&shared, &sm).await;
                    session.send(Command::new(status, seq, DeliverSmResp::default()));
                });
            } else {
                session.send(Command::new(
                    CommandStatus::EsmeRinvcmdlen,
                    seq,
                    Pdu::GenericNack,
                ));
            }
        }
        id => {
            // An operation this ESME does not take: say so, for requests only.
            if u32::from(id) & 0x8000_0000 == 0 {
                session.send(Command::new(
                    CommandStatus::EsmeRinvcmdid,
                    seq,
                    Pdu::GenericNack,
                ));
            }
        }
    }
    true
}

/// Hands a deliver_sm to the sink; the status to answer it with: OK only once
/// the sink has it (or when there is nothing to keep).
async fn deliver(shared: &Shared, sm: &DeliverSm) -> CommandStatus {
    let provider = &shared.config.name;
    let esm_class = u8::from(sm.esm_class);
    let result = if is_delivery_receipt(esm_class) {
        let Some(receipt) = receipt_of(provider, sm) else {
            return CommandStatus::EsmeRok;
        };
        shared.sink.receipt(receipt).await
    } else {
        let raw = sm.short_message().as_ref();
        let payload = if esm_class & ESM_UDHI != 0 {
            match split_udh(raw) {
                Some((_, p)) => p,
                None => raw,
            }
        } else {
            raw
        };
        let text = decode_text(u8::from(sm.data_coding), payload);
        let inbound = Inbound {
            provider: provider.clone(),
            from: sm
                .source_addr
                .as_str()
                .chars()
                .filter(char::is_ascii_digit)
                .collect(),
            to: sm.destination_addr.as_str().to_owned(),
            text,
        };
        metrics::counter!("numgate_smpp_inbound_total", "provider" => provider.clone())
            .increment(1);
        shared.sink.inbound(inbound).await
    };
    match result {
        Ok(()) => CommandStatus::EsmeRok,
        Err(e) => {
            tracing::warn!(provider = %provider, error = %e, "SMPP report not recorded; the SMSC will send it again");
            CommandStatus::from(STATUS_TEMPORARY_APP_ERROR)
        }
    }
}

/// The receipt a deliver_sm carries; `None` (after counting it) when it is
/// not final or cannot be read.
fn receipt_of(provider: &str, sm: &DeliverSm) -> Option<Receipt> {
    let text = String::from_utf8_lossy(sm.short_message().as_ref()).into_owned();
    let parsed = parse_receipt_text(&text);
    let tlv_id = sm.tlvs().iter().find_map(|t| match t.value() {
        Some(TlvValue::ReceiptedMessageId(id)) => Some(id.as_str().to_owned()),
        _ => None,
    });
    let count = |state: &'static str| {
        metrics::counter!("numgate_smpp_receipts_total", "provider" => provider.to_owned(), "state" => state).increment(1);
    };
    let (Some(id), Some(stat)) = (tlv_id.or(parsed.id), parsed.stat) else {
        count("unreadable");
        tracing::warn!(provider = %provider, "SMPP receipt without an id or a stat; acknowledged and dropped");
        return None;
    };
    let delivered = match receipt_state(&stat) {
        Some(ReceiptState::Delivered) => true,
        Some(ReceiptState::Failed) => false,
        Some(ReceiptState::Pending) => {
            count("pending");
            return None;
        }
        None => {
            count("unreadable");
            tracing::warn!(provider = %provider, stat = %stat, "SMPP receipt with an unknown stat; acknowledged and dropped");
            return None;
        }
    };
    count(if delivered { "delivered" } else { "failed" });
    let err_code = (!delivered).then(|| {
        format!(
            "{}:{}",
            stat.to_ascii_uppercase(),
            parsed.err.as_deref().unwrap_or("000")
        )
    });
    Some(Receipt {
        provider: provider.to_owned(),
        provider_message_id: id,
        delivered,
        err_code,
        done_at: parsed.done_date.as_deref().and_then(parse_done_date),
    })
}

#[cfg(test)]
mod tests {
    use rusmpp::tlvs::MessageDeliveryRequestTlvValue;
    use rusmpp::types::OctetString;
    use rusmpp::values::EsmClass;

    use super::*;

    fn receipt_pdu(text: &str, tlv_id: Option<&str>) -> DeliverSm {
        let mut b = DeliverSm::builder()
            .esm_class(EsmClass::from(0x04))
            .short_message(OctetString::from_vec(text.as_bytes().to_vec()).unwrap());
        if let Some(id) = tlv_id {
            b = b.push_tlv(MessageDeliveryRequestTlvValue::ReceiptedMessageId(
                cstr(id).unwrap(),
            ));
        }
        b.build()
    }

    #[test]
    fn the_receipted_message_id_tlv_wins_over_the_text() {
        let sm = receipt_pdu(
            "id:111 sub:001 dlvrd:001 submit date:2611281530 done date:2611281531 stat:DELIVRD err:000 text:",
            Some("ABC"),
        );
        let r = receipt_of("p", &sm).unwrap();
        assert_eq!(r.provider_message_id, "ABC");
        assert!(r.delivered);
        assert_eq!(r.done_at, Some(1_795_879_860_000));
    }

    #[test]
    fn a_receipt_without_a_tlv_takes_the_id_of_its_text() {
        let sm = receipt_pdu("id:0042 stat:EXPIRED err:005", None);
        let r = receipt_of("p", &sm).unwrap();
        assert_eq!(r.provider_message_id, "0042");
        assert!(!r.delivered);
        assert_eq!(r.err_code.as_deref(), Some("EXPIRED:005"));
        assert_eq!(r.done_at, None);
    }

    #[test]
    fn pending_and_unreadable_receipts_are_not_reported() {
        assert!(receipt_of("p", &receipt_pdu("id:1 stat:ENROUTE err:000", None)).is_none());
        assert!(receipt_of("p", &receipt_pdu("id:1 stat:ACCEPTD err:000", None)).is_none());
        assert!(receipt_of("p", &receipt_pdu("stat:DELIVRD", None)).is_none());
        assert!(receipt_of("p", &receipt_pdu("id:1 stat:SOMETHING", None)).is_none());
    }
}
