//! One SMPP connection of the simulator: bind, submit_sm (answered at once,
//! or held), receipts and MO messages as deliver_sm, enquire_link, unbind.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rusmpp::pdus::{
    BindReceiverResp, BindTransceiverResp, BindTransmitterResp, DeliverSm, SubmitSm, SubmitSmResp,
};
use rusmpp::tlvs::MessageDeliveryRequestTlvValue;
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, MessageState, Npi, Ton};
use rusmpp::{Command, CommandId, CommandStatus, Pdu};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};

use numgate_sms::smpp::write_loop;

use super::state::{lock, MoPart, Part, State};

/// Accepts connections until the listener fails (or the task is dropped).
pub(crate) async fn accept_loop(state: Arc<State>, listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(state.clone(), stream));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Transmitter,
    Receiver,
    Transceiver,
}

/// A deliver_sm sent and not yet answered: kept to send again on an error.
struct Unacked {
    pdu: DeliverSm,
    receipt: bool,
    attempts: u32,
}

const MAX_ATTEMPTS: u32 = 5;

async fn connection(state: Arc<State>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    let mut read = FramedRead::new(r, CommandCodec::new().with_max_length(65_536));
    let (tx, rx) = mpsc::unbounded_channel::<Command>();
    let (finish_tx, finish_rx) = oneshot::channel();
    let writer = tokio::spawn(write_loop(
        FramedWrite::new(w, CommandCodec::new()),
        rx,
        finish_rx,
    ));
    let conn = state.conn_number();
    let epoch = state.drop_epoch.load(Ordering::SeqCst);
    let mut stopped = state.stopped.clone();
    let mut hold = state.hold.subscribe();
    let mut unbind = state.unbind.subscribe();
    let (mo_tx, mut mo_rx) = mpsc::unbounded_channel::<MoPart>();
    let (resend_tx, mut resend_rx) = mpsc::unbounded_channel::<u32>();
    let mut c = Conn {
        state: &state,
        conn,
        tx,
        bound: None,
        held: VecDeque::new(),
        unacked: HashMap::new(),
        seq: 0,
    };
    loop {
        tokio::select! {
            next = read.next() => {
                let Some(Ok(command)) = next else { break };
                if state.drop_epoch.load(Ordering::SeqCst) != epoch {
                    // Closed without looking at it: the ESME knows it was not taken.
                    break;
                }
                let held_now = *hold.borrow();
                match c.handle(command, held_now, &resend_tx) {
                    Flow::Continue => {}
                    Flow::Close => break,
                    Flow::BoundForMo => {
                        lock(&state.transceivers).insert(conn, mo_tx.clone());
                    }
                }
            }
            changed = hold.changed() => {
                if changed.is_err() { break }
                if !*hold.borrow_and_update() {
                    while let Some((seq, sm)) = c.held.pop_front() {
                        c.submit(seq, &sm);
                    }
                }
            }
            changed = unbind.changed() => {
                if changed.is_err() { break }
                unbind.borrow_and_update();
                if c.bound.is_some() {
                    let seq = c.next_seq();
                    c.send(CommandStatus::EsmeRok, seq, Pdu::Unbind);
                }
            }
            Some(mo) = mo_rx.recv() => c.send_mo(mo),
            Some(seq) = resend_rx.recv() => c.resend(seq),
            _ = stopped.wait_for(|s| *s) => break,
        }
    }
    lock(&state.transceivers).remove(&conn);
    drop(c);
    let _ = finish_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
}

enum Flow {
    Continue,
    Close,
    BoundForMo,
}

struct Conn<'a> {
    state: &'a Arc<State>,
    conn: u64,
    tx: mpsc::UnboundedSender<Command>,
    bound: Option<Bound>,
    /// submit_sm received while held, answered on release.
    held: VecDeque<(u32, SubmitSm)>,
    unacked: HashMap<u32, Unacked>,
    seq: u32,
}

impl Conn<'_> {
    fn send(&self, status: CommandStatus, seq: u32, pdu: impl Into<Pdu>) {
        let _ = self.tx.send(Command::new(status, seq, pdu));
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq % 0x7FFF_FFFF + 1;
        self.seq
    }

    fn handle(
        &mut self,
        command: Command,
        held: bool,
        resend: &mpsc::UnboundedSender<u32>,
    ) -> Flow {
        let seq = command.sequence_number();
        let state = self.state;
        match (command.id(), command.pdu()) {
            (CommandId::BindTransceiver, Some(Pdu::BindTransceiver(b))) => self.bind(
                seq,
                Bound::Transceiver,
                b.system_id.as_str(),
                b.password.as_str(),
            ),
            (CommandId::BindTransmitter, Some(Pdu::BindTransmitter(b))) => self.bind(
                seq,
                Bound::Transmitter,
                b.system_id.as_str(),
                b.password.as_str(),
            ),
            (CommandId::BindReceiver, Some(Pdu::BindReceiver(b))) => self.bind(
                seq,
                Bound::Receiver,
                b.system_id.as_str(),
                b.password.as_str(),
            ),
            (CommandId::SubmitSm, Some(Pdu::SubmitSm(sm))) => {
                if !matches!(self.bound, Some(Bound::Transmitter | Bound::Transceiver)) {
                    self.send(CommandStatus::EsmeRinvbndsts, seq, SubmitSmResp::default());
                    return Flow::Continue;
                }
                state.submits.fetch_add(1, Ordering::Relaxed);
                if held {
                    self.held.push_back((seq, sm.clone()));
                    state
                        .max_outstanding
                        .fetch_max(self.held.len() as u64, Ordering::Relaxed);
                } else {
                    state
                        .max_outstanding
                        .fetch_max(self.held.len() as u64 + 1, Ordering::Relaxed);
                    self.submit(seq, sm);
                }
                Flow::Continue
            }
            (CommandId::DeliverSmResp, _) => {
                if let Some(u) = self.unacked.remove(&seq) {
                    let ok = command.status() == CommandStatus::EsmeRok;
                    let counter = match (u.receipt, ok) {
                        (true, true) => &state.receipts_acked,
                        (true, false) => &state.receipts_nacked,
                        (false, true) => &state.mo_acked,
                        (false, false) => return self.retry_later(u, resend),
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        return self.retry_later(u, resend);
                    }
                }
                Flow::Continue
            }
            (CommandId::EnquireLink, _) => {
                state.enquire_links.fetch_add(1, Ordering::Relaxed);
                self.send(CommandStatus::EsmeRok, seq, Pdu::EnquireLinkResp);
                Flow::Continue
            }
            (CommandId::Unbind, _) => {
                self.send(CommandStatus::EsmeRok, seq, Pdu::UnbindResp);
                Flow::Close
            }
            (CommandId::UnbindResp, _) => {
                state.unbinds_acked.fetch_add(1, Ordering::Relaxed);
                Flow::Close
            }
            (CommandId::EnquireLinkResp | CommandId::GenericNack, _) => Flow::Continue,
            (id, _) => {
                if u32::from(id) & 0x8000_0000 == 0 {
                    self.send(CommandStatus::EsmeRinvcmdid, seq, Pdu::GenericNack);
                }
                Flow::Continue
            }
        }
    }

    fn bind(&mut self, seq: u32, kind: Bound, system_id: &str, password: &str) -> Flow {
        let state = self.state;
        let status = if self.bound.is_some() {
            CommandStatus::EsmeRalybnd
        } else if system_id == state.config.system_id && password == state.config.password {
            CommandStatus::EsmeRok
        } else {
            CommandStatus::EsmeRbindfail
        };
        let sid = COctetString::from_string("numgate-smsc".to_owned()).unwrap_or_default();
        match kind {
            Bound::Transceiver => self.send(status, seq, BindTransceiverResp::new(sid, None)),
            Bound::Transmitter => self.send(status, seq, BindTransmitterResp::new(sid, None)),
            Bound::Receiver => self.send(status, seq, BindReceiverResp::new(sid, None)),
        }
        if status != CommandStatus::EsmeRok {
            state.bind_failures.fetch_add(1, Ordering::Relaxed);
            return Flow::Continue;
        }
        state.binds.fetch_add(1, Ordering::Relaxed);
        self.bound = Some(kind);
        if kind == Bound::Transmitter {
            Flow::Continue
        } else {
            Flow::BoundForMo
        }
    }

    /// Answers one submit_sm and, when asked for, sends its receipt.
    fn submit(&mut self, seq: u32, sm: &SubmitSm) {
        let state = self.state;
        if state.take_throttle() {
            self.send(CommandStatus::EsmeRthrottled, seq, SubmitSmResp::default());
            return;
        }
        let (id, receipt_id) = state.new_id();
        *lock(&state.submits_by_conn).entry(self.conn).or_default() += 1;
        let destination = sm.destination_addr.as_str().to_owned();
        let source = sm.source_addr.as_str().to_owned();
        state.keep(Part {
            message_id: id.clone(),
            source: source.clone(),
            destination: destination.clone(),
            data_coding: u8::from(sm.data_coding),
            esm_class: u8::from(sm.esm_class),
            short_message: sm.short_message().as_ref().to_vec(),
        });
        let resp = SubmitSmResp::builder()
            .message_id(COctetString::from_string(id).unwrap_or_default())
            .build();
        self.send(CommandStatus::EsmeRok, seq, resp);

        let wants_receipt = u8::from(sm.registered_delivery) & 0x03 != 0;
        if wants_receipt && self.bound == Some(Bound::Transceiver) {
            let failed = state.is_failing(&destination);
            let now = chrono::Utc::now().format("%y%m%d%H%M").to_string();
            let (stat, err, dlvrd) = if failed {
                ("UNDELIV", "001", "000")
            } else {
                ("DELIVRD", "000", "001")
            };
            let text = format!(
                "id:{receipt_id} sub:001 dlvrd:{dlvrd} submit date:{now} done date:{now} stat:{stat} err:{err} text:"
            );
            let mut tlvs = Vec::new();
            if state.config.receipt_tlvs {
                if let Ok(rid) = COctetString::from_string(receipt_id) {
                    tlvs.push(MessageDeliveryRequestTlvValue::ReceiptedMessageId(rid));
                }
                tlvs.push(MessageDeliveryRequestTlvValue::MessageState(if failed {
                    MessageState::Undeliverable
                } else {
                    MessageState::Delivered
                }));
            }
            let pdu = DeliverSm::builder()
                .source_addr_ton(Ton::International)
                .source_addr_npi(Npi::Isdn)
                .source_addr(sm.destination_addr.clone())
                .dest_addr_ton(sm.source_addr_ton)
                .dest_addr_npi(sm.source_addr_npi)
                .destination_addr(sm.source_addr.clone())
                .esm_class(EsmClass::from(0x04))
                .data_coding(DataCoding::from(0))
                .short_message(OctetString::from_vec(text.into_bytes()).unwrap_or_default())
                .tlvs(tlvs)
                .build();
            state.receipts_sent.fetch_add(1, Ordering::Relaxed);
            self.deliver(pdu, true, 1);
        }
    }

    fn deliver(&mut self, pdu: DeliverSm, receipt: bool, attempts: u32) {
        let seq = self.next_seq();
        self.send(CommandStatus::EsmeRok, seq, pdu.clone());
        self.unacked.insert(
            seq,
            Unacked {
                pdu,
                receipt,
                attempts,
            },
        );
    }

    fn send_mo(&mut self, mo: MoPart) {
        let (Ok(from), Ok(to), Ok(sm)) = (
            COctetString::from_string(mo.from),
            COctetString::from_string(mo.to),
            OctetString::from_vec(mo.short_message),
        ) else {
            return;
        };
        let pdu = DeliverSm::builder()
            .source_addr_ton(Ton::International)
            .source_addr_npi(Npi::Isdn)
            .source_addr(from)
            .destination_addr(to)
            .esm_class(EsmClass::from(mo.esm_class))
            .data_coding(DataCoding::from(mo.data_coding))
            .short_message(sm)
            .build();
        self.state.mo_sent.fetch_add(1, Ordering::Relaxed);
        self.deliver(pdu, false, 1);
    }

    /// A deliver_sm answered with an error goes again a little later.
    fn retry_later(&mut self, u: Unacked, resend: &mpsc::UnboundedSender<u32>) -> Flow {
        if u.attempts >= MAX_ATTEMPTS {
            return Flow::Continue;
        }
        // Parked under a sequence number of its own until the timer fires.
        let key = self.next_seq();
        self.unacked.insert(key, u);
        let resend = resend.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = resend.send(key);
        });
        Flow::Continue
    }

    fn resend(&mut self, key: u32) {
        if let Some(u) = self.unacked.remove(&key) {
            self.deliver(u.pdu, u.receipt, u.attempts + 1);
        }
    }
}
