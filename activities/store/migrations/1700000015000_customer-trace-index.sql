-- Up Migration
-- `scoreflow trace --customer ID` finds a customer's entities through the identity the canonical
-- records carry (record.identity.customer_id, the feed's customer id column): index that path so the
-- lookup does not scan every record.
CREATE INDEX IF NOT EXISTS activation_record_customer ON activation_record ((record->'identity'->>'customer_id'))
  WHERE record->'identity'->>'customer_id' IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS activation_record_customer;
