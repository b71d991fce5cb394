DROP TABLE import_license_orders;
ALTER TABLE imports ADD COLUMN file_data BYTEA NOT NULL DEFAULT ''::bytea;
UPDATE imports SET file_data = (SELECT f.data FROM import_files f WHERE f.import_id = imports.id)
WHERE id IN (SELECT import_id FROM import_files);
DROP TABLE import_files;
ALTER TABLE imports DROP COLUMN started_at;
