//! License users and floating seats in the end-user portal, always through a
//! [`GrantedOrder`]: a license user, license or device id from a URL or a form that
//! belongs to another order is "not found", exactly like one that does not exist.

use chrono::NaiveDateTime;

use super::audit::Actor;
use super::device::Device;
use super::floating;
use super::grant::GrantedOrder;
use super::license::License;
use super::license_event::Source;
use super::license_user::{self, LicenseUser, UserInput, UserRow};
use super::order::{self, Order};
use super::portal;
use super::{ModelError, ModelResult};
use crate::db::DbConnection;
use crate::domain::{DeviceId, LicenseId, LicenseUserId};
use crate::mail::Mailer;

/// At most this many license users are listed on an order's page.
pub const LIST_LIMIT: i64 = 500;

fn order_row(conn: &mut DbConnection, g: &GrantedOrder) -> ModelResult<Order> {
    order::find(conn, g.order_id())?.ok_or(ModelError::NotFound)
}

/// The order's license users with their licenses.
pub fn users(conn: &mut DbConnection, g: &GrantedOrder) -> ModelResult<Vec<UserRow>> {
    Ok(license_user::for_order(conn, g.order_id(), LIST_LIMIT)?)
}

/// One license user of the order.
pub fn user(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    license_user::find_on_order(conn, g.order_id(), id)
}

/// The users of one of the order's licenses.
pub fn license_users(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    id: LicenseId,
) -> ModelResult<Vec<LicenseUser>> {
    portal::license(conn, g, id)?;
    Ok(license_user::for_license(conn, id)?)
}

pub fn add_user(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    input: &UserInput,
) -> ModelResult<LicenseUser> {
    let order = order_row(conn, g)?;
    license_user::add(conn, actor, &order, input)
}

pub fn edit_user(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: LicenseUserId,
    input: &UserInput,
) -> ModelResult<LicenseUser> {
    let order = order_row(conn, g)?;
    let credentials = g.can(crate::domain::Permission::ManageLicenseUserCredentials);
    license_user::edit(conn, actor, &order, id, input, credentials)
}

pub fn remove_user(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    let order = order_row(conn, g)?;
    license_user::remove(conn, actor, &order, id)
}

pub fn assign(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    mailer: &Mailer,
    actor: &Actor,
    user: LicenseUserId,
    license: LicenseId,
) -> ModelResult<(LicenseUser, License)> {
    let order = order_row(conn, g)?;
    let credentials = g.can(crate::domain::Permission::ManageLicenseUserCredentials);
    license_user::assign(conn, mailer, actor, &order, user, license, credentials)
}

pub fn unassign(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    user: LicenseUserId,
    license: LicenseId,
) -> ModelResult<(LicenseUser, License)> {
    let order = order_row(conn, g)?;
    license_user::unassign(conn, actor, &order, user, license)
}

pub fn send_password_link(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    mailer: &Mailer,
    actor: &Actor,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    let order = order_row(conn, g)?;
    license_user::send_password_link(conn, mailer, actor, &order, id)
}

pub fn set_password(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    id: LicenseUserId,
    hash: &str,
) -> ModelResult<LicenseUser> {
    let order = order_row(conn, g)?;
    license_user::set_password(conn, actor, &order, id, hash)
}

/// Borrows a seat of one of the order's floating licenses for one of its devices.
pub fn borrow(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    license: LicenseId,
    device: DeviceId,
    until: NaiveDateTime,
) -> ModelResult<Device> {
    portal::license(conn, g, license)?;
    floating::borrow(conn, actor, license, device, until, Source::EndUserPortal)
}

/// Returns a borrowed seat of one of the order's licenses early.
pub fn return_seat(
    conn: &mut DbConnection,
    g: &GrantedOrder,
    actor: &Actor,
    license: LicenseId,
    device: DeviceId,
) -> ModelResult<Device> {
    portal::license(conn, g, license)?;
    floating::return_seat(conn, actor, license, device, Source::EndUserPortal)
}
