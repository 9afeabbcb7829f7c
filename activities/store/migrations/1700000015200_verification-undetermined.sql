-- Up Migration
-- A destination that reads back but has not determined the figure yet (a Google Customer Match list
-- whose size is still null) is recorded as 'undetermined', never as a pass.
ALTER TABLE destination_verification DROP CONSTRAINT IF EXISTS destination_verification_status_check;
ALTER TABLE destination_verification ADD CONSTRAINT destination_verification_status_check
  CHECK (status IN ('pass', 'fail', 'not_supported', 'empty', 'undetermined'));

-- Down Migration
DELETE FROM destination_verification WHERE status = 'undetermined';
ALTER TABLE destination_verification DROP CONSTRAINT IF EXISTS destination_verification_status_check;
ALTER TABLE destination_verification ADD CONSTRAINT destination_verification_status_check
  CHECK (status IN ('pass', 'fail', 'not_supported', 'empty'));
