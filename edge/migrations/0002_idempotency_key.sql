-- A client's Idempotency-Key (the IETF httpapi draft, as Stripe uses it): a
-- widget retrying a lead whose answer it never saw, or two tabs flushing the
-- same stored lead, must not store it twice. One key per form, once.
ALTER TABLE leads ADD COLUMN idempotency_key TEXT;

CREATE UNIQUE INDEX leads_by_idempotency_key ON leads (form_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
