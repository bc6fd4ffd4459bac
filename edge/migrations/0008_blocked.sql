-- Posts dropped as bots' (edge/src/bots.rs): answered as taken, never stored
-- or delivered, counted per day, form and reason for the reports.
CREATE TABLE blocked (
  day     TEXT NOT NULL,                 -- YYYY-MM-DD, UTC
  form_id TEXT NOT NULL,
  reason  TEXT NOT NULL,                 -- honeypot
  n       INTEGER NOT NULL,
  PRIMARY KEY (day, form_id, reason)
);
