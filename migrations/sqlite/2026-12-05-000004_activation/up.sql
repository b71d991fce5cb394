-- Activation through the license API. Transfers: how many active devices a client or
-- the license portal may deactivate (empty: unlimited; staff never count). A device
-- activated by a license user holds the SHA-256 of its device token. One active
-- device per license and hardware id (a retried activation answers the same device).
ALTER TABLE products ADD COLUMN max_transfers BIGINT;
ALTER TABLE products ADD COLUMN offline_days BIGINT NOT NULL DEFAULT 7;
ALTER TABLE licenses ADD COLUMN max_transfers BIGINT;
ALTER TABLE licenses ADD COLUMN transfers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN sdk_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN token_hash TEXT;
ALTER TABLE devices ADD COLUMN license_user_id BIGINT REFERENCES license_users (id) ON DELETE SET NULL;
-- Earlier data could hold one hardware id active twice on a license: keep the oldest.
UPDATE devices SET deactivated_at = first_activated_at
WHERE deactivated_at IS NULL AND hardware_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM devices d WHERE d.license_id = devices.license_id
      AND d.hardware_id = devices.hardware_id AND d.deactivated_at IS NULL AND d.id < devices.id);
UPDATE licenses SET active_devices = (
    SELECT COUNT(*) FROM devices d WHERE d.license_id = licenses.id AND d.deactivated_at IS NULL);
CREATE UNIQUE INDEX devices_active_hardware ON devices (license_id, hardware_id)
WHERE deactivated_at IS NULL AND hardware_id IS NOT NULL;
CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX devices_license_user ON devices (license_user_id) WHERE license_user_id IS NOT NULL;

-- Refused activations are events too, with the refusal's code.
CREATE TABLE license_events_new (
    id INTEGER PRIMARY KEY NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'returned', 'consumed', 'transferred', 'refused')),
    amount BIGINT NOT NULL DEFAULT 0,
    at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('admin_portal', 'license_portal', 'license_api', 'import', 'system')),
    code TEXT
);
INSERT INTO license_events_new (id, license_id, device_id, kind, amount, at, source)
SELECT id, license_id, device_id, kind, amount, at, source FROM license_events;
DROP TABLE license_events;
ALTER TABLE license_events_new RENAME TO license_events;
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);

-- Checks, counted per license and day (in memory, flushed every few seconds).
CREATE TABLE license_check_counts (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    checks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (license_id, day)
);
