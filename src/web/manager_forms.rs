//! The license-manager forms of an order, in both areas: add a manager, change their
//! permissions (staff on the order's tab; a license manager with Manage managers).

use serde::Deserialize;

use crate::domain::{values, EmailAddress, FieldErrors, Permission, Permissions, ProductId};
use crate::models::grant_change::NewGrant;
use crate::models::grant_products::{ProductChoice, MAX_QUOTA};

/// "Add license manager": email, name and one checkbox per permission.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ManagerForm {
    pub email: String,
    pub name: String,
    /// The checked permissions' keys (`permissions=reset_device&permissions=…`).
    pub permissions: Vec<String>,
    // The products section (see [`ProductsForm`]).
    pub products_shown: Option<String>,
    pub products: Vec<String>,
    pub quota_product: Vec<String>,
    pub quota: Vec<String>,
}

impl ManagerForm {
    pub fn parse(&self) -> Result<NewGrant, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&self.email));
        let name = errors.check("name", values::text(&self.name, values::SHORT, true));
        let permissions = errors.check("permissions", parse_permissions(&self.permissions));
        let products = errors.check("products", self.product_fields().parse());
        match (email, name, permissions, products) {
            (Some(email), Some(name), Some(permissions), Some(products)) if errors.is_empty() => {
                Ok(NewGrant {
                    email,
                    name,
                    permissions,
                    products,
                })
            }
            _ => Err(errors),
        }
    }

    /// Whether the form shows `p` ticked (a new form ticks nothing: every permission is
    /// a choice).
    pub fn has(&self, p: &Permission) -> bool {
        self.permissions.iter().any(|k| k == p.key())
    }

    pub fn product_fields(&self) -> ProductsForm {
        ProductsForm {
            products_shown: self.products_shown.clone(),
            products: self.products.clone(),
            quota_product: self.quota_product.clone(),
            quota: self.quota.clone(),
        }
    }

    pub fn fresh() -> Self {
        ManagerForm::default()
    }
}

/// A grant's permissions (and, on the vendor's form, its products).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct PermissionsForm {
    pub permissions: Vec<String>,
    // The products section (see [`ProductsForm`]).
    pub products_shown: Option<String>,
    pub products: Vec<String>,
    pub quota_product: Vec<String>,
    pub quota: Vec<String>,
}

impl PermissionsForm {
    pub fn parse(&self) -> Result<Permissions, FieldErrors> {
        let mut errors = FieldErrors::new();
        match errors.check("permissions", parse_permissions(&self.permissions)) {
            Some(p) => Ok(p),
            None => Err(errors),
        }
    }

    pub fn product_fields(&self) -> ProductsForm {
        ProductsForm {
            products_shown: self.products_shown.clone(),
            products: self.products.clone(),
            quota_product: self.quota_product.clone(),
            quota: self.quota.clone(),
        }
    }
}

/// The products a grant may issue or order: a checkbox per product (`products=ID`) and,
/// beside each, an optional quota (`quota_product=ID&quota=N`, pairs in order). A form
/// without the section (`products_shown` absent) keeps the default.
#[derive(Default, Clone, Debug)]
pub struct ProductsForm {
    pub products_shown: Option<String>,
    pub products: Vec<String>,
    pub quota_product: Vec<String>,
    pub quota: Vec<String>,
}

impl ProductsForm {
    /// `None`: the section was not on the form.
    pub fn parse(&self) -> Result<Option<Vec<ProductChoice>>, String> {
        if self.products_shown.is_none() {
            return Ok(None);
        }
        if self.products.len() > 500 || self.quota.len() > 500 {
            return Err("Too many products were submitted.".to_owned());
        }
        let id = |s: &str| {
            s.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(ProductId)
                .ok_or_else(|| "Choose products from the list.".to_owned())
        };
        let mut choices: Vec<ProductChoice> = Vec::new();
        for p in &self.products {
            let product_id = id(p)?;
            if !choices.iter().any(|c| c.product_id == product_id) {
                choices.push(ProductChoice {
                    product_id,
                    quota: None,
                });
            }
        }
        for (p, q) in self.quota_product.iter().zip(&self.quota) {
            let product_id = id(p)?;
            let quota = if q.trim().is_empty() {
                None
            } else {
                Some(
                    values::int_in(q, 0, MAX_QUOTA)
                        .map_err(|e| format!("Quota: {e} (empty for no quota)"))?,
                )
            };
            if let Some(c) = choices.iter_mut().find(|c| c.product_id == product_id) {
                c.quota = quota;
            }
        }
        Ok(Some(choices))
    }

    /// Whether product `id` is ticked on a re-rendered form (`default` on a fresh one).
    pub fn ticked(&self, id: &ProductId, default: bool) -> bool {
        if self.products_shown.is_none() {
            return default;
        }
        self.products.iter().any(|p| p.trim() == id.to_string())
    }

    /// The quota typed for product `id`, as typed.
    pub fn quota_of(&self, id: &ProductId) -> String {
        self.quota_product
            .iter()
            .zip(&self.quota)
            .find(|(p, _)| p.trim() == id.to_string())
            .map(|(_, q)| q.clone())
            .unwrap_or_default()
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
