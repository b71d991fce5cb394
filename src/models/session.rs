//! Server-side sessions. The browser holds a random session id in its (encrypted) cookie;
//! the database keeps only its SHA-256, so a copied database cannot be used to sign in.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::sessions;
use crate::db::DbConnection;
use crate::domain::token::{hash_token, random_token};

/// Whose session: staff (admin portal) or license manager (license portal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Staff,
    LicenseManager,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Staff => "staff",
            Kind::LicenseManager => "manager",
        }
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub token_hash: String,
    pub kind: String,
    pub user_id: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// How long a session lives.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

/// Starts a session; returns the raw id for the cookie (never stored).
pub fn create(
    conn: &mut DbConnection,
    kind: Kind,
    user_id: impl Into<i64>,
    ip: &str,
    user_agent: &str,
    timeouts: Timeouts,
) -> QueryResult<String> {
    let user_id: i64 = user_id.into();
    let token = random_token();
    let now = super::now();
    let absolute =
        chrono::Duration::from_std(timeouts.absolute).unwrap_or(chrono::Duration::hours(12));
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash_token(&token)),
            sessions::kind.eq(kind.as_str()),
            sessions::user_id.eq(user_id),
            sessions::ip.eq(ip),
            sessions::user_agent.eq(truncate(user_agent, 300)),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + absolute),
        ))
        .execute(conn)?;
    Ok(token)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The live session with this raw id, if any: not revoked, not past its absolute
/// expiry, not idle for longer than allowed. Refreshes `last_seen_at` at most once a
/// minute, so ordinary browsing does not write on every request.
pub fn find_live(
    conn: &mut DbConnection,
    kind: Kind,
    token: &str,
    timeouts: Timeouts,
) -> QueryResult<Option<SessionRow>> {
    let row: Option<SessionRow> = sessions::table
        .filter(sessions::token_hash.eq(hash_token(token)))
        .filter(sessions::kind.eq(kind.as_str()))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let now = super::now();
    let idle = chrono::Duration::from_std(timeouts.idle).unwrap_or(chrono::Duration::hours(2));
    if row.revoked_at.is_some() || row.expires_at <= now || row.last_seen_at + idle <= now {
        return Ok(None);
    }
    if now - row.last_seen_at >= chrono::Duration::seconds(60) {
        diesel::update(sessions::table.find(row.id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(row))
}

/// Ends one session.
pub fn revoke(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(super::now()))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of a user, except `keep` (the one changing its own password).
pub fn revoke_all_for(
    conn: &mut DbConnection,
    kind: Kind,
    user_id: impl Into<i64>,
    keep: Option<i64>,
) -> QueryResult<usize> {
    let user_id: i64 = user_id.into();
    diesel::update(
        sessions::table
            .filter(sessions::kind.eq(kind.as_str()))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(keep.unwrap_or(-1))),
    )
    .set(sessions::revoked_at.eq(super::now()))
    .execute(conn)
}
