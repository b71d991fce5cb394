DROP INDEX license_users_order;
DROP TABLE grant_products;
DROP INDEX manager_grants_parent;
ALTER TABLE manager_grants DROP COLUMN parent_grant_id;
ALTER TABLE devices DROP COLUMN checkout_until;

CREATE TABLE outbox_old (
    id INTEGER PRIMARY KEY NOT NULL,
    template TEXT NOT NULL,
    to_email TEXT NOT NULL,
    to_email_norm TEXT NOT NULL,
    to_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    link_kind TEXT CHECK (link_kind IN ('invite', 'reset')),
    link_prefix TEXT,
    sealed_token TEXT,
    token_id BIGINT,
    token_expires_at TIMESTAMP,
    manager_id BIGINT,
    order_id BIGINT,
    message_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO outbox_old (id, template, to_email, to_email_norm, to_name, subject, body_text, body_html, link_kind, link_prefix, sealed_token, token_id, token_expires_at, manager_id, order_id, message_id, status, attempts, last_error, next_attempt_at, claimed_until, claimed_by, created_at, sent_at, updated_at)
SELECT id, template, to_email, to_email_norm, to_name, subject, body_text, body_html, CASE WHEN link_kind = 'password' THEN NULL ELSE link_kind END, link_prefix, sealed_token, token_id, token_expires_at, manager_id, order_id, message_id, status, attempts, last_error, next_attempt_at, claimed_until, claimed_by, created_at, sent_at, updated_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_recipient ON outbox (to_email_norm, created_at);
CREATE INDEX outbox_token ON outbox (token_id);

CREATE TABLE license_events_old (
    id INTEGER PRIMARY KEY NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'consumed', 'transferred')),
    amount BIGINT NOT NULL DEFAULT 0,
    at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('vendor_portal', 'end_user_portal', 'license_api', 'import', 'system'))
);
INSERT INTO license_events_old (id, license_id, device_id, kind, amount, at, source)
SELECT id, license_id, device_id, kind, amount, at, source FROM license_events WHERE kind <> 'returned';
DROP TABLE license_events;
ALTER TABLE license_events_old RENAME TO license_events;
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);

CREATE TABLE tokens_old (
    id INTEGER PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('staff_invite', 'staff_reset', 'manager_invite', 'manager_reset')),
    owner_kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO tokens_old (id, purpose, owner_kind, owner_id, token_hash, created_at, expires_at, used_at)
SELECT id, purpose, owner_kind, owner_id, token_hash, created_at, expires_at, used_at FROM tokens WHERE purpose <> 'license_user_password';
DROP TABLE tokens;
ALTER TABLE tokens_old RENAME TO tokens;
CREATE INDEX tokens_owner ON tokens (owner_kind, owner_id);
