-- The transactional outbox: every lead's deliveries are written in the same D1
-- batch as the lead, before the visitor gets a 201. The queue only carries
-- delivery ids; this table is the truth, so a lost queue message or a Worker
-- that died after the commit is found again by the scheduled sweeper.
CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,   -- the `webhook-id`: the same on every attempt
  lead_id         TEXT NOT NULL,
  form_id         TEXT NOT NULL,
  channel         TEXT NOT NULL,      -- `rep:ana:webhook`, `team:growth:slack`
  kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'slack')),
  event_type      TEXT NOT NULL,      -- lead.qualified, lead.created, delivery.failed, channel.disabled
  -- pending: to be sent (queued, or waiting for a retry); delivered: a 2xx came
  -- back; failed: refused for good (4xx, retries exhausted); disabled: the
  -- channel answered 410 Gone. Nothing is ever deleted.
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,   -- ms since the epoch
  next_attempt_at INTEGER NOT NULL,   -- ms: when the sweeper may send it again
  lease_until     INTEGER,            -- ms: a consumer is sending it until then
  delivered_at    INTEGER,
  last_error      TEXT,
  -- The event body, fixed by the first attempt so every retry sends the same bytes.
  payload         TEXT,
  -- For alerts: the delivery whose failure they report.
  about           TEXT
);

CREATE INDEX deliveries_by_lead ON deliveries (lead_id);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt, kept: the rep's tool was down at 10:02, answered at 10:07.
CREATE TABLE delivery_attempts (
  delivery_id TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,       -- ms since the epoch
  status_code INTEGER,                -- none for a network error
  latency_ms  INTEGER NOT NULL,
  error       TEXT,
  retry_in_s  INTEGER,                -- the backoff chosen, if retried
  PRIMARY KEY (delivery_id, attempt)
);

-- A channel that answered 410 Gone receives nothing more until it is re-enabled
-- (delete its row). Its leads go to the route's fallback.
CREATE TABLE disabled_channels (
  channel     TEXT PRIMARY KEY,
  form_id     TEXT NOT NULL,
  disabled_at INTEGER NOT NULL,
  reason      TEXT NOT NULL
);

-- Who the lead went to and the person behind it, for ownership and returning visitors.
ALTER TABLE leads ADD COLUMN email_domain TEXT;
ALTER TABLE leads ADD COLUMN email TEXT;
-- A returning person's new submission is a lead row of its own (nothing typed is
-- lost) that names the lead it is a new touch on, and goes to the same rep.
ALTER TABLE leads ADD COLUMN returning_of TEXT;
-- This edge's own address, for links in what sales receives.
ALTER TABLE leads ADD COLUMN edge_url TEXT;
CREATE INDEX leads_by_domain ON leads (form_id, email_domain, created_at) WHERE assigned_rep IS NOT NULL;
CREATE INDEX leads_by_email ON leads (form_id, email, created_at);
