//! License users' forms, shown by both areas (the admin portal's order and license
//! pages, the license portal's): plain strings from the browser, parsed here into the
//! model's values with a message per field.

use serde::Deserialize;

use crate::domain::{values, EmailAddress, FieldErrors, NewPassword};
use crate::models::license_user::UserInput;

/// "Add license user" / "Save license user".
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct UserForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl UserForm {
    pub fn parse(&self) -> Result<UserInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let email = e.check("email", EmailAddress::parse(&self.email));
        let first_name = e.check(
            "first_name",
            values::text(&self.first_name, values::SHORT, false),
        );
        let last_name = e.check(
            "last_name",
            values::text(&self.last_name, values::SHORT, false),
        );
        match (email, first_name, last_name) {
            (Some(email), Some(first_name), Some(last_name)) if e.is_empty() => Ok(UserInput {
                email,
                first_name,
                last_name,
            }),
            _ => Err(e),
        }
    }
}

/// A posted id (license user, device, license): anything that is not a positive whole
/// number names nothing, and is answered as "not found" by the lookup.
pub fn posted_id(input: &str) -> i64 {
    input
        .trim()
        .parse()
        .ok()
        .filter(|n: &i64| *n > 0)
        .unwrap_or(-1)
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LicenseUserField {
    pub license_user_id: String,
}

/// "Set password" for a license user: typed twice.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct UserPasswordForm {
    pub new_password: String,
    pub confirm_password: String,
}

impl UserPasswordForm {
    pub fn parse(&self) -> Result<NewPassword, FieldErrors> {
        let mut e = FieldErrors::new();
        let new = e.check("new_password", NewPassword::parse(&self.new_password));
        if new.is_some() && self.new_password != self.confirm_password {
            e.add("confirm_password", "The two passwords differ.");
        }
        match new {
            Some(n) if e.is_empty() => Ok(n),
            _ => Err(e),
        }
    }
}
