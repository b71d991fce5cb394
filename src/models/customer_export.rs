//! The customers a CSV export writes: the list's filters, oldest first, a page at a time
//! (keyset on the id), each with its account's code and its labels.

use crate::domain::CustomerId;
use diesel::prelude::*;

use super::customer::{customer_filters, Customer, Filter};
use crate::db::schema::{customer_accounts, customer_labels, customers, labels};
use crate::db::DbConnection;

/// One customer as the export writes it.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub customer: Customer,
    pub account_code: Option<String>,
    pub labels: Vec<String>,
}

/// Up to `limit` customers matching `filter` with ids above `after`, oldest first.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ExportRow>> {
    let mut query = customers::table
        .left_join(customer_accounts::table)
        .select((Customer::as_select(), customer_accounts::code.nullable()))
        .filter(customers::id.gt(after))
        .order(customers::id.asc())
        .limit(limit)
        .into_boxed();
    query = customer_filters!(query, filter);
    let rows: Vec<(Customer, Option<String>)> = query.load(conn)?;
    let ids: Vec<CustomerId> = rows.iter().map(|(c, _)| c.id).collect();
    let names: Vec<(CustomerId, String)> = customer_labels::table
        .inner_join(labels::table)
        .filter(customer_labels::customer_id.eq_any(&ids))
        .order(labels::name_norm.asc())
        .select((customer_labels::customer_id, labels::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(customer, account_code)| ExportRow {
            labels: names
                .iter()
                .filter(|(id, _)| *id == customer.id)
                .map(|(_, n)| n.clone())
                .collect(),
            customer,
            account_code,
        })
        .collect())
}
