-- Weighted round robin in D1 (edge/src/turns.rs): one counter per form and
-- team, advanced in the same transaction that stores the lead, so a turn is
-- spent only on a stored lead. (Before, a Durable Object held the counter.)
CREATE TABLE turns (
  form_id TEXT NOT NULL,
  team    TEXT NOT NULL,
  next    INTEGER NOT NULL,
  PRIMARY KEY (form_id, team)
);
