DROP INDEX customers_updated_at;
ALTER TABLE staff_users DROP COLUMN license_columns;
