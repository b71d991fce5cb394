//! Operations on one license and its devices, for every area: the license is looked up
//! through the caller's [`Reach`] once, here, and the model does the rest.

use chrono::NaiveDateTime;

use super::Reach;
use crate::db::DbConnection;
use crate::domain::{DeviceId, LicenseId, LicenseManagerId, OrderId};
use crate::models::audit::Actor;
use crate::models::device::{self, Device};
use crate::models::device_variable::{self, ShownVariable};
use crate::models::grant::ManagedOrder;
use crate::models::license::{self, License, LicenseFeature, LicenseSummary};
use crate::models::license_ops::{self, ResetPlan};
use crate::models::license_timeline::{self, Moment};
use crate::models::{floating, ModelResult, Page};

/// What a license's page shows.
pub struct LicenseView {
    pub license: License,
    pub product_name: String,
    pub order_reference: String,
    pub devices: Vec<Device>,
    /// What its applications did and what people changed, newest first.
    pub timeline: Vec<Moment>,
    /// Its features, each consumption counter in the current period.
    pub features: Vec<LicenseFeature>,
    /// The variables its application stored on its active devices.
    pub variables: Vec<ShownVariable>,
    /// Its custom fields (from its product).
    pub custom_fields: Vec<license::LicenseCustomField>,
}

/// A license within reach, with its product, order, devices and latest events.
pub fn view(conn: &mut DbConnection, reach: &Reach, id: LicenseId) -> ModelResult<LicenseView> {
    let license = reach.license(conn, id)?;
    let context = license::context(conn, &license)?;
    Ok(LicenseView {
        product_name: context.product_name,
        order_reference: context.order_reference,
        devices: device::for_license(conn, id, 200)?,
        timeline: license_timeline::of_license(conn, id, 50)?,
        features: license::features(conn, id)?,
        variables: device_variable::of_license(conn, id)?,
        custom_fields: license::custom_fields(conn, id)?,
        license,
    })
}

/// An order's licenses within reach, newest first, by key prefix, a page at a time.
pub fn of_order(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
    key: &str,
    paging: crate::models::Paging,
) -> ModelResult<Page<LicenseSummary>> {
    reach.order(conn, order)?;
    let filter = license::Filter {
        key: key.to_owned(),
        order_id: Some(order),
        ..license::Filter::default()
    };
    Ok(license::list(conn, &filter, paging)?)
}

/// The orders a license manager manages now (their live grants), read once per request
/// and passed to the functions below.
pub fn managed_orders(
    conn: &mut DbConnection,
    manager: LicenseManagerId,
) -> ModelResult<Vec<ManagedOrder>> {
    Ok(crate::models::grant::for_manager(conn, manager, true)?)
}

/// The filter of a license manager's licenses: a key or order reference within the
/// orders they manage (nothing when they manage none).
pub fn manager_filter(orders: &[ManagedOrder], key: &str) -> license::Filter {
    license::Filter {
        key: key.to_owned(),
        within_orders: Some(orders.iter().map(|m| m.grant.order_id).collect()),
        ..license::Filter::default()
    }
}

/// The license users a manager may manage (on orders where they hold Manage license
/// users or Manage license user credentials) whose email starts with `q`, with their
/// order's reference.
pub fn users_of_manager(
    conn: &mut DbConnection,
    orders: &[ManagedOrder],
    q: &str,
    limit: i64,
) -> ModelResult<Vec<(crate::models::license_user::LicenseUser, String)>> {
    use crate::domain::Permission;
    let managing: Vec<&ManagedOrder> = orders
        .iter()
        .filter(|m| {
            m.grant.permissions.has(Permission::ManageLicenseUsers)
                || m.grant
                    .permissions
                    .has(Permission::ManageLicenseUserCredentials)
        })
        .collect();
    let ids: Vec<OrderId> = managing.iter().map(|m| m.grant.order_id).collect();
    let users = crate::models::license_user::search_in_orders(conn, &ids, q, limit)?;
    Ok(users
        .into_iter()
        .map(|u| {
            let reference = managing
                .iter()
                .find(|m| m.grant.order_id == u.order_id)
                .map(|m| m.order_reference.clone())
                .unwrap_or_default();
            (u, reference)
        })
        .collect())
}

/// A license manager's licenses across the orders they manage, newest first.
pub fn of_manager(
    conn: &mut DbConnection,
    orders: &[ManagedOrder],
    key: &str,
    paging: crate::models::Paging,
) -> ModelResult<Page<LicenseSummary>> {
    Ok(license::list(conn, &manager_filter(orders, key), paging)?)
}

/// Disables (every check fails, data kept) or enables a license.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    id: LicenseId,
    enabled: bool,
) -> ModelResult<License> {
    reach.license(conn, id)?;
    license_ops::set_enabled(conn, actor, id, enabled)
}

/// Disables or enables several licenses in one transaction (an audit row and event
/// each); licenses already in that state are left alone. Returns how many changed.
pub fn set_enabled_many(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    ids: &[LicenseId],
    enabled: bool,
) -> ModelResult<usize> {
    let mut changed = 0;
    for id in ids {
        let before = reach.license(conn, *id)?;
        if before.enabled != enabled {
            license_ops::set_enabled(conn, actor, *id, enabled)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Frees one device's seat (the device must be the license's).
pub fn reset_device(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    license: LicenseId,
    device: DeviceId,
) -> ModelResult<Device> {
    reach.license(conn, license)?;
    license_ops::reset_device(conn, actor, license, device, reach.reset_by())
}

/// What resetting the license will change, for its confirmation page.
pub fn reset_plan(conn: &mut DbConnection, reach: &Reach, id: LicenseId) -> ModelResult<ResetPlan> {
    reach.license(conn, id)?;
    license_ops::reset_plan(conn, id, reach.reset_by())
}

/// Resets a license: every device deactivated, hardware ids erased; staff restart the
/// duration-based end dates, a license manager keeps them.
pub fn reset(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    id: LicenseId,
) -> ModelResult<License> {
    reach.license(conn, id)?;
    license_ops::reset(conn, actor, id, reach.reset_by())
}

/// Borrows a floating seat for one of the license's devices until `until`.
pub fn borrow(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    license: LicenseId,
    device: DeviceId,
    until: NaiveDateTime,
) -> ModelResult<Device> {
    reach.license(conn, license)?;
    // A refusal is answered as an error here (nothing committed): the usage report
    // counts the license API's refused borrows.
    floating::borrow(
        conn,
        actor,
        license,
        device,
        until,
        reach.source(),
        crate::models::now(),
    )?
    .map_err(crate::models::ModelError::Refused)
}

/// Returns a borrowed seat early.
pub fn return_seat(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    license: LicenseId,
    device: DeviceId,
) -> ModelResult<Device> {
    reach.license(conn, license)?;
    floating::return_seat(
        conn,
        actor,
        license,
        device,
        reach.source(),
        crate::models::now(),
    )
}

/// An order's licenses' usage per day over a range (the license portal's report).
pub fn order_usage(
    conn: &mut DbConnection,
    reach: &Reach,
    id: OrderId,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ModelResult<Vec<crate::models::usage::Day>> {
    reach.order(conn, id)?;
    Ok(crate::models::usage::of_licenses(
        conn,
        crate::models::usage::LicenseSet::Order(id),
        from,
        to,
    )?)
}
