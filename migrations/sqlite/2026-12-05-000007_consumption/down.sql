DROP TABLE consumption_events;
ALTER TABLE license_features DROP COLUMN period;
ALTER TABLE license_features DROP COLUMN max_overage;
ALTER TABLE licenses DROP COLUMN consumption_period;
