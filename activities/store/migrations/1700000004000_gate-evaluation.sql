-- Up Migration
-- One gate evaluation per run: which runs it compared against and the measurements behind the
-- gate_result rows (score and feature PSI bins, score statistics, categorical mixes), so the run
-- report draws baseline-vs-current charts without re-reading staging rows that may be gone.
-- scored_entity (the staging table the gate reads) is created by 1700000000500_scored-entity.
CREATE TABLE IF NOT EXISTS gate_evaluation (
  run_id           text PRIMARY KEY,
  pipeline         text NOT NULL,
  snapshot_id      text NOT NULL,
  baseline_run_id  text,
  previous_run_id  text,
  status           text NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
  measurements     jsonb NOT NULL,
  evaluated_at     timestamptz NOT NULL DEFAULT now()
);

-- The baseline lookup: latest COMPLETED run of a pipeline.
CREATE INDEX IF NOT EXISTS activation_run_pipeline_status_started ON activation_run (pipeline, status, started_at DESC);

-- Down Migration
DROP INDEX IF EXISTS activation_run_pipeline_status_started;
DROP TABLE IF EXISTS gate_evaluation;
