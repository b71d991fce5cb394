//! Issuing licences: licence lines (product, count, policy overrides) validated as a
//! whole, bundles expanded into their products, keys generated, features and custom
//! fields copied from the product.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;

use super::product::{self, Product};
use super::{ModelError, ModelResult};
use crate::db::schema::{license_custom_fields, license_features, licenses, product_custom_fields};
use crate::db::DbConnection;
use crate::domain::{license_key, values, FieldErrors};

/// At most this many licences per line, and per request.
pub const MAX_PER_LINE: i64 = 1000;
pub const MAX_PER_REQUEST: i64 = 5000;
/// Blank rows a lines form shows, and how many "Add lines" adds.
pub const BLANK_LINES: usize = 3;

/// Licence lines as submitted: parallel lists, one entry per row.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LinesForm {
    pub line_product: Vec<String>,
    pub line_count: Vec<String>,
    pub line_type: Vec<String>,
    pub line_max_activations: Vec<String>,
    pub line_validity_days: Vec<String>,
    pub line_maintenance_days: Vec<String>,
    /// Present when "Add lines" was pressed: show more rows instead of issuing.
    pub add_lines: Option<String>,
}

/// One row of the lines form, for the template.
#[derive(Clone, Debug, Default)]
pub struct LineRow {
    pub index: usize,
    pub product: String,
    pub count: String,
    pub license_type: String,
    pub max_activations: String,
    pub validity_days: String,
    pub maintenance_days: String,
    /// The chosen product's policy, shown in the empty override fields.
    pub defaults: LineDefaults,
}

/// A product's licence defaults as a line shows them (placeholders of its fields).
#[derive(Clone, Debug)]
pub struct LineDefaults {
    pub license_type: String,
    pub max_activations: String,
    pub validity_days: String,
    pub maintenance_days: String,
}

impl Default for LineDefaults {
    fn default() -> Self {
        LineDefaults {
            license_type: String::new(),
            max_activations: "default".to_owned(),
            validity_days: "default".to_owned(),
            maintenance_days: "default".to_owned(),
        }
    }
}

impl LineDefaults {
    pub fn of(p: &Product) -> Self {
        let days = |d: Option<i64>| {
            d.map(|d| d.to_string())
                .unwrap_or_else(|| "none".to_owned())
        };
        LineDefaults {
            license_type: p.type_label().to_owned(),
            max_activations: p.max_activations.to_string(),
            validity_days: days(p.validity_days),
            maintenance_days: days(p.maintenance_days),
        }
    }
}

/// Fills each row's defaults from its chosen product.
pub fn with_defaults(mut rows: Vec<LineRow>, products: &[Product]) -> Vec<LineRow> {
    for row in rows.iter_mut() {
        if let Some(p) = products.iter().find(|p| row.is_product(p.id)) {
            row.defaults = LineDefaults::of(p);
        }
    }
    rows
}

impl LineRow {
    pub fn is_product(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.product.trim() == id.borrow().to_string()
    }
}

fn at(v: &[String], i: usize) -> String {
    v.get(i).cloned().unwrap_or_default()
}

impl LinesForm {
    /// The rows to show: those submitted (or none) plus `extra` blank ones.
    pub fn rows(&self, extra: usize) -> Vec<LineRow> {
        let n = self.line_product.len().max(self.line_count.len());
        let mut rows: Vec<LineRow> = (0..n)
            .map(|i| LineRow {
                index: i,
                product: at(&self.line_product, i),
                count: at(&self.line_count, i),
                license_type: at(&self.line_type, i),
                max_activations: at(&self.line_max_activations, i),
                validity_days: at(&self.line_validity_days, i),
                maintenance_days: at(&self.line_maintenance_days, i),
                defaults: LineDefaults::default(),
            })
            .collect();
        for _ in 0..extra {
            rows.push(LineRow {
                index: rows.len(),
                count: "1".to_owned(),
                ..Default::default()
            });
        }
        rows
    }

    /// Validates the rows that name a product (blank rows are ignored); at least one.
    pub fn parse(&self, errors: &mut FieldErrors) -> Vec<LineInput> {
        let mut lines = Vec::new();
        let mut total = 0;
        for row in self.rows(0) {
            let blank = row.product.trim().is_empty();
            if blank {
                continue;
            }
            let i = row.index;
            let product_id = match row.product.trim().parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(format!("line_{i}_product"), "Choose a product.");
                    None
                }
            };
            let count = errors.check(
                format!("line_{i}_count"),
                values::int_in(&row.count, 1, MAX_PER_LINE),
            );
            let license_type = match row.license_type.trim() {
                "" => Some(None),
                t if product::LICENSE_TYPES.iter().any(|(k, _)| *k == t) => {
                    Some(Some(t.to_owned()))
                }
                _ => {
                    errors.add(format!("line_{i}_type"), "Choose one of the licence types.");
                    None
                }
            };
            let max_activations = errors.check(
                format!("line_{i}_max_activations"),
                opt_in(&row.max_activations, 0),
            );
            let validity_days = errors.check(
                format!("line_{i}_validity_days"),
                opt_in(&row.validity_days, 1),
            );
            let maintenance_days = errors.check(
                format!("line_{i}_maintenance_days"),
                opt_in(&row.maintenance_days, 1),
            );
            if let (
                Some(product_id),
                Some(count),
                Some(license_type),
                Some(max_activations),
                Some(validity_days),
                Some(maintenance_days),
            ) = (
                product_id,
                count,
                license_type,
                max_activations,
                validity_days,
                maintenance_days,
            ) {
                total += count;
                lines.push(LineInput {
                    index: i,
                    product_id,
                    count,
                    license_type,
                    max_activations,
                    validity_days,
                    maintenance_days,
                });
            }
        }
        if lines.is_empty() && errors.is_empty() {
            errors.add(
                "lines",
                "Add at least one licence line: choose a product and a count.",
            );
        }
        if total > MAX_PER_REQUEST {
            errors.add(
                "lines",
                format!("At most {MAX_PER_REQUEST} licences at once ({total} asked)."),
            );
        }
        lines
    }
}

fn opt_in(input: &str, min: i64) -> Result<Option<i64>, String> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        values::int_in(input, min, 100_000).map(Some)
    }
}

/// A validated line: `None` overrides mean "the product's default".
#[derive(Clone, Debug)]
pub struct LineInput {
    pub index: usize,
    pub product_id: i64,
    pub count: i64,
    pub license_type: Option<String>,
    pub max_activations: Option<i64>,
    pub validity_days: Option<i64>,
    pub maintenance_days: Option<i64>,
}

/// Issues the licences of `lines` into an order; returns the new licence ids.
/// Unknown or archived products are field errors on their line.
pub fn issue(
    conn: &mut DbConnection,
    order_id: i64,
    lines: &[LineInput],
    is_trial: bool,
    start: NaiveDate,
) -> ModelResult<Vec<i64>> {
    let mut ids = Vec::new();
    for line in lines {
        let field = |name: &str| format!("line_{}_{name}", line.index);
        let product = product::find(conn, line.product_id)?
            .ok_or_else(|| ModelError::invalid(field("product"), "This product does not exist."))?;
        if product.archived_at.is_some() {
            return Err(ModelError::invalid(
                field("product"),
                "This product is archived; restore it to issue licences.",
            ));
        }
        let parts: Vec<Product> = if product.is_bundle {
            let parts: Vec<Product> = product::bundle_parts(conn, product.id)?
                .into_iter()
                .map(|(_, p)| p)
                .collect();
            if parts.is_empty() {
                return Err(ModelError::invalid(
                    field("product"),
                    "This bundle is empty: add products to it first.",
                ));
            }
            parts
        } else {
            vec![product]
        };
        for _ in 0..line.count {
            for part in &parts {
                ids.push(issue_one(conn, order_id, part, line, is_trial, start)?);
            }
        }
    }
    Ok(ids)
}

/// A new key that no licence has yet.
fn fresh_key(conn: &mut DbConnection) -> QueryResult<String> {
    loop {
        let key = license_key::generate();
        let taken: bool = diesel::select(diesel::dsl::exists(
            licenses::table.filter(licenses::key_norm.eq(license_key::normalize(&key))),
        ))
        .get_result(conn)?;
        if !taken {
            return Ok(key);
        }
    }
}

fn issue_one(
    conn: &mut DbConnection,
    order_id: i64,
    product: &Product,
    line: &LineInput,
    is_trial: bool,
    start: NaiveDate,
) -> ModelResult<i64> {
    let key = fresh_key(conn)?;
    let now = super::now();
    let validity_days =
        line.validity_days
            .or(product.validity_days)
            .or(if is_trial && product.trial_days > 0 {
                Some(product.trial_days)
            } else {
                None
            });
    let id: i64 = diesel::insert_into(licenses::table)
        .values((
            licenses::license_key.eq(&key),
            licenses::key_norm.eq(license_key::normalize(&key)),
            licenses::product_id.eq(product.id),
            licenses::order_id.eq(order_id),
            licenses::license_type.eq(line
                .license_type
                .as_deref()
                .unwrap_or(&product.license_type)),
            licenses::enabled.eq(true),
            licenses::max_activations.eq(line.max_activations.unwrap_or(product.max_activations)),
            licenses::start_date.eq(Some(start)),
            licenses::validity_days.eq(validity_days),
            licenses::maintenance_days.eq(line.maintenance_days.or(product.maintenance_days)),
            licenses::is_trial.eq(is_trial),
            licenses::floating_seats.eq(product.floating_seats),
            licenses::borrow_limit_hours.eq(product.borrow_limit_hours),
            licenses::created_at.eq(now),
            licenses::updated_at.eq(now),
        ))
        .returning(licenses::id)
        .get_result(conn)?;
    for f in product::features(conn, product.id)? {
        diesel::insert_into(license_features::table)
            .values((
                license_features::license_id.eq(id),
                license_features::code.eq(&f.code),
                license_features::name.eq(&f.name),
                license_features::kind.eq(&f.kind),
                license_features::max_consumption.eq(f.max_consumption),
            ))
            .execute(conn)?;
    }
    let fields: Vec<(String, String)> = product_custom_fields::table
        .filter(product_custom_fields::product_id.eq(product.id))
        .select((
            product_custom_fields::name,
            product_custom_fields::default_value,
        ))
        .load(conn)?;
    for (name, value) in fields {
        diesel::insert_into(license_custom_fields::table)
            .values((
                license_custom_fields::license_id.eq(id),
                license_custom_fields::name.eq(name),
                license_custom_fields::value.eq(value),
            ))
            .execute(conn)?;
    }
    Ok(id)
}
