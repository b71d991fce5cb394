//! Committing a licenses import: like customers (see `customer_import`), rows are staged in
//! short transactions, then one final transaction creates the new customers and orders
//! the rows name, inserts every license with `INSERT … SELECT`, gives each its product's
//! features and custom fields (as issuing from a form does), and clears the staging rows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{customers, import_license_rows, licenses, orders, products};
use crate::db::DbConnection;

/// One validated row.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    pub line: i64,
    pub license_key: String,
    pub key_norm: String,
    pub product_id: i64,
    /// An existing order, or `None` to create `order_reference`.
    pub order_id: Option<i64>,
    pub order_reference: String,
    /// The new order's customer (email, first, last, company); empty email: none.
    pub customer: (String, String, String, String),
    pub license_type: String,
    pub enabled: bool,
    pub max_activations: i64,
    pub start_date: Option<NaiveDate>,
    pub valid_until: Option<NaiveDateTime>,
    pub validity_days: Option<i64>,
    pub maintenance_until: Option<NaiveDateTime>,
    pub maintenance_days: Option<i64>,
    pub is_trial: bool,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub max_license_users: i64,
    pub note: String,
    pub metadata: String,
}

/// A product as a licenses file names it.
#[derive(Queryable, Debug, Clone)]
pub struct ProductDefaults {
    pub id: i64,
    pub code_norm: String,
    pub is_bundle: bool,
    pub license_type: String,
    pub max_activations: i64,
    pub validity_days: Option<i64>,
    pub maintenance_days: Option<i64>,
    pub trial_days: i64,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub max_license_users: i64,
}

/// Every product, by its short code.
pub fn products(conn: &mut DbConnection) -> QueryResult<Vec<ProductDefaults>> {
    products::table
        .select((
            products::id,
            products::code_norm,
            products::is_bundle,
            products::license_type,
            products::max_activations,
            products::validity_days,
            products::maintenance_days,
            products::trial_days,
            products::floating_seats,
            products::borrow_limit_hours,
            products::max_license_users,
        ))
        .load(conn)
}

/// The orders among these normalised references: (reference_norm, id).
pub fn orders_by_reference(
    conn: &mut DbConnection,
    refs: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    orders::table
        .filter(orders::reference_norm.eq_any(refs))
        .select((orders::reference_norm, orders::id))
        .load(conn)
}

/// The normalised keys among these that a license has already.
pub fn taken_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Vec<String>> {
    licenses::table
        .filter(licenses::key_norm.eq_any(keys))
        .select(licenses::key_norm)
        .load(conn)
}

/// The live customers among these emails: (email_norm, id).
pub fn customers_by_email(
    conn: &mut DbConnection,
    emails: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    customers::table
        .filter(customers::email_norm.eq_any(emails))
        .filter(customers::status.ne("deleted"))
        .select((customers::email_norm, customers::id))
        .load(conn)
}

/// Stages one chunk of rows (each chunk its own write transaction).
pub fn stage(conn: &mut DbConnection, import: i64, rows: &[Planned]) -> QueryResult<()> {
    for p in rows {
        let (email, first, last, company) = &p.customer;
        diesel::insert_into(import_license_rows::table)
            .values((
                (
                    import_license_rows::import_id.eq(import),
                    import_license_rows::line.eq(p.line),
                    import_license_rows::license_key.eq(&p.license_key),
                    import_license_rows::key_norm.eq(&p.key_norm),
                    import_license_rows::product_id.eq(p.product_id),
                    import_license_rows::order_id.eq(p.order_id),
                    import_license_rows::order_reference.eq(&p.order_reference),
                    import_license_rows::order_reference_norm.eq(p.order_reference.to_lowercase()),
                    import_license_rows::customer_email.eq(email),
                    import_license_rows::customer_email_norm.eq(email.to_lowercase()),
                    import_license_rows::customer_first_name.eq(first),
                    import_license_rows::customer_last_name.eq(last),
                    import_license_rows::customer_company.eq(company),
                ),
                (
                    import_license_rows::license_type.eq(&p.license_type),
                    import_license_rows::enabled.eq(p.enabled),
                    import_license_rows::max_activations.eq(p.max_activations),
                    import_license_rows::start_date.eq(p.start_date),
                    import_license_rows::valid_until.eq(p.valid_until),
                    import_license_rows::validity_days.eq(p.validity_days),
                    import_license_rows::maintenance_until.eq(p.maintenance_until),
                    import_license_rows::maintenance_days.eq(p.maintenance_days),
                    import_license_rows::is_trial.eq(p.is_trial),
                    import_license_rows::floating_seats.eq(p.floating_seats),
                    import_license_rows::borrow_limit_hours.eq(p.borrow_limit_hours),
                    import_license_rows::max_license_users.eq(p.max_license_users),
                    import_license_rows::note.eq(&p.note),
                    import_license_rows::metadata.eq(&p.metadata),
                ),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The license columns copied from staging, in the same order on both sides.
const COPIED: [&str; 17] = [
    "license_key",
    "key_norm",
    "product_id",
    "license_type",
    "enabled",
    "max_activations",
    "start_date",
    "valid_until",
    "validity_days",
    "maintenance_until",
    "maintenance_days",
    "is_trial",
    "floating_seats",
    "borrow_limit_hours",
    "max_license_users",
    "note",
    "metadata",
];

/// Makes the staged rows visible (inside the caller's final transaction). The import id,
/// the timestamp and the actor's label are values of ours; the label is quoted.
pub fn publish(conn: &mut DbConnection, import: i64, created_by: &str) -> QueryResult<()> {
    let now = format!("'{}'", super::now().format("%Y-%m-%d %H:%M:%S%.6f"));
    let by = format!("'{}'", created_by.replace('\'', "''"));
    let x = import;
    // New customers of new orders (one per email).
    diesel::sql_query(format!(
        "INSERT INTO customers (email, email_norm, first_name, last_name, first_name_norm, \
         last_name_norm, company, company_norm, status, created_at, updated_at) \
         SELECT MIN(s.customer_email), s.customer_email_norm, MIN(s.customer_first_name), \
         MIN(s.customer_last_name), LOWER(MIN(s.customer_first_name)), \
         LOWER(MIN(s.customer_last_name)), MIN(s.customer_company), \
         LOWER(MIN(s.customer_company)), 'active', {now}, {now} \
         FROM import_license_rows s WHERE s.import_id = {x} AND s.order_id IS NULL \
         AND s.customer_email_norm <> '' AND NOT EXISTS (SELECT 1 FROM customers c \
         WHERE c.email_norm = s.customer_email_norm AND c.status <> 'deleted') \
         GROUP BY s.customer_email_norm"
    ))
    .execute(conn)?;
    // New orders (one per reference), with their customer.
    diesel::sql_query(format!(
        "INSERT INTO orders (reference, reference_norm, customer_id, created_by, created_at, updated_at) \
         SELECT g.reference, g.reference_norm, (SELECT c.id FROM customers c \
         WHERE c.email_norm = g.email_norm AND c.status <> 'deleted'), {by}, {now}, {now} \
         FROM (SELECT MIN(s.order_reference) AS reference, s.order_reference_norm AS reference_norm, \
         MIN(s.customer_email_norm) AS email_norm FROM import_license_rows s \
         WHERE s.import_id = {x} AND s.order_id IS NULL GROUP BY s.order_reference_norm) g"
    ))
    .execute(conn)?;
    let cols = COPIED.join(", ");
    let from: Vec<String> = COPIED.iter().map(|c| format!("s.{c}")).collect();
    diesel::sql_query(format!(
        "INSERT INTO licenses ({cols}, order_id, created_at, updated_at) \
         SELECT {}, COALESCE(s.order_id, (SELECT o.id FROM orders o \
         WHERE o.reference_norm = s.order_reference_norm)), {now}, {now} \
         FROM import_license_rows s WHERE s.import_id = {x} ORDER BY s.line",
        from.join(", ")
    ))
    .execute(conn)?;
    // Features and custom fields from each license's product, as issuing does.
    diesel::sql_query(format!(
        "INSERT INTO license_features (license_id, code, name, kind, max_consumption) \
         SELECT l.id, f.code, f.name, f.kind, f.max_consumption \
         FROM import_license_rows s JOIN licenses l ON l.key_norm = s.key_norm \
         JOIN product_features f ON f.product_id = l.product_id WHERE s.import_id = {x}"
    ))
    .execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO license_custom_fields (license_id, name, value) \
         SELECT l.id, f.name, f.default_value \
         FROM import_license_rows s JOIN licenses l ON l.key_norm = s.key_norm \
         JOIN product_custom_fields f ON f.product_id = l.product_id WHERE s.import_id = {x}"
    ))
    .execute(conn)?;
    clear(conn, import)
}

/// Removes an import's staging rows.
pub fn clear(conn: &mut DbConnection, import: i64) -> QueryResult<()> {
    diesel::delete(import_license_rows::table.filter(import_license_rows::import_id.eq(import)))
        .execute(conn)?;
    Ok(())
}
