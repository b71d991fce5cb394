//! A license manager's account emails: password-reset links ("forgot password", and
//! staff resending one) and the "password changed" notice, queued in the transaction of
//! the change that causes them.

use diesel::prelude::*;

use crate::db::{now, DbConnection};
use crate::mail::{self, outbox, Link, LinkKind, Mailer};
use crate::models::audit::{self, Actor, Entry};
use crate::models::license_manager::{
    self, LicenseManager, OWNER, RESET_EVERY_MINUTES, RESET_VALID_MINUTES,
};
use crate::models::login_attempt;
use crate::models::token::{self, Purpose};
use crate::models::ModelResult;

/// Queues a password-reset email with a fresh one-hour link (earlier ones stop working).
pub fn queue_reset(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
) -> QueryResult<()> {
    let issued = token::issue_full(
        conn,
        Purpose::ManagerReset,
        OWNER,
        manager.id,
        chrono::Duration::minutes(RESET_VALID_MINUTES),
    )?;
    let mut data = mailer.data(&manager.name, &manager.email);
    data.link = mail::LINK_MARK.to_owned();
    data.valid_for = "1 hour".to_owned();
    let link = Link {
        kind: LinkKind::Reset,
        prefix: mailer.reset_prefix(),
        raw: issued.raw,
        token_id: issued.id,
        expires_at: issued.expires_at,
    };
    let mut email = mail::emails::render(mail::Kind::PasswordReset, &data, Some(link));
    email.manager_id = Some(manager.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(())
}

/// "Forgot password": counts the request against the client address (refused beyond
/// [`login_attempt::MAX_RESET_REQUESTS`]), then queues a reset email when the
/// account exists, is enabled, still manages an order and was not sent one in the last
/// five minutes. The caller answers the same whether or not a mail went, so the page
/// reveals nothing about the address.
pub fn request_reset(
    conn: &mut DbConnection,
    mailer: &Mailer,
    email_norm: &str,
    ip: &str,
) -> QueryResult<Reset> {
    if !login_attempt::reserve_reset_request(conn, RESET_AREA, ip)? {
        return Ok(Reset::TooMany);
    }
    Ok(if queue_requested_reset(conn, mailer, email_norm, ip)? {
        Reset::Sent
    } else {
        Reset::Nothing
    })
}

/// The throttling area of "forgot password" requests.
const RESET_AREA: &str = "portal_reset";

/// What a "forgot password" request did (the page says the same for the first two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    Sent,
    Nothing,
    /// Too many requests from this address.
    TooMany,
}

fn queue_requested_reset(
    conn: &mut DbConnection,
    mailer: &Mailer,
    email_norm: &str,
    ip: &str,
) -> QueryResult<bool> {
    let ip = Some(ip.to_owned());
    let Some(manager) = license_manager::find_by_email(conn, email_norm)? else {
        return Ok(false);
    };
    if !manager.enabled || !license_manager::has_live_grant(conn, manager.manager_id())? {
        return Ok(false);
    }
    let recent = token::last_issued(conn, Purpose::ManagerReset, OWNER, manager.id)?
        .is_some_and(|t| t > now() - chrono::Duration::minutes(RESET_EVERY_MINUTES));
    if recent {
        return Ok(false);
    }
    queue_reset(conn, mailer, &manager)?;
    audit::record(
        conn,
        &Actor::license_manager(manager.id, &manager.email, ip),
        Entry::new(
            "license_manager.reset_requested",
            "license_manager",
            Some(manager.id),
        )
        .label(&manager.email),
    )?;
    Ok(true)
}

/// Sets a new password through a reset link: uses the link up, ends every session and
/// queues a "password changed" notice.
pub fn reset_password(
    conn: &mut DbConnection,
    mailer: &Mailer,
    raw: &str,
    hash: &str,
    ip: Option<String>,
) -> ModelResult<LicenseManager> {
    let (t, manager) = license_manager::for_link(conn, Purpose::ManagerReset, raw)?;
    token::consume(conn, t.id)?;
    token::void(conn, None, OWNER, manager.id, token::Ended::PasswordSet)?;
    license_manager::accept_pending(conn, manager.id)?;
    let actor = Actor::license_manager(manager.id, &manager.email, ip);
    license_manager::set_password(conn, &actor, &manager, hash, None)?;
    queue_password_changed(conn, mailer, &manager)?;
    Ok(license_manager::find(conn, manager.manager_id())?.unwrap_or(manager))
}

/// Queues the "password changed" notice.
pub fn queue_password_changed(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
) -> QueryResult<()> {
    let data = mailer.data(&manager.name, &manager.email);
    let mut email = mail::emails::render(mail::Kind::PasswordChanged, &data, None);
    email.manager_id = Some(manager.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(())
}
