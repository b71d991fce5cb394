//! One-time tokens (invite and password-reset links): 256 random bits handed out once,
//! kept only as a SHA-256, single-use, expiring.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{ModelError, ModelResult};
use crate::db::schema::tokens;
use crate::db::DbConnection;
use crate::domain::token::{hash_token, random_token};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A new staff user chooses their password.
    StaffInvite,
    /// A license manager chooses their first password.
    ManagerInvite,
    /// A license manager who forgot their password chooses a new one.
    ManagerReset,
    /// A license user chooses their password (a link a manager or the vendor sent).
    LicenseUserPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::StaffInvite => "staff_invite",
            Purpose::ManagerInvite => "manager_invite",
            Purpose::ManagerReset => "manager_reset",
            Purpose::LicenseUserPassword => "license_user_password",
        }
    }
}

/// Why a link stopped working before it expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Someone followed it and chose a password.
    Used,
    /// A newer link of the same purpose was sent.
    Replaced,
    /// The invite was withdrawn, the license user removed or their email changed, or the
    /// account disabled.
    Revoked,
    /// A password was set another way (typed by a manager, chosen through another link,
    /// changed while signed in).
    PasswordSet,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Ended::Used => "used",
            Ended::Replaced => "replaced",
            Ended::Revoked => "revoked",
            Ended::PasswordSet => "password_set",
        }
    }

    fn parse(s: &str) -> Ended {
        match s {
            "replaced" => Ended::Replaced,
            "revoked" => Ended::Revoked,
            "password_set" => Ended::PasswordSet,
            _ => Ended::Used,
        }
    }
}

/// Who reads a link's page: its words name whom to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Staff,
    Manager,
    LicenseUser,
}

impl Purpose {
    fn reader(self) -> Reader {
        match self {
            Purpose::StaffInvite => Reader::Staff,
            Purpose::ManagerInvite | Purpose::ManagerReset => Reader::Manager,
            Purpose::LicenseUserPassword => Reader::LicenseUser,
        }
    }
}

/// What a dead link's page says: which of the ends happened, and whom to ask, in words
/// for the one who got the link.
fn dead_link(purpose: Purpose, ended: Option<Ended>, expired: NaiveDateTime) -> ModelError {
    use Reader::*;
    let reader = purpose.reader();
    let (end, message) = match ended {
        Some(Ended::Used) => (Ended::Used, match reader {
            Manager => "This link was already used to choose your password. Sign in with it, or use “Forgot password” if you no longer know it.",
            LicenseUser => "This link was already used: the password is set. If you no longer know it, ask your license manager for a new link.",
            Staff => "This link was already used. Sign in, or ask an administrator for a new link.",
        }.to_owned()),
        Some(Ended::Replaced) => (Ended::Replaced, match reader {
            LicenseUser => "A newer link was sent after this one and replaced it: use the link in the most recent email, or ask your license manager.",
            _ => "A newer link was sent after this one and replaced it: use the link in the most recent email.",
        }.to_owned()),
        Some(Ended::Revoked) => (Ended::Revoked, match reader {
            Manager => "This invitation was withdrawn, or your account was disabled. Ask whoever invited you if you still need access.",
            LicenseUser => "This link was withdrawn: you were removed as a license user or your email address changed. Ask your license manager.",
            Staff => "This link was withdrawn. Ask an administrator.",
        }.to_owned()),
        Some(Ended::PasswordSet) => (Ended::PasswordSet, match reader {
            Manager => "A password was chosen for your account after this link was sent, so the link no longer works: sign in, or use “Forgot password”.",
            LicenseUser => "Your license manager has set your password since this link was sent, so the link no longer works. Ask them for the password or a new link.",
            Staff => "A password was set for your account after this link was sent: sign in.",
        }.to_owned()),
        None => {
            let on = expired.format("%Y-%m-%d");
            return ModelError::refused("link_expired", match (reader, purpose) {
                (Manager, Purpose::ManagerInvite) => format!("This invitation expired on {on}. Ask whoever invited you to send it again."),
                (Manager, _) => format!("This link expired on {on}. Ask for a new one on the “Forgot password” page."),
                (LicenseUser, _) => format!("This link expired on {on}. Ask your license manager for a new one."),
                (Staff, _) => format!("This link expired on {on}. Ask an administrator for a new one."),
            });
        }
    };
    match end {
        Ended::Used => ModelError::refused("link_used", message),
        Ended::Replaced => ModelError::refused("link_replaced", message),
        Ended::Revoked => ModelError::refused("link_revoked", message),
        Ended::PasswordSet => ModelError::refused("link_superseded", message),
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = tokens)]
pub struct Token {
    pub id: i64,
    pub purpose: String,
    pub owner_kind: String,
    pub owner_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub ended: String,
}

/// Issues a token for an owner, retiring any earlier unused one of the same purpose.
/// Returns the raw token: shown once, never stored.
pub fn issue(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner_kind: &str,
    owner_id: impl Into<i64>,
    valid_for: Duration,
) -> QueryResult<String> {
    let owner_id: i64 = owner_id.into();
    issue_full(conn, purpose, owner_kind, owner_id, valid_for).map(|t| t.raw)
}

/// A token just issued: the raw value (never stored) with its row and expiry.
#[derive(Debug, Clone)]
pub struct Issued {
    pub raw: String,
    pub id: i64,
    pub expires_at: NaiveDateTime,
}

/// As [`issue`], with the new row's id and expiry.
pub fn issue_full(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner_kind: &str,
    owner_id: impl Into<i64>,
    valid_for: Duration,
) -> QueryResult<Issued> {
    let owner_id: i64 = owner_id.into();
    let now = super::now();
    void(conn, Some(purpose), owner_kind, owner_id, Ended::Replaced)?;
    let raw = random_token();
    let expires_at = now
        .checked_add_signed(valid_for)
        .unwrap_or(chrono::NaiveDateTime::MAX);
    let id = diesel::insert_into(tokens::table)
        .values((
            tokens::purpose.eq(purpose.as_str()),
            tokens::owner_kind.eq(owner_kind),
            tokens::owner_id.eq(owner_id),
            tokens::token_hash.eq(hash_token(&raw)),
            tokens::created_at.eq(now),
            tokens::expires_at.eq(expires_at),
        ))
        .returning(tokens::id)
        .get_result(conn)?;
    Ok(Issued {
        raw,
        id,
        expires_at,
    })
}

/// Voids every unused token of an owner (of one purpose, or all), saying why.
pub fn void(
    conn: &mut DbConnection,
    purpose: Option<Purpose>,
    owner_kind: &str,
    owner_id: impl Into<i64>,
    why: Ended,
) -> QueryResult<usize> {
    let owner_id: i64 = owner_id.into();
    let q = tokens::table
        .filter(tokens::owner_kind.eq(owner_kind))
        .filter(tokens::owner_id.eq(owner_id))
        .filter(tokens::used_at.is_null());
    let set = (
        tokens::used_at.eq(Some(super::now())),
        tokens::ended.eq(why.as_str()),
    );
    match purpose {
        Some(p) => diesel::update(q.filter(tokens::purpose.eq(p.as_str())))
            .set(set)
            .execute(conn),
        None => diesel::update(q).set(set).execute(conn),
    }
}

/// Whether the owner holds a live (unused, unexpired) token of this purpose.
pub fn has_live(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner_kind: &str,
    owner_id: impl Into<i64>,
) -> QueryResult<bool> {
    let owner_id: i64 = owner_id.into();
    diesel::select(diesel::dsl::exists(
        tokens::table
            .filter(tokens::purpose.eq(purpose.as_str()))
            .filter(tokens::owner_kind.eq(owner_kind))
            .filter(tokens::owner_id.eq(owner_id))
            .filter(tokens::used_at.is_null())
            .filter(tokens::expires_at.gt(super::now())),
    ))
    .get_result(conn)
}

/// When the owner was last issued a token of this purpose.
pub fn last_issued(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner_kind: &str,
    owner_id: impl Into<i64>,
) -> QueryResult<Option<NaiveDateTime>> {
    let owner_id: i64 = owner_id.into();
    tokens::table
        .filter(tokens::purpose.eq(purpose.as_str()))
        .filter(tokens::owner_kind.eq(owner_kind))
        .filter(tokens::owner_id.eq(owner_id))
        .select(diesel::dsl::max(tokens::created_at))
        .first(conn)
}

/// The live token for this raw value and purpose: not used, not expired.
pub fn find_live(conn: &mut DbConnection, purpose: Purpose, raw: &str) -> ModelResult<Token> {
    let token: Option<Token> = tokens::table
        .filter(tokens::token_hash.eq(hash_token(raw)))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .select(Token::as_select())
        .first(conn)
        .optional()?;
    match token {
        Some(t) if t.used_at.is_some() => Err(dead_link(
            purpose,
            Some(Ended::parse(&t.ended)),
            t.expires_at,
        )),
        Some(t) if t.expires_at <= super::now() => Err(dead_link(purpose, None, t.expires_at)),
        Some(t) => Ok(t),
        None => Err(ModelError::NotFound),
    }
}

/// Marks a token used; fails if another request used it first.
pub fn consume(conn: &mut DbConnection, id: i64) -> ModelResult<()> {
    let n = diesel::update(tokens::table.find(id).filter(tokens::used_at.is_null()))
        .set((
            tokens::used_at.eq(Some(super::now())),
            tokens::ended.eq(Ended::Used.as_str()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(ModelError::refused(
            "link_used",
            "This link has already been used.".to_owned(),
        ));
    }
    Ok(())
}
