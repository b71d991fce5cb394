-- When an import's commit began (its page shows the rate and the time left from it), and
-- the uploaded file moved to a table of its own: a commit updates its import's row after
-- every chunk, and a row that held the file rewrote all of it each time.
ALTER TABLE imports ADD COLUMN started_at TIMESTAMP;
CREATE TABLE import_files (
    import_id BIGINT PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    data BYTEA NOT NULL
);
INSERT INTO import_files (import_id, data) SELECT id, file_data FROM imports;
ALTER TABLE imports DROP COLUMN file_data;
-- A licenses import's new orders (one row per reference, with its customer), gathered
-- from the staged rows before the final switch, so the switch does not group them.
CREATE TABLE import_license_orders (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    reference_norm TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    customer_email_norm TEXT NOT NULL,
    customer_first_name TEXT NOT NULL,
    customer_last_name TEXT NOT NULL,
    customer_company TEXT NOT NULL,
    PRIMARY KEY (import_id, reference_norm)
);
