ALTER TABLE imports DROP COLUMN started_at;
