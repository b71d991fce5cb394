//! The portal's forms for license users, seats and issuing: plain strings from the
//! browser, parsed here into the model's values with a message per field.

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::domain::{values, FieldErrors, ProductId};
use crate::models::issue::MAX_PER_LINE;
use crate::ops::issuing::PortalLine;

pub use crate::web::user_forms::{posted_id, LicenseUserField, UserForm, UserPasswordForm};

/// "Borrow license": a device and until when (UTC).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct BorrowForm {
    pub device_id: String,
    pub until: String,
}

/// A `datetime-local` value (`2026-12-02T15:30`, seconds optional), read as UTC and
/// bounded to the years the product accepts.
pub fn parse_until(input: &str) -> Result<NaiveDateTime, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Choose until when.".to_owned());
    }
    let at = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| "Enter a date and time like 2026-12-31T18:00.".to_owned())?;
    let d = at.date();
    if d < values::MIN_DATE || d > values::MAX_DATE {
        return Err("Choose a date between 1970 and 9999.".to_owned());
    }
    Ok(at)
}

/// License lines of the portal's issue and order forms: a product and a count per row
/// (`product=…&count=…`, pairs in order). Blank rows are skipped; "Add lines" asks for
/// more rows instead of submitting.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LinesForm {
    pub product: Vec<String>,
    pub count: Vec<String>,
    pub add_lines: Option<String>,
}

/// Rows a fresh form shows, and the most a form may carry.
pub const BLANK_ROWS: usize = 3;
pub const MAX_ROWS: usize = 50;

impl LinesForm {
    pub fn rows(&self) -> usize {
        let asked = self.product.len().max(self.count.len());
        let more = if self.add_lines.is_some() {
            BLANK_ROWS
        } else {
            0
        };
        asked.saturating_add(more).clamp(BLANK_ROWS, MAX_ROWS)
    }

    pub fn product_at(&self, i: &usize) -> &str {
        self.product.get(*i).map(String::as_str).unwrap_or("")
    }

    pub fn count_at(&self, i: &usize) -> &str {
        self.count.get(*i).map(String::as_str).unwrap_or("")
    }

    pub fn parse(&self) -> Result<Vec<PortalLine>, FieldErrors> {
        let mut e = FieldErrors::new();
        if self.product.len() > MAX_ROWS || self.count.len() > MAX_ROWS {
            e.add("line_0_product", format!("At most {MAX_ROWS} lines."));
            return Err(e);
        }
        let mut lines = Vec::new();
        for i in 0..self.product.len().max(self.count.len()) {
            let (p, c) = (self.product_at(&i).trim(), self.count_at(&i).trim());
            if p.is_empty() && c.is_empty() {
                continue;
            }
            let product = match p.parse::<ProductId>() {
                Ok(n) if n.0 > 0 => Some(n),
                _ if p.is_empty() => {
                    e.add(format!("line_{i}_product"), "Choose a product.");
                    None
                }
                _ => {
                    e.add(
                        format!("line_{i}_product"),
                        "Choose a product from the list.",
                    );
                    None
                }
            };
            let count = if c.is_empty() {
                Some(1)
            } else {
                e.check(
                    format!("line_{i}_count"),
                    values::int_in(c, 1, MAX_PER_LINE),
                )
            };
            if let (Some(product_id), Some(count)) = (product, count) {
                lines.push(PortalLine {
                    index: i,
                    product_id,
                    count,
                });
            }
        }
        if lines.is_empty() && e.is_empty() {
            e.add("line_0_product", "Choose at least one product.");
        }
        if e.is_empty() {
            Ok(lines)
        } else {
            Err(e)
        }
    }
}
