-- Offline activation: a signed license file for one device expires after this many
-- days (never past the license's end). Short lifetimes bound how long a copy of a
-- license file stays valid after an offline deactivation.
ALTER TABLE products ADD COLUMN license_file_days BIGINT NOT NULL DEFAULT 30;
