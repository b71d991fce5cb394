-- The rest of the end-user portal: license users' set-password links, floating seats
-- (check-outs and borrows, with the "returned" event), and the products and quotas a
-- grant may issue or order.

ALTER TABLE tokens DROP CONSTRAINT tokens_purpose_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_purpose_check
    CHECK (purpose IN ('staff_invite', 'staff_reset', 'manager_invite', 'manager_reset', 'license_user_password'));

ALTER TABLE license_events DROP CONSTRAINT license_events_kind_check;
ALTER TABLE license_events ADD CONSTRAINT license_events_kind_check
    CHECK (kind IN ('activated', 'deactivated', 'checked', 'reset', 'disabled', 'enabled', 'borrowed', 'returned', 'consumed', 'transferred'));

ALTER TABLE outbox DROP CONSTRAINT outbox_link_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_link_kind_check CHECK (link_kind IN ('invite', 'reset', 'password'));
ALTER TABLE outbox ADD COLUMN license_user_id BIGINT;

-- Floating seats: a seat is held by an active device with an unexpired check-out (the
-- license API's lease) or an unexpired borrow.
ALTER TABLE devices ADD COLUMN checkout_until TIMESTAMP;

-- Grants made by a manager name the grant they were carved from (no foreign key: SQLite
-- cannot drop such a column again; removing a grant re-parents its delegates); the products a grant
-- may issue or order, each with an optional quota and the licenses counted against it.
ALTER TABLE manager_grants ADD COLUMN parent_grant_id BIGINT;
CREATE INDEX manager_grants_parent ON manager_grants (parent_grant_id);
CREATE TABLE grant_products (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES manager_grants (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quota BIGINT CHECK (quota IS NULL OR quota >= 0),
    used BIGINT NOT NULL DEFAULT 0,
    UNIQUE (grant_id, product_id)
);
CREATE INDEX grant_products_product ON grant_products (product_id);
INSERT INTO grant_products (grant_id, product_id, quota, used)
SELECT DISTINCT g.id, l.product_id, NULL::BIGINT, 0
FROM manager_grants g JOIN licenses l ON l.order_id = g.order_id;

CREATE INDEX license_users_order ON license_users (order_id, id);
