ALTER TABLE imports DROP COLUMN preview_details;
