ALTER TABLE products DROP COLUMN license_file_days;
