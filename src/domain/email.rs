//! An email address: trimmed, syntax-checked, compared lower-cased.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress {
    /// As the user typed it (trimmed).
    original: String,
    /// Lower-cased, for uniqueness and search.
    normalized: String,
}

pub const MAX_EMAIL_LEN: usize = 254;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Enter an email address.".to_owned());
        }
        if s.len() > MAX_EMAIL_LEN {
            return Err(format!(
                "An email address has at most {MAX_EMAIL_LEN} characters."
            ));
        }
        let invalid = || Err(format!("“{s}” is not a valid email address."));
        let Some((local, domain)) = s.rsplit_once('@') else {
            return invalid();
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c);
        if local.is_empty()
            || local.len() > 64
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || local.contains('@')
            || s.chars().any(bad_char)
        {
            return invalid();
        }
        Ok(EmailAddress {
            original: s.to_owned(),
            normalized: s.to_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Lower-cases a search term or email for comparison with a stored normalised column.
pub fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_case() {
        let e = EmailAddress::parse("  Ada.Lovelace+dev@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ada.Lovelace+dev@Example.COM");
        assert_eq!(e.normalized(), "ada.lovelace+dev@example.com");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "plain",
            "a@b",
            "@example.com",
            "a@.com",
            "a b@example.com",
            "a@example.",
            "a@@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }
}
