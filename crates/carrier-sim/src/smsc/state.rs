//! What one simulator holds: its counters, the parts it accepted, the fault
//! switches, and the transceivers MO messages can go to.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use numgate_sms::smpp::pdu::{decode_text, short_messages, split_udh};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::SmscConfig;

/// The most parts kept for `GET /control/messages`: a long benchmark must not
/// fill the memory. Parts past it are answered and counted, not kept.
const MAX_KEPT_PARTS: usize = 1_000_000;

/// One accepted submit_sm.
pub(crate) struct Part {
    pub message_id: String,
    pub source: String,
    pub destination: String,
    pub data_coding: u8,
    pub esm_class: u8,
    pub short_message: Vec<u8>,
}

/// An MO message part for a connection to send as deliver_sm.
pub(crate) struct MoPart {
    pub from: String,
    pub to: String,
    pub data_coding: u8,
    pub esm_class: u8,
    pub short_message: Vec<u8>,
}

pub(crate) struct State {
    pub config: SmscConfig,
    pub stopped: watch::Receiver<bool>,
    next_id: AtomicU64,
    pub parts: Mutex<Vec<Part>>,
    pub binds: AtomicU64,
    pub bind_failures: AtomicU64,
    pub submits: AtomicU64,
    /// Accepted submit_sm per connection number: how binds share the load.
    pub submits_by_conn: Mutex<BTreeMap<u64, u64>>,
    pub max_outstanding: AtomicU64,
    pub enquire_links: AtomicU64,
    pub receipts_sent: AtomicU64,
    pub receipts_acked: AtomicU64,
    pub receipts_nacked: AtomicU64,
    pub mo_sent: AtomicU64,
    pub mo_acked: AtomicU64,
    pub failing: Mutex<HashSet<String>>,
    /// Bumped by `drop`: a connection accepted before closes at its next PDU.
    pub drop_epoch: AtomicU64,
    pub hold: watch::Sender<bool>,
    /// Bumped by `unbind`: every bound connection sends unbind.
    pub unbind: watch::Sender<u64>,
    pub unbinds_acked: AtomicU64,
    pub throttle: AtomicU64,
    next_conn: AtomicU64,
    /// Bound transceivers (and receivers), by connection number.
    pub transceivers: Mutex<BTreeMap<u64, mpsc::UnboundedSender<MoPart>>>,
}

impl State {
    pub fn new(config: SmscConfig, stopped: watch::Receiver<bool>) -> Self {
        Self {
            config,
            stopped,
            // Ids with hex letters in them, so that hex and decimal differ.
            next_id: AtomicU64::new(0x1A2B_0000),
            parts: Mutex::new(Vec::new()),
            binds: AtomicU64::new(0),
            bind_failures: AtomicU64::new(0),
            submits: AtomicU64::new(0),
            submits_by_conn: Mutex::new(BTreeMap::new()),
            max_outstanding: AtomicU64::new(0),
            enquire_links: AtomicU64::new(0),
            receipts_sent: AtomicU64::new(0),
            receipts_acked: AtomicU64::new(0),
            receipts_nacked: AtomicU64::new(0),
            mo_sent: AtomicU64::new(0),
            mo_acked: AtomicU64::new(0),
            failing: Mutex::new(HashSet::new()),
            drop_epoch: AtomicU64::new(0),
            hold: watch::channel(false).0,
            unbind: watch::channel(0).0,
            unbinds_acked: AtomicU64::new(0),
            throttle: AtomicU64::new(0),
            next_conn: AtomicU64::new(1),
            transceivers: Mutex::new(BTreeMap::new()),
        }
    }

    /// A new message id: (submit form, receipt form).
    pub fn new_id(&self) -> (String, String) {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let submit = self.config.id_form.format(n);
        let receipt = self
            .config
            .receipt_id_form
            .unwrap_or(self.config.id_form)
            .format(n);
        (submit, receipt)
    }

    pub fn conn_number(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes one of the submits to throttle, if any is left.
    pub fn take_throttle(&self) -> bool {
        self.throttle
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    pub fn is_failing(&self, destination: &str) -> bool {
        lock(&self.failing).contains(destination)
    }
}

impl State {
    /// Keeps a part for `GET /control/messages`, up to [`MAX_KEPT_PARTS`].
    pub fn keep(&self, part: Part) {
        let mut parts = lock(&self.parts);
        if parts.len() < MAX_KEPT_PARTS {
            parts.push(part);
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The counters `GET /control/stats` answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub binds: u64,
    pub bind_failures: u64,
    pub submits: u64,
    /// Accepted submit_sm of each connection that had any, in connection order.
    pub submits_per_connection: Vec<u64>,
    pub max_outstanding: u64,
    pub enquire_links: u64,
    pub receipts_sent: u64,
    pub receipts_acked: u64,
    pub receipts_nacked: u64,
    pub mo_sent: u64,
    pub mo_acked: u64,
    /// unbind_resp received after `POST /control/unbind`.
    pub unbinds_acked: u64,
}

/// One message as `GET /control/messages` shows it: its parts reassembled.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MessageView {
    pub destination: String,
    pub source: String,
    pub data_coding: u8,
    pub esm_class: u8,
    /// Parts received (of `total` when concatenated).
    pub parts: usize,
    pub total: usize,
    pub message_ids: Vec<String>,
    /// Each part's `short_message` (UDH included), hex.
    pub short_messages_hex: Vec<String>,
    /// The reassembled text, once every part is there.
    pub text: Option<String>,
}

/// The simulator's control operations.
#[derive(Clone)]
pub struct Control(pub(crate) Arc<State>);

impl Control {
    pub fn stats(&self) -> Stats {
        let s = &self.0;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            binds: g(&s.binds),
            bind_failures: g(&s.bind_failures),
            submits: g(&s.submits),
            submits_per_connection: lock(&s.submits_by_conn).values().copied().collect(),
            max_outstanding: g(&s.max_outstanding),
            enquire_links: g(&s.enquire_links),
            receipts_sent: g(&s.receipts_sent),
            receipts_acked: g(&s.receipts_acked),
            receipts_nacked: g(&s.receipts_nacked),
            mo_sent: g(&s.mo_sent),
            mo_acked: g(&s.mo_acked),
            unbinds_acked: g(&s.unbinds_acked),
        }
    }

    /// Accepted messages in order of their first part, concatenated parts
    /// grouped by (source, destination, UDH reference).
    pub fn messages(&self) -> Vec<MessageView> {
        let parts = lock(&self.0.parts);
        // Each view with its parts' (sequence number, payload).
        let mut views: Vec<(MessageView, Payloads)> = Vec::new();
        // Open concatenations: key -> index in `views`.
        let mut open: HashMap<(String, String, u16, u8), usize> = HashMap::new();
        for p in parts.iter() {
            let concat = if p.esm_class & 0x40 != 0 {
                split_udh(&p.short_message)
                    .and_then(|(c, payload)| c.map(|c| (c, payload.to_vec())))
            } else {
                None
            };
            let hex = hex::encode(&p.short_message);
            match concat {
                Some((c, payload)) => {
                    let key = (
                        p.source.clone(),
                        p.destination.clone(),
                        c.reference,
                        c.total,
                    );
                    let idx = match open.get(&key) {
                        Some(&i) if !views[i].1.iter().any(|(s, _)| *s == c.seq) => i,
                        _ => {
                            views.push((view(p, usize::from(c.total)), Vec::new()));
                            open.insert(key, views.len() - 1);
                            views.len() - 1
                        }
                    };
                    let (v, payloads) = &mut views[idx];
                    v.parts += 1;
                    v.message_ids.push(p.message_id.clone());
                    v.short_messages_hex.push(hex);
                    payloads.push((c.seq, payload));
                }
                None => {
                    let mut v = view(p, 1);
                    v.parts = 1;
                    v.message_ids.push(p.message_id.clone());
                    v.short_messages_hex.push(hex);
                    views.push((v, vec![(1, p.short_message.clone())]));
                }
            }
        }
        views
            .into_iter()
            .map(|(mut v, mut payloads)| {
                if v.parts == v.total {
                    payloads.sort_by_key(|(s, _)| *s);
                    let bytes: Vec<u8> = payloads.into_iter().flat_map(|(_, b)| b).collect();
                    v.text = Some(decode_text(v.data_coding, &bytes));
                }
                v
            })
            .collect()
    }

    /// Receipts for these destinations say UNDELIV from now on.
    pub fn fail(&self, numbers: impl IntoIterator<Item = String>) {
        lock(&self.0.failing).extend(numbers);
    }

    /// Every open connection closes at its next PDU, without processing it.
    pub fn drop_connections(&self) {
        self.0.drop_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Every bound connection sends unbind (the SMSC going down for
    /// maintenance); each closes once its ESME answered.
    pub fn unbind(&self) {
        self.0.unbind.send_modify(|n| *n += 1);
    }

    /// Stop answering submit_sm until [`Control::release`].
    pub fn hold(&self) {
        self.0.hold.send_replace(true);
    }

    pub fn release(&self) {
        self.0.hold.send_replace(false);
    }

    /// Answer the next `n` submit_sm with ESME_RTHROTTLED.
    pub fn throttle(&self, n: u64) {
        self.0.throttle.store(n, Ordering::Relaxed);
    }

    /// Sends an MO message to the first bound transceiver; the number of
    /// parts, or `None` when no transceiver is bound.
    pub fn mo(&self, from: &str, to: &str, text: &str) -> Option<usize> {
        let messages = short_messages(text, rand::random()).ok()?;
        let transceivers = lock(&self.0.transceivers);
        let (_, tx) = transceivers.iter().next()?;
        let n = messages.parts.len();
        for part in messages.parts {
            let mo = MoPart {
                from: from.to_owned(),
                to: to.to_owned(),
                data_coding: messages.data_coding,
                esm_class: messages.esm_class,
                short_message: part,
            };
            tx.send(mo).ok()?;
        }
        Some(n)
    }
}

/// The parts of one message: (UDH sequence number, payload without UDH).
type Payloads = Vec<(u8, Vec<u8>)>;

fn view(p: &Part, total: usize) -> MessageView {
    MessageView {
        destination: p.destination.clone(),
        source: p.source.clone(),
        data_coding: p.data_coding,
        esm_class: p.esm_class,
        parts: 0,
        total,
        message_ids: Vec::new(),
        short_messages_hex: Vec::new(),
        text: None,
    }
}
