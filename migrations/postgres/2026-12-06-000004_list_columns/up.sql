-- The license list's columns each staff user chose (comma-separated keys; empty: the
-- default set).
ALTER TABLE staff_users ADD COLUMN license_columns TEXT NOT NULL DEFAULT '';
-- An import's commit finds the customers it wrote by their updated_at (to index their
-- search words).
CREATE INDEX customers_updated_at ON customers (updated_at);
