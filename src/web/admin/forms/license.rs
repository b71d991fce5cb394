//! The license edit form: strings as submitted, parsed into a validated edit.

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::domain::{values, ConsumptionPeriod, FieldErrors};
use crate::models::license::{License, LicenseCustomField, LicenseFeature};
use crate::models::license_ops::LicenseEdit;

/// The license edit form as submitted (features and custom fields as parallel lists).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LicenseForm {
    pub start_date: String,
    pub valid_until: String,
    pub validity_days: String,
    pub maintenance_until: String,
    pub maintenance_days: String,
    pub max_activations: String,
    pub floating_seats: String,
    pub borrow_limit_hours: String,
    pub max_license_users: String,
    pub max_transfers: String,
    pub lease_minutes: String,
    pub note: String,
    pub metadata: String,
    pub feature_id: Vec<String>,
    pub feature_max: Vec<String>,
    pub feature_overage: Vec<String>,
    pub consumption_period: String,
    pub field_id: Vec<String>,
    pub field_value: Vec<String>,
    pub updated_at: String,
}

fn date_of(at: Option<NaiveDateTime>) -> String {
    at.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl LicenseForm {
    pub fn from_license(
        l: &License,
        features: &[LicenseFeature],
        fields: &[LicenseCustomField],
    ) -> Self {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        LicenseForm {
            start_date: l.start_date.map(|d| d.to_string()).unwrap_or_default(),
            // A date computed from a duration is not a fixed date: show the duration only.
            valid_until: if l.validity_days.is_some() {
                String::new()
            } else {
                date_of(l.valid_until)
            },
            validity_days: opt(l.validity_days),
            maintenance_until: if l.maintenance_days.is_some() {
                String::new()
            } else {
                date_of(l.maintenance_until)
            },
            maintenance_days: opt(l.maintenance_days),
            max_activations: l.max_activations.to_string(),
            floating_seats: l.floating_seats.to_string(),
            borrow_limit_hours: l.borrow_limit_hours.to_string(),
            max_license_users: l.max_license_users.to_string(),
            max_transfers: l.max_transfers.map(|n| n.to_string()).unwrap_or_default(),
            lease_minutes: opt(l.lease_minutes),
            note: l.note.clone(),
            metadata: values::pretty_json(&l.metadata),
            feature_id: features.iter().map(|f| f.id.to_string()).collect(),
            feature_max: features.iter().map(|f| opt(f.max_consumption)).collect(),
            feature_overage: features.iter().map(|f| opt(f.max_overage)).collect(),
            consumption_period: l.consumption_period.as_str().to_owned(),
            field_id: fields.iter().map(|f| f.id.to_string()).collect(),
            field_value: fields.iter().map(|f| f.value.clone()).collect(),
            updated_at: values::version(&l.updated_at),
        }
    }

    /// The submitted maximum of a feature (for re-rendering).
    pub fn feature_max_of(&self, id: impl std::borrow::Borrow<i64>) -> String {
        let id = id.borrow().to_string();
        self.feature_id
            .iter()
            .position(|f| *f == id)
            .and_then(|i| self.feature_max.get(i))
            .cloned()
            .unwrap_or_default()
    }

    /// The consumption periods to choose from.
    pub fn periods(&self) -> &'static [ConsumptionPeriod] {
        ConsumptionPeriod::ALL
    }

    /// The submitted overage of a feature (for re-rendering).
    pub fn feature_overage_of(&self, id: impl std::borrow::Borrow<i64>) -> String {
        let id = id.borrow().to_string();
        self.feature_id
            .iter()
            .position(|f| *f == id)
            .and_then(|i| self.feature_overage.get(i))
            .cloned()
            .unwrap_or_default()
    }

    /// The submitted value of a custom field (for re-rendering).
    pub fn field_value_of(&self, id: impl std::borrow::Borrow<i64>) -> String {
        let id = id.borrow().to_string();
        self.field_id
            .iter()
            .position(|f| *f == id)
            .and_then(|i| self.field_value.get(i))
            .cloned()
            .unwrap_or_default()
    }

    pub fn parse(&self) -> Result<LicenseEdit, FieldErrors> {
        let mut e = FieldErrors::new();
        let start_date = e
            .check("start_date", values::optional_date(&self.start_date))
            .flatten();
        let valid_until = e
            .check("valid_until", values::optional_date(&self.valid_until))
            .flatten();
        let validity_days = e
            .check("validity_days", values::optional_days(&self.validity_days))
            .flatten();
        let maintenance_until = e
            .check(
                "maintenance_until",
                values::optional_date(&self.maintenance_until),
            )
            .flatten();
        let maintenance_days = e
            .check(
                "maintenance_days",
                values::optional_days(&self.maintenance_days),
            )
            .flatten();
        if valid_until.is_some() && validity_days.is_some() {
            e.add(
                "validity_days",
                "Use either an end date or a duration, not both.",
            );
        }
        if maintenance_until.is_some() && maintenance_days.is_some() {
            e.add(
                "maintenance_days",
                "Use either an end date or a duration, not both.",
            );
        }
        if let (Some(start), Some(end)) = (start_date, valid_until) {
            if end < start {
                e.add("valid_until", "The end date is before the start date.");
            }
        }
        if let (Some(start), Some(end)) = (start_date, maintenance_until) {
            if end < start {
                e.add(
                    "maintenance_until",
                    "The end date is before the start date.",
                );
            }
        }
        let max_activations = e
            .check("max_activations", values::count(&self.max_activations))
            .unwrap_or(0);
        let floating_seats = e
            .check("floating_seats", values::count(&self.floating_seats))
            .unwrap_or(0);
        let borrow_limit_hours = e
            .check(
                "borrow_limit_hours",
                values::int_in(&self.borrow_limit_hours, 0, values::MAX_BORROW_HOURS),
            )
            .unwrap_or(0);
        let max_license_users = e
            .check(
                "max_license_users",
                values::int_in(
                    Some(self.max_license_users.trim())
                        .filter(|v| !v.is_empty())
                        .unwrap_or("0"),
                    0,
                    values::MAX_LICENSE_USERS,
                ),
            )
            .unwrap_or(0);
        let max_transfers = e
            .check(
                "max_transfers",
                values::optional_int(&self.max_transfers, 0),
            )
            .flatten();
        let lease_minutes = e
            .check(
                "lease_minutes",
                values::optional_int_in(
                    &self.lease_minutes,
                    values::MIN_LEASE_MINUTES,
                    values::MAX_LEASE_MINUTES,
                ),
            )
            .flatten();
        let note = e
            .check("note", values::text(&self.note, values::LONG, false))
            .unwrap_or_default();
        let metadata = e
            .check("metadata", values::json_object(&self.metadata))
            .unwrap_or_default();
        let consumption_period = ConsumptionPeriod::parse(self.consumption_period.trim());
        if consumption_period.is_none() && !self.consumption_period.trim().is_empty() {
            e.add("consumption_period", "Choose one of the periods.");
        }
        let mut features = Vec::new();
        for (i, id) in self.feature_id.iter().enumerate() {
            let raw = self.feature_max.get(i).map(String::as_str).unwrap_or("");
            let over = self
                .feature_overage
                .get(i)
                .map(String::as_str)
                .unwrap_or("");
            let field = format!("feature_max_{}", id.trim());
            let over_field = format!("feature_overage_{}", id.trim());
            match (
                id.trim().parse::<i64>(),
                values::optional_int(raw, 0),
                values::optional_int(over, 0),
            ) {
                (Ok(id), Ok(max), Ok(overage)) => features.push((id, max, overage)),
                (Err(_), _, _) => e.add(field, "Unknown feature."),
                (_, max, overage) => {
                    if let Err(m) = max {
                        e.add(field, m);
                    }
                    if let Err(m) = overage {
                        e.add(over_field, m);
                    }
                }
            }
        }
        let mut fields = Vec::new();
        for (i, id) in self.field_id.iter().enumerate() {
            let raw = self.field_value.get(i).map(String::as_str).unwrap_or("");
            let name = format!("field_value_{}", id.trim());
            match (
                id.trim().parse::<i64>(),
                values::text(raw, values::SHORT, false),
            ) {
                (Ok(id), Ok(v)) => fields.push((id, v)),
                (_, Err(m)) => e.add(name, m),
                (Err(_), _) => e.add(name, "Unknown custom field."),
            }
        }
        let seen_updated_at = values::parse_version(&self.updated_at);
        e.finish(|| LicenseEdit {
            start_date,
            valid_until,
            validity_days,
            maintenance_until,
            maintenance_days,
            max_activations,
            floating_seats,
            borrow_limit_hours,
            max_license_users,
            max_transfers,
            lease_minutes,
            consumption_period: consumption_period.unwrap_or(ConsumptionPeriod::Never),
            note,
            metadata,
            features,
            fields,
            seen_updated_at,
        })
    }
}
