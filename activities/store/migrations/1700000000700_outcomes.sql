-- Up Migration
-- Observed outcomes per entity and run: conversions and revenue within the attribution window.
CREATE TABLE outcome (
  run_id        text NOT NULL,
  entity_id     text NOT NULL,
  arm           text NOT NULL CHECK (arm IN ('treatment', 'control')),
  converted     boolean NOT NULL,
  revenue       numeric(18, 2) NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  PRIMARY KEY (run_id, entity_id)
);

-- The lift report of a run (overall and breakdowns), as computed when its window closed.
CREATE TABLE lift_report (
  run_id      text PRIMARY KEY,
  pipeline    text NOT NULL,
  report      jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE IF EXISTS lift_report, outcome;
