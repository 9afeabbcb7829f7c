-- Up Migration
-- The streaming sync engine (issue 13): a run's plan is computed page by page into
-- destination_sync_plan_row and sent from there, never held in memory whole.
-- phase orders the rows to send (0 removes, 1 retried removes, 2 adds, 3 updates, 4 retried
-- upserts; NULL for rows not sent): in (phase, ordinal) order, chunk k is rows [k*size, (k+1)*size)
-- of its operation, so a resumed attempt reads exactly the chunk it stopped at.
ALTER TABLE destination_sync_plan_row ADD COLUMN IF NOT EXISTS phase smallint;
CREATE INDEX IF NOT EXISTS destination_sync_plan_row_send ON destination_sync_plan_row (run_id, destination, phase, ordinal) WHERE phase IS NOT NULL;

-- One row per planned (run, destination or destination shard): the chunking every attempt uses,
-- the plan's counts and the identity resolution figures of the planning pass.
CREATE TABLE IF NOT EXISTS destination_sync_run (
  run_id       text NOT NULL,
  destination  text NOT NULL,
  chunk_rows   integer NOT NULL,
  remove_rows  integer NOT NULL,
  upsert_rows  integer NOT NULL,
  counts       jsonb NOT NULL,
  identity     jsonb,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, destination)
);

-- Entities of the run the destination will not get (no usable identifier, routing), with the reason;
-- ledgered as suppressed once the sync is done.
CREATE TABLE IF NOT EXISTS destination_sync_suppressed (
  run_id       text NOT NULL,
  destination  text NOT NULL,
  entity_id    text NOT NULL,
  reason       text NOT NULL,
  PRIMARY KEY (run_id, destination, entity_id)
);

-- Identity resolution runs page by page: each page looks up the CRM customers that may share a
-- normalized email or phone with its own (activities/identity/resolve.ts). The coarse keys are
-- stored and indexed, so a page's lookup reads a few index entries instead of scanning the CRM.
ALTER TABLE crm_customer ADD COLUMN IF NOT EXISTS email_key text GENERATED ALWAYS AS (
  CASE WHEN email LIKE '%@%' THEN
    regexp_replace(split_part(lower(regexp_replace(email, '\s', '', 'g')), '@', 1), '[.]|[+].*$', '', 'g') || '@' ||
    split_part(lower(regexp_replace(email, '\s', '', 'g')), '@', 2) END) STORED;
ALTER TABLE crm_customer ADD COLUMN IF NOT EXISTS phone_key text GENERATED ALWAYS AS (NULLIF(right(regexp_replace(phone, '\D', '', 'g'), 6), '')) STORED;
CREATE INDEX IF NOT EXISTS crm_customer_email_key ON crm_customer (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS crm_customer_phone_key ON crm_customer (phone_key) WHERE phone_key IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS crm_customer_phone_key;
DROP INDEX IF EXISTS crm_customer_email_key;
ALTER TABLE crm_customer DROP COLUMN IF EXISTS phone_key;
ALTER TABLE crm_customer DROP COLUMN IF EXISTS email_key;
DROP TABLE IF EXISTS destination_sync_suppressed, destination_sync_run;
DROP INDEX IF EXISTS destination_sync_plan_row_send;
ALTER TABLE destination_sync_plan_row DROP COLUMN IF EXISTS phase;
