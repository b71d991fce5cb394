//! A new password chosen by a user: long enough, and within bcrypt's 72-byte limit.

pub const MIN_PASSWORD_CHARS: usize = 10;
/// bcrypt reads at most 72 bytes; longer passwords are refused rather than cut.
pub const MAX_PASSWORD_BYTES: usize = 72;

#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.chars().count() < MIN_PASSWORD_CHARS {
            return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
        }
        check_length(input)?;
        Ok(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(****)")
    }
}

/// Refuses a password bcrypt could not use whole.
pub fn check_length(input: &str) -> Result<(), String> {
    if input.len() > MAX_PASSWORD_BYTES {
        Err(format!(
            "Passwords can be at most {MAX_PASSWORD_BYTES} bytes long (this one has {}).",
            input.len()
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert!(NewPassword::parse(&"x".repeat(72)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(73)).is_err());
        // 72 bytes, not 72 characters: 25 three-byte characters are 75 bytes.
        assert!(NewPassword::parse(&"€".repeat(25)).is_err());
    }
}
