-- Up Migration
-- Feed ingest COPYs a million hits per delivery. The row-level foreign keys from feed_hit,
-- feed_product and feed_quarantine to feed_delivery ran one lookup-and-lock of the delivery row
-- per inserted row, about half the cost of the COPY. They are replaced by the same guarantees at
-- statement level:
--   * after every INSERT/UPDATE of child rows, one check that each distinct delivery_id among the
--     new rows exists in feed_delivery (transition table), raising foreign_key_violation if not;
--   * after DELETE from feed_delivery, its hits, products and quarantined records are deleted
--     (the former ON DELETE CASCADE);
--   * a delivery_id of feed_delivery cannot be changed while rows reference it.
ALTER TABLE feed_hit DROP CONSTRAINT feed_hit_delivery_id_fkey;
ALTER TABLE feed_product DROP CONSTRAINT feed_product_delivery_id_fkey;
ALTER TABLE feed_quarantine DROP CONSTRAINT feed_quarantine_delivery_id_fkey;

CREATE FUNCTION feed_rows_reference_delivery() RETURNS trigger AS $$
DECLARE
  missing text;
BEGIN
  SELECT n.delivery_id INTO missing
  FROM (SELECT DISTINCT delivery_id FROM new_rows) n
  WHERE NOT EXISTS (SELECT 1 FROM feed_delivery d WHERE d.delivery_id = n.delivery_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      MESSAGE = format('%s rows reference delivery %s, which is not in feed_delivery', TG_TABLE_NAME, missing),
      HINT = 'Insert the feed_delivery row first, in the same transaction.';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER feed_hit_delivery_exists_ins AFTER INSERT ON feed_hit
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();
CREATE TRIGGER feed_hit_delivery_exists_upd AFTER UPDATE ON feed_hit
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();
CREATE TRIGGER feed_product_delivery_exists_ins AFTER INSERT ON feed_product
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();
CREATE TRIGGER feed_product_delivery_exists_upd AFTER UPDATE ON feed_product
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();
CREATE TRIGGER feed_quarantine_delivery_exists_ins AFTER INSERT ON feed_quarantine
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();
CREATE TRIGGER feed_quarantine_delivery_exists_upd AFTER UPDATE ON feed_quarantine
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_rows_reference_delivery();

CREATE FUNCTION feed_delivery_delete_rows() RETURNS trigger AS $$
BEGIN
  DELETE FROM feed_hit WHERE delivery_id IN (SELECT delivery_id FROM old_rows);
  DELETE FROM feed_product WHERE delivery_id IN (SELECT delivery_id FROM old_rows);
  DELETE FROM feed_quarantine WHERE delivery_id IN (SELECT delivery_id FROM old_rows);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER feed_delivery_cascade AFTER DELETE ON feed_delivery
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_delivery_delete_rows();

CREATE FUNCTION feed_delivery_id_fixed() RETURNS trigger AS $$
BEGIN
  IF NEW.delivery_id IS DISTINCT FROM OLD.delivery_id THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      MESSAGE = format('feed_delivery %s cannot be renamed; delete and re-ingest the delivery instead', OLD.delivery_id);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER feed_delivery_id_immutable BEFORE UPDATE OF delivery_id ON feed_delivery
  FOR EACH ROW EXECUTE FUNCTION feed_delivery_id_fixed();

-- Down Migration
DROP TRIGGER IF EXISTS feed_delivery_id_immutable ON feed_delivery;
DROP TRIGGER IF EXISTS feed_delivery_cascade ON feed_delivery;
DROP TRIGGER IF EXISTS feed_quarantine_delivery_exists_upd ON feed_quarantine;
DROP TRIGGER IF EXISTS feed_quarantine_delivery_exists_ins ON feed_quarantine;
DROP TRIGGER IF EXISTS feed_product_delivery_exists_upd ON feed_product;
DROP TRIGGER IF EXISTS feed_product_delivery_exists_ins ON feed_product;
DROP TRIGGER IF EXISTS feed_hit_delivery_exists_upd ON feed_hit;
DROP TRIGGER IF EXISTS feed_hit_delivery_exists_ins ON feed_hit;
DROP FUNCTION IF EXISTS feed_delivery_id_fixed();
DROP FUNCTION IF EXISTS feed_delivery_delete_rows();
DROP FUNCTION IF EXISTS feed_rows_reference_delivery();
ALTER TABLE feed_hit ADD CONSTRAINT feed_hit_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE;
ALTER TABLE feed_product ADD CONSTRAINT feed_product_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE;
ALTER TABLE feed_quarantine ADD CONSTRAINT feed_quarantine_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES feed_delivery (delivery_id) ON DELETE CASCADE;
