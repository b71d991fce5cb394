//! License users of an order, for both portals: the order (or license) is found through
//! the caller's [`Reach`]; the emails and the outbox are written here, the rows by
//! `models/license_user.rs`.

use chrono::Duration;

use super::Reach;
use crate::db::schema::products;
use crate::db::DbConnection;
use crate::domain::{LicenseId, LicenseUserId, OrderId};
use crate::mail::{self, outbox, Kind, Link, LinkKind, Mailer};
use crate::models::audit::Actor;
use crate::models::license::License;
use crate::models::license_user::{self, LicenseUser, UserInput, UserRow, LINK_DAYS, OWNER};
use crate::models::order::{self, Order};
use crate::models::token::{self, Purpose};
use crate::models::{ModelError, ModelResult};
use diesel::prelude::*;

/// At most this many license users are listed on an order's page.
pub const LIST_LIMIT: i64 = 500;

/// An order within reach with its license users (each with their licenses).
pub fn list(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
) -> ModelResult<(Order, Vec<UserRow>)> {
    let order = reach.order(conn, order)?;
    let rows = license_user::for_order(conn, order.id, LIST_LIMIT)?;
    Ok((order, rows))
}

/// One license user of an order within reach.
pub fn find(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
    id: LicenseUserId,
) -> ModelResult<(Order, LicenseUser)> {
    let order = reach.order(conn, order)?;
    let user = license_user::find_on_order(conn, order_id(&order), id)?;
    Ok((order, user))
}

/// The users of a license within reach, and its order's (to choose one to assign).
pub fn of_license(
    conn: &mut DbConnection,
    reach: &Reach,
    license: LicenseId,
) -> ModelResult<(Vec<LicenseUser>, Vec<UserRow>)> {
    let l = reach.license(conn, license)?;
    Ok((
        license_user::for_license(conn, license)?,
        license_user::for_order(conn, l.order_id, LIST_LIMIT)?,
    ))
}

fn order_id(order: &Order) -> OrderId {
    order.id
}

pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    input: &UserInput,
) -> ModelResult<LicenseUser> {
    let order = reach.order(conn, order)?;
    license_user::add(conn, actor, &order, input)
}

/// Changes a license user's email and name (a new email voids their set-password links).
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: LicenseUserId,
    input: &UserInput,
) -> ModelResult<LicenseUser> {
    let order = reach.order(conn, order)?;
    license_user::edit(conn, actor, &order, id, input, reach.may_set_credentials())
}

/// Removes a license user from the order and its licenses; their links stop working.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    let order = reach.order(conn, order)?;
    license_user::remove(conn, actor, &order, id)
}

/// The license within reach and its order.
fn license_and_order(
    conn: &mut DbConnection,
    reach: &Reach,
    license: LicenseId,
) -> ModelResult<(License, Order)> {
    let l = reach.license(conn, license)?;
    let order = order::find(conn, l.order_id)?.ok_or(ModelError::NotFound)?;
    Ok((l, order))
}

/// Assigns one of the order's license users to a license within reach, up to its
/// maximum, and emails them. A user without a password gets a set-password link only
/// when the caller may set credentials; otherwise the email says whom to ask.
pub fn assign(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    license: LicenseId,
    user: LicenseUserId,
) -> ModelResult<(LicenseUser, License)> {
    let (_, order) = license_and_order(conn, reach, license)?;
    let (user, license) = license_user::assign(conn, actor, &order, user, license)?;
    let product: String = products::table
        .find(license.product_id)
        .select(products::name)
        .first(conn)?;
    let mut data = mailer.data(&user.display_name(), &user.email);
    data.order_reference = order.reference.clone();
    data.product = product;
    data.license_key = license.license_key.clone();
    let link = if user.has_password() {
        None
    } else if reach.may_set_credentials() {
        Some(fresh_link(conn, mailer, &user, &mut data)?)
    } else {
        data.ask = license_user::who_sets_passwords(conn, &order, &mailer.vendor)?;
        None
    };
    queue(
        conn,
        mailer,
        Kind::AssignedLicenseUser,
        &user,
        &order,
        data,
        link,
    )?;
    Ok((user, license))
}

/// Takes a license user off a license within reach.
pub fn unassign(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    license: LicenseId,
    user: LicenseUserId,
) -> ModelResult<(LicenseUser, License)> {
    let (_, order) = license_and_order(conn, reach, license)?;
    license_user::unassign(conn, actor, &order, user, license)
}

/// Emails the license user a set-password link (earlier links stop working).
pub fn send_password_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    let (order, user) = find(conn, reach, order, id)?;
    let mut data = mailer.data(&user.display_name(), &user.email);
    data.order_reference = order.reference.clone();
    let link = fresh_link(conn, mailer, &user, &mut data)?;
    queue(
        conn,
        mailer,
        Kind::LicenseUserPassword,
        &user,
        &order,
        data,
        Some(link),
    )?;
    license_user::password_link_sent(conn, actor, &order, &user)?;
    Ok(user)
}

/// Sets the password a manager or staff typed (already hashed); links still out stop
/// working.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: LicenseUserId,
    hash: &str,
) -> ModelResult<LicenseUser> {
    let order = reach.order(conn, order)?;
    license_user::set_password(conn, actor, &order, id, hash)
}

/// Uses a set-password link (the license user's own page): the password is stored, the
/// link spent, the others void.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    raw: &str,
    hash: &str,
    ip: Option<String>,
) -> ModelResult<LicenseUser> {
    license_user::set_password_by_link(conn, raw, hash, ip)
}

/// A fresh set-password token (earlier ones, and the queued emails carrying them, are
/// void), with the mail data pointing at it.
fn fresh_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    user: &LicenseUser,
    data: &mut mail::MailData,
) -> QueryResult<Link> {
    let issued = token::issue_full(
        conn,
        Purpose::LicenseUserPassword,
        OWNER,
        user.id,
        Duration::days(LINK_DAYS),
    )?;
    data.link = mail::LINK_MARK.to_owned();
    data.valid_for = format!("{LINK_DAYS} days");
    Ok(Link {
        kind: LinkKind::Password,
        prefix: mailer.user_password_prefix(),
        raw: issued.raw,
        token_id: issued.id,
        expires_at: issued.expires_at,
    })
}

fn queue(
    conn: &mut DbConnection,
    mailer: &Mailer,
    kind: Kind,
    user: &LicenseUser,
    order: &Order,
    data: mail::MailData,
    link: Option<Link>,
) -> QueryResult<()> {
    let mut email = mail::emails::render(kind, &data, link);
    email.order_id = Some(order.id);
    email.license_user_id = Some(user.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(())
}
