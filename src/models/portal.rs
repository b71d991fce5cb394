//! What the end-user portal reads and changes, always through a [`GrantedOrder`]: every
//! function here takes the handle the grant check made, and reaches only that order's
//! licenses and devices. A license or device id from a URL or a form that belongs to
//! another order is "not found", exactly like one that does not exist.

use diesel::prelude::*;

use super::audit::{self, Actor, AuditRow};
use super::customer::{self, Customer};
use super::device::{self, Device};
use super::grant::{self, GrantedOrder, InviteState};
use super::grant_change;
use super::grant_products::ProductChoice;
use super::grant_tree;
use super::license::{self, License, LicenseSummary};
use super::license_event::{self, LicenseEvent};
use super::license_manager::LicenseManager;
use super::license_ops::{self, ResetBy, ResetPlan};
use super::order::{self, Order};
use super::{ModelError, ModelResult, Page};
use crate::db::schema::{audit_log, devices};
use crate::db::DbConnection;
use crate::domain::{CustomerId, DeviceId, GrantId, LicenseId, Permissions};

/// The order of the handle, with its customer.
pub fn order(conn: &mut DbConnection, g: &GrantedOrder) -> ModelResult<(Order, Option<Customer>)> {
    let order = order::find(conn, g.order_id())?.ok_or(ModelError::NotFound)?;
    let customer = match order.customer_id {
        Some(c) => customer::find(conn, CustomerId(c))?,
        None => None,
    };
    Ok((order, customer))
}

/// A manager of the order as the portal shows them (read-only).
#[derive(Debug, Clone)]
pub struct Colleague {
    pub name: String,
    pub email: String,
    pub permissions: Permissions,
    pub pending: bool,
}

/// The order's managers with live grants.
pub fn managers(conn: &mut DbConnection, g: &GrantedOrder) -> QueryResult<Vec<Colleague>> {
    Ok(grant::for_order(conn, g.order_id())?
        .into_iter()
        .filter(|r| r.state != InviteState::Revoked)
        .map(|r| Colleague {
            name: r.manager.name,
            email: r.manager.email,
            permissions: r.grant.permissions,
            pending: matches!(r.state, InviteState::Pending | InviteState::Expired),
        })
        .collect())
}

/// The order's licenses, newest first, by key prefix, a page at a time.
pub fn licenses(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    key: &str,
    before: Option<i64>,
    per_page: i64,
) -> QueryResult<Page<LicenseSummary>> {
    let filter = license::Filter {
        key: key.to_owned(),
        order_id: Some(g.order_id().0),
        ..license::Filter::default()
    };
    license::list(conn, &filter, before, per_page)
}

/// One license of the order (404 for another order's).
pub fn license(conn: &mut DbConnection, g: &GrantedOrder, id: LicenseId) -> ModelResult<License> {
    match license::find(conn, id)? {
        Some(l) if l.order_id == g.order_id().0 => Ok(l),
        _ => Err(ModelError::NotFound),
    }
}

/// What the license page shows.
pub struct LicenseView {
    pub license: License,
    pub product_name: String,
    pub order_reference: String,
    pub devices: Vec<Device>,
    pub events: Vec<LicenseEvent>,
}

pub fn license_view(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: LicenseId,
) -> ModelResult<LicenseView> {
    let license = license(conn, g, id)?;
    let context = license::context(conn, &license)?;
    Ok(LicenseView {
        product_name: context.product_name,
        order_reference: context.order_reference,
        devices: device::for_license(conn, id, 200)?,
        events: license_event::for_license(conn, id, 30)?,
        license,
    })
}

/// Frees one device's seat; the device must be one of this order's license's.
pub fn reset_device(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    license_id: LicenseId,
    device_id: DeviceId,
) -> ModelResult<Device> {
    license(conn, g, license_id)?;
    let belongs: bool = diesel::select(diesel::dsl::exists(
        devices::table
            .find(device_id.0)
            .filter(devices::license_id.eq(license_id.0)),
    ))
    .get_result(conn)?;
    if !belongs {
        return Err(ModelError::NotFound);
    }
    license_ops::reset_device(conn, actor, license_id, device_id, ResetBy::Manager)
}

/// What a portal reset will change (end dates stay).
pub fn reset_plan(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: LicenseId,
) -> ModelResult<ResetPlan> {
    license(conn, g, id)?;
    license_ops::reset_plan(conn, id, ResetBy::Manager)
}

/// Resets a license of the order, keeping its end dates.
pub fn reset_license(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: LicenseId,
) -> ModelResult<License> {
    license(conn, g, id)?;
    license_ops::reset(conn, actor, id, ResetBy::Manager)
}

/// Every change made in the end-user portal to the order and its licenses, newest first.
pub fn activity(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    before: Option<i64>,
    per_page: i64,
) -> QueryResult<Page<AuditRow>> {
    let mut q = audit_log::table
        .filter(audit_log::order_id.eq(g.order_id().0))
        .filter(audit_log::source.eq("end-user portal"))
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

/// The audit rows of one license of the order (its history on the license page).
pub fn license_history(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: LicenseId,
) -> ModelResult<Vec<AuditRow>> {
    license(conn, g, id)?;
    Ok(audit::for_object(conn, "license", id.0, 20)?)
}

/// The order as a full row (for the grant functions that take one).
fn order_row(conn: &mut DbConnection, g: &GrantedOrder) -> ModelResult<Order> {
    order::find(conn, g.order_id())?.ok_or(ModelError::NotFound)
}

/// "Manage managers": invites another manager to this order with at most the inviter's
/// own permissions on it (the same invite email and link as when the vendor adds them);
/// the new grant hangs below the inviter's for good.
pub fn invite_manager(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    mailer: &crate::mail::Mailer,
    actor: &Actor,
    input: &grant_change::NewGrant,
) -> ModelResult<grant_change::Added> {
    let order = order_row(conn, g)?;
    grant_change::add_delegate(conn, mailer, actor, &order, input, g).map(|(_, added)| added)
}

/// A grant of this order the signed-in manager may act on: strictly below their own
/// (a delegate of theirs, at any depth) — never their own, an ancestor's or another
/// branch's.
fn delegable(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: GrantId,
) -> ModelResult<(grant::Grant, LicenseManager)> {
    let (target, manager) = grant::find_on_order(conn, g.order_id(), id)?;
    if target.manager_id == g.manager_id().0 {
        return Err(ModelError::refused(
            "own_grant",
            "You cannot change or remove your own permissions.".to_owned(),
        ));
    }
    if !grant_tree::is_below(conn, id, g.grant_id())? {
        return Err(ModelError::refused("grant_not_below", format!(
            "{} was not invited through you: only the vendor, or whoever invited them, can change their permissions.",
            manager.email
        )));
    }
    Ok((target, manager))
}

/// The manager a removal would remove (for its confirmation page), if within reach, with
/// the grants that would go with theirs.
pub fn removable_manager(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: GrantId,
) -> ModelResult<(LicenseManager, Vec<grant::Derived>)> {
    let (_, manager) = delegable(conn, g, id)?;
    Ok((manager, grant::derived(conn, id)?))
}

/// Changes the permissions (and products) of a manager below the changer, within the
/// grant that manager was invited from.
pub fn set_manager_permissions(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: GrantId,
    permissions: Permissions,
    products: Option<Vec<ProductChoice>>,
) -> ModelResult<LicenseManager> {
    delegable(conn, g, id)?;
    if !permissions.is_subset_of(&g.permissions()) {
        return Err(ModelError::invalid(
            "permissions",
            "You can give only permissions you hold on this order.",
        ));
    }
    let order = order_row(conn, g)?;
    grant_change::edit(conn, actor, &order, id, permissions, products)
}

/// The products the signed-in manager may hand on to a delegate (theirs, with what is
/// left of each).
pub fn delegable_products(
    conn: &mut DbConnection,
    g: &GrantedOrder,
) -> QueryResult<Vec<super::grant_products::Allowance>> {
    super::grant_products::allowances(conn, g.grant_id())
}

/// Removes a manager below the remover from this order, with every grant derived from
/// theirs.
pub fn remove_manager(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    delegable(conn, g, id)?;
    let order = order_row(conn, g)?;
    grant_change::remove(conn, actor, &order, id)
}

/// The order's managers as "Manage managers" shows them: each with whether the signed-in
/// manager may change them (those below them).
pub fn delegation_rows(
    conn: &mut DbConnection,
    g: &GrantedOrder,
) -> QueryResult<Vec<(grant::GrantRow, bool)>> {
    let mut rows = Vec::new();
    for r in grant::for_order(conn, g.order_id())? {
        if r.state == InviteState::Revoked {
            continue;
        }
        let below = grant_tree::is_below(conn, GrantId(r.grant.id), g.grant_id())?;
        rows.push((r, below));
    }
    Ok(rows)
}
