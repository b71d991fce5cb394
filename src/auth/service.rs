//! The one authentication service for every kind of account: checks a sign-in
//! (throttled per area, email and address; bcrypt off the executor; a dummy hash for an
//! unknown email so the answer takes as long), starts and ends server-side sessions, and
//! audits both. The areas' sign-in pages call it with their kind of account.

use super::account::Account;
use super::{guard, password};
use crate::domain::password::check_length;
use crate::domain::{FieldErrors, NewPassword};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, Entry};
use crate::models::{login_attempt, session};
use crate::ops::write_tx;
use crate::state::AppState;

/// Why a sign-in did not happen (throttling is an error: a 429 page).
#[derive(Debug)]
pub enum Refusal {
    /// A field is missing or malformed.
    Invalid(FieldErrors),
    /// No such account, or the wrong password (the same answer for both).
    WrongCredentials,
    /// The account exists and the password is right, but it is disabled.
    Disabled,
}

/// A started session: the raw id for the cookie (only its hash is stored).
pub struct SignedIn {
    pub token: String,
}

/// Checks `email` and `password` for an account of kind `A` and starts a session.
pub async fn sign_in<A: Account>(
    state: &AppState,
    email: &str,
    password_input: &str,
    ip: &str,
    user_agent: &str,
) -> AppResult<Result<SignedIn, Refusal>> {
    let email_norm = email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    if email_norm.is_empty() {
        errors.add("email", "Enter your email address.");
    } else if email_norm.chars().count() > 254 || email_norm.chars().any(char::is_control) {
        errors.add("email", "Enter a valid email address.");
    }
    if password_input.is_empty() {
        errors.add("password", "Enter your password.");
    } else if let Err(e) = check_length(password_input) {
        errors.add("password", e);
    }
    if !errors.is_empty() {
        return Ok(Err(Refusal::Invalid(errors)));
    }

    // The attempt is counted before the password is checked (and forgotten if it is
    // right), so simultaneous wrong passwords cannot pass the limit.
    let (allowed, account) = {
        let (email_norm, ip) = (email_norm.clone(), ip.to_owned());
        state
            .db(move |conn| {
                let allowed = write_tx(conn, |conn| {
                    login_attempt::reserve(conn, A::THROTTLE_AREA, &email_norm, &ip)
                })?;
                Ok((allowed, A::find_by_email(conn, &email_norm)?))
            })
            .await?
    };
    if !allowed {
        return Err(AppError::TooManyRequests);
    }
    let stored_hash = account
        .as_ref()
        .and_then(|a| a.password_hash().map(str::to_owned));
    let ok = password::verify(
        password_input.to_owned(),
        stored_hash,
        state.config.bcrypt_cost,
    )
    .await?;
    let account = match account {
        Some(a) if ok => a,
        // The reserved attempt stays counted as a failure.
        _ => return Ok(Err(Refusal::WrongCredentials)),
    };
    if !account.is_active() {
        return Ok(Err(Refusal::Disabled));
    }
    start_session(state, account, ip, user_agent).await.map(Ok)
}

/// Starts a session for an account whose identity was just proven (a password, or a
/// one-time link that set one), audited as a sign-in.
pub async fn start_session<A: Account>(
    state: &AppState,
    account: A,
    ip: &str,
    user_agent: &str,
) -> AppResult<SignedIn> {
    let timeouts = guard::timeouts(state);
    let (ip, user_agent) = (ip.to_owned(), user_agent.to_owned());
    let token = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let token =
                    session::create(conn, A::KIND, account.id(), &ip, &user_agent, timeouts)?;
                A::record_sign_in(conn, account.id())?;
                login_attempt::clear(conn, A::THROTTLE_AREA, account.email_norm(), &ip)?;
                audit::record(
                    conn,
                    &account.actor(&ip),
                    Entry::new(
                        &signed(A::AUDIT_TYPE, "in"),
                        A::AUDIT_TYPE,
                        Some(account.id()),
                    )
                    .label(account.email()),
                )?;
                Ok::<_, AppError>(token)
            })
        })
        .await?;
    Ok(SignedIn { token })
}

/// Ends one session (here and wherever its cookie was copied to), audited.
pub async fn sign_out<A: Account>(
    state: &AppState,
    current: guard::Current<A>,
    ip: &str,
) -> AppResult<()> {
    let ip = ip.to_owned();
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                session::revoke(conn, current.session_id)?;
                audit::record(
                    conn,
                    &current.user.actor(&ip),
                    Entry::new(
                        &signed(A::AUDIT_TYPE, "out"),
                        A::AUDIT_TYPE,
                        Some(current.user.id()),
                    )
                    .label(current.user.email()),
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await
}

/// The fields of a change of one's own password.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// Changes the signed-in account's own password: the current one must be right, the new
/// one valid and typed twice. Every other session of the account ends; this one stays.
pub async fn change_own_password<A: Account>(
    state: &AppState,
    current: &guard::Current<A>,
    change: PasswordChange<'_>,
    ip: &str,
) -> AppResult<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::new();
    let cost = state.config.bcrypt_cost;
    let stored = current.user.password_hash().map(str::to_owned);
    let current_ok = !change.current.is_empty()
        && password::verify(change.current.to_owned(), stored, cost).await?;
    if !current_ok {
        errors.add("current_password", "This is not your current password.");
    }
    let new = errors.check("new_password", NewPassword::parse(change.new));
    if new.is_some() && change.new != change.confirm {
        errors.add("confirm_password", "The two new passwords differ.");
    }
    let new = match new {
        Some(new) if errors.is_empty() => new,
        _ => return Ok(Err(errors)),
    };
    let hash = password::hash(new.expose().to_owned(), cost).await?;
    let (user, session_id, actor, mailer) = (
        current.user.clone(),
        current.session_id,
        current.user.actor(ip),
        state.mailer.clone(),
    );
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                user.set_password(conn, &actor, &hash, Some(session_id))?;
                user.notify_password_changed(conn, &mailer)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    Ok(Ok(()))
}

/// The audit action of a sign-in or sign-out: `staff.signed_in`,
/// `license_manager.signed_out`, …
fn signed(audit_type: &str, what: &str) -> String {
    let prefix = audit_type.strip_suffix("_user").unwrap_or(audit_type);
    format!("{prefix}.signed_{what}")
}
