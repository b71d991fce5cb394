//! Committing a customers import: the validated rows go into a staging table in short
//! chunks (on SQLite the connection's private copy, so other users' writes never wait on
//! SQLite's one writer meanwhile), then one final transaction makes them all visible at once with
//! `INSERT … SELECT` (new customers, missing labels, label links) and one `UPDATE` for
//! matched customers, writes the import's audit row and clears the staging rows. If
//! anything fails, the final transaction rolls back and nothing of the file is visible.

use diesel::prelude::*;

use super::customer::CustomerInput;
use crate::db::schema::{
    customer_accounts, customers, import_customer_labels, import_customer_rows,
};
use crate::db::DbConnection;

/// One validated row and what it will do.
#[derive(Debug, Clone)]
pub struct Planned {
    pub line: i64,
    /// The live customer it updates, or `None` to create one.
    pub customer_id: Option<i64>,
    pub input: CustomerInput,
    /// Label names as written (each once).
    pub labels: Vec<String>,
}

/// The live customers with these normalised emails: (email_norm, id).
pub fn existing(conn: &mut DbConnection, emails: &[String]) -> QueryResult<Vec<(String, i64)>> {
    customers::table
        .filter(customers::email_norm.eq_any(emails))
        .filter(customers::status.ne("deleted"))
        .select((customers::email_norm, customers::id))
        .load(conn)
}

/// Every customer account: (code_norm, id).
pub fn account_codes(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    customer_accounts::table
        .select((customer_accounts::code_norm, customer_accounts::id))
        .load(conn)
}

/// Stages one chunk of rows (run each chunk in its own write transaction).
pub fn stage(conn: &mut DbConnection, import: i64, rows: &[Planned]) -> QueryResult<()> {
    for p in rows {
        let i = &p.input;
        diesel::insert_into(import_customer_rows::table)
            .values((
                import_customer_rows::import_id.eq(import),
                import_customer_rows::line.eq(p.line),
                import_customer_rows::customer_id.eq(p.customer_id),
                import_customer_rows::email.eq(i.email.as_str()),
                import_customer_rows::email_norm.eq(i.email.normalized()),
                import_customer_rows::first_name.eq(&i.first_name),
                import_customer_rows::last_name.eq(&i.last_name),
                import_customer_rows::first_name_norm.eq(i.first_name.to_lowercase()),
                import_customer_rows::last_name_norm.eq(i.last_name.to_lowercase()),
                import_customer_rows::company.eq(&i.company),
                import_customer_rows::company_norm.eq(i.company.to_lowercase()),
                import_customer_rows::phone.eq(&i.phone),
                import_customer_rows::reference.eq(&i.reference),
                import_customer_rows::reference_norm.eq(i.reference.to_lowercase()),
                import_customer_rows::external_id.eq(&i.external_id),
                import_customer_rows::address_line1.eq(&i.address_line1),
                import_customer_rows::address_line2.eq(&i.address_line2),
                import_customer_rows::postcode.eq(&i.postcode),
                import_customer_rows::city.eq(&i.city),
                import_customer_rows::state.eq(&i.state),
                import_customer_rows::country.eq(&i.country),
                import_customer_rows::customer_account_id.eq(i.customer_account_id),
                import_customer_rows::metadata.eq(&i.metadata),
            ))
            .execute(conn)?;
        for name in &p.labels {
            diesel::insert_into(import_customer_labels::table)
                .values((
                    import_customer_labels::import_id.eq(import),
                    import_customer_labels::line.eq(p.line),
                    import_customer_labels::label_norm.eq(name.to_lowercase()),
                    import_customer_labels::label_name.eq(name),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The columns copied from staging into `customers`, in the same order on both sides.
const COPIED: [&str; 20] = [
    "email",
    "email_norm",
    "first_name",
    "last_name",
    "first_name_norm",
    "last_name_norm",
    "company",
    "company_norm",
    "phone",
    "reference",
    "reference_norm",
    "external_id",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "state",
    "country",
    "customer_account_id",
    "metadata",
];

/// Makes the staged rows visible (inside the caller's final transaction). The import id
/// and the timestamp are values of ours, written into the SQL as literals.
pub fn publish(conn: &mut DbConnection, import: i64) -> QueryResult<()> {
    let at = super::now();
    let now = format!("'{}'", at.format("%Y-%m-%d %H:%M:%S%.6f"));
    let cols = COPIED.join(", ");
    let staged = |c: &str| format!("r.{c}");
    let from_rows: Vec<String> = COPIED.iter().map(|c| staged(c)).collect();
    diesel::sql_query(format!(
        "INSERT INTO labels (name, name_norm, created_at, updated_at) \
         SELECT MIN(s.label_name), s.label_norm, {now}, {now} FROM import_customer_labels s \
         WHERE s.import_id = {import} AND NOT EXISTS \
         (SELECT 1 FROM labels l WHERE l.name_norm = s.label_norm) GROUP BY s.label_norm"
    ))
    .execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO customers ({cols}, status, created_at, updated_at) \
         SELECT {}, 'active', {now}, {now} FROM import_customer_rows r \
         WHERE r.import_id = {import} AND r.customer_id IS NULL ORDER BY r.line",
        from_rows.join(", ")
    ))
    .execute(conn)?;
    let sets: Vec<String> = COPIED
        .iter()
        .filter(|c| **c != "email_norm")
        .map(|c| {
            format!(
                "{c} = (SELECT r.{c} FROM import_customer_rows r \
                 WHERE r.import_id = {import} AND r.customer_id = customers.id)"
            )
        })
        .collect();
    diesel::sql_query(format!(
        "UPDATE customers SET {}, updated_at = {now} WHERE id IN \
         (SELECT r.customer_id FROM import_customer_rows r \
          WHERE r.import_id = {import} AND r.customer_id IS NOT NULL)",
        sets.join(", ")
    ))
    .execute(conn)?;
    crate::db::search_words::reindex_updated_at(conn, at)?;
    diesel::sql_query(format!(
        "INSERT INTO customer_labels (customer_id, label_id) \
         SELECT DISTINCT c.id, l.id FROM import_customer_labels s \
         JOIN import_customer_rows r ON r.import_id = s.import_id AND r.line = s.line \
         JOIN customers c ON c.email_norm = r.email_norm AND c.status <> 'deleted' \
         JOIN labels l ON l.name_norm = s.label_norm \
         WHERE s.import_id = {import} AND NOT EXISTS \
         (SELECT 1 FROM customer_labels x WHERE x.customer_id = c.id AND x.label_id = l.id)"
    ))
    .execute(conn)?;
    if !crate::db::staging_is_private(conn) {
        clear(conn, import)?;
    }
    Ok(())
}

/// Removes an import's staging rows.
pub fn clear(conn: &mut DbConnection, import: i64) -> QueryResult<()> {
    diesel::delete(
        import_customer_labels::table.filter(import_customer_labels::import_id.eq(import)),
    )
    .execute(conn)?;
    diesel::delete(import_customer_rows::table.filter(import_customer_rows::import_id.eq(import)))
        .execute(conn)?;
    Ok(())
}
