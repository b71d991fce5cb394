//! Migrations that change existing data, run on a database holding data in the shape
//! before them (and reverted), on the test's backend.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use keyfold::db::{DbConnection, PG_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::helpers::TestDb;

/// Reverts migrations, newest first, down to and including `version` (e.g.
/// "20261126000001").
fn revert_through(conn: &mut DbConnection, version: &str) {
    loop {
        let reverted = match conn {
            DbConnection::Sqlite(c) => c
                .revert_last_migration(SQLITE_MIGRATIONS)
                .map(|v| v.to_string()),
            DbConnection::Pg(c) => c
                .revert_last_migration(PG_MIGRATIONS)
                .map(|v| v.to_string()),
        }
        .expect("the migration reverts");
        if reverted == version {
            return;
        }
    }
}

/// Reverts the license-users migration (and every later one).
fn revert_last(conn: &mut DbConnection) {
    revert_through(conn, "20261126000001");
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct UserRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    order_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email_norm: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    licenses: i64,
}

#[test]
fn license_users_become_one_per_order_when_the_migration_runs_on_data() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    let ts = "'2026-01-01 00:00:00'";
    // Two orders with two licenses each (valid before and after the migration).
    conn.batch_execute(&format!(
        "INSERT INTO products (name, name_norm, code, code_norm, license_type, created_at, updated_at) \
           VALUES ('P', 'p', 'P1', 'p1', 'perpetual', {ts}, {ts});
         INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('A', 'a', {ts}, {ts});
         INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('B', 'b', {ts}, {ts});
         INSERT INTO licenses (license_key, key_norm, product_id, order_id, license_type, created_at, updated_at) \
           VALUES ('AAAA-0001', 'AAAA0001', 1, 1, 'perpetual', {ts}, {ts}), \
                  ('AAAA-0002', 'AAAA0002', 1, 1, 'perpetual', {ts}, {ts}), \
                  ('BBBB-0001', 'BBBB0001', 1, 2, 'perpetual', {ts}, {ts}), \
                  ('BBBB-0002', 'BBBB0002', 1, 2, 'perpetual', {ts}, {ts});"
    ))
    .unwrap();
    // The old shape: one license user per email across the database.
    revert_last(&mut conn);
    conn.batch_execute(&format!(
        "INSERT INTO license_users (email, email_norm, first_name, password_hash, created_at, updated_at) VALUES \
           ('Ann@x.example', 'ann@x.example', 'Ann', 'hash-ann', {ts}, {ts}), \
           ('bob@x.example', 'bob@x.example', 'Bob', NULL, {ts}, {ts}), \
           ('carl@x.example', 'carl@x.example', 'Carl', NULL, {ts}, {ts});
         INSERT INTO license_user_assignments (license_id, license_user_id, created_at) VALUES \
           (1, 1, {ts}), (2, 1, {ts}), (3, 1, {ts}), (1, 2, {ts});"
    ))
    .unwrap();
    keyfold::db::run_migrations(&mut conn).expect("the migration runs on data");

    let mut rows: Vec<UserRow> = diesel::sql_query(
        "SELECT u.order_id AS order_id, u.email_norm AS email_norm, \
                (SELECT COUNT(*) FROM license_user_assignments a JOIN licenses l ON l.id = a.license_id \
                  WHERE a.license_user_id = u.id AND l.order_id = u.order_id) AS licenses \
         FROM license_users u",
    )
    .load(&mut conn)
    .unwrap();
    rows.sort();
    let expected = |o: i64, e: &str, n: i64| UserRow {
        order_id: o,
        email_norm: e.to_owned(),
        licenses: n,
    };
    assert_eq!(
        rows,
        vec![
            expected(1, "ann@x.example", 2),
            expected(1, "bob@x.example", 1),
            expected(2, "ann@x.example", 1),
        ],
        "Ann on two orders is two license users, each with that order's licenses; Carl had none"
    );
    let total: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM license_user_assignments")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(total, 4, "every assignment kept");
    // Unique per order, not across orders.
    let again = conn.batch_execute(&format!(
        "INSERT INTO license_users (order_id, email, email_norm, created_at, updated_at) \
           VALUES (1, 'ann@x.example', 'ann@x.example', {ts}, {ts})"
    ));
    assert!(
        again.is_err(),
        "the same email twice on one order is refused"
    );
    conn.batch_execute(&format!(
        "INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('C', 'c', {ts}, {ts});
         INSERT INTO license_users (order_id, email, email_norm, created_at, updated_at) \
           VALUES (3, 'ann@x.example', 'ann@x.example', {ts}, {ts})"
    ))
    .expect("the same email on another order is another license user");
    let max: i64 = diesel::sql_query("SELECT max_license_users AS n FROM licenses WHERE id = 1")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(max, 0, "licenses start not user-based");
    // And back: the old shape again, one user per email.
    revert_last(&mut conn);
    let users: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM license_users")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(users, 2);
    keyfold::db::run_migrations(&mut conn).unwrap();
    drop(conn);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn the_portal_issuing_migration_keeps_events_tokens_and_emails_and_gives_grants_their_orders_products(
) {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    revert_through(&mut conn, "20261202000001");
    let ts = "'2026-01-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO products (name, name_norm, code, code_norm, license_type, created_at, updated_at) \
           VALUES ('P', 'p', 'P1', 'p1', 'perpetual', {ts}, {ts});
         INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('A', 'a', {ts}, {ts});
         INSERT INTO licenses (license_key, key_norm, product_id, order_id, license_type, created_at, updated_at) \
           VALUES ('AAAA-0001', 'AAAA0001', 1, 1, 'perpetual', {ts}, {ts});
         INSERT INTO license_events (license_id, kind, amount, at, source) VALUES \
           (1, 'activated', 0, {ts}, 'license_api'), (1, 'borrowed', 0, {ts}, 'license_api');
         INSERT INTO tokens (purpose, owner_kind, owner_id, token_hash, created_at, expires_at) \
           VALUES ('manager_invite', 'manager', 1, 'h1', {ts}, {ts});
         INSERT INTO license_managers (email, email_norm, name, name_norm, enabled, created_at, updated_at) \
           VALUES ('m@x.example', 'm@x.example', 'M', 'm', TRUE, {ts}, {ts});
         INSERT INTO manager_grants (manager_id, order_id, manage_license_users, manage_user_credentials, \
           manage_managers, reset_device, reset_license, borrow_license, create_bundle_order, create_order, \
           issue_license, invite_state, created_by_kind, created_at, updated_at) \
           VALUES (1, 1, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, 'accepted', 'system', {ts}, {ts});
         INSERT INTO outbox (template, to_email, to_email_norm, subject, body_text, body_html, link_kind, \
           message_id, status, next_attempt_at, created_at, updated_at) \
           VALUES ('invite', 'm@x.example', 'm@x.example', 'S', 'T', 'H', 'invite', '<1@x>', 'sent', {ts}, {ts}, {ts});"
    ))
    .unwrap();
    keyfold::db::run_migrations(&mut conn).expect("the migration runs on data");
    let n = |conn: &mut DbConnection, sql: &str| {
        diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
    };
    assert_eq!(n(&mut conn, "SELECT COUNT(*) AS n FROM license_events"), 2);
    assert_eq!(n(&mut conn, "SELECT COUNT(*) AS n FROM tokens"), 1);
    assert_eq!(n(&mut conn, "SELECT COUNT(*) AS n FROM outbox"), 1);
    assert_eq!(
        n(
            &mut conn,
            "SELECT COUNT(*) AS n FROM grant_products WHERE grant_id = 1 AND product_id = 1 AND quota IS NULL"
        ),
        1,
        "an existing grant may issue its order's products"
    );
    // The new kinds are accepted.
    conn.batch_execute(&format!(
        "INSERT INTO license_events (license_id, kind, amount, at, source) VALUES (1, 'returned', 0, {ts}, 'license_portal');
         INSERT INTO tokens (purpose, owner_kind, owner_id, token_hash, created_at, expires_at) \
           VALUES ('license_user_password', 'license_user', 1, 'h2', {ts}, {ts});"
    ))
    .expect("returned events and license-user tokens");
    // And back, and forward again.
    revert_through(&mut conn, "20261202000001");
    assert_eq!(n(&mut conn, "SELECT COUNT(*) AS n FROM license_events"), 2);
    assert_eq!(n(&mut conn, "SELECT COUNT(*) AS n FROM tokens"), 1);
    keyfold::db::run_migrations(&mut conn).unwrap();
    drop(conn);
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct FileRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    data: Vec<u8>,
}

#[test]
fn an_uploaded_file_moves_to_its_own_table_and_back() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    revert_through(&mut conn, "20261204000001");
    let ts = "'2026-01-01 00:00:00'";
    let bytes = if db.is_postgres() {
        "'\\x656d61696c0a'::bytea"
    } else {
        "x'656d61696c0a'"
    };
    conn.batch_execute(&format!(
        "INSERT INTO imports (kind, file_name, file_data, status, created_by, created_at, updated_at) \
           VALUES ('customers', 'a.csv', {bytes}, 'previewed', 'me', {ts}, {ts})"
    ))
    .unwrap();
    keyfold::db::run_migrations(&mut conn).expect("the migration runs on data");
    let moved: Vec<FileRow> = diesel::sql_query("SELECT import_id AS id, data FROM import_files")
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        moved,
        vec![FileRow {
            id: 1,
            data: b"email\n".to_vec()
        }]
    );
    revert_through(&mut conn, "20261204000001");
    let back: Vec<FileRow> = diesel::sql_query("SELECT id, file_data AS data FROM imports")
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        back,
        vec![FileRow {
            id: 1,
            data: b"email\n".to_vec()
        }]
    );
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct GrantRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    parent_grant_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    vendor_made: bool,
}

#[test]
fn the_grant_tree_migration_marks_vendor_grants_and_breaks_the_cycles_old_edits_made() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    let ts = "'2026-01-01 00:00:00'";
    revert_through(&mut conn, "20261205000001");
    // The state the old portal could leave: staff's grant 1 re-parented under its own
    // delegate 2 (a cycle), a delegate 3 of grant 1, and grant 4 that lost its parent.
    conn.batch_execute(&format!(
        "INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('A', 'a', {ts}, {ts});
         INSERT INTO license_managers (email, email_norm, name, name_norm, created_at, updated_at) VALUES \
           ('a@x.example', 'a@x.example', 'A', 'a', {ts}, {ts}), ('b@x.example', 'b@x.example', 'B', 'b', {ts}, {ts}), \
           ('c@x.example', 'c@x.example', 'C', 'c', {ts}, {ts}), ('d@x.example', 'd@x.example', 'D', 'd', {ts}, {ts});
         INSERT INTO manager_grants (manager_id, order_id, invite_state, created_by_kind, created_at, updated_at, parent_grant_id) VALUES \
           (1, 1, 'accepted', 'staff', {ts}, {ts}, 2), \
           (2, 1, 'accepted', 'manager', {ts}, {ts}, 1), \
           (3, 1, 'accepted', 'manager', {ts}, {ts}, 1), \
           (4, 1, 'accepted', 'manager', {ts}, {ts}, NULL);"
    ))
    .unwrap();
    keyfold::db::run_migrations(&mut conn).expect("the migration runs on data");
    let rows: Vec<GrantRow> = diesel::sql_query(
        "SELECT id, parent_grant_id, vendor_made FROM manager_grants ORDER BY id",
    )
    .load(&mut conn)
    .unwrap();
    let row = |id, parent_grant_id, vendor_made| GrantRow {
        id,
        parent_grant_id,
        vendor_made,
    };
    assert_eq!(
        rows,
        vec![
            row(1, None, true),
            row(2, Some(1), false),
            row(3, Some(1), false),
            row(4, None, false),
        ],
        "staff's grant is a root again, the cycle is gone, the orphan is not vendor-made"
    );
    revert_through(&mut conn, "20261205000001");
    keyfold::db::run_migrations(&mut conn).unwrap();
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct SourceRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    source: String,
}

#[test]
fn the_area_names_migration_renames_stored_sources_and_back() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    revert_through(&mut conn, "20261205000002");
    let ts = "'2026-01-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO products (name, name_norm, code, code_norm, license_type, created_at, updated_at) \
           VALUES ('P', 'p', 'P1', 'p1', 'perpetual', {ts}, {ts});
         INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('A', 'a', {ts}, {ts});
         INSERT INTO licenses (license_key, key_norm, product_id, order_id, license_type, created_at, updated_at) \
           VALUES ('AAAA-0001', 'AAAA0001', 1, 1, 'perpetual', {ts}, {ts});
         INSERT INTO license_events (license_id, kind, amount, at, source) VALUES \
           (1, 'reset', 0, {ts}, 'vendor_portal'), (1, 'reset', 0, {ts}, 'end_user_portal'), \
           (1, 'activated', 0, {ts}, 'license_api');
         INSERT INTO audit_log (at, actor_kind, actor_label, action, object_type, source) VALUES \
           ({ts}, 'manager', 'm@x.example', 'license.reset', 'license', 'end-user portal'), \
           ({ts}, 'staff', 's@x.example', 'license.reset', 'license', 'admin portal');"
    ))
    .unwrap();
    let sources = |conn: &mut DbConnection| -> (Vec<String>, Vec<String>) {
        let q = |conn: &mut DbConnection, sql: &str| -> Vec<String> {
            diesel::sql_query(sql)
                .load::<SourceRow>(conn)
                .unwrap()
                .into_iter()
                .map(|r| r.source)
                .collect()
        };
        (
            q(conn, "SELECT source FROM license_events ORDER BY id"),
            q(conn, "SELECT source FROM audit_log ORDER BY id"),
        )
    };
    keyfold::db::run_migrations(&mut conn).expect("the migration runs on data");
    assert_eq!(
        sources(&mut conn),
        (
            vec![
                "admin_portal".into(),
                "license_portal".into(),
                "license_api".into()
            ],
            vec!["license portal".into(), "admin portal".into()]
        )
    );
    // The old spellings are refused now.
    assert!(conn
        .batch_execute(&format!(
            "INSERT INTO license_events (license_id, kind, amount, at, source) VALUES (1, 'reset', 0, {ts}, 'end_user_portal')"
        ))
        .is_err());
    revert_through(&mut conn, "20261205000002");
    assert_eq!(
        sources(&mut conn),
        (
            vec![
                "vendor_portal".into(),
                "end_user_portal".into(),
                "license_api".into()
            ],
            vec!["end-user portal".into(), "admin portal".into()]
        )
    );
    keyfold::db::run_migrations(&mut conn).unwrap();
}

/// The activation migration keeps one active device per license and hardware id (the
/// oldest; the others are marked deactivated, the license's count follows), so its
/// unique index can be built on data from before; reverted, the columns go and the
/// events stay.
#[test]
fn the_activation_migration_keeps_one_active_device_per_hardware_id_and_back() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    revert_through(&mut conn, "20261205000004");
    let ts = "'2026-01-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO products (name, name_norm, code, code_norm, license_type, created_at, updated_at) \
           VALUES ('P', 'p', 'P1', 'p1', 'perpetual', {ts}, {ts});
         INSERT INTO orders (reference, reference_norm, created_at, updated_at) VALUES ('A', 'a', {ts}, {ts});
         INSERT INTO licenses (license_key, key_norm, product_id, order_id, license_type, active_devices, created_at, updated_at) \
           VALUES ('AAAA-0001', 'AAAA0001', 1, 1, 'perpetual', 4, {ts}, {ts});
         INSERT INTO devices (license_id, hardware_id, hostname, os, app_version, ip, first_activated_at) VALUES \
           (1, 'hw-1', 'first', '', '', '', {ts}), (1, 'hw-1', 'second', '', '', '', {ts}), \
           (1, 'hw-2', 'other', '', '', '', {ts}), (1, NULL, 'erased', '', '', '', {ts});
         INSERT INTO license_events (license_id, device_id, kind, amount, at, source) VALUES \
           (1, 1, 'activated', 0, {ts}, 'license_api');"
    ))
    .unwrap();
    run_pending(&mut conn);
    let active: Vec<String> = diesel::sql_query(
        "SELECT hostname AS name FROM devices WHERE deactivated_at IS NULL ORDER BY id",
    )
    .load::<Name>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    assert_eq!(active, ["first", "other", "erased"]);
    let count: Vec<Name> =
        diesel::sql_query("SELECT CAST(active_devices AS TEXT) AS name FROM licenses")
            .load(&mut conn)
            .unwrap();
    assert_eq!(count[0].name, "3");
    let dup = conn.batch_execute(&format!(
        "INSERT INTO devices (license_id, hardware_id, hostname, os, app_version, ip, first_activated_at) \
           VALUES (1, 'hw-2', 'again', '', '', '', {ts})"
    ));
    assert!(
        dup.is_err(),
        "the index refuses a second active device for hw-2"
    );
    revert_through(&mut conn, "20261205000004");
    let events: Vec<Name> = diesel::sql_query("SELECT kind AS name FROM license_events")
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), 1);
    run_pending(&mut conn);
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn run_pending(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
    }
    .expect("migrations run");
}
