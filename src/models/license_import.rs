//! Committing a licenses import: like customers (see `customer_import`), rows are staged in
//! short transactions, then one final transaction creates the new customers and orders
//! the rows name, inserts every license with `INSERT … SELECT`, gives each its product's
//! features and custom fields (as issuing from a form does), and clears the staging rows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    customers, import_license_orders, import_license_rows, licenses, orders, products,
};
use crate::db::DbConnection;

/// One validated row.
#[derive(Debug, Clone)]
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

/// A staged row as inserted (many rows per statement).
#[derive(Insertable)]
#[diesel(table_name = import_license_rows)]
struct Staged<'a> {
    import_id: i64,
    line: i64,
    license_key: &'a str,
    key_norm: &'a str,
    product_id: i64,
    order_id: Option<i64>,
    order_reference: &'a str,
    order_reference_norm: String,
    customer_email: &'a str,
    customer_email_norm: String,
    customer_first_name: &'a str,
    customer_last_name: &'a str,
    customer_company: &'a str,
    license_type: &'a str,
    enabled: bool,
    max_activations: i64,
    start_date: Option<NaiveDate>,
    valid_until: Option<NaiveDateTime>,
    validity_days: Option<i64>,
    maintenance_until: Option<NaiveDateTime>,
    maintenance_days: Option<i64>,
    is_trial: bool,
    floating_seats: i64,
    borrow_limit_hours: i64,
    max_license_users: i64,
    note: &'a str,
    metadata: &'a str,
}

/// Stages one chunk of rows in one statement (each chunk its own write transaction).
pub fn stage(conn: &mut DbConnection, import: i64, rows: &[Planned]) -> QueryResult<()> {
    let staged: Vec<Staged<'_>> = rows
        .iter()
        .map(|p| Staged {
            import_id: import,
            line: p.line,
            license_key: &p.license_key,
            key_norm: &p.key_norm,
            product_id: p.product_id,
            order_id: p.order_id,
            order_reference: &p.order_reference,
            order_reference_norm: p.order_reference.to_lowercase(),
            customer_email: &p.customer.0,
            customer_email_norm: p.customer.0.to_lowercase(),
            customer_first_name: &p.customer.1,
            customer_last_name: &p.customer.2,
            customer_company: &p.customer.3,
            license_type: &p.license_type,
            enabled: p.enabled,
            max_activations: p.max_activations,
            start_date: p.start_date,
            valid_until: p.valid_until,
            validity_days: p.validity_days,
            maintenance_until: p.maintenance_until,
            maintenance_days: p.maintenance_days,
            is_trial: p.is_trial,
            floating_seats: p.floating_seats,
            borrow_limit_hours: p.borrow_limit_hours,
            max_license_users: p.max_license_users,
            note: &p.note,
            metadata: &p.metadata,
        })
        .collect();
    // MultiConnection has no multi-row insert: use the concrete connection.
    let insert = diesel::insert_into(import_license_rows::table).values(&staged);
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c)?,
        DbConnection::Pg(c) => insert.execute(c)?,
    };
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
    let at = super::now();
    let now = format!("'{}'", at.format("%Y-%m-%d %H:%M:%S%.6f"));
    let by = format!("'{}'", created_by.replace('\'', "''"));
    let x = import;
    let step = |conn: &mut DbConnection, what: &str, sql: String| -> QueryResult<()> {
        let started = std::time::Instant::now();
        let rows = diesel::sql_query(sql).execute(conn)?;
        tracing::debug!(rows, took = ?started.elapsed(), "import publish: {what}");
        Ok(())
    };
    // New customers of new orders (one per email).
    step(
        conn,
        "customers",
        format!(
            "INSERT INTO customers (email, email_norm, first_name, last_name, first_name_norm, \
         last_name_norm, company, company_norm, status, created_at, updated_at) \
         SELECT MIN(o.customer_email), o.customer_email_norm, MAX(o.customer_first_name), \
         MAX(o.customer_last_name), LOWER(MAX(o.customer_first_name)), \
         LOWER(MAX(o.customer_last_name)), MAX(o.customer_company), \
         LOWER(MAX(o.customer_company)), 'active', {now}, {now} \
         FROM import_license_orders o WHERE o.import_id = {x} \
         AND o.customer_email_norm <> '' AND NOT EXISTS (SELECT 1 FROM customers c \
         WHERE c.email_norm = o.customer_email_norm AND c.status <> 'deleted') \
         GROUP BY o.customer_email_norm"
        ),
    )?;
    crate::db::search_words::reindex_updated_at(conn, at)?;
    // New orders (one per reference), with their customer.
    step(conn, "orders", format!(
        "INSERT INTO orders (reference, reference_norm, customer_id, created_by, created_at, updated_at) \
         SELECT o.reference, o.reference_norm, (SELECT c.id FROM customers c \
         WHERE c.email_norm = o.customer_email_norm AND c.status <> 'deleted'), {by}, {now}, {now} \
         FROM import_license_orders o WHERE o.import_id = {x} ORDER BY o.reference_norm"
    ))?;
    let cols = COPIED.join(", ");
    let from: Vec<String> = COPIED.iter().map(|c| format!("s.{c}")).collect();
    step(
        conn,
        "licenses",
        format!(
            "INSERT INTO licenses ({cols}, order_id, max_transfers, import_id, created_at, updated_at) \
         SELECT {}, COALESCE(s.order_id, (SELECT o.id FROM orders o \
         WHERE o.reference_norm = s.order_reference_norm)), \
         (SELECT p.max_transfers FROM products p WHERE p.id = s.product_id), {x}, {now}, {now} \
         FROM import_license_rows s WHERE s.import_id = {x} ORDER BY s.line",
            from.join(", ")
        ),
    )?;
    // Features and custom fields from each license's product, as issuing does.
    step(
        conn,
        "features",
        format!(
            "INSERT INTO license_features (license_id, code, name, kind, max_consumption) \
         SELECT l.id, f.code, f.name, f.kind, f.max_consumption \
         FROM import_license_rows s JOIN licenses l ON l.key_norm = s.key_norm \
         JOIN product_features f ON f.product_id = l.product_id WHERE s.import_id = {x}"
        ),
    )?;
    step(
        conn,
        "custom fields",
        format!(
            "INSERT INTO license_custom_fields (license_id, name, value) \
         SELECT l.id, f.name, f.default_value \
         FROM import_license_rows s JOIN licenses l ON l.key_norm = s.key_norm \
         JOIN product_custom_fields f ON f.product_id = l.product_id WHERE s.import_id = {x}"
        ),
    )?;
    if !crate::db::staging_is_private(conn) {
        clear(conn, import)?;
    }
    Ok(())
}

/// Gathers the staged rows' new orders, one per reference with its customer (before the
/// final switch, so that it need not group a million rows).
pub fn gather_orders(conn: &mut DbConnection, import: i64) -> QueryResult<()> {
    let x = import;
    diesel::sql_query(format!(
        "INSERT INTO import_license_orders (import_id, reference, reference_norm, customer_email, \
         customer_email_norm, customer_first_name, customer_last_name, customer_company) \
         SELECT {x}, MIN(s.order_reference), s.order_reference_norm, MIN(s.customer_email), \
         MIN(s.customer_email_norm), MAX(s.customer_first_name), MAX(s.customer_last_name), \
         MAX(s.customer_company) FROM import_license_rows s \
         WHERE s.import_id = {x} AND s.order_id IS NULL GROUP BY s.order_reference_norm"
    ))
    .execute(conn)?;
    Ok(())
}

/// Removes an import's staging rows.
pub fn clear(conn: &mut DbConnection, import: i64) -> QueryResult<()> {
    diesel::delete(
        import_license_orders::table.filter(import_license_orders::import_id.eq(import)),
    )
    .execute(conn)?;
    diesel::delete(import_license_rows::table.filter(import_license_rows::import_id.eq(import)))
        .execute(conn)?;
    Ok(())
}

/// What a licenses file would create besides its licenses, for its preview: the new
/// orders (reference and customer email) and the new customers' emails, the first
/// [`WOULD_CREATE_SHOWN`] of each, with their counts. Kept with the preview as JSON.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WouldCreate {
    pub orders: Vec<(String, String)>,
    pub order_count: i64,
    pub customers: Vec<String>,
    pub customer_count: i64,
}

/// New orders and customers a preview lists.
pub const WOULD_CREATE_SHOWN: usize = 50;

/// The new orders and customers of the planned rows (`order_id` unset: a new order).
pub fn would_create(conn: &mut DbConnection, planned: &[Planned]) -> QueryResult<WouldCreate> {
    use std::collections::BTreeMap;
    let mut orders: BTreeMap<String, (String, String)> = BTreeMap::new();
    for p in planned.iter().filter(|p| p.order_id.is_none()) {
        orders
            .entry(p.order_reference.to_lowercase())
            .or_insert_with(|| (p.order_reference.clone(), p.customer.0.clone()));
    }
    let mut emails: Vec<String> = orders
        .values()
        .map(|(_, e)| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    emails.sort();
    emails.dedup();
    let mut new_customers = Vec::new();
    for chunk in emails.chunks(500) {
        let known: Vec<String> = customers::table
            .filter(customers::email_norm.eq_any(chunk))
            .filter(customers::status.ne("deleted"))
            .select(customers::email_norm)
            .load(conn)?;
        new_customers.extend(chunk.iter().filter(|e| !known.contains(e)).cloned());
    }
    Ok(WouldCreate {
        order_count: orders.len() as i64,
        orders: orders.into_values().take(WOULD_CREATE_SHOWN).collect(),
        customer_count: new_customers.len() as i64,
        customers: new_customers.into_iter().take(WOULD_CREATE_SHOWN).collect(),
    })
}
