-- Keyfold initial schema. Edited together with its twin in the other backend's folder:
-- the same tables, columns, constraints and indexes (a test compares them).
-- Normalised search columns (*_norm) compare bytewise on both backends (PostgreSQL
-- declares them COLLATE "C"), so prefix searches are index range scans.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'support', 'read_only')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_sign_in_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_users_role_active ON staff_users (role, active);

-- Server-side sessions: only the SHA-256 of the random session id is stored.
CREATE TABLE sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'manager')),
    user_id BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (kind, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins, counted per email and client address for throttling.
CREATE TABLE login_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area TEXT NOT NULL,
    email_norm TEXT COLLATE "C" NOT NULL,
    ip TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_lookup ON login_attempts (area, email_norm, ip, attempted_at);
CREATE INDEX login_attempts_at ON login_attempts (attempted_at);

-- One-time tokens (invites, password resets): SHA-256 of a 256-bit random value.
CREATE TABLE tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('staff_invite', 'staff_reset', 'manager_invite', 'manager_reset')),
    owner_kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX tokens_owner ON tokens (owner_kind, owner_id);

-- Append-only. No foreign keys: entries outlive what they describe.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('staff', 'manager', 'api', 'system')),
    actor_id BIGINT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BIGINT,
    object_label TEXT NOT NULL DEFAULT '',
    before_json TEXT,
    after_json TEXT,
    ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE TABLE customer_accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT COLLATE "C" NOT NULL,
    code TEXT NOT NULL,
    code_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_accounts_name ON customer_accounts (name_norm);

CREATE TABLE labels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    colour TEXT NOT NULL DEFAULT '#64748b',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT COLLATE "C" NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    first_name_norm TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_name_norm TEXT COLLATE "C" NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    company_norm TEXT COLLATE "C" NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    reference_norm TEXT COLLATE "C" NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    customer_account_id BIGINT REFERENCES customer_accounts (id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
-- An email is unique among customers that are not deleted.
CREATE UNIQUE INDEX customers_email_live ON customers (email_norm) WHERE status <> 'deleted';
CREATE INDEX customers_email ON customers (email_norm);
CREATE INDEX customers_first_name ON customers (first_name_norm);
CREATE INDEX customers_last_name ON customers (last_name_norm);
CREATE INDEX customers_company ON customers (company_norm);
CREATE INDEX customers_reference ON customers (reference_norm);
CREATE INDEX customers_status_created ON customers (status, created_at, id);
CREATE INDEX customers_created ON customers (created_at, id);
CREATE INDEX customers_account ON customers (customer_account_id, created_at);

CREATE TABLE customer_labels (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label_id BIGINT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, label_id)
);
CREATE INDEX customer_labels_label ON customer_labels (label_id, customer_id);

CREATE TABLE products (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT COLLATE "C" NOT NULL,
    code TEXT NOT NULL,
    code_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    license_type TEXT NOT NULL CHECK (license_type IN ('perpetual', 'time_limited', 'subscription', 'consumption')),
    max_activations BIGINT NOT NULL DEFAULT 1,
    validity_days BIGINT,
    maintenance_days BIGINT,
    trial_days BIGINT NOT NULL DEFAULT 0,
    floating_seats BIGINT NOT NULL DEFAULT 0,
    borrow_limit_hours BIGINT NOT NULL DEFAULT 0,
    is_bundle BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at TIMESTAMP,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_name ON products (name_norm);

CREATE TABLE product_features (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('activation', 'consumption')),
    max_consumption BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, code)
);

CREATE TABLE product_custom_fields (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    default_value TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, name)
);

-- A bundle is a product made of other products.
CREATE TABLE bundle_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bundle_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    UNIQUE (bundle_id, product_id)
);
CREATE INDEX bundle_items_product ON bundle_items (product_id);

CREATE TABLE orders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference TEXT NOT NULL,
    reference_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    customer_id BIGINT REFERENCES customers (id) ON DELETE RESTRICT,
    is_test BOOLEAN NOT NULL DEFAULT FALSE,
    is_trial BOOLEAN NOT NULL DEFAULT FALSE,
    campaign_params TEXT NOT NULL DEFAULT '',
    download_id TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_test_created ON orders (is_test, created_at);
CREATE INDEX orders_trial_created ON orders (is_trial, created_at);

CREATE TABLE licenses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_key TEXT NOT NULL UNIQUE,
    key_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    license_type TEXT NOT NULL CHECK (license_type IN ('perpetual', 'time_limited', 'subscription', 'consumption')),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    max_activations BIGINT NOT NULL DEFAULT 1,
    active_devices BIGINT NOT NULL DEFAULT 0,
    start_date DATE,
    -- Fixed end date, or computed from validity_days at first activation.
    valid_until TIMESTAMP,
    validity_days BIGINT,
    maintenance_until TIMESTAMP,
    maintenance_days BIGINT,
    is_trial BOOLEAN NOT NULL DEFAULT FALSE,
    floating_seats BIGINT NOT NULL DEFAULT 0,
    borrow_limit_hours BIGINT NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    first_activated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX licenses_order ON licenses (order_id, id);
CREATE INDEX licenses_product ON licenses (product_id, id);
CREATE INDEX licenses_type ON licenses (license_type, id);
CREATE INDEX licenses_enabled_id ON licenses (enabled, id);
CREATE INDEX licenses_enabled_valid ON licenses (enabled, valid_until, id);
CREATE INDEX licenses_enabled_devices ON licenses (enabled, active_devices, id);

CREATE TABLE license_features (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('activation', 'consumption')),
    max_consumption BIGINT,
    consumed BIGINT NOT NULL DEFAULT 0,
    UNIQUE (license_id, code)
);

CREATE TABLE license_custom_fields (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT '',
    UNIQUE (license_id, name)
);

CREATE TABLE devices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    hardware_id TEXT,
    hostname TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    app_version TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    first_activated_at TIMESTAMP NOT NULL,
    last_check_at TIMESTAMP,
    deactivated_at TIMESTAMP,
    borrowed_until TIMESTAMP
);
CREATE INDEX devices_license ON devices (license_id, deactivated_at);
CREATE INDEX devices_hardware ON devices (hardware_id);

CREATE TABLE license_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'consumed', 'transferred')),
    amount BIGINT NOT NULL DEFAULT 0,
    at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('vendor_portal', 'end_user_portal', 'license_api', 'import', 'system'))
);
CREATE INDEX license_events_license ON license_events (license_id, at);
CREATE INDEX license_events_device ON license_events (device_id);
CREATE INDEX license_events_at ON license_events (at, kind);

CREATE TABLE license_users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE license_user_assignments (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    license_user_id BIGINT NOT NULL REFERENCES license_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (license_id, license_user_id)
);
CREATE INDEX license_user_assignments_user ON license_user_assignments (license_user_id);
