-- Up Migration
-- The explicit ECID → entity id map of the real-time path. An XDM event names its visitor by ECID;
-- the canonical records name entities by Adobe visitor key ("<visid_high>_<visid_low>"). Whether
-- mcvisid equals the padded high/low concatenation is unverified (docs/formats/adobe-data-feed.md), so the mapping is
-- recorded from a source that observed both (e.g. feed rows with mcvisid and visid, or a CRM/CMP
-- export). publishOnlineActivity copies the rows of a cycle's entities into Redis.
CREATE TABLE IF NOT EXISTS online_identity_map (
  ecid        text PRIMARY KEY CHECK (ecid ~ '^[0-9]{38}$'),
  entity_id   text NOT NULL CHECK (entity_id ~ '^[0-9]{1,20}_[0-9]{1,20}$'),
  source      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS online_identity_map_entity ON online_identity_map (entity_id);

-- What each cycle's online publish wrote to the online store (the receipt of publishOnlineActivity).
CREATE TABLE IF NOT EXISTS online_publish (
  run_id         text PRIMARY KEY,
  namespace      text NOT NULL,
  records        integer NOT NULL,
  written        integer NOT NULL,
  unchanged      integer NOT NULL,
  skipped_newer  integer NOT NULL,
  expired        integer NOT NULL,
  quarantined    integer NOT NULL,
  ecids_mapped   integer NOT NULL,
  published_at   timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE IF EXISTS online_publish, online_identity_map;
