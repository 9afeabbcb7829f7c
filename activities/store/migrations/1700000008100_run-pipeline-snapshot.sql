-- Up Migration
-- Each run loads its pipeline once and keeps it: the validated config (paths resolved), the sha256 of
-- the file's bytes and the path it came from. Every stage of the run uses this snapshot.
ALTER TABLE activation_run ADD COLUMN IF NOT EXISTS pipeline_config jsonb;
ALTER TABLE activation_run ADD COLUMN IF NOT EXISTS pipeline_sha256 text;
ALTER TABLE activation_run ADD COLUMN IF NOT EXISTS pipeline_path text;

-- Down Migration
ALTER TABLE activation_run DROP COLUMN IF EXISTS pipeline_path;
ALTER TABLE activation_run DROP COLUMN IF EXISTS pipeline_sha256;
ALTER TABLE activation_run DROP COLUMN IF EXISTS pipeline_config;
