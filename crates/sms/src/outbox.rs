//! The outbox channel: "delivers" into a table, for development and tests.

use std::sync::Arc;

use async_trait::async_trait;
use numgate_domain::clock::Clock;
use numgate_domain::secrets::SecretBox;
use numgate_store::{OutboxEntry, Store};

use crate::sender::{OutgoingSms, SendError, SmsSender, Submitted};

/// Stores each message, sealed with the master key, where `numgate outbox`
/// (which holds the key) shows it.
pub struct OutboxSender {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sealer: SecretBox,
}

impl OutboxSender {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, sealer: SecretBox) -> Self {
        Self {
            store,
            clock,
            sealer,
        }
    }
}

#[async_trait]
impl SmsSender for OutboxSender {
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        self.store
            .put_outbox(OutboxEntry {
                message_id: sms.message_id,
                tenant_id: sms.tenant_id,
                biz_id: sms.biz_id.clone(),
                phone: sms.phone.clone(),
                sealed_text: self.sealer.seal(sms.text.as_bytes()),
                status: "delivered".into(),
                created_at: self.clock.now_millis(),
            })
            .await
            .map(|()| Submitted::delivered())
            .map_err(|e| SendError::Temporary(e.to_string()))
    }
}
