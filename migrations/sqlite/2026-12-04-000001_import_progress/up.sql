-- When an import's commit began: its page shows the rate and the time left from it.
ALTER TABLE imports ADD COLUMN started_at TIMESTAMP;
