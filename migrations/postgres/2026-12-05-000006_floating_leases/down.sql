ALTER TABLE licenses DROP COLUMN lease_minutes;
ALTER TABLE products DROP COLUMN lease_minutes;
