-- Named values a client stores on its device through the license API (name at most 64
-- characters, value at most 4 KiB, at most 50 per device), shown on the license pages.
CREATE TABLE device_variables (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (device_id, name)
);
