-- Grants form a tree under each vendor-made grant.
-- A grant staff (or the demo seed) made is vendor-made; the mark is set when the grant
-- is made and never changes (having no parent does not make a grant vendor-made).
ALTER TABLE manager_grants ADD COLUMN vendor_made BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE manager_grants SET vendor_made = TRUE WHERE created_by_kind <> 'manager';
-- A vendor-made grant hangs from nothing, and a delegate's parent is fixed when it is
-- made, so it is an older grant. Edits before this migration could re-parent a grant
-- under a newer one (and so make a cycle): such a grant is cut loose, and without a
-- vendor-made grant above it, it can no longer issue anything.
UPDATE manager_grants SET parent_grant_id = NULL
WHERE vendor_made OR parent_grant_id >= id;
-- Each license created through a grant records the vendor-made grant at the top of its
-- path and the product whose quota it took (a bundle's licenses: the bundle).
ALTER TABLE licenses ADD COLUMN root_grant_id BIGINT REFERENCES manager_grants (id) ON DELETE SET NULL;
ALTER TABLE licenses ADD COLUMN quota_product_id BIGINT;
CREATE INDEX licenses_root_grant ON licenses (root_grant_id, quota_product_id)
WHERE root_grant_id IS NOT NULL;
