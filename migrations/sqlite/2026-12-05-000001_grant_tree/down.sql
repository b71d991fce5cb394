DROP INDEX licenses_root_grant;
ALTER TABLE licenses DROP COLUMN quota_product_id;
ALTER TABLE licenses DROP COLUMN root_grant_id;
ALTER TABLE manager_grants DROP COLUMN vendor_made;
