-- Up Migration
-- The full decision per scored entity (segment rule, eligibility reasons, recommendations, rationale,
-- confidence, scored_at), so publish builds canonical records without scoring again.
ALTER TABLE scored_entity ADD COLUMN IF NOT EXISTS decision jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE activation_run ADD COLUMN IF NOT EXISTS parent_run_id text;

-- Down Migration
ALTER TABLE scored_entity DROP COLUMN IF EXISTS decision;
ALTER TABLE activation_run DROP COLUMN IF EXISTS parent_run_id;
