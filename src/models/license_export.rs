//! The licenses a CSV export writes: the list's filters, oldest first, a page at a time
//! (keyset on the id, so a million rows never sit in memory), each with what the file
//! names them by (product code, order reference, customer).

use diesel::prelude::*;

use super::license::{license_filters, Filter, License};
use crate::db::schema::{customers, licenses, orders, products};
use crate::db::DbConnection;

/// One license as the export writes it.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub license: License,
    pub order_reference: String,
    pub product_code: String,
    pub product_name: String,
    /// (email, first name, last name, company) of the order's customer.
    pub customer: Option<(String, String, String, String)>,
}

type Row = (
    License,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Up to `limit` licenses matching `filter` with ids above `after`, oldest first.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ExportRow>> {
    let now = super::now();
    let mut query = licenses::table
        .inner_join(orders::table.left_join(customers::table))
        .inner_join(products::table)
        .select((
            License::as_select(),
            orders::reference,
            products::code,
            products::name,
            customers::email.nullable(),
            customers::first_name.nullable(),
            customers::last_name.nullable(),
            customers::company.nullable(),
        ))
        .filter(licenses::id.gt(after))
        .order(licenses::id.asc())
        .limit(limit)
        .into_boxed();
    query = license_filters!(query, filter, now);
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(license, order_reference, product_code, product_name, e, f, l, c)| ExportRow {
                license,
                order_reference,
                product_code,
                product_name,
                customer: e.map(|e| {
                    (
                        e,
                        f.unwrap_or_default(),
                        l.unwrap_or_default(),
                        c.unwrap_or_default(),
                    )
                }),
            },
        )
        .collect())
}
