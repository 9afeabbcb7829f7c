-- Up Migration
-- Staging of a run's scores before the gate: the gate reads it, publish turns it into canonical records.
CREATE TABLE IF NOT EXISTS scored_entity (
  run_id     text NOT NULL,
  entity_id  text NOT NULL,
  score      double precision NOT NULL,
  segment    text NOT NULL,
  eligible   boolean NOT NULL,
  features   jsonb NOT NULL,
  PRIMARY KEY (run_id, entity_id)
);

-- Down Migration
DROP TABLE IF EXISTS scored_entity;
