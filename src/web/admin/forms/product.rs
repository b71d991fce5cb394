//! The product forms: the product itself, a feature, a custom field.

use serde::Deserialize;

use crate::domain::{values, FieldErrors};
use crate::models::product::{Product, ProductInput, LICENSE_TYPES};

/// The product form as submitted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ProductForm {
    pub name: String,
    pub code: String,
    pub description: String,
    pub license_type: String,
    pub max_activations: String,
    pub validity_days: String,
    pub maintenance_days: String,
    pub trial_days: String,
    pub floating_seats: String,
    pub borrow_limit_hours: String,
    pub max_license_users: String,
    pub max_transfers: String,
    pub offline_days: String,
    pub activations_per_hour: String,
    pub deactivations_per_30_days: String,
    pub lease_minutes: String,
    pub trials_per_day: String,
    pub license_file_days: String,
    pub is_bundle: Option<String>,
    pub updated_at: String,
}

impl ProductForm {
    /// Sensible defaults for a new product.
    pub fn blank() -> Self {
        ProductForm {
            license_type: "perpetual".to_owned(),
            max_activations: "1".to_owned(),
            trial_days: "0".to_owned(),
            floating_seats: "0".to_owned(),
            borrow_limit_hours: "0".to_owned(),
            max_license_users: "0".to_owned(),
            offline_days: "7".to_owned(),
            activations_per_hour: "1000".to_owned(),
            deactivations_per_30_days: "3".to_owned(),
            lease_minutes: "10".to_owned(),
            trials_per_day: "100".to_owned(),
            license_file_days: "30".to_owned(),
            ..Default::default()
        }
    }

    pub fn from_product(p: &Product) -> Self {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        ProductForm {
            name: p.name.clone(),
            code: p.code.clone(),
            description: p.description.clone(),
            license_type: p.license_type.clone(),
            max_activations: p.max_activations.to_string(),
            validity_days: opt(p.validity_days),
            maintenance_days: opt(p.maintenance_days),
            trial_days: p.trial_days.to_string(),
            floating_seats: p.floating_seats.to_string(),
            borrow_limit_hours: p.borrow_limit_hours.to_string(),
            max_license_users: p.max_license_users.to_string(),
            max_transfers: opt(p.max_transfers),
            offline_days: p.offline_days.to_string(),
            activations_per_hour: opt(p.activations_per_hour),
            deactivations_per_30_days: opt(p.deactivations_per_30_days),
            lease_minutes: p.lease_minutes.to_string(),
            trials_per_day: opt(p.trials_per_day),
            license_file_days: p.license_file_days.to_string(),
            is_bundle: p.is_bundle.then(|| "on".to_owned()),
            updated_at: values::version(&p.updated_at),
        }
    }

    pub fn bundle_checked(&self) -> bool {
        values::checkbox(&self.is_bundle)
    }

    pub fn parse(&self) -> Result<ProductInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", values::text(&self.name, values::SHORT, true));
        let code = e.check("code", values::code(&self.code));
        let description = e.check(
            "description",
            values::text(&self.description, values::LONG, false),
        );
        let license_type = LICENSE_TYPES
            .iter()
            .find(|(k, _)| *k == self.license_type.trim())
            .map(|(k, _)| *k);
        if license_type.is_none() {
            e.add("license_type", "Choose one of the license types.");
        }
        let max_activations = e.check("max_activations", values::count(&self.max_activations));
        let validity_days = e.check("validity_days", values::optional_days(&self.validity_days));
        let maintenance_days = e.check(
            "maintenance_days",
            values::optional_days(&self.maintenance_days),
        );
        let trial_days = e.check("trial_days", values::int_in(&self.trial_days, 0, 3650));
        let floating_seats = e.check("floating_seats", values::count(&self.floating_seats));
        let borrow_limit_hours = e.check(
            "borrow_limit_hours",
            values::int_in(&self.borrow_limit_hours, 0, values::MAX_BORROW_HOURS),
        );
        let max_license_users = e.check(
            "max_license_users",
            values::int_in(
                Some(self.max_license_users.trim())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("0"),
                0,
                values::MAX_LICENSE_USERS,
            ),
        );
        let max_transfers = e.check(
            "max_transfers",
            values::optional_int(&self.max_transfers, 0),
        );
        let offline_days = e.check(
            "offline_days",
            values::int_in(
                Some(self.offline_days.trim())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("7"),
                0,
                values::MAX_OFFLINE_DAYS,
            ),
        );
        let activations_per_hour = e.check(
            "activations_per_hour",
            values::optional_int(&self.activations_per_hour, 1),
        );
        let deactivations_per_30_days = e.check(
            "deactivations_per_30_days",
            values::optional_int(&self.deactivations_per_30_days, 0),
        );
        let lease_minutes = e.check(
            "lease_minutes",
            values::int_in(
                Some(self.lease_minutes.trim())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("10"),
                values::MIN_LEASE_MINUTES,
                values::MAX_LEASE_MINUTES,
            ),
        );
        let trials_per_day = e.check(
            "trials_per_day",
            values::optional_int(&self.trials_per_day, 0),
        );
        let license_file_days = e.check(
            "license_file_days",
            values::int_in(
                Some(self.license_file_days.trim())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("30"),
                1,
                values::MAX_OFFLINE_DAYS,
            ),
        );
        if matches!(license_type, Some("time_limited") | Some("subscription"))
            && validity_days == Some(None)
        {
            e.add(
                "validity_days",
                "Time-limited and subscription licenses need a validity.",
            );
        }
        let seen_updated_at = values::parse_version(&self.updated_at);
        if !e.is_empty() {
            return Err(e);
        }
        match (
            name,
            code,
            description,
            license_type,
            max_activations,
            validity_days,
            maintenance_days,
            trial_days,
            floating_seats,
            borrow_limit_hours,
            max_license_users,
        ) {
            (
                Some(name),
                Some(code),
                Some(description),
                Some(license_type),
                Some(max_activations),
                Some(validity_days),
                Some(maintenance_days),
                Some(trial_days),
                Some(floating_seats),
                Some(borrow_limit_hours),
                Some(max_license_users),
            ) => Ok(ProductInput {
                name,
                code,
                description,
                license_type: license_type.to_owned(),
                max_activations,
                validity_days,
                maintenance_days,
                trial_days,
                floating_seats,
                borrow_limit_hours,
                max_license_users,
                // Both were checked with the others above.
                max_transfers: max_transfers.flatten(),
                offline_days: offline_days.unwrap_or(7),
                activations_per_hour: activations_per_hour.flatten(),
                deactivations_per_30_days: deactivations_per_30_days.flatten(),
                lease_minutes: lease_minutes.unwrap_or(10),
                trials_per_day: trials_per_day.flatten(),
                license_file_days: license_file_days.unwrap_or(30),
                is_bundle: self.bundle_checked(),
                seen_updated_at,
            }),
            _ => Err(e),
        }
    }
}

/// The feature form as submitted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct FeatureForm {
    pub feature_code: String,
    pub feature_name: String,
    pub feature_kind: String,
    pub feature_max: String,
}

impl FeatureForm {
    pub fn parse(&self) -> Result<(String, String, &'static str, Option<i64>), FieldErrors> {
        let mut e = FieldErrors::new();
        let code = e.check("feature_code", values::code(&self.feature_code));
        let name = e.check(
            "feature_name",
            values::text(&self.feature_name, values::SHORT, true),
        );
        let kind = match self.feature_kind.trim() {
            "activation" => Some("activation"),
            "consumption" => Some("consumption"),
            _ => {
                e.add("feature_kind", "Choose activation or consumption.");
                None
            }
        };
        let max = match kind {
            Some("consumption") => e
                .check(
                    "feature_max",
                    values::int_in(&self.feature_max, 1, values::MAX_NUMBER),
                )
                .map(Some),
            _ if !self.feature_max.trim().is_empty() => {
                e.add("feature_max", "Only consumption features have a maximum.");
                None
            }
            _ => Some(None),
        };
        match (code, name, kind, max) {
            (Some(c), Some(n), Some(k), Some(m)) if e.is_empty() => Ok((c, n, k, m)),
            _ => Err(e),
        }
    }
}

/// The custom field form as submitted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct CustomFieldForm {
    pub field_name: String,
    pub field_default: String,
}

impl CustomFieldForm {
    pub fn parse(&self) -> Result<(String, String), FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("field_name", values::code(&self.field_name));
        let default = e.check(
            "field_default",
            values::text(&self.field_default, values::SHORT, false),
        );
        match (name, default) {
            (Some(n), Some(d)) if e.is_empty() => Ok((n, d)),
            _ => Err(e),
        }
    }
}
