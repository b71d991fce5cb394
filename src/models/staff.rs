//! Platform users (the vendor's staff): accounts, roles, the last-admin rule.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::session::{self, Kind};
use super::{ModelError, ModelResult};
use crate::db::schema::staff_users;
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::{EmailAddress, Role, StaffId};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = staff_users)]
pub struct StaffUser {
    pub id: StaffId,
    pub email: String,
    pub email_norm: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub active: bool,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The license list's columns this user chose ([`crate::models::license_columns`]).
    pub license_columns: String,
}

impl StaffUser {
    pub fn staff_id(&self) -> StaffId {
        self.id
    }

    /// The stored role; an unknown value (never written by Keyfold) grants the least.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::ReadOnly)
    }

    /// The fields the audit log may show (never the password hash).
    pub fn audit_view(&self) -> serde_json::Value {
        json!({ "email": self.email, "name": self.name, "role": self.role, "active": self.active })
    }
}

pub fn find(conn: &mut DbConnection, id: StaffId) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .find(id)
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email_norm: &str) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .filter(staff_users::email_norm.eq(email_norm))
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

/// Every staff user as (id, email), by email, for a select box.
pub fn options(conn: &mut DbConnection) -> QueryResult<Vec<(StaffId, String)>> {
    staff_users::table
        .order(staff_users::email_norm.asc())
        .limit(1000)
        .select((staff_users::id, staff_users::email))
        .load(conn)
}

/// Whether any staff user exists (the demo seeds only an empty database).
pub fn any_exists(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        staff_users::table.select(staff_users::id),
    ))
    .get_result(conn)
}

/// A staff user to create. `password_hash` is `None` for a user who will choose their
/// password through a one-time link.
pub struct NewStaff<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

/// Creates a staff user and audits it; a taken email is a field error.
pub fn create(conn: &mut DbConnection, actor: &Actor, new: NewStaff<'_>) -> ModelResult<StaffUser> {
    let now = super::now();
    let inserted = diesel::insert_into(staff_users::table)
        .values((
            staff_users::email.eq(new.email.as_str()),
            staff_users::email_norm.eq(new.email.normalized()),
            staff_users::name.eq(new.name.trim()),
            staff_users::password_hash.eq(new.password_hash),
            staff_users::role.eq(new.role.as_str()),
            staff_users::active.eq(true),
            staff_users::created_at.eq(now),
            staff_users::updated_at.eq(now),
        ))
        .returning(staff_users::all_columns)
        .get_result::<StaffUser>(conn);
    let user = match inserted {
        Ok(u) => u,
        Err(e) if is_unique_violation(&e) => {
            return Err(ModelError::invalid(
                "email",
                "A staff user with this email already exists.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        conn,
        actor,
        Entry::new("staff.created", "staff_user", Some(user.id))
            .label(&user.email)
            .after(user.audit_view()),
    )?;
    Ok(user)
}

/// Notes a successful sign-in.
pub fn record_sign_in(conn: &mut DbConnection, id: StaffId) -> QueryResult<()> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::last_sign_in_at.eq(super::now()))
        .execute(conn)?;
    Ok(())
}

/// Stores a new password hash and ends the user's other sessions.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &StaffUser,
    hash: &str,
    keep_session: Option<i64>,
) -> QueryResult<()> {
    diesel::update(staff_users::table.find(user.id))
        .set((
            staff_users::password_hash.eq(hash),
            staff_users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    session::revoke_all_for(conn, Kind::Staff, user.id, keep_session)?;
    // An outstanding set-up link must not set a password over the new one.
    super::token::void(
        conn,
        Some(super::token::Purpose::StaffInvite),
        "staff",
        user.id,
        super::token::Ended::PasswordSet,
    )?;
    audit::record(
        conn,
        actor,
        Entry::new("staff.password_changed", "staff_user", Some(user.id)).label(&user.email),
    )
}

fn other_active_admins(conn: &mut DbConnection, id: StaffId) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::role.eq(Role::Admin.as_str()))
        .filter(staff_users::active.eq(true))
        .filter(staff_users::id.ne(id))
        .count()
        .get_result(conn)
}

fn load(conn: &mut DbConnection, id: StaffId) -> ModelResult<StaffUser> {
    find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Changes a user's role. Nobody changes their own role, and the last active admin
/// stays an admin.
pub fn set_role(
    conn: &mut DbConnection,
    actor: &Actor,
    id: StaffId,
    role: Role,
) -> ModelResult<StaffUser> {
    let user = load(conn, id)?;
    if actor.kind == crate::domain::ActorKind::Staff && actor.id == Some(id.0) {
        return Err(ModelError::refused(
            "own_role",
            "You cannot change your own role.".to_owned(),
        ));
    }
    if user.role() == Role::Admin
        && role != Role::Admin
        && user.active
        && other_active_admins(conn, user.id)? == 0
    {
        return Err(ModelError::refused(
            "last_admin",
            "This is the last active admin: make another user an admin first.".to_owned(),
        ));
    }
    diesel::update(staff_users::table.find(user.id))
        .set((
            staff_users::role.eq(role.as_str()),
            staff_users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    let after = load(conn, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("staff.role_changed", "staff_user", Some(user.id))
            .label(&user.email)
            .before(json!({ "role": user.role }))
            .after(json!({ "role": after.role })),
    )?;
    Ok(after)
}

/// Disables or re-enables a user. Disabling ends all their sessions at once; the last
/// active admin cannot be disabled.
pub fn set_active(
    conn: &mut DbConnection,
    actor: &Actor,
    id: StaffId,
    active: bool,
) -> ModelResult<StaffUser> {
    let user = load(conn, id)?;
    if !active
        && user.role() == Role::Admin
        && user.active
        && other_active_admins(conn, user.id)? == 0
    {
        return Err(ModelError::refused(
            "last_admin",
            "This is the last active admin and cannot be disabled.".to_owned(),
        ));
    }
    if !active && actor.kind == crate::domain::ActorKind::Staff && actor.id == Some(id.0) {
        return Err(ModelError::refused(
            "own_account",
            "You cannot disable your own account.".to_owned(),
        ));
    }
    diesel::update(staff_users::table.find(user.id))
        .set((
            staff_users::active.eq(active),
            staff_users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    if !active {
        session::revoke_all_for(conn, Kind::Staff, user.id, None)?;
    }
    audit::record(
        conn,
        actor,
        Entry::new(
            if active {
                "staff.enabled"
            } else {
                "staff.disabled"
            },
            "staff_user",
            Some(user.id),
        )
        .label(&user.email)
        .before(json!({ "active": user.active }))
        .after(json!({ "active": active })),
    )?;
    load(conn, id)
}

/// Staff users for the administration page, by email.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<StaffUser>> {
    staff_users::table
        .order(staff_users::email_norm.asc())
        .limit(1000)
        .select(StaffUser::as_select())
        .load(conn)
}

/// How long a sign-in link for a new staff user stays valid.
pub const INVITE_HOURS: i64 = 24;

/// Creates a staff user without a password and a one-time link through which they choose
/// it; returns the user and the raw token.
pub fn invite(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &EmailAddress,
    name: &str,
    role: Role,
) -> ModelResult<(StaffUser, String)> {
    let user = create(
        conn,
        actor,
        NewStaff {
            email,
            name,
            role,
            password_hash: None,
        },
    )?;
    let token = super::token::issue(
        conn,
        super::token::Purpose::StaffInvite,
        "staff",
        user.id,
        chrono::Duration::hours(INVITE_HOURS),
    )?;
    Ok((user, token))
}

/// A new one-time link for an existing user (the old one stops working).
pub fn new_link(conn: &mut DbConnection, actor: &Actor, id: StaffId) -> ModelResult<String> {
    let user = load(conn, id)?;
    let token = super::token::issue(
        conn,
        super::token::Purpose::StaffInvite,
        "staff",
        user.id,
        chrono::Duration::hours(INVITE_HOURS),
    )?;
    audit::record(
        conn,
        actor,
        Entry::new("staff.link_issued", "staff_user", Some(user.id)).label(&user.email),
    )?;
    Ok(token)
}

/// The user a live one-time link belongs to.
pub fn for_link(conn: &mut DbConnection, raw: &str) -> ModelResult<StaffUser> {
    let token = super::token::find_live(conn, super::token::Purpose::StaffInvite, raw)?;
    load(conn, StaffId(token.owner_id))
}

/// Sets the password chosen through a one-time link and uses the link up.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    raw: &str,
    hash: &str,
) -> ModelResult<StaffUser> {
    let token = super::token::find_live(conn, super::token::Purpose::StaffInvite, raw)?;
    super::token::consume(conn, token.id)?;
    let user = load(conn, StaffId(token.owner_id))?;
    let actor = Actor::staff(user.id, &user.email, None);
    set_password(conn, &actor, &user, hash, None)?;
    Ok(user)
}
