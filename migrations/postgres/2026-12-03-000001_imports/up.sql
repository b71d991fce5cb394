-- CSV imports: the uploaded file and its dry-run preview (kept in the database, so any
-- instance can commit it), its problems, and the staging rows a commit loads in short
-- chunks before one final INSERT … SELECT makes them visible at once.
CREATE TABLE imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customers', 'licenses')),
    file_name TEXT NOT NULL,
    file_data BYTEA NOT NULL,
    update_existing BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('previewed', 'failed', 'committing', 'committed', 'interrupted')),
    total_rows BIGINT NOT NULL DEFAULT 0,
    create_count BIGINT NOT NULL DEFAULT 0,
    update_count BIGINT NOT NULL DEFAULT 0,
    skip_count BIGINT NOT NULL DEFAULT 0,
    error_count BIGINT NOT NULL DEFAULT 0,
    rows_done BIGINT NOT NULL DEFAULT 0,
    file_error TEXT,
    lease_until TIMESTAMP,
    staff_id BIGINT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX imports_created ON imports (created_at);

CREATE TABLE import_problems (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX import_problems_import ON import_problems (import_id, id);

CREATE TABLE import_customer_rows (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    customer_id BIGINT,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    first_name_norm TEXT NOT NULL,
    last_name_norm TEXT NOT NULL,
    company TEXT NOT NULL,
    company_norm TEXT NOT NULL,
    phone TEXT NOT NULL,
    reference TEXT NOT NULL,
    reference_norm TEXT NOT NULL,
    external_id TEXT NOT NULL,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    country TEXT NOT NULL,
    customer_account_id BIGINT,
    metadata TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

CREATE TABLE import_customer_labels (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    label_norm TEXT NOT NULL,
    label_name TEXT NOT NULL,
    PRIMARY KEY (import_id, line, label_norm)
);

-- A licenses import's rows: the license, and its order and customer by reference and
-- email (created when new).
CREATE TABLE import_license_rows (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    license_key TEXT NOT NULL,
    key_norm TEXT NOT NULL,
    product_id BIGINT NOT NULL,
    order_id BIGINT,
    order_reference TEXT NOT NULL,
    order_reference_norm TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    customer_email_norm TEXT NOT NULL,
    customer_first_name TEXT NOT NULL,
    customer_last_name TEXT NOT NULL,
    customer_company TEXT NOT NULL,
    license_type TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    max_activations BIGINT NOT NULL,
    start_date DATE,
    valid_until TIMESTAMP,
    validity_days BIGINT,
    maintenance_until TIMESTAMP,
    maintenance_days BIGINT,
    is_trial BOOLEAN NOT NULL,
    floating_seats BIGINT NOT NULL,
    borrow_limit_hours BIGINT NOT NULL,
    max_license_users BIGINT NOT NULL,
    note TEXT NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
