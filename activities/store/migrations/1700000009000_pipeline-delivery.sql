-- Up Migration
-- Which deliveries each pipeline has taken up. Two pipelines on one inbox each process a delivery
-- once: a delivery is new for a pipeline unless this table holds it with the same manifest bytes.
CREATE TABLE IF NOT EXISTS pipeline_delivery (
  pipeline      text NOT NULL,
  delivery_id   text NOT NULL,
  manifest_md5  text NOT NULL,
  run_id        text NOT NULL,
  taken_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, delivery_id)
);

-- Deliveries runs of a pipeline already scored (through their feature snapshots) count as taken, so
-- upgrading does not process them again.
INSERT INTO pipeline_delivery (pipeline, delivery_id, manifest_md5, run_id)
SELECT DISTINCT ON (r.pipeline, d.delivery_id) r.pipeline, d.delivery_id, d.manifest_md5, r.run_id
  FROM activation_run r
  JOIN feature_snapshot s ON s.snapshot_id = r.snapshot_id
  JOIN feed_delivery d ON d.delivery_id = ANY (s.delivery_ids)
 ORDER BY r.pipeline, d.delivery_id, r.started_at
ON CONFLICT DO NOTHING;

-- Down Migration
DROP TABLE IF EXISTS pipeline_delivery;
