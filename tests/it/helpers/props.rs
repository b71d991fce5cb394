//! What the property tests over one license share: one migrated connection, a product,
//! the runner, a fresh order with a license for each case, and how many cases to run.

use std::cell::RefCell;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use keyfold::db::schema::{licenses, orders, products};
use keyfold::db::DbConnection;
use keyfold::domain::LicenseId;
use proptest::test_runner::{Config, TestRunner};

use super::TestDb;

/// A fresh database, one connection to it (the cases run in turn) and a product with
/// this code and license type.
pub fn setup(code: &str, license_type: &str) -> (TestDb, RefCell<DbConnection>, i64) {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    let at = NaiveDateTime::parse_from_str("2026-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
    let product = diesel::insert_into(products::table)
        .values((
            products::name.eq(code),
            products::name_norm.eq(code.to_lowercase()),
            products::code.eq(code),
            products::code_norm.eq(code.to_lowercase()),
            products::license_type.eq(license_type),
            products::created_at.eq(at),
            products::updated_at.eq(at),
        ))
        .returning(products::id)
        .get_result(&mut conn)
        .unwrap();
    (db, RefCell::new(conn), product)
}

/// The runner: `cases` cases, shrinking bounded, no failure files.
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..Config::default()
    })
}

/// The case count: `KEYFOLD_PROPTEST_CASES`, else many on SQLite and fewer on
/// PostgreSQL (the same rules; the second backend checks the queries and the locks).
pub fn cases(sqlite: u32, postgres: u32) -> u32 {
    let on_postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    std::env::var("KEYFOLD_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(if on_postgres { postgres } else { sqlite })
}

/// Case `n`'s license of `product`: a new order `{prefix}-{n}` and a license
/// `{prefix}-{n:04}` of `license_type`, created at `now`; the caller sets its terms.
pub fn license(
    conn: &mut DbConnection,
    prefix: &str,
    n: usize,
    product: i64,
    license_type: &str,
    now: NaiveDateTime,
) -> LicenseId {
    let order: i64 = diesel::insert_into(orders::table)
        .values((
            orders::reference.eq(format!("{prefix}-{n}")),
            orders::reference_norm.eq(format!("{prefix}-{n}").to_lowercase()),
            orders::created_at.eq(now),
            orders::updated_at.eq(now),
        ))
        .returning(orders::id)
        .get_result(conn)
        .unwrap();
    let key = format!("{prefix}-{n:04}");
    diesel::insert_into(licenses::table)
        .values((
            licenses::license_key.eq(&key),
            licenses::key_norm.eq(&key),
            licenses::product_id.eq(product),
            licenses::order_id.eq(order),
            licenses::license_type.eq(license_type),
            licenses::created_at.eq(now),
            licenses::updated_at.eq(now),
        ))
        .returning(licenses::id)
        .get_result(conn)
        .unwrap()
}
