ALTER TABLE products DROP COLUMN deactivations_per_30_days;
ALTER TABLE products DROP COLUMN activations_per_hour;
