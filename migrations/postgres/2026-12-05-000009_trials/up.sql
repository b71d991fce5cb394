-- Trials through the license API: a product with trial days > 0 offers them, at most
-- trials_per_day a day (empty: no cap). Each trial is an ordinary license flagged trial
-- on the product's trial order. A trial record is kept per product and hardware id
-- for ever (deleting the order only unlinks its license), and counts the client
-- address's trials per day.
ALTER TABLE products ADD COLUMN trials_per_day BIGINT DEFAULT 100;
ALTER TABLE products ADD COLUMN trial_order_id BIGINT REFERENCES orders (id) ON DELETE SET NULL;
CREATE TABLE trial_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    hardware_id TEXT NOT NULL,
    license_id BIGINT REFERENCES licenses (id) ON DELETE SET NULL,
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, hardware_id)
);
CREATE INDEX trial_records_product_day ON trial_records (product_id, created_at);
CREATE INDEX trial_records_address_day ON trial_records (address, created_at);
CREATE INDEX trial_records_license ON trial_records (license_id);
