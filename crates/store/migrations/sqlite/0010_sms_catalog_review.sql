-- Custom SMS signatures and templates submitted by tenants, and the operator's
-- review of them: pending until approved or rejected. `approved` stays, kept
-- equal to status = 'approved', for the senders that read it.

ALTER TABLE sms_signatures ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'rejected'));
-- 'own' or 'others'; NULL for the complimentary ones.
ALTER TABLE sms_signatures ADD COLUMN purpose TEXT;
-- The owner's registration: a signature is approved only with all three.
ALTER TABLE sms_signatures ADD COLUMN owner_name TEXT;
ALTER TABLE sms_signatures ADD COLUMN owner_id_number TEXT;
ALTER TABLE sms_signatures ADD COLUMN contact_phone TEXT;
ALTER TABLE sms_signatures ADD COLUMN reason TEXT;
ALTER TABLE sms_signatures ADD COLUMN submitted_by TEXT;
ALTER TABLE sms_signatures ADD COLUMN submitted_at INTEGER;
ALTER TABLE sms_signatures ADD COLUMN reviewed_by TEXT;
ALTER TABLE sms_signatures ADD COLUMN reviewed_at INTEGER;
UPDATE sms_signatures SET status = CASE approved WHEN 1 THEN 'approved' ELSE 'pending' END;

ALTER TABLE sms_templates ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'rejected'));
-- Alibaba's TemplateType: 0 verification code, 1 notification, 2 promotion, 3 international.
ALTER TABLE sms_templates ADD COLUMN template_type INTEGER;
ALTER TABLE sms_templates ADD COLUMN remark TEXT;
ALTER TABLE sms_templates ADD COLUMN reason TEXT;
ALTER TABLE sms_templates ADD COLUMN submitted_by TEXT;
ALTER TABLE sms_templates ADD COLUMN submitted_at INTEGER;
ALTER TABLE sms_templates ADD COLUMN reviewed_by TEXT;
ALTER TABLE sms_templates ADD COLUMN reviewed_at INTEGER;
UPDATE sms_templates SET status = CASE approved WHEN 1 THEN 'approved' ELSE 'pending' END;

-- The console shows a tenant its own outbox only.
CREATE INDEX outbox_by_tenant ON outbox (tenant_id, created_at);
