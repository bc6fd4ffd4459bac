-- Playbook experiments: how often each arm's form was shown (its HTML served
-- to a bucketed visitor, a marketer's preview too, as its leads are), per day, so
-- the report can put each arm's leads against its views.
CREATE TABLE exposures (
  day        TEXT NOT NULL,              -- YYYY-MM-DD, UTC
  experiment TEXT NOT NULL,
  arm        TEXT NOT NULL,              -- the form id served
  n          INTEGER NOT NULL,
  PRIMARY KEY (day, experiment, arm)
);
