//! Reading an order through the caller's reach: the order with its customer, and what
//! was done to it in the license portal.

use diesel::prelude::*;

use super::Reach;
use crate::db::schema::audit_log;
use crate::db::DbConnection;
use crate::domain::{OrderId, Source};
use crate::models::audit::AuditRow;
use crate::models::customer::{self, Customer};
use crate::models::order::Order;
use crate::models::{ModelResult, Page};

/// An order within reach, with its customer.
pub fn with_customer(
    conn: &mut DbConnection,
    reach: &Reach,
    id: OrderId,
) -> ModelResult<(Order, Option<Customer>)> {
    let order = reach.order(conn, id)?;
    let customer = match order.customer_id {
        Some(c) => customer::find(conn, c)?,
        None => None,
    };
    Ok((order, customer))
}

/// Every change made in the license portal to an order within reach and its licenses,
/// newest first, a page at a time.
pub fn portal_activity(
    conn: &mut DbConnection,
    reach: &Reach,
    id: OrderId,
    before: Option<i64>,
    per_page: i64,
) -> ModelResult<Page<AuditRow>> {
    reach.order(conn, id)?;
    let mut q = audit_log::table
        .filter(audit_log::order_id.eq(id))
        .filter(audit_log::source.eq(Source::LicensePortal.audit_name()))
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(per_page + 1)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(audit_log::id.lt(b));
    }
    let rows = q.load(conn)?;
    Ok(Page::from_rows(rows, per_page, |r: &AuditRow| r.id))
}
