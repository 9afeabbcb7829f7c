-- Up Migration
-- Round-trip verification of a run's export (scoreflow verify; the optional verify stage): what the
-- destination held when read back, against what was delivered. One row per run and destination; a
-- later check of the same run replaces it.
CREATE TABLE IF NOT EXISTS destination_verification (
  run_id             text NOT NULL,
  destination        text NOT NULL,
  kind               text NOT NULL,
  status             text NOT NULL CHECK (status IN ('pass', 'fail', 'not_supported', 'empty')),
  method             text NOT NULL,
  members            integer NOT NULL,
  sampled            integer NOT NULL,
  mismatched         integer NOT NULL,
  missing            integer NOT NULL,
  mismatch_rate      double precision NOT NULL,
  max_mismatch_rate  double precision NOT NULL,
  result             jsonb NOT NULL,
  verified_at        timestamptz NOT NULL,
  PRIMARY KEY (run_id, destination)
);

-- Down Migration
DROP TABLE IF EXISTS destination_verification;
