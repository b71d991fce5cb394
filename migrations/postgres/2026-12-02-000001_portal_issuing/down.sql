DROP INDEX license_users_order;
DROP TABLE grant_products;
DROP INDEX manager_grants_parent;
ALTER TABLE manager_grants DROP COLUMN parent_grant_id;
ALTER TABLE devices DROP COLUMN checkout_until;

ALTER TABLE outbox DROP COLUMN license_user_id;
UPDATE outbox SET link_kind = NULL WHERE link_kind = 'password';
ALTER TABLE outbox DROP CONSTRAINT outbox_link_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_link_kind_check CHECK (link_kind IN ('invite', 'reset'));

DELETE FROM license_events WHERE kind = 'returned';
ALTER TABLE license_events DROP CONSTRAINT license_events_kind_check;
ALTER TABLE license_events ADD CONSTRAINT license_events_kind_check
    CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'consumed', 'transferred'));

DELETE FROM tokens WHERE purpose = 'license_user_password';
ALTER TABLE tokens DROP CONSTRAINT tokens_purpose_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_purpose_check
    CHECK (purpose IN ('staff_invite', 'staff_reset', 'manager_invite', 'manager_reset'));
