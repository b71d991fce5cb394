//! Orders: a customer's purchase, holding licences and (later) license managers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{customers, licenses, orders};
use crate::db::DbConnection;

/// One row of the orders list.
#[derive(Debug, Clone)]
pub struct OrderListRow {
    pub id: i64,
    pub reference: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub created_at: NaiveDateTime,
    pub customer_email: Option<String>,
    pub customer_name: String,
    pub licenses: i64,
}

/// A page of orders, newest first, and the cursor of the next page if there is one.
pub struct OrderPage {
    pub rows: Vec<OrderListRow>,
    pub next_before: Option<i64>,
}

/// Lists orders newest first; `before` is the id of the last order on the previous page.
pub fn list(conn: &mut DbConnection, before: Option<i64>, per_page: i64) -> QueryResult<OrderPage> {
    let mut query = orders::table
        .left_join(customers::table)
        .select((
            orders::id,
            orders::reference,
            orders::is_test,
            orders::is_trial,
            orders::created_at,
            customers::email.nullable(),
            customers::first_name.nullable(),
            customers::last_name.nullable(),
        ))
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(per_page + 1)
        .into_boxed();
    if let Some(before) = before {
        let cursor: Option<NaiveDateTime> = orders::table
            .find(before)
            .select(orders::created_at)
            .first(conn)
            .optional()?;
        if let Some(at) = cursor {
            query = query.filter(
                orders::created_at
                    .lt(at)
                    .or(orders::created_at.eq(at).and(orders::id.lt(before))),
            );
        }
    }
    type Row = (
        i64,
        String,
        bool,
        bool,
        NaiveDateTime,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut found: Vec<Row> = query.load(conn)?;
    let more = found.len() as i64 > per_page;
    found.truncate(per_page as usize);
    let ids: Vec<i64> = found.iter().map(|r| r.0).collect();
    let counts: Vec<(i64, i64)> = licenses::table
        .filter(licenses::order_id.eq_any(&ids))
        .group_by(licenses::order_id)
        .select((licenses::order_id, diesel::dsl::count_star()))
        .load(conn)?;
    let rows: Vec<OrderListRow> = found
        .into_iter()
        .map(
            |(id, reference, is_test, is_trial, created_at, email, first, last)| OrderListRow {
                id,
                reference,
                is_test,
                is_trial,
                created_at,
                customer_email: email,
                customer_name: format!(
                    "{} {}",
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                )
                .trim()
                .to_owned(),
                licenses: counts.iter().find(|c| c.0 == id).map(|c| c.1).unwrap_or(0),
            },
        )
        .collect();
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(OrderPage { rows, next_before })
}

/// An order in a short list.
#[derive(Queryable, Debug, Clone)]
pub struct OrderBrief {
    pub id: i64,
    pub reference: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub created_at: NaiveDateTime,
}

/// A customer's orders, newest first.
pub fn for_customer(
    conn: &mut DbConnection,
    customer_id: i64,
    limit: i64,
) -> QueryResult<Vec<OrderBrief>> {
    orders::table
        .filter(orders::customer_id.eq(customer_id))
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit)
        .select((
            orders::id,
            orders::reference,
            orders::is_test,
            orders::is_trial,
            orders::created_at,
        ))
        .load(conn)
}
