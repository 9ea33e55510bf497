//! The seam between the dispatch queue and a delivery channel, and the way back:
//! what channels report later (delivery receipts, upstream messages).

use async_trait::async_trait;

/// Unix milliseconds.
pub type Millis = i64;

/// One message to deliver. `Debug` leaves out the text: it holds a code.
#[derive(Clone)]
pub struct OutgoingSms {
    /// The queue message id: senders use it to make delivery idempotent (the
    /// HTTP sender sends it as the idempotency key).
    pub message_id: i64,
    pub tenant_id: i64,
    pub biz_id: String,
    /// Digits with the country code, no `+`.
    pub phone: String,
    pub text: String,
    /// Appended to the sender number by channels that have one (SMPP), so that
    /// replies reach the right scheme.
    pub up_extend_code: Option<String>,
}

impl std::fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("message_id", &self.message_id)
            .field("biz_id", &self.biz_id)
            .finish_non_exhaustive()
    }
}

/// What a channel answers when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The channel's own id of the message, as it will name it in receipts
    /// (SMPP: the `message_id` of the first part's `submit_sm_resp`).
    pub provider_message_id: Option<String>,
    /// The ids of a long message's other parts: each part gets a receipt of
    /// its own, and these are known as the same message's (the first receipt
    /// to arrive makes the record final).
    pub other_part_ids: Vec<String>,
    /// `true` when the channel knows at once that the message is delivered
    /// (the outbox); otherwise a receipt will tell.
    pub delivered: bool,
}

impl Submitted {
    /// Accepted; a receipt naming `id` will follow.
    pub fn accepted(id: impl Into<String>) -> Self {
        Self {
            provider_message_id: Some(id.into()),
            other_part_ids: Vec::new(),
            delivered: false,
        }
    }

    /// Accepted in parts; receipts will name the parts' ids.
    pub fn accepted_parts(mut ids: Vec<String>) -> Self {
        if ids.is_empty() {
            return Self::accepted("");
        }
        let first = ids.remove(0);
        Self {
            other_part_ids: ids,
            ..Self::accepted(first)
        }
    }

    /// Delivered already; no receipt will follow.
    pub fn delivered() -> Self {
        Self {
            provider_message_id: None,
            other_part_ids: Vec::new(),
            delivered: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (the channel is down, timed out, throttled).
    #[error("temporary delivery failure: {0}")]
    Temporary(String),
    /// The channel refused this message for good; `err_code` goes to the send record.
    #[error("delivery refused: {err_code}")]
    Permanent { err_code: String },
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Hands the message to the channel. Must be idempotent per `message_id`
    /// where the channel allows it: after a crash the dispatcher may deliver the
    /// same message again.
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError>;
}

/// A delivery report of one message, as a channel gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's configured name.
    pub provider: String,
    /// The id as the receipt gives it; matched whatever hex or decimal form
    /// the channel uses (see [`crate::receipt_id_forms`]).
    pub provider_message_id: String,
    pub delivered: bool,
    /// The channel's status and error, e.g. `UNDELIV:001`; `None` when delivered.
    pub err_code: Option<String>,
    /// When the channel says it was done, if it says.
    pub done_at: Option<Millis>,
}

/// An upstream (MO) message, as a channel gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct Inbound {
    pub provider: String,
    /// The sender: E.164 digits without `+`.
    pub from: String,
    /// The number it was sent to (service number and extension).
    pub to: String,
    pub text: String,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("provider", &self.provider)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the report could not be recorded: {0}")]
pub struct ReportError(pub String);

/// Where channels hand what they hear back. A channel acknowledges a report to
/// its peer (SMPP `deliver_sm_resp`, an HTTP 200) only after this returned `Ok`:
/// then the report is durable, and a report lost in a crash is sent again.
#[async_trait]
pub trait ReportSink: Send + Sync {
    async fn receipt(&self, receipt: Receipt) -> Result<(), ReportError>;
    async fn inbound(&self, message: Inbound) -> Result<(), ReportError>;
}

/// The forms an SMSC may use for the same message id: as given (lower case,
/// without leading zeros), and its decimal value written in hex and its hex
/// value written in decimal. A receipt matches a submit when their forms meet.
pub fn receipt_id_forms(id: &str) -> Vec<String> {
    let id = id.trim();
    let trimmed = id.trim_start_matches('0');
    let canonical = if trimmed.is_empty() && !id.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_ascii_lowercase()
    };
    let mut forms = vec![canonical.clone()];
    if !canonical.is_empty() && canonical.len() <= 32 {
        if canonical.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(v) = canonical.parse::<u128>() {
                forms.push(format!("{v:x}"));
            }
        }
        if canonical.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(v) = u128::from_str_radix(&canonical, 16) {
                forms.push(v.to_string());
            }
        }
    }
    forms.dedup();
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::receipt_id_forms;

    #[test]
    fn hex_and_decimal_forms_of_one_id_meet() {
        // 0x1A2B = 6699: an SMSC that answers hex and reports decimal.
        let submit = receipt_id_forms("00001A2B");
        let receipt = receipt_id_forms("6699");
        assert!(submit.iter().any(|f| receipt.contains(f)));
        // Case and leading zeros do not matter.
        assert_eq!(receipt_id_forms("0ABC"), receipt_id_forms("abc"));
        // A non-numeric id is kept as it is, lower case.
        assert_eq!(receipt_id_forms("msg-42"), vec!["msg-42".to_owned()]);
        assert_eq!(receipt_id_forms("000"), receipt_id_forms("0"));
    }

    #[test]
    fn different_ids_do_not_meet() {
        let a = receipt_id_forms("1000");
        let b = receipt_id_forms("1001");
        assert!(!a.iter().any(|f| b.contains(f)));
    }
}
