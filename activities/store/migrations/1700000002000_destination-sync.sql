-- Up Migration
-- The shared sync engine's memory, per destination: what was last delivered for each entity, so a
-- cycle sends only adds, updates and removes, and a failure is retried on its own.
CREATE TABLE destination_sync_state (
  destination        text NOT NULL,
  entity_id          text NOT NULL,
  -- What the destination holds now (last accepted delivery).
  member             boolean NOT NULL DEFAULT false,
  digest             text,
  model_version      text,
  expires_at         timestamptz,
  -- Identifiers and payload last accepted, kept while a member so the removal can name them.
  identifiers        jsonb NOT NULL DEFAULT '{}'::jsonb,
  payload            jsonb NOT NULL DEFAULT '{}'::jsonb,
  consented          boolean NOT NULL DEFAULT true,
  consent_revoked_at timestamptz,
  last_run_id        text,
  -- A delivery the destination refused: which operation, which payload, why, how many times.
  pending_op         text CHECK (pending_op IN ('upsert', 'remove')),
  pending_digest     text,
  pending_reason     text,
  pending_retryable  boolean,
  pending_attempts   integer NOT NULL DEFAULT 0,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (destination, entity_id)
);
CREATE INDEX destination_sync_state_members ON destination_sync_state (destination, expires_at) WHERE member;
CREATE INDEX destination_sync_state_pending ON destination_sync_state (destination) WHERE pending_op IS NOT NULL;

-- The plan of one run for one destination, written once: a retried activity replays the same rows
-- in the same chunks under the same idempotency keys.
CREATE TABLE destination_sync_plan_row (
  run_id       text NOT NULL,
  destination  text NOT NULL,
  ordinal      integer NOT NULL,
  list         text NOT NULL CHECK (list IN ('adds', 'updates', 'removes', 'retries', 'unchanged', 'held')),
  entity_id    text NOT NULL,
  row          jsonb NOT NULL,
  PRIMARY KEY (run_id, destination, ordinal)
);

-- Chunks the destination accepted (state committed with them): the receipt and the idempotency key.
CREATE TABLE destination_sync_chunk (
  run_id           text NOT NULL,
  destination      text NOT NULL,
  chunk_index      integer NOT NULL,
  op               text NOT NULL CHECK (op IN ('upsert', 'remove')),
  idempotency_key  text NOT NULL,
  rows             integer NOT NULL,
  accepted         integer NOT NULL,
  rejected         integer NOT NULL,
  receipt          jsonb NOT NULL DEFAULT '{}'::jsonb,
  at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, destination, chunk_index)
);

-- Down Migration
DROP TABLE IF EXISTS destination_sync_chunk, destination_sync_plan_row, destination_sync_state;
