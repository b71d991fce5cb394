-- What a licenses file would create besides its licenses (new orders and customers, the
-- first 50 of each with their counts), as JSON written by the preview.
ALTER TABLE imports ADD COLUMN preview_details TEXT;
