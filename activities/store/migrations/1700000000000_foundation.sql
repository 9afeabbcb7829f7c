-- Up Migration
-- Adobe data feed deliveries. One row per delivery id (<rsid>_<date>); a re-delivery replaces it.
CREATE TABLE feed_delivery (
  delivery_id      text PRIMARY KEY,
  rsid             text NOT NULL,
  feed_date        text NOT NULL,
  source_dir       text NOT NULL,
  manifest_md5     text NOT NULL,
  columns          text[] NOT NULL,
  status           text NOT NULL CHECK (status IN ('loaded')),
  records          bigint NOT NULL,
  loaded           bigint NOT NULL,
  excluded         bigint NOT NULL,
  quarantined      bigint NOT NULL,
  exclusions       jsonb NOT NULL DEFAULT '{}'::jsonb,
  visitors         bigint NOT NULL,
  visits           bigint NOT NULL,
  page_views       bigint NOT NULL,
  orders           bigint NOT NULL,
  units            bigint NOT NULL,
  revenue          numeric(18, 2) NOT NULL,
  min_hit_time     timestamptz,
  max_hit_time     timestamptz,
  ingested_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (records = loaded + excluded + quarantined)
);

-- Every rejected delivery attempt, kept for operators (nothing of it was loaded).
CREATE TABLE feed_rejection (
  id           bigserial PRIMARY KEY,
  source_dir   text NOT NULL,
  delivery_id  text,
  file_name    text,
  reason       text NOT NULL,
  rejected_at  timestamptz NOT NULL DEFAULT now()
);

-- Hits that passed Adobe's filters, typed. Excluded hits are counted on the delivery, not stored.
CREATE TABLE feed_hit (
  delivery_id          text NOT NULL REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE,
  file_name            text NOT NULL,
  record_no            integer NOT NULL,
  visitor_id           text NOT NULL,
  visit_num            integer NOT NULL,
  visit_start_time_gmt bigint NOT NULL,
  visit_page_num       integer NOT NULL,
  hit_time_gmt         bigint NOT NULL,
  page_event           integer,
  pagename             text,
  page_url             text,
  event_ids            integer[] NOT NULL,
  is_page_view         boolean NOT NULL,
  is_purchase          boolean NOT NULL,
  purchase_id          text,
  revenue              numeric(18, 2) NOT NULL DEFAULT 0,
  units                integer NOT NULL DEFAULT 0,
  customer_id          text,
  consent              text,
  PRIMARY KEY (delivery_id, file_name, record_no)
);
CREATE INDEX feed_hit_visitor ON feed_hit (visitor_id, hit_time_gmt);

-- Products of post_product_list, one row per product with a name.
CREATE TABLE feed_product (
  delivery_id  text NOT NULL REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE,
  file_name    text NOT NULL,
  record_no    integer NOT NULL,
  position     smallint NOT NULL,
  visitor_id   text NOT NULL,
  category     text NOT NULL,
  product      text NOT NULL,
  quantity     integer,
  price        numeric(18, 2),
  event_ids    integer[] NOT NULL,
  PRIMARY KEY (delivery_id, file_name, record_no, position)
);
CREATE INDEX feed_product_visitor ON feed_product (visitor_id);

-- Records that could not be parsed: file, record number, reason. The raw bytes are kept, never logged.
CREATE TABLE feed_quarantine (
  delivery_id  text NOT NULL REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE,
  file_name    text NOT NULL,
  record_no    integer NOT NULL,
  reason       text NOT NULL,
  raw          bytea NOT NULL,
  PRIMARY KEY (delivery_id, file_name, record_no)
);

-- Consent exported from a consent management platform (the alternative to a feed column).
CREATE TABLE consent_record (
  entity_id    text NOT NULL,
  purpose      text NOT NULL,
  granted      boolean NOT NULL,
  source       text NOT NULL,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (entity_id, purpose)
);

-- CRM extract: the identity source the destinations need. Keyed by customer id.
CREATE TABLE crm_customer (
  customer_id  text PRIMARY KEY,
  email        text,
  phone        text,
  first_name   text,
  last_name    text,
  country      text,
  zip          text,
  loaded_at    timestamptz NOT NULL DEFAULT now()
);

-- Feature snapshots: one per (feature set version, deliveries, as-of); values keyed by visitor.
CREATE TABLE feature_snapshot (
  snapshot_id          text PRIMARY KEY,
  feature_set          text NOT NULL,
  feature_set_version  text NOT NULL,
  delivery_ids         text[] NOT NULL,
  as_of                timestamptz NOT NULL,
  lookback_days        integer NOT NULL,
  entities             integer NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_value (
  snapshot_id        text NOT NULL REFERENCES feature_snapshot (snapshot_id) ON DELETE CASCADE,
  visitor_id         text NOT NULL,
  customer_id        text,
  consent            text,
  recency_days       double precision,
  frequency          integer NOT NULL,
  monetary           double precision NOT NULL,
  orders             integer NOT NULL,
  session_depth      double precision,
  page_views         integer NOT NULL,
  product_views      integer NOT NULL,
  cart_adds          integer NOT NULL,
  cart_removes       integer NOT NULL,
  checkouts          integer NOT NULL,
  cart_abandons      integer NOT NULL,
  category_affinity  jsonb NOT NULL,
  PRIMARY KEY (snapshot_id, visitor_id)
);

-- Model registry: immutable artifacts addressed by sha256, versions with status and metadata.
CREATE TABLE model_artifact (
  sha256      text PRIMARY KEY,
  format      text NOT NULL,
  bytes       bytea NOT NULL,
  size        integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_version (
  model_name           text NOT NULL,
  version              text NOT NULL,
  sha256               text NOT NULL REFERENCES model_artifact (sha256),
  format               text NOT NULL,
  feature_set_version  text NOT NULL,
  metrics              jsonb NOT NULL DEFAULT '{}'::jsonb,
  trained_at           timestamptz,
  owner                text,
  status               text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'champion', 'retired')),
  registered_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_name, version)
);
CREATE UNIQUE INDEX model_version_one_champion ON model_version (model_name) WHERE status = 'champion';

-- Per-pipeline champion pointer: a model version, or the rules fallback.
CREATE TABLE pipeline_champion (
  pipeline       text PRIMARY KEY,
  model_name     text NOT NULL,
  model_version  text,
  policy         text NOT NULL CHECK (policy IN ('model', 'rules')),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every operator action and every promotion or rollback, audited.
CREATE TABLE operator_audit (
  id           bigserial PRIMARY KEY,
  run_id       text,
  pipeline     text,
  action       text NOT NULL,
  operator     text NOT NULL,
  reason       text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key text UNIQUE,
  at           timestamptz NOT NULL DEFAULT now()
);

-- One activation run (a micro-batch cycle), keyed by its Temporal workflow id.
CREATE TABLE activation_run (
  run_id           text PRIMARY KEY,
  pipeline         text NOT NULL,
  status           text NOT NULL,
  stage            text NOT NULL,
  delivery_ids     text[] NOT NULL DEFAULT '{}',
  snapshot_id      text,
  model_name       text,
  model_version    text,
  model_sha256     text,
  decision_policy  text,
  contract_version text,
  rollback_of      text,
  counts           jsonb NOT NULL DEFAULT '{}'::jsonb,
  gate_report      jsonb,
  started_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Canonical activation records: one row per entity per cycle, immutable once published.
CREATE TABLE activation_record (
  run_id            text NOT NULL REFERENCES activation_run (run_id),
  entity_id         text NOT NULL,
  pipeline          text NOT NULL,
  model_version     text NOT NULL,
  score             double precision NOT NULL,
  segment           text NOT NULL,
  eligible          boolean NOT NULL,
  holdout_arm       text NOT NULL,
  expires_at        timestamptz NOT NULL,
  contract_version  text NOT NULL,
  record            jsonb NOT NULL,
  published_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, entity_id)
);
CREATE INDEX activation_record_entity ON activation_record (entity_id, published_at);

CREATE FUNCTION activation_record_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'activation_record rows are immutable (run %, entity %)', OLD.run_id, OLD.entity_id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER activation_record_no_update BEFORE UPDATE ON activation_record
  FOR EACH ROW EXECUTE FUNCTION activation_record_immutable();

-- Records refused at a contract boundary: path and reason, counted in the run summary.
CREATE TABLE contract_quarantine (
  run_id      text NOT NULL,
  boundary    text NOT NULL,
  entity_id   text NOT NULL,
  path        text NOT NULL,
  reason      text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, boundary, entity_id)
);

-- Gate results per run.
CREATE TABLE gate_result (
  run_id     text NOT NULL,
  gate       text NOT NULL,
  subject    text NOT NULL DEFAULT '',
  status     text NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
  value      double precision,
  warn_at    double precision,
  fail_at    double precision,
  detail     text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, gate, subject)
);

-- File exports and other destination deliveries per run.
CREATE TABLE destination_export (
  run_id         text NOT NULL,
  destination    text NOT NULL,
  kind           text NOT NULL,
  mapping_version text NOT NULL,
  rows           integer NOT NULL,
  location       text,
  checksum       text,
  receipt        jsonb NOT NULL DEFAULT '{}'::jsonb,
  at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, destination)
);

-- The chain ledger: entity x run x destination through generated, exported, accepted/rejected, delivered, outcome.
CREATE TABLE ledger_event (
  run_id       text NOT NULL,
  entity_id    text NOT NULL,
  destination  text NOT NULL DEFAULT '',
  stage        text NOT NULL CHECK (stage IN ('generated', 'exported', 'accepted', 'rejected', 'delivered', 'removed', 'suppressed', 'outcome')),
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, entity_id, destination, stage)
);
CREATE INDEX ledger_event_entity ON ledger_event (entity_id);

-- Down Migration
DROP TABLE IF EXISTS ledger_event, destination_export, gate_result, contract_quarantine, activation_record,
  activation_run, operator_audit, pipeline_champion, model_version, model_artifact, feature_value, feature_snapshot,
  crm_customer, consent_record, feed_quarantine, feed_product, feed_hit, feed_rejection, feed_delivery CASCADE;
DROP FUNCTION IF EXISTS activation_record_immutable();
