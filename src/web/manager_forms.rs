//! The license-manager forms of an order, in both areas: add a manager, change their
//! permissions (staff on the order's tab; a license manager with Manage managers).

use serde::Deserialize;

use crate::domain::{values, EmailAddress, FieldErrors, Permission, Permissions};
use crate::models::grant::NewGrant;

/// "Add license manager": email, name and one checkbox per permission.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ManagerForm {
    pub email: String,
    pub name: String,
    /// The checked permissions' keys (`permissions=reset_device&permissions=…`).
    pub permissions: Vec<String>,
}

impl ManagerForm {
    pub fn parse(&self) -> Result<NewGrant, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&self.email));
        let name = errors.check("name", values::text(&self.name, values::SHORT, true));
        let permissions = errors.check("permissions", parse_permissions(&self.permissions));
        match (email, name, permissions) {
            (Some(email), Some(name), Some(permissions)) if errors.is_empty() => Ok(NewGrant {
                email,
                name,
                permissions,
            }),
            _ => Err(errors),
        }
    }

    /// Whether the form shows `p` ticked (a new form ticks Reset device, the commonest).
    pub fn has(&self, p: &Permission) -> bool {
        self.permissions.iter().any(|k| k == p.key())
    }

    pub fn fresh() -> Self {
        ManagerForm {
            permissions: vec![Permission::ResetDevice.key().to_owned()],
            ..ManagerForm::default()
        }
    }
}

/// A grant's permissions alone.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct PermissionsForm {
    pub permissions: Vec<String>,
}

impl PermissionsForm {
    pub fn parse(&self) -> Result<Permissions, FieldErrors> {
        let mut errors = FieldErrors::new();
        match errors.check("permissions", parse_permissions(&self.permissions)) {
            Some(p) => Ok(p),
            None => Err(errors),
        }
    }
}

/// Every submitted key must name a permission (a tampered form is refused, not trimmed).
fn parse_permissions(keys: &[String]) -> Result<Permissions, String> {
    if keys.len() > 50 {
        return Err("Too many permissions were submitted.".to_owned());
    }
    if let Some(bad) = keys
        .iter()
        .find(|k| !Permission::ALL.iter().any(|p| p.key() == k.as_str()))
    {
        let shown: String = bad.chars().filter(|c| !c.is_control()).take(40).collect();
        return Err(format!("“{shown}” is not a permission."));
    }
    Ok(Permissions::from_keys(keys.iter().map(String::as_str)))
}
