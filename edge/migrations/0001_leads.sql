-- Every lead a visitor submitted, accepted or not: nothing typed into the form
-- is lost. `status` = 'accepted' (valid, evaluated, routed) or 'invalid'
-- (field errors; answered 422, kept so sales can still see what came in).
CREATE TABLE leads (
  id               TEXT PRIMARY KEY,          -- ULID: sorts by creation time
  form_id          TEXT NOT NULL,
  created_at       TEXT NOT NULL,             -- RFC 3339, UTC
  status           TEXT NOT NULL CHECK (status IN ('accepted', 'invalid')),
  submission       TEXT NOT NULL,             -- the post exactly as received (JSON)
  decision         TEXT NOT NULL,             -- the edge's Decision (JSON)
  score            INTEGER NOT NULL,
  grade            TEXT NOT NULL,
  qualified        INTEGER NOT NULL CHECK (qualified IN (0, 1)),
  knocked_out      TEXT,                      -- the knock-out rule id, if any
  route_id         TEXT,
  team_id          TEXT,
  assigned_rep     TEXT,                      -- rep id picked by weighted round robin
  claimed          TEXT,                      -- the browser's claimed verdict (JSON)
  agreement        TEXT NOT NULL CHECK (agreement IN ('match', 'mismatch', 'unclaimed')),
  playbook_version TEXT NOT NULL,
  origin           TEXT,
  user_agent       TEXT
);

CREATE INDEX leads_by_form_time ON leads (form_id, created_at);
CREATE INDEX leads_by_rep ON leads (assigned_rep, created_at) WHERE assigned_rep IS NOT NULL;
