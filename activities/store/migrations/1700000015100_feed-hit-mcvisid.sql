-- Up Migration
-- The hit's Experience Cloud visitor id (the feed's `mcvisid` column, 38 digits), when the feed has
-- the column. Publish reads it to record which ECID names which entity (online_identity_map,
-- source 'feed_mcvisid'), so a real XDM event carrying the ECID resolves in the real-time path.
ALTER TABLE feed_hit ADD COLUMN IF NOT EXISTS mcvisid text;

-- Down Migration
ALTER TABLE feed_hit DROP COLUMN IF EXISTS mcvisid;
