//! License managers: the vendor's customers' administrators, who sign in to the
//! end-user portal. One account per email (grants on orders come with the portal pages).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::session::{self, Kind};
use super::{unique_as_field, ModelResult};
use crate::db::schema::license_managers;
use crate::db::DbConnection;
use crate::domain::{EmailAddress, LicenseManagerId};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = license_managers)]
pub struct LicenseManager {
    pub id: i64,
    pub email: String,
    pub email_norm: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub enabled: bool,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LicenseManager {
    pub fn manager_id(&self) -> LicenseManagerId {
        LicenseManagerId(self.id)
    }

    /// The fields the audit log may show (never the password hash).
    pub fn audit_view(&self) -> serde_json::Value {
        json!({ "email": self.email, "name": self.name, "enabled": self.enabled })
    }
}

pub fn find(conn: &mut DbConnection, id: LicenseManagerId) -> QueryResult<Option<LicenseManager>> {
    license_managers::table
        .find(id.0)
        .select(LicenseManager::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(
    conn: &mut DbConnection,
    email_norm: &str,
) -> QueryResult<Option<LicenseManager>> {
    license_managers::table
        .filter(license_managers::email_norm.eq(email_norm))
        .select(LicenseManager::as_select())
        .first(conn)
        .optional()
}

/// Creates a license manager account (`password_hash` is `None` until the manager
/// chooses a password through an invite link).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &EmailAddress,
    name: &str,
    password_hash: Option<&str>,
) -> ModelResult<LicenseManager> {
    let now = super::now();
    let row: LicenseManager = diesel::insert_into(license_managers::table)
        .values((
            license_managers::email.eq(email.as_str()),
            license_managers::email_norm.eq(email.normalized()),
            license_managers::name.eq(name),
            license_managers::password_hash.eq(password_hash),
            license_managers::enabled.eq(true),
            license_managers::created_at.eq(now),
            license_managers::updated_at.eq(now),
        ))
        .returning(license_managers::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "email", "A license manager with this email exists."))?;
    audit::record(
        conn,
        actor,
        Entry::new("license_manager.created", "license_manager", Some(row.id))
            .label(&row.email)
            .after(row.audit_view()),
    )?;
    Ok(row)
}

/// Notes a successful sign-in.
pub fn record_sign_in(conn: &mut DbConnection, id: LicenseManagerId) -> QueryResult<()> {
    diesel::update(license_managers::table.find(id.0))
        .set(license_managers::last_sign_in_at.eq(Some(super::now())))
        .execute(conn)?;
    Ok(())
}

/// Stores a new password hash and ends every session of the manager but `keep` (the one
/// changing its own password), audited.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    manager: &LicenseManager,
    hash: &str,
    keep: Option<i64>,
) -> QueryResult<()> {
    diesel::update(license_managers::table.find(manager.id))
        .set((
            license_managers::password_hash.eq(hash),
            license_managers::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    session::revoke_all_for(conn, Kind::LicenseManager, manager.id, keep)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.password_changed",
            "license_manager",
            Some(manager.id),
        )
        .label(&manager.email),
    )
}

/// Enables or disables an account; disabling ends its sessions at once.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseManagerId,
    enabled: bool,
) -> ModelResult<LicenseManager> {
    let before = find(conn, id)?.ok_or(super::ModelError::NotFound)?;
    diesel::update(license_managers::table.find(id.0))
        .set((
            license_managers::enabled.eq(enabled),
            license_managers::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    if !enabled {
        session::revoke_all_for(conn, Kind::LicenseManager, id.0, None)?;
    }
    let after = find(conn, id)?.ok_or(super::ModelError::NotFound)?;
    let action = if enabled {
        "license_manager.enabled"
    } else {
        "license_manager.disabled"
    };
    audit::record(
        conn,
        actor,
        Entry::new(action, "license_manager", Some(id.0))
            .label(&after.email)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}
