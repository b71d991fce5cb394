-- The license usage report's daily counts, kept up to date in the transaction that
-- records each event (so a report over any range reads a few rows per product and day
-- instead of scanning the events): per license and UTC day, and per product and day
-- (the overall and per-product report; checks are added there when they are flushed).
-- Peak seats: the most floating seats held after any check-out, heartbeat or borrow of
-- the day (per product: the most on any one of its licenses).
CREATE TABLE license_usage_days (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    activations BIGINT NOT NULL DEFAULT 0,
    deactivations BIGINT NOT NULL DEFAULT 0,
    consumption BIGINT NOT NULL DEFAULT 0,
    peak_seats BIGINT NOT NULL DEFAULT 0,
    refused_checkouts BIGINT NOT NULL DEFAULT 0,
    refused_borrows BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (license_id, day)
);
CREATE TABLE product_usage_days (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    activations BIGINT NOT NULL DEFAULT 0,
    deactivations BIGINT NOT NULL DEFAULT 0,
    checks BIGINT NOT NULL DEFAULT 0,
    consumption BIGINT NOT NULL DEFAULT 0,
    peak_seats BIGINT NOT NULL DEFAULT 0,
    refused_checkouts BIGINT NOT NULL DEFAULT 0,
    refused_borrows BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, day)
);
CREATE INDEX product_usage_days_day ON product_usage_days (day);
-- What was recorded before.
INSERT INTO license_usage_days (license_id, day, activations, deactivations, consumption)
SELECT license_id, date(at),
       SUM(CASE WHEN kind = 'activated' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'deactivated' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'consumed' THEN amount ELSE 0 END)
FROM license_events GROUP BY license_id, date(at);
INSERT INTO product_usage_days (product_id, day, activations, deactivations, consumption)
SELECT l.product_id, u.day, SUM(u.activations), SUM(u.deactivations), SUM(u.consumption)
FROM license_usage_days u JOIN licenses l ON l.id = u.license_id GROUP BY l.product_id, u.day;
INSERT INTO product_usage_days (product_id, day, checks)
SELECT l.product_id, c.day, SUM(c.checks)
FROM license_check_counts c JOIN licenses l ON l.id = c.license_id GROUP BY l.product_id, c.day
ON CONFLICT (product_id, day) DO UPDATE SET checks = excluded.checks;
