-- What sales answers about a lead (feedback links in deliveries, or a CRM
-- through the admin API), and the SLA clock those answers stop.

CREATE TABLE outcomes (
  lead_id TEXT NOT NULL,
  action  TEXT NOT NULL CHECK (action IN ('accepted', 'rejected', 'contacted',
                                          'meeting_booked', 'won', 'lost')),
  at      INTEGER NOT NULL,            -- ms since the epoch
  by      TEXT NOT NULL,               -- a rep id, `team:<id>`, or a CRM user
  source  TEXT NOT NULL CHECK (source IN ('link', 'api')),
  reason  TEXT,                        -- rejected, lost: one of the playbook's reasons
  amount  REAL,                        -- won: the deal's amount
  -- Each action once per lead: a second click (or a CRM's retry) finds the first.
  PRIMARY KEY (lead_id, action)
);

-- ms since the epoch. The deadline is set when the lead is stored (created
-- plus its grade's SLA minutes) and again when it is reassigned.
ALTER TABLE leads ADD COLUMN sla_due_at INTEGER;
ALTER TABLE leads ADD COLUMN first_touch_at INTEGER;
ALTER TABLE leads ADD COLUMN sla_missed_at INTEGER;

-- The watchdog's question: untouched leads past their deadline, not yet reported.
CREATE INDEX leads_sla_due ON leads (sla_due_at)
  WHERE sla_due_at IS NOT NULL AND first_touch_at IS NULL AND sla_missed_at IS NULL;

-- Every missed deadline: who missed it, who heard, who got the lead next.
CREATE TABLE sla_breaches (
  lead_id       TEXT NOT NULL,
  rep           TEXT,                  -- who had the lead
  due_at        INTEGER NOT NULL,      -- ms
  noticed_at    INTEGER NOT NULL,      -- ms: the scheduled run that found it
  escalated_to  TEXT,                  -- the SLA's escalate_to rep
  reassigned_to TEXT,                  -- the next rep, when the playbook reassigns
  PRIMARY KEY (lead_id, due_at)
);
