-- License managers: the vendor's customers' administrators, who sign in to the end-user
-- portal. One account per email; grants on orders come with the portal's pages.
CREATE TABLE license_managers (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    last_sign_in_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
