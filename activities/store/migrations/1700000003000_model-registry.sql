-- Up Migration
-- Sidecar metadata of a model artifact (the ONNX input/output binding and feature order), keyed by the
-- artifact digest. Immutable like the artifact: written once, in the transaction that registers it.
CREATE TABLE model_artifact_sidecar (
  sha256      text PRIMARY KEY REFERENCES model_artifact (sha256),
  metadata    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE IF EXISTS model_artifact_sidecar;
