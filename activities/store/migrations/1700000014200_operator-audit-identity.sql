-- Up Migration
-- Who really sent an operator action (issue 14): the Temporal client identity recorded on the signal
-- or update in the run's history (the CLI's is scoreflow-cli:<operator>@<host>), beside the operator
-- the payload names. via: 'signal' or 'update' (NULL: the system, or a run from before this change).
-- identity_mismatch: the identity is a Scoreflow CLI's and names another operator than the payload.
ALTER TABLE operator_audit ADD COLUMN IF NOT EXISTS identity text;
ALTER TABLE operator_audit ADD COLUMN IF NOT EXISTS via text;
ALTER TABLE operator_audit ADD COLUMN IF NOT EXISTS identity_mismatch boolean;

-- Down Migration
ALTER TABLE operator_audit DROP COLUMN IF EXISTS identity_mismatch;
ALTER TABLE operator_audit DROP COLUMN IF EXISTS via;
ALTER TABLE operator_audit DROP COLUMN IF EXISTS identity;
