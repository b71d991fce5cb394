-- Grants: which license manager manages which order, with the nine permissions of the
-- seed, and the state of the invitation that brought them.
CREATE TABLE manager_grants (
    id INTEGER PRIMARY KEY NOT NULL,
    manager_id BIGINT NOT NULL REFERENCES license_managers (id) ON DELETE CASCADE,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    manage_license_users BOOLEAN NOT NULL DEFAULT FALSE,
    manage_user_credentials BOOLEAN NOT NULL DEFAULT FALSE,
    manage_managers BOOLEAN NOT NULL DEFAULT FALSE,
    reset_device BOOLEAN NOT NULL DEFAULT FALSE,
    reset_license BOOLEAN NOT NULL DEFAULT FALSE,
    borrow_license BOOLEAN NOT NULL DEFAULT FALSE,
    create_bundle_order BOOLEAN NOT NULL DEFAULT FALSE,
    create_order BOOLEAN NOT NULL DEFAULT FALSE,
    issue_license BOOLEAN NOT NULL DEFAULT FALSE,
    invite_state TEXT NOT NULL CHECK (invite_state IN ('pending', 'accepted', 'revoked')),
    created_by_kind TEXT NOT NULL CHECK (created_by_kind IN ('staff', 'manager', 'system')),
    created_by_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (manager_id, order_id)
);
CREATE INDEX manager_grants_order ON manager_grants (order_id);

-- The outbox: every email, written in the transaction of the action that causes it and
-- sent by the mail worker. A token-bearing email keeps its link's token only sealed
-- (encrypted with the server's key) in sealed_token, which the worker alone reads and
-- which is erased once the email is sent, fails, or its token expires. The bodies hold a
-- marker where the link goes, so no page can ever show a live link.
CREATE TABLE outbox (
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
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_recipient ON outbox (to_email_norm, created_at);
CREATE INDEX outbox_token ON outbox (token_id);

-- Audit rows name the order their object belongs to (an order's activity is one indexed
-- query) and where the change came from.
ALTER TABLE audit_log ADD COLUMN order_id BIGINT;
ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT 'admin portal';
CREATE INDEX audit_log_order ON audit_log (order_id, at);
UPDATE audit_log SET order_id = object_id WHERE object_type = 'order';
UPDATE audit_log SET order_id = (SELECT l.order_id FROM licenses l WHERE l.id = audit_log.object_id)
    WHERE object_type = 'license';
UPDATE audit_log SET source = 'system' WHERE actor_kind = 'system';

-- License managers are searched by name prefix as well as by email prefix.
ALTER TABLE license_managers ADD COLUMN name_norm TEXT NOT NULL DEFAULT '';
UPDATE license_managers SET name_norm = lower(name);
CREATE INDEX license_managers_name ON license_managers (name_norm);

-- Sign-in failures are also limited per address across accounts (and per account
-- across addresses, which the existing (area, email_norm, ip, at) index serves).
CREATE INDEX login_attempts_ip ON login_attempts (area, ip, attempted_at);
