//! License managers: the vendor's customers' administrators, who sign in to the
//! license portal. One account per email (grants on orders come with the portal pages).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::session::{self, Kind};
use super::token::{self, Purpose};
use super::{unique_as_field, ModelResult};
use crate::db::schema::{license_managers, manager_grants};
use crate::db::DbConnection;
use crate::domain::GrantState;
use crate::domain::{EmailAddress, LicenseManagerId};

/// Tokens of license managers are owned by this kind.
pub const OWNER: &str = "manager";

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = license_managers)]
pub struct LicenseManager {
    pub id: LicenseManagerId,
    pub email: String,
    pub email_norm: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub enabled: bool,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub name_norm: String,
}

impl LicenseManager {
    pub fn manager_id(&self) -> LicenseManagerId {
        self.id
    }

    /// The fields the audit log may show (never the password hash).
    pub fn audit_view(&self) -> serde_json::Value {
        json!({ "email": self.email, "name": self.name, "enabled": self.enabled })
    }
}

pub fn find(conn: &mut DbConnection, id: LicenseManagerId) -> QueryResult<Option<LicenseManager>> {
    license_managers::table
        .find(id)
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
            license_managers::name_norm.eq(name.to_lowercase()),
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
    diesel::update(license_managers::table.find(id))
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
    void_reset_links(conn, manager.id)?;
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

/// Voids the manager's outstanding password-reset links (their queued emails are given
/// up at the end of the transaction): after a password change or "sign out everywhere", an old link must not
/// set a password.
fn void_reset_links(conn: &mut DbConnection, manager: LicenseManagerId) -> QueryResult<()> {
    token::void(
        conn,
        Some(Purpose::ManagerReset),
        OWNER,
        manager,
        token::Ended::PasswordSet,
    )?;
    Ok(())
}

/// "Sign out everywhere": ends every session of the manager and voids their
/// password-reset links, audited.
pub fn sign_out_everywhere(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseManagerId,
) -> QueryResult<()> {
    session::revoke_all_for(conn, Kind::LicenseManager, id, None)?;
    void_reset_links(conn, id)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.signed_out_everywhere",
            "license_manager",
            Some(id),
        )
        .label(&actor.label),
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
    diesel::update(license_managers::table.find(id))
        .set((
            license_managers::enabled.eq(enabled),
            license_managers::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    if !enabled {
        session::revoke_all_for(conn, Kind::LicenseManager, id.0, None)?;
        token::void(conn, None, OWNER, id.0, token::Ended::Revoked)?;
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

/// How long a password-reset link works.
pub const RESET_VALID_MINUTES: i64 = 60;
/// At most one reset email per account in this many minutes.
pub const RESET_EVERY_MINUTES: i64 = 5;

/// The account a live link of `purpose` belongs to (an enabled one).
pub fn for_link(
    conn: &mut DbConnection,
    purpose: Purpose,
    raw: &str,
) -> ModelResult<(token::Token, LicenseManager)> {
    let t = token::find_live(conn, purpose, raw)?;
    let manager = find(conn, LicenseManagerId(t.owner_id))?.ok_or(super::ModelError::NotFound)?;
    if t.owner_kind != OWNER {
        return Err(super::ModelError::NotFound);
    }
    if !manager.enabled {
        return Err(super::ModelError::refused(
            "account_disabled",
            "This account is disabled, so the link no longer works.".to_owned(),
        ));
    }
    Ok((t, manager))
}

/// Sets the first password through an invite link: uses the link up, accepts the
/// manager's pending invites. Refused once the account has a password.
pub fn accept_invite(
    conn: &mut DbConnection,
    raw: &str,
    hash: &str,
    ip: Option<String>,
) -> ModelResult<LicenseManager> {
    let (t, manager) = for_link(conn, Purpose::ManagerInvite, raw)?;
    if manager.password_hash.is_some() {
        return Err(super::ModelError::Conflict(
            "Your account already has a password: sign in with it.".to_owned(),
        ));
    }
    token::consume(conn, t.id)?;
    token::void(
        conn,
        Some(Purpose::ManagerInvite),
        OWNER,
        manager.id,
        token::Ended::PasswordSet,
    )?;
    accept_pending(conn, manager.id)?;
    let actor = Actor::license_manager(manager.id, &manager.email, ip);
    set_password(conn, &actor, &manager, hash, None)?;
    audit::record(
        conn,
        &actor,
        Entry::new(
            "license_manager.invite_accepted",
            "license_manager",
            Some(manager.id),
        )
        .label(&manager.email),
    )?;
    Ok(find(conn, manager.manager_id())?.unwrap_or(manager))
}

/// The admin list's filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Prefix of the email or the name (lower-cased).
    pub q: String,
    pub state: Option<AccountState>,
}

/// Where an account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountState {
    /// Invited, link still live.
    Pending,
    /// Invited, every link used up, voided or expired.
    Expired,
    /// Invited, and every invitation withdrawn (every grant revoked).
    Revoked,
    /// Has a password.
    Accepted,
    Disabled,
}

impl AccountState {
    pub const ALL: [AccountState; 5] = [
        AccountState::Pending,
        AccountState::Expired,
        AccountState::Revoked,
        AccountState::Accepted,
        AccountState::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Pending => "pending",
            AccountState::Expired => "expired",
            AccountState::Revoked => "revoked",
            AccountState::Accepted => "accepted",
            AccountState::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountState::Pending => "Invite pending",
            AccountState::Expired => "Invite expired",
            AccountState::Revoked => "Invite revoked",
            AccountState::Accepted => "Accepted",
            AccountState::Disabled => "Disabled",
        }
    }

    pub fn parse(s: &str) -> Option<AccountState> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A row of the admin list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub manager: LicenseManager,
    pub state: AccountState,
    pub orders: i64,
}

/// The state of one account.
pub fn state_of(conn: &mut DbConnection, m: &LicenseManager) -> QueryResult<AccountState> {
    Ok(if !m.enabled {
        AccountState::Disabled
    } else if m.password_hash.is_some() {
        AccountState::Accepted
    } else if token::has_live(conn, Purpose::ManagerInvite, OWNER, m.id)? {
        AccountState::Pending
    } else if !has_live_grant(conn, m.id)? {
        AccountState::Revoked
    } else {
        AccountState::Expired
    })
}

/// License managers, newest first, searched by email or name prefix and state, a
/// numbered page at a time with a bounded count.
pub fn list(
    conn: &mut DbConnection,
    f: &Filter,
    paging: super::Paging,
) -> QueryResult<super::Page<ListRow>> {
    let page_ids = |conn: &mut DbConnection, p: super::Paging| {
        filtered_ids(f)
            .order(license_managers::id.desc())
            .limit(p.per_page)
            .offset(p.offset())
            .load::<LicenseManagerId>(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        Ok(filtered_ids(f)
            .limit(super::COUNT_LIMIT + 1)
            .load::<LicenseManagerId>(conn)?
            .len())
    };
    paging
        .read(conn, page_ids, count)?
        .try_map(|ids| list_rows(conn, &ids))
}

/// These managers (newest first) with their states and order counts.
fn list_rows(conn: &mut DbConnection, ids: &[LicenseManagerId]) -> QueryResult<Vec<ListRow>> {
    let managers: Vec<LicenseManager> = license_managers::table
        .filter(license_managers::id.eq_any(ids))
        .order(license_managers::id.desc())
        .select(LicenseManager::as_select())
        .load(conn)?;
    // The page's order counts in one grouped query.
    let counts: std::collections::HashMap<LicenseManagerId, i64> = manager_grants::table
        .filter(manager_grants::manager_id.eq_any(ids))
        .filter(manager_grants::invite_state.ne(GrantState::Revoked))
        .group_by(manager_grants::manager_id)
        .select((manager_grants::manager_id, diesel::dsl::count_star()))
        .load::<(LicenseManagerId, i64)>(conn)?
        .into_iter()
        .collect();
    managers
        .into_iter()
        .map(|m| {
            let state = state_of(conn, &m)?;
            let orders = counts.get(&m.id).copied().unwrap_or(0);
            Ok(ListRow {
                manager: m,
                state,
                orders,
            })
        })
        .collect()
}

/// Up to `limit` managers matching `f` with ids above `after`, oldest first (a CSV
/// export's page).
pub fn export_page(
    conn: &mut DbConnection,
    f: &Filter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ListRow>> {
    let ids: Vec<LicenseManagerId> = filtered_ids(f)
        .filter(license_managers::id.gt(after))
        .order(license_managers::id.asc())
        .limit(limit)
        .load(conn)?;
    let mut rows = list_rows(conn, &ids)?;
    rows.reverse();
    Ok(rows)
}

/// The ids of the license managers a [`Filter`] matches.
fn filtered_ids<'a>(
    f: &Filter,
) -> license_managers::BoxedQuery<
    'a,
    <DbConnection as diesel::Connection>::Backend,
    diesel::sql_types::BigInt,
> {
    use crate::db::schema::tokens;
    use crate::domain::values::prefix_end;
    let mut q = license_managers::table
        .select(license_managers::id)
        .into_boxed();
    if !f.q.is_empty() {
        let lo = f.q.to_lowercase();
        let hi = prefix_end(&lo);
        q = q.filter(
            license_managers::email_norm
                .ge(lo.clone())
                .and(license_managers::email_norm.lt(hi.clone()))
                .or(license_managers::name_norm
                    .ge(lo)
                    .and(license_managers::name_norm.lt(hi))),
        );
    }
    let live_invite = diesel::dsl::exists(
        tokens::table
            .filter(tokens::owner_kind.eq(OWNER))
            .filter(tokens::owner_id.eq(license_managers::id))
            .filter(tokens::purpose.eq(Purpose::ManagerInvite.as_str()))
            .filter(tokens::used_at.is_null())
            .filter(tokens::expires_at.gt(super::now())),
    );
    match f.state {
        None => {}
        Some(AccountState::Disabled) => q = q.filter(license_managers::enabled.eq(false)),
        Some(AccountState::Accepted) => {
            q = q
                .filter(license_managers::enabled.eq(true))
                .filter(license_managers::password_hash.is_not_null())
        }
        Some(AccountState::Pending) => {
            q = q
                .filter(license_managers::enabled.eq(true))
                .filter(license_managers::password_hash.is_null())
                .filter(live_invite)
        }
        Some(state @ (AccountState::Expired | AccountState::Revoked)) => {
            let live_grant = diesel::dsl::exists(
                manager_grants::table
                    .filter(manager_grants::manager_id.eq(license_managers::id))
                    .filter(manager_grants::invite_state.ne(GrantState::Revoked)),
            );
            q = q
                .filter(license_managers::enabled.eq(true))
                .filter(license_managers::password_hash.is_null())
                .filter(diesel::dsl::not(live_invite));
            q = if state == AccountState::Revoked {
                q.filter(diesel::dsl::not(live_grant))
            } else {
                q.filter(live_grant)
            };
        }
    }
    q
}

/// Whether the manager has any grant that is not revoked.
pub fn has_live_grant(conn: &mut DbConnection, manager: LicenseManagerId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager))
            .filter(manager_grants::invite_state.ne(GrantState::Revoked)),
    ))
    .get_result(conn)
}

/// Marks every pending grant of a manager accepted (their password is now set).
pub fn accept_pending(conn: &mut DbConnection, manager: LicenseManagerId) -> QueryResult<usize> {
    diesel::update(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager))
            .filter(manager_grants::invite_state.eq(GrantState::Pending)),
    )
    .set((
        manager_grants::invite_state.eq(GrantState::Accepted),
        manager_grants::updated_at.eq(super::now()),
    ))
    .execute(conn)
}
