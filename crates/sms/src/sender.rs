//! The seam between the dispatch queue and a delivery channel.

use async_trait::async_trait;

/// One message to deliver. `Debug` leaves out the text: it holds a code.
#[derive(Clone)]
pub struct OutgoingSms {
    /// The queue message id: senders use it to make delivery idempotent.
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
    /// Hands the message to the channel. Must be idempotent per `message_id`:
    /// after a crash the dispatcher may deliver the same message again.
    async fn send(&self, sms: &OutgoingSms) -> Result<(), SendError>;
}
