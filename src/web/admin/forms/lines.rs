//! License lines (new order, issue licenses): parallel lists as submitted, the rows a
//! template shows with each product's defaults, parsed into validated lines.

use serde::Deserialize;

use crate::domain::{values, FieldErrors, ProductId};
use crate::models::issue::{LineInput, MAX_PER_LINE, MAX_PER_REQUEST};
use crate::models::product::{self, Product};

/// Blank rows a lines form shows, and how many "Add lines" adds.
pub const BLANK_LINES: usize = 3;

/// License lines as submitted: parallel lists, one entry per row.
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

/// A product's license defaults as a line shows them (placeholders of its fields).
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
    pub fn is_product(&self, id: impl std::borrow::Borrow<ProductId>) -> bool {
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
            let product_id = match row.product.trim().parse::<ProductId>() {
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
                    errors.add(format!("line_{i}_type"), "Choose one of the license types.");
                    None
                }
            };
            let max_activations = errors.check(
                format!("line_{i}_max_activations"),
                opt_in(&row.max_activations, 0, values::MAX_NUMBER),
            );
            let validity_days = errors.check(
                format!("line_{i}_validity_days"),
                opt_in(&row.validity_days, 1, values::MAX_DAYS),
            );
            let maintenance_days = errors.check(
                format!("line_{i}_maintenance_days"),
                opt_in(&row.maintenance_days, 1, values::MAX_DAYS),
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
                    charged_to: None,
                });
            }
        }
        if lines.is_empty() && errors.is_empty() {
            errors.add(
                "lines",
                "Add at least one license line: choose a product and a count.",
            );
        }
        if total > MAX_PER_REQUEST {
            errors.add(
                "lines",
                format!("At most {MAX_PER_REQUEST} licenses at once ({total} asked)."),
            );
        }
        lines
    }
}

fn opt_in(input: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        values::int_in(input, min, max).map(Some)
    }
}
