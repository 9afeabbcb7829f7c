-- Up Migration
-- Routing config is version-controlled: each destination mapping version is pinned to the digest of
-- the config it was first used with. Changing a mapping without bumping its version is refused.
CREATE TABLE destination_mapping (
  pipeline         text NOT NULL,
  destination      text NOT NULL,
  mapping_version  text NOT NULL,
  kind             text NOT NULL,
  config_digest    text NOT NULL,
  config           jsonb NOT NULL,
  first_run_id     text NOT NULL,
  first_used_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, destination, mapping_version)
);

-- Down Migration
DROP TABLE IF EXISTS destination_mapping;
