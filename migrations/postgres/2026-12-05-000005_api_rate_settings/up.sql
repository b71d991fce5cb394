-- Product settings of the license API: activations per license per hour and client
-- deactivations per license per 30 days (empty: unlimited). Generous for activations
-- (a 500-machine rollout behind one NAT is normal); 3 deactivations a month.
ALTER TABLE products ADD COLUMN activations_per_hour BIGINT DEFAULT 1000;
ALTER TABLE products ADD COLUMN deactivations_per_30_days BIGINT DEFAULT 3;
