-- Consumption through the license API. A license's consumption may reset each period
-- (daily, weekly by ISO week, monthly, yearly, in UTC; 'none' never): a feature's
-- counter belongs to the period key it was counted in ('all' when it never resets), so
-- a new period starts from zero with no sweeper. Overages: how far beyond its maximum
-- a feature may go (empty: not at all).
ALTER TABLE licenses ADD COLUMN consumption_period TEXT NOT NULL DEFAULT 'none'
    CHECK (consumption_period IN ('none', 'daily', 'weekly', 'monthly', 'yearly'));
ALTER TABLE license_features ADD COLUMN max_overage BIGINT;
ALTER TABLE license_features ADD COLUMN period TEXT NOT NULL DEFAULT 'all';

-- Accepted consumption events by the client's event id (unique per license and
-- feature), with the counter after them: a retry answers as the first time did.
CREATE TABLE consumption_events (
    id INTEGER PRIMARY KEY NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    feature_code TEXT NOT NULL,
    event_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    period TEXT NOT NULL,
    consumed_after BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    UNIQUE (license_id, feature_code, event_id)
);
