//! License users (user-based licensing): named people of one order who may use its
//! licenses, up to each license's maximum. A license user belongs to one order (unique
//! there by lower-cased email), so the same person on another customer's order is
//! another license user with their own password. Passwords are set through a single-use
//! link or typed by a manager; they are never shown, emailed or readable.
//!
//! Every change takes the order row it happens in; the operations (`ops/license_users.rs`)
//! find it through the caller's reach and queue the emails.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::license::License;
use super::order::Order;
use super::token::{self, Purpose};
use super::{unique_as_field, ModelError, ModelResult};
use crate::db::schema::{license_user_assignments, license_users, licenses};
use crate::db::DbConnection;
use crate::domain::{EmailAddress, LicenseId, LicenseUserId, OrderId};

/// Tokens of license users are owned by this kind.
pub const OWNER: &str = "license_user";

/// How long a set-password link works.
pub const LINK_DAYS: i64 = 7;

/// At most this many license users on one order.
pub const MAX_PER_ORDER: i64 = 10_000;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = license_users)]
pub struct LicenseUser {
    pub id: LicenseUserId,
    pub order_id: OrderId,
    pub email: String,
    pub email_norm: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LicenseUser {
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        if name.is_empty() {
            self.email.clone()
        } else {
            name.to_owned()
        }
    }

    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    fn audit_view(&self) -> serde_json::Value {
        json!({
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
        })
    }
}

/// A license user as the form gave it.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
}

/// A license user with the keys of the licenses they are assigned to.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: LicenseUser,
    pub licenses: Vec<(LicenseId, String)>,
}

/// The order's license users (oldest first, at most `limit`), each with their licenses.
pub fn for_order(conn: &mut DbConnection, order: OrderId, limit: i64) -> QueryResult<Vec<UserRow>> {
    let users: Vec<LicenseUser> = license_users::table
        .filter(license_users::order_id.eq(order))
        .order(license_users::id.asc())
        .limit(limit)
        .select(LicenseUser::as_select())
        .load(conn)?;
    let ids: Vec<LicenseUserId> = users.iter().map(|u| u.id).collect();
    let assigned: Vec<(LicenseUserId, LicenseId, String)> = license_user_assignments::table
        .inner_join(licenses::table)
        .filter(license_user_assignments::license_user_id.eq_any(&ids))
        .order(licenses::id.asc())
        .select((
            license_user_assignments::license_user_id,
            licenses::id,
            licenses::license_key,
        ))
        .load(conn)?;
    Ok(users
        .into_iter()
        .map(|user| UserRow {
            licenses: assigned
                .iter()
                .filter(|(u, _, _)| *u == user.id)
                .map(|(_, l, k)| (*l, k.clone()))
                .collect(),
            user,
        })
        .collect())
}

/// The order's users who are not among `assigned` (those a license can still take).
pub fn not_among<'a>(order_users: &'a [UserRow], assigned: &[LicenseUser]) -> Vec<&'a LicenseUser> {
    order_users
        .iter()
        .map(|r| &r.user)
        .filter(|u| !assigned.iter().any(|a| a.id == u.id))
        .collect()
}

/// The license users assigned to a license.
pub fn for_license(conn: &mut DbConnection, license: LicenseId) -> QueryResult<Vec<LicenseUser>> {
    license_user_assignments::table
        .inner_join(license_users::table)
        .filter(license_user_assignments::license_id.eq(license))
        .order(license_users::email_norm.asc())
        .select(LicenseUser::as_select())
        .load(conn)
}

/// A license user of `order` (404 for another order's, or none).
pub fn find_on_order(
    conn: &mut DbConnection,
    order: OrderId,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    license_users::table
        .find(id)
        .filter(license_users::order_id.eq(order))
        .select(LicenseUser::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)
}

const EMAIL_TAKEN: &str = "This order already has a license user with this email.";

/// Adds a license user to the order.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    input: &UserInput,
) -> ModelResult<LicenseUser> {
    let count: i64 = license_users::table
        .filter(license_users::order_id.eq(order.id))
        .count()
        .get_result(conn)?;
    if count >= MAX_PER_ORDER {
        return Err(ModelError::refused(
            "too_many_license_users",
            format!("An order holds at most {MAX_PER_ORDER} license users."),
        ));
    }
    let now = super::now();
    let user: LicenseUser = diesel::insert_into(license_users::table)
        .values((
            license_users::order_id.eq(order.id),
            license_users::email.eq(input.email.as_str()),
            license_users::email_norm.eq(input.email.normalized()),
            license_users::first_name.eq(&input.first_name),
            license_users::last_name.eq(&input.last_name),
            license_users::created_at.eq(now),
            license_users::updated_at.eq(now),
        ))
        .returning(license_users::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "email", EMAIL_TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("license_user.added", "license_user", Some(user.id))
            .order(order.id)
            .label(&user.email)
            .after(user.audit_view()),
    )?;
    Ok(user)
}

/// Changes a license user's email and name. A new email voids the user's outstanding
/// set-password links (they went to the old address); once the user has a password,
/// changing the email needs `may_set_credentials` ("Manage license user credentials"),
/// since whoever controls the address can then choose the password.
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: LicenseUserId,
    input: &UserInput,
    may_set_credentials: bool,
) -> ModelResult<LicenseUser> {
    let before = find_on_order(conn, order.id, id)?;
    let email_changes = before.email_norm != input.email.normalized();
    if email_changes && before.has_password() && !may_set_credentials {
        return Err(ModelError::invalid(
            "email",
            "This license user has a password: changing their email needs the permission Manage license user credentials.",
        ));
    }
    if email_changes {
        token::void(
            conn,
            Some(Purpose::LicenseUserPassword),
            OWNER,
            before.id,
            token::Ended::Revoked,
        )?;
    }
    diesel::update(license_users::table.find(id))
        .set((
            license_users::email.eq(input.email.as_str()),
            license_users::email_norm.eq(input.email.normalized()),
            license_users::first_name.eq(&input.first_name),
            license_users::last_name.eq(&input.last_name),
            license_users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map_err(|e| unique_as_field(e, "email", EMAIL_TAKEN))?;
    let after = find_on_order(conn, order.id, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("license_user.changed", "license_user", Some(id.0))
            .order(order.id)
            .label(&after.email)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// Removes a license user from the order (and from its licenses); their links stop
/// working.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: LicenseUserId,
) -> ModelResult<LicenseUser> {
    let user = find_on_order(conn, order.id, id)?;
    diesel::delete(
        license_user_assignments::table
            .filter(license_user_assignments::license_user_id.eq(user.id)),
    )
    .execute(conn)?;
    diesel::delete(license_users::table.find(user.id)).execute(conn)?;
    token::void(conn, None, OWNER, user.id, token::Ended::Revoked)?;
    audit::record(
        conn,
        actor,
        Entry::new("license_user.removed", "license_user", Some(user.id))
            .order(order.id)
            .label(&user.email)
            .before(user.audit_view()),
    )?;
    Ok(user)
}

/// A license of `order` (404 for another order's).
fn license_of(conn: &mut DbConnection, order: &Order, id: LicenseId) -> ModelResult<License> {
    match super::license::find(conn, id)? {
        Some(l) if l.order_id == order.id => Ok(l),
        _ => Err(ModelError::NotFound),
    }
}

/// Takes the license row's write lock for the rest of the transaction (a no-op update:
/// PostgreSQL locks the row, SQLite's immediate transaction already holds the database),
/// so two requests counting its users or seats never both see the last one free.
pub fn lock_license(conn: &mut DbConnection, id: LicenseId) -> QueryResult<usize> {
    diesel::update(licenses::table.find(id))
        .set(licenses::updated_at.eq(licenses::updated_at))
        .execute(conn)
}

/// Assigns a license user to one of the order's licenses, up to the license's maximum
/// (the operation emails them).
pub fn assign(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: LicenseUserId,
    license: LicenseId,
) -> ModelResult<(LicenseUser, License)> {
    let user = find_on_order(conn, order.id, id)?;
    let license = license_of(conn, order, license)?;
    lock_license(conn, license.id)?;
    if license.max_license_users <= 0 {
        return Err(ModelError::invalid(
            "license_id",
            format!(
                "License {} is not user-based: its maximum of license users is 0.",
                license.license_key
            ),
        ));
    }
    let taken: Vec<LicenseUserId> = license_user_assignments::table
        .filter(license_user_assignments::license_id.eq(license.id))
        .select(license_user_assignments::license_user_id)
        .load(conn)?;
    if taken.contains(&user.id) {
        return Err(ModelError::invalid(
            "license_id",
            format!(
                "{} is already a user of license {}.",
                user.email, license.license_key
            ),
        ));
    }
    if taken.len() as i64 >= license.max_license_users {
        return Err(ModelError::invalid(
            "license_id",
            format!(
                "License {} already has its maximum of {} license users.",
                license.license_key, license.max_license_users
            ),
        ));
    }
    diesel::insert_into(license_user_assignments::table)
        .values((
            license_user_assignments::license_id.eq(license.id),
            license_user_assignments::license_user_id.eq(user.id),
            license_user_assignments::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("license_user.assigned", "license", Some(license.id))
            .order(order.id)
            .label(&license.license_key)
            .after(json!({ "license_user": user.email })),
    )?;
    Ok((user, license))
}

/// Whom a license user without a password should ask for a link: the order's managers
/// who hold "Manage license user credentials", else the vendor.
pub fn who_sets_passwords(
    conn: &mut DbConnection,
    order: &Order,
    vendor: &str,
) -> QueryResult<String> {
    use crate::db::schema::{license_managers, manager_grants};
    let emails: Vec<String> = manager_grants::table
        .inner_join(license_managers::table)
        .filter(manager_grants::order_id.eq(order.id))
        .filter(manager_grants::manage_user_credentials.eq(true))
        .filter(manager_grants::invite_state.ne(crate::domain::GrantState::Revoked))
        .filter(license_managers::enabled.eq(true))
        .order(manager_grants::id.asc())
        .select(license_managers::email)
        .limit(3)
        .load(conn)?;
    Ok(if emails.is_empty() {
        vendor.to_owned()
    } else {
        emails.join(" or ")
    })
}

/// Takes a license user off one of the order's licenses.
pub fn unassign(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: LicenseUserId,
    license: LicenseId,
) -> ModelResult<(LicenseUser, License)> {
    let user = find_on_order(conn, order.id, id)?;
    let license = license_of(conn, order, license)?;
    let n = diesel::delete(
        license_user_assignments::table
            .filter(license_user_assignments::license_id.eq(license.id))
            .filter(license_user_assignments::license_user_id.eq(user.id)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(ModelError::refused(
            "not_a_license_user",
            format!(
                "{} is not a user of license {}.",
                user.email, license.license_key
            ),
        ));
    }
    audit::record(
        conn,
        actor,
        Entry::new("license_user.unassigned", "license", Some(license.id))
            .order(order.id)
            .label(&license.license_key)
            .before(json!({ "license_user": user.email })),
    )?;
    Ok((user, license))
}

/// Records that a set-password link was sent (the operation issues and emails it).
pub fn password_link_sent(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    user: &LicenseUser,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_user.password_link_sent",
            "license_user",
            Some(user.id),
        )
        .order(order.id)
        .label(&user.email),
    )
}

/// Stores a license user's new password (hashed) and voids their set-password links.
pub fn store_password(conn: &mut DbConnection, id: LicenseUserId, hash: &str) -> QueryResult<()> {
    diesel::update(license_users::table.find(id))
        .set((
            license_users::password_hash.eq(Some(hash)),
            license_users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    // A password set another way retires the links still out.
    token::void(
        conn,
        Some(Purpose::LicenseUserPassword),
        OWNER,
        id,
        token::Ended::PasswordSet,
    )?;
    Ok(())
}

/// Sets the password a manager typed (already hashed); nobody sees it again.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: LicenseUserId,
    hash: &str,
) -> ModelResult<LicenseUser> {
    let user = find_on_order(conn, order.id, id)?;
    store_password(conn, user.id, hash)?;
    audit::record(
        conn,
        actor,
        Entry::new("license_user.password_set", "license_user", Some(user.id))
            .order(order.id)
            .label(&user.email),
    )?;
    Ok(user)
}

/// The license user a live set-password link is for (a GET never uses the link up).
pub fn for_link(conn: &mut DbConnection, raw: &str) -> ModelResult<LicenseUser> {
    let t = token::find_live(conn, Purpose::LicenseUserPassword, raw)?;
    license_users::table
        .find(t.owner_id)
        .select(LicenseUser::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)
}

/// Uses a set-password link: stores the password, the link is spent. Signs nobody in.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    raw: &str,
    hash: &str,
    ip: Option<String>,
) -> ModelResult<LicenseUser> {
    let t = token::find_live(conn, Purpose::LicenseUserPassword, raw)?;
    let user = for_link(conn, raw)?;
    token::consume(conn, t.id)?;
    store_password(conn, user.id, hash)?;
    let mut actor = Actor::system(&user.email);
    actor.ip = ip;
    actor.source = crate::domain::Source::LicensePortal;
    audit::record(
        conn,
        &actor,
        Entry::new(
            "license_user.password_chosen",
            "license_user",
            Some(user.id),
        )
        .order(user.order_id)
        .label(&user.email),
    )?;
    Ok(user)
}

/// The license users with this email (one per order they are a user on), with their
/// password hashes; at most a few.
pub fn by_email(
    conn: &mut DbConnection,
    email_norm: &str,
) -> QueryResult<Vec<(LicenseUserId, Option<String>)>> {
    license_users::table
        .filter(license_users::email_norm.eq(email_norm))
        .order(license_users::id.asc())
        .select((license_users::id, license_users::password_hash))
        .limit(20)
        .load(conn)
}

/// The license users of these orders whose email or name starts with `prefix`
/// (lower-cased), by email, at most `limit`.
pub fn search_in_orders(
    conn: &mut DbConnection,
    orders: &[OrderId],
    prefix: &str,
    limit: i64,
) -> QueryResult<Vec<LicenseUser>> {
    let q = prefix.trim().to_lowercase();
    if q.is_empty() || orders.is_empty() {
        return Ok(Vec::new());
    }
    let end = crate::domain::values::prefix_end(&q);
    license_users::table
        .filter(license_users::order_id.eq_any(orders))
        .filter(
            license_users::email_norm
                .ge(q)
                .and(license_users::email_norm.lt(end)),
        )
        .order(license_users::email_norm.asc())
        .limit(limit)
        .select(LicenseUser::as_select())
        .load(conn)
}
