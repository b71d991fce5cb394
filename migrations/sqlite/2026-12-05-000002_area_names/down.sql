CREATE TABLE license_events_new (
    id INTEGER PRIMARY KEY NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'returned', 'consumed', 'transferred')),
    amount BIGINT NOT NULL DEFAULT 0,
    at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('vendor_portal', 'end_user_portal', 'license_api', 'import', 'system'))
);
INSERT INTO license_events_new (id, license_id, device_id, kind, amount, at, source)
SELECT id, license_id, device_id, kind, amount, at, CASE source WHEN 'admin_portal' THEN 'vendor_portal' WHEN 'license_portal' THEN 'end_user_portal' ELSE source END FROM license_events;
DROP TABLE license_events;
ALTER TABLE license_events_new RENAME TO license_events;
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);
UPDATE audit_log SET source = 'end-user portal' WHERE source = 'license portal';
