-- License users belong to one order: the same email on two customers' orders is two
-- license users, each with its own password, so no manager reaches into another order
-- through a shared person. Licenses (and products, as the default) carry the maximum
-- number of license users (0 = not user-based). The two tables are rebuilt (SQLite
-- cannot drop the old database-wide UNIQUE on email_norm): the child table is dropped
-- first, so no foreign-key cascade fires.
CREATE TABLE license_users_new (
    id INTEGER PRIMARY KEY NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (order_id, email_norm)
);
-- One license user per (person, order) they were assigned in. A user with no assignment
-- belongs to no order and is not kept.
INSERT INTO license_users_new (order_id, email, email_norm, first_name, last_name, password_hash, created_at, updated_at)
SELECT DISTINCT l.order_id, u.email, u.email_norm, u.first_name, u.last_name, u.password_hash, u.created_at, u.updated_at
FROM license_users u
JOIN license_user_assignments a ON a.license_user_id = u.id
JOIN licenses l ON l.id = a.license_id;
CREATE TABLE license_user_assignments_new (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    license_user_id BIGINT NOT NULL REFERENCES license_users_new (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (license_id, license_user_id)
);
INSERT INTO license_user_assignments_new (license_id, license_user_id, created_at)
SELECT a.license_id, n.id, a.created_at
FROM license_user_assignments a
JOIN license_users u ON u.id = a.license_user_id
JOIN licenses l ON l.id = a.license_id
JOIN license_users_new n ON n.order_id = l.order_id AND n.email_norm = u.email_norm;
DROP TABLE license_user_assignments;
DROP TABLE license_users;
ALTER TABLE license_users_new RENAME TO license_users;
ALTER TABLE license_user_assignments_new RENAME TO license_user_assignments;
CREATE INDEX license_user_assignments_user ON license_user_assignments (license_user_id);
CREATE INDEX license_users_email ON license_users (email_norm);

ALTER TABLE licenses ADD COLUMN max_license_users BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN max_license_users BIGINT NOT NULL DEFAULT 0;
