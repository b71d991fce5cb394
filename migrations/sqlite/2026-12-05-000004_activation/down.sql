DROP TABLE license_check_counts;
DELETE FROM license_events WHERE kind = 'refused';
CREATE TABLE license_events_old (
    id INTEGER PRIMARY KEY NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'returned', 'consumed', 'transferred')),
    amount BIGINT NOT NULL DEFAULT 0,
    at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('admin_portal', 'license_portal', 'license_api', 'import', 'system'))
);
INSERT INTO license_events_old (id, license_id, device_id, kind, amount, at, source)
SELECT id, license_id, device_id, kind, amount, at, source FROM license_events;
DROP TABLE license_events;
ALTER TABLE license_events_old RENAME TO license_events;
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);
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
