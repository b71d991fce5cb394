//! Authentication and request protection, one service for every kind of account (staff,
//! license manager): passwords, the cookie session, server-side sessions, CSRF tokens,
//! client addresses and one guard per area.

pub mod account;
pub mod client_ip;
pub mod cookie;
pub mod csrf;
pub mod guard;
pub mod password;
pub mod service;

pub use account::Account;
pub use client_ip::ClientIp;
pub use csrf::{CsrfForm, CsrfMultipart, HasCsrfToken};
pub use guard::{Current, CurrentLicenseManager, CurrentStaff};

/// Whether `next` is a path on this site (and so safe to redirect to after sign-in).
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/orders"));
        assert!(is_local_path("/orders/5?tab=licenses"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "orders",
            "",
            "/x\r\nLocation: y",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
