DROP TABLE trial_records;
ALTER TABLE products DROP COLUMN trial_order_id;
ALTER TABLE products DROP COLUMN trials_per_day;
