-- Up Migration
-- Destination sync state is per pipeline: two pipelines may name a destination alike, and one's
-- members must never be planned as the other's removals. The state key becomes "<pipeline>/<destination>";
-- existing rows take the pipeline of the run that last touched them.
UPDATE destination_sync_state AS s
   SET destination = r.pipeline || '/' || s.destination
  FROM activation_run AS r
 WHERE r.run_id = s.last_run_id AND position('/' IN s.destination) = 0;

-- Down Migration
UPDATE destination_sync_state SET destination = split_part(destination, '/', 2) WHERE position('/' IN destination) > 0;
