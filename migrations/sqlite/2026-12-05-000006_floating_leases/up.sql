-- Floating seats through the license API: a check-out holds a seat under a lease that
-- ends unless a heartbeat renews it (devices.checkout_until). Its length is a product
-- setting (default 10 minutes) a license may override (empty: the product's).
ALTER TABLE products ADD COLUMN lease_minutes BIGINT NOT NULL DEFAULT 10;
ALTER TABLE licenses ADD COLUMN lease_minutes BIGINT;
