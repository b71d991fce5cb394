-- The rest of the end-user portal: license users' set-password links, floating seats
-- (check-outs and borrows, with the "returned" event), and the products and quotas a
-- grant may issue or order. On SQLite a CHECK change rebuilds its table: tokens, events
-- and the outbox are copied whole and their indexes made again.

-- Tokens: license users' set-password links.
CREATE TABLE tokens_new (
    id INTEGER PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('staff_invite', 'staff_reset', 'manager_invite', 'manager_reset', 'license_user_password')),
    owner_kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO tokens_new (id, purpose, owner_kind, owner_id, token_hash, created_at, expires_at, used_at)
SELECT id, purpose, owner_kind, owner_id, token_hash, created_at, expires_at, used_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_owner ON tokens (owner_kind, owner_id);

-- License events: a borrowed seat handed back early is "returned".
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
SELECT id, license_id, device_id, kind, amount, at, source FROM license_events;
DROP TABLE license_events;
ALTER TABLE license_events_new RENAME TO license_events;
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);

-- Outbox: emails to license users carry a set-password link and name the user.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY NOT NULL,
    template TEXT NOT NULL,
    to_email TEXT NOT NULL,
    to_email_norm TEXT NOT NULL,
    to_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    link_kind TEXT CHECK (link_kind IN ('invite', 'reset', 'password')),
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
    updated_at TIMESTAMP NOT NULL,
    license_user_id BIGINT
);
INSERT INTO outbox_new (id, template, to_email, to_email_norm, to_name, subject, body_text, body_html, link_kind, link_prefix, sealed_token, token_id, token_expires_at, manager_id, order_id, message_id, status, attempts, last_error, next_attempt_at, claimed_until, claimed_by, created_at, sent_at, updated_at)
SELECT id, template, to_email, to_email_norm, to_name, subject, body_text, body_html, link_kind, link_prefix, sealed_token, token_id, token_expires_at, manager_id, order_id, message_id, status, attempts, last_error, next_attempt_at, claimed_until, claimed_by, created_at, sent_at, updated_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_recipient ON outbox (to_email_norm, created_at);
CREATE INDEX outbox_token ON outbox (token_id);

-- Floating seats: a seat is held by an active device with an unexpired check-out (the
-- license API's lease) or an unexpired borrow.
ALTER TABLE devices ADD COLUMN checkout_until TIMESTAMP;

-- Grants made by a manager name the grant they were carved from (no foreign key: SQLite
-- cannot drop such a column again; removing a grant re-parents its delegates); the products a grant
-- may issue or order, each with an optional quota and the licenses counted against it.
ALTER TABLE manager_grants ADD COLUMN parent_grant_id BIGINT;
CREATE INDEX manager_grants_parent ON manager_grants (parent_grant_id);
CREATE TABLE grant_products (
    id INTEGER PRIMARY KEY NOT NULL,
    grant_id BIGINT NOT NULL REFERENCES manager_grants (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quota BIGINT CHECK (quota IS NULL OR quota >= 0),
    used BIGINT NOT NULL DEFAULT 0,
    UNIQUE (grant_id, product_id)
);
CREATE INDEX grant_products_product ON grant_products (product_id);
-- Existing grants may issue the products already on their order, without a quota.
INSERT INTO grant_products (grant_id, product_id, quota, used)
SELECT DISTINCT g.id, l.product_id, NULL, 0
FROM manager_grants g JOIN licenses l ON l.order_id = g.order_id;

CREATE INDEX license_users_order ON license_users (order_id, id);
