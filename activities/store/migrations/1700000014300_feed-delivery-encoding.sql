-- Up Migration
-- The encoding a delivery's hit data was read in (the pipeline's feed.encoding, or detected when
-- it is "auto") and the invalid UTF-8 bytes replaced by U+FFFD while loading it, so a replaced byte
-- is counted and visible instead of silently stored as ISO-8859-1 mojibake. first_replacement
-- names where the first one was (file, record, column), never the value.
ALTER TABLE feed_delivery
  ADD COLUMN encoding text NOT NULL DEFAULT 'iso-8859-1' CHECK (encoding IN ('iso-8859-1', 'utf-8')),
  ADD COLUMN replaced_bytes bigint NOT NULL DEFAULT 0 CHECK (replaced_bytes >= 0),
  ADD COLUMN replaced_records integer NOT NULL DEFAULT 0 CHECK (replaced_records >= 0),
  ADD COLUMN first_replacement text;

-- Down Migration
ALTER TABLE feed_delivery
  DROP COLUMN IF EXISTS first_replacement,
  DROP COLUMN IF EXISTS replaced_records,
  DROP COLUMN IF EXISTS replaced_bytes,
  DROP COLUMN IF EXISTS encoding;
