//! Authentication and request protection: passwords, the cookie session, CSRF tokens,
//! client addresses and the staff guard.

pub mod client_ip;
pub mod cookie;
pub mod csrf;
pub mod password;
pub mod staff_guard;

pub use client_ip::ClientIp;
pub use csrf::{CsrfForm, CsrfMultipart, HasCsrfToken};
pub use staff_guard::CurrentStaff;

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
        assert!(is_local_path("/orders/5?tab=licences"));
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
