DROP TABLE license_check_counts;
DELETE FROM license_events WHERE kind = 'refused';
ALTER TABLE license_events DROP CONSTRAINT license_events_kind_check;
ALTER TABLE license_events ADD CONSTRAINT license_events_kind_check
    CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'returned', 'consumed', 'transferred'));
ALTER TABLE license_events DROP COLUMN code;
DROP INDEX devices_license_user;
DROP INDEX devices_token;
DROP INDEX devices_active_hardware;
ALTER TABLE devices DROP COLUMN license_user_id;
ALTER TABLE devices DROP COLUMN token_hash;
ALTER TABLE devices DROP COLUMN sdk_version;
ALTER TABLE licenses DROP COLUMN transfers;
ALTER TABLE licenses DROP COLUMN max_transfers;
ALTER TABLE products DROP COLUMN offline_days;
ALTER TABLE products DROP COLUMN max_transfers;
