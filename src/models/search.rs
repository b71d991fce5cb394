//! The staff's one search box: what a pasted key, email or order reference leads to, and
//! otherwise the matches of each kind, found with the lists' own searches (each a range
//! on an index).

use diesel::prelude::*;

use super::customer::{self, CustomerRow};
use super::license::{self, LicenseSummary};
use super::license_manager::{self, ListRow as ManagerRow};
use super::order::{self, OrderListRow};
use super::{Page, Paging};
use crate::db::DbConnection;
use crate::domain::{CustomerId, LicenseId, LicenseManagerId, OrderId};

/// Where an exact match leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    License(LicenseId),
    Order(OrderId),
    Customer(CustomerId),
    Manager(LicenseManagerId),
}

impl Jump {
    pub fn path(self) -> String {
        match self {
            Jump::License(id) => format!("/licenses/{id}"),
            Jump::Order(id) => format!("/orders/{id}"),
            Jump::Customer(id) => format!("/customers/{id}"),
            Jump::Manager(id) => format!("/license-managers/{id}"),
        }
    }
}

/// The thing a search names exactly: a whole license key (dashes and case ignored), an
/// order's reference, a live customer's or a license manager's email.
pub fn jump(conn: &mut DbConnection, q: &str) -> QueryResult<Option<Jump>> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(None);
    }
    if let Some(l) = license::find_by_key(conn, q)? {
        return Ok(Some(Jump::License(l.id)));
    }
    if let Some(o) = order::find_by_reference(conn, q)? {
        return Ok(Some(Jump::Order(o.id)));
    }
    if q.contains('@') && !q.starts_with('@') {
        let email = q.to_lowercase();
        if let Some(c) = customer::find_live_by_email(conn, &email)? {
            return Ok(Some(Jump::Customer(c.id)));
        }
        if let Some(m) = license_manager::find_by_email(conn, &email)? {
            return Ok(Some(Jump::Manager(m.id)));
        }
    }
    Ok(None)
}

/// The first matches of each kind, with their counts.
pub struct Found {
    pub licenses: Page<LicenseSummary>,
    pub orders: Page<OrderListRow>,
    pub customers: Page<CustomerRow>,
    pub managers: Vec<ManagerRow>,
}

impl Found {
    pub fn is_empty(&self) -> bool {
        self.licenses.rows.is_empty()
            && self.orders.rows.is_empty()
            && self.customers.rows.is_empty()
            && self.managers.is_empty()
    }
}

/// Up to `per_kind` licenses (key or order reference), orders (reference or customer),
/// customers and license managers (email or name) matching `q`.
pub fn everything(conn: &mut DbConnection, q: &str, per_kind: i64) -> QueryResult<Found> {
    // Each group shows its first few and links to its list, which counts: no count here.
    let paging = Paging::first_uncounted(per_kind);
    let licenses = license::list(
        conn,
        &license::Filter {
            key: q.to_owned(),
            ..Default::default()
        },
        paging,
    )?;
    let customers = customer::list(
        conn,
        &customer::Filter {
            q: q.to_owned(),
            ..Default::default()
        },
        paging,
    )?;
    // The orders of the customers shown (the orders list's own search finds them all).
    let orders = order::list(
        conn,
        &order::Filter {
            q: q.to_owned(),
            customers_in: Some(customers.rows.iter().map(|r| r.customer.id).collect()),
            ..Default::default()
        },
        paging,
    )?;
    let mut managers = license_manager::list(
        conn,
        &license_manager::Filter {
            q: q.trim().to_lowercase(),
            state: None,
        },
        paging,
    )?
    .rows;
    managers.truncate(per_kind.max(0) as usize);
    Ok(Found {
        licenses,
        orders,
        customers,
        managers,
    })
}
