-- Up Migration
-- A CRM extract belongs to a namespace (pipeline `feed.crmNamespace`; '' = the database's one shared
-- customer master, the default and where every existing row stays). Pipelines whose extracts use the
-- same customer ids for different people keep them apart: a pipeline reads only its namespace, so a
-- customer id can never resolve to another extract's email, phone or name.
ALTER TABLE crm_customer ADD COLUMN IF NOT EXISTS namespace text NOT NULL DEFAULT '';
ALTER TABLE crm_customer DROP CONSTRAINT IF EXISTS crm_customer_pkey;
ALTER TABLE crm_customer ADD CONSTRAINT crm_customer_pkey PRIMARY KEY (namespace, customer_id);
DROP INDEX IF EXISTS crm_customer_email_key;
DROP INDEX IF EXISTS crm_customer_phone_key;
CREATE INDEX IF NOT EXISTS crm_customer_ns_email_key ON crm_customer (namespace, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS crm_customer_ns_phone_key ON crm_customer (namespace, phone_key) WHERE phone_key IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS crm_customer_ns_phone_key;
DROP INDEX IF EXISTS crm_customer_ns_email_key;
DELETE FROM crm_customer WHERE namespace <> '';
ALTER TABLE crm_customer DROP CONSTRAINT IF EXISTS crm_customer_pkey;
ALTER TABLE crm_customer ADD CONSTRAINT crm_customer_pkey PRIMARY KEY (customer_id);
ALTER TABLE crm_customer DROP COLUMN IF EXISTS namespace;
CREATE INDEX IF NOT EXISTS crm_customer_email_key ON crm_customer (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS crm_customer_phone_key ON crm_customer (phone_key) WHERE phone_key IS NOT NULL;
