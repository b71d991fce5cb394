//! What the (encrypted, private) session cookie carries: one session id per kind of
//! account (staff, license manager), the CSRF token and pending flash messages.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::domain::token::random_token;

use crate::models::session::Kind;

const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// The cookie key holding the session id of one kind of account.
fn key(kind: Kind) -> &'static str {
    match kind {
        Kind::Staff => "sid",
        Kind::LicenseManager => "lm_sid",
    }
}

pub fn session_token(session: &Session, kind: Kind) -> Option<String> {
    session.get::<String>(key(kind)).ok().flatten()
}

pub fn set_session_token(session: &Session, kind: Kind, token: &str) {
    let _ = session.insert(key(kind), token);
}

pub fn forget_session(session: &Session, kind: Kind) {
    session.remove(key(kind));
}

/// The CSRF token of this browser, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Some(t) = existing_csrf_token(session) {
        return t;
    }
    let token = random_token();
    let _ = session.insert(CSRF, &token);
    token
}

pub fn existing_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

/// A new CSRF token (at sign-in, so a token seen before it is worthless after).
pub fn rotate_csrf_token(session: &Session) -> String {
    let token = random_token();
    let _ = session.insert(CSRF, &token);
    token
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashLevel {
    Success,
    Info,
    Error,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.level {
            FlashLevel::Success => "kf-success",
            FlashLevel::Info => "kf-info",
            FlashLevel::Error => "kf-error",
        }
    }
}

/// At most this many messages wait for the next page (the newest), each at most
/// [`MAX_FLASH_CHARS`] long: they travel in the session cookie, which holds 4 KB, and a
/// client that never follows its redirects must not be able to fill it.
pub const MAX_FLASHES: usize = 3;
pub const MAX_FLASH_CHARS: usize = 300;

/// Queues a message for the next page this browser sees.
pub fn flash(session: &Session, level: FlashLevel, text: impl Into<String>) {
    let mut list = session
        .get::<Vec<Flash>>(FLASH)
        .ok()
        .flatten()
        .unwrap_or_default();
    let text: String = text.into();
    let text = if text.chars().count() > MAX_FLASH_CHARS {
        let mut cut: String = text.chars().take(MAX_FLASH_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        text
    };
    list.push(Flash { level, text });
    let excess = list.len().saturating_sub(MAX_FLASHES);
    list.drain(..excess);
    let _ = session.insert(FLASH, list);
}

/// Takes the queued messages (each is shown once).
pub fn take_flashes(session: &Session) -> Vec<Flash> {
    match session.remove_as::<Vec<Flash>>(FLASH) {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    }
}
