ALTER TABLE products DROP COLUMN max_license_users;
ALTER TABLE licenses DROP COLUMN max_license_users;
CREATE TABLE license_users_old (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT COLLATE "C" NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO license_users_old (email, email_norm, first_name, last_name, password_hash, created_at, updated_at)
SELECT u.email, u.email_norm, u.first_name, u.last_name, u.password_hash, u.created_at, u.updated_at
FROM license_users u
WHERE u.id = (SELECT MIN(v.id) FROM license_users v WHERE v.email_norm = u.email_norm);
CREATE TABLE license_user_assignments_old (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    license_user_id BIGINT NOT NULL REFERENCES license_users_old (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (license_id, license_user_id)
);
INSERT INTO license_user_assignments_old (license_id, license_user_id, created_at)
SELECT a.license_id, o.id, MIN(a.created_at)
FROM license_user_assignments a
JOIN license_users u ON u.id = a.license_user_id
JOIN license_users_old o ON o.email_norm = u.email_norm
GROUP BY a.license_id, o.id;
DROP TABLE license_user_assignments;
DROP TABLE license_users;
ALTER TABLE license_users_old RENAME TO license_users;
ALTER TABLE license_user_assignments_old RENAME TO license_user_assignments;
CREATE INDEX license_user_assignments_user ON license_user_assignments (license_user_id);
