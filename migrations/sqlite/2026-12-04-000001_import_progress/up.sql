-- When an import's commit began (its page shows the rate and the time left from it), and
-- the uploaded file moved to a table of its own: a commit updates its import's row after
-- every chunk, and a row that held the file rewrote all of it each time.
ALTER TABLE imports ADD COLUMN started_at TIMESTAMP;
CREATE TABLE import_files (
    import_id INTEGER PRIMARY KEY NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    data BLOB NOT NULL
);
INSERT INTO import_files (import_id, data) SELECT id, file_data FROM imports;
ALTER TABLE imports DROP COLUMN file_data;
