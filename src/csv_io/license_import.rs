//! Importing licenses from CSV (columns modelled on LicenseSpring's import): each row
//! names its product by short code and its order by reference (created when new, with
//! the customer of `customer_email`, created when new too). Keys are 8–64 characters of
//! A–Z, 0–9 and `-`, compared without case and without dashes; a key twice in the file or
//! already in the database is a problem. Empty cells take the product's defaults (for a
//! validity or maintenance, only when neither of its two columns is in the file).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::licenses::{COLUMNS, READ_ONLY};
use super::reader::{self, Columns, Row};
use super::run::{problem, Kind, Plan};
use crate::db::DbConnection;
use crate::domain::{license_key, values, EmailAddress};
use crate::models::import::{Import, Preview, RowProblem};
use crate::models::license_import::{self, Planned, ProductDefaults};
use crate::models::product::LICENSE_TYPES;

const FILE: Columns<'static> = Columns {
    read: &COLUMNS,
    ignored: &READ_ONLY,
    required: &["license_key", "product_short_code", "order_reference"],
};

/// Licenses as an import kind.
pub struct Licenses;

impl Kind for Licenses {
    type Row = Planned;
    const NAME: &'static str = "licenses";
    const STAGING: &'static [(&'static str, &'static str)] = &[
        ("import_license_rows", "import_id, line"),
        ("import_license_orders", "import_id, reference_norm"),
    ];

    fn plan(conn: &mut DbConnection, bytes: &[u8], _update_existing: bool) -> Plan<Planned> {
        plan(conn, bytes)
    }

    fn stage(conn: &mut DbConnection, import: i64, rows: &[Planned]) -> diesel::QueryResult<()> {
        license_import::stage(conn, import, rows)
    }

    fn prepare(conn: &mut DbConnection, import: i64) -> diesel::QueryResult<()> {
        license_import::gather_orders(conn, import)
    }

    fn publish(conn: &mut DbConnection, import: &Import) -> diesel::QueryResult<()> {
        license_import::publish(conn, import.id, &import.created_by)
    }

    fn clear(conn: &mut DbConnection, import: i64) -> diesel::QueryResult<()> {
        license_import::clear(conn, import)
    }
}

/// The template file: the header and one example row.
pub fn template() -> String {
    let mut out = super::stream::page_writer();
    let _ = super::stream::write_cells(&mut out, COLUMNS);
    let _ = super::stream::write_cells(
        &mut out,
        [
            "ABCD-EFGH-JKLM-NPQR",
            "STUDIO",
            "ORD-2026-0001",
            "ada@example.com",
            "Ada",
            "Lovelace",
            "Analytical Engines Ltd",
            "perpetual",
            "true",
            "3",
            "2026-01-15",
            "",
            "1y",
            "",
            "365d",
            "false",
            "0",
            "0",
            "0",
            "Migrated from the old system",
            "{}",
        ],
    );
    String::from_utf8(super::stream::take(out).unwrap_or_default()).unwrap_or_default()
}

/// A row's cells by column, collecting problems with their line and column.
struct Cells<'a> {
    row: &'a Row,
    index: &'a HashMap<&'static str, Option<usize>>,
    problems: Vec<RowProblem>,
}

impl<'a> Cells<'a> {
    fn get(&self, c: &str) -> &'a str {
        self.row.get(self.index.get(c).copied().flatten())
    }

    fn present(&self, c: &str) -> bool {
        self.index.get(c).copied().flatten().is_some()
    }

    fn bad(&mut self, column: &str, message: impl Into<String>) {
        let kind = match column {
            "license_key" => "bad key",
            "product_short_code" => "unknown product",
            "metadata" => "bad JSON",
            "customer_email" => "bad email",
            c if c.ends_with("_period") || c == "start_date" => "bad date",
            _ => "bad value",
        };
        self.problems
            .push(problem(self.row.line, column, kind, message));
    }

    fn check<T>(&mut self, column: &str, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.bad(column, m)).ok()
    }

    /// A whole number in `min..=max`; empty: `default`.
    fn int(&mut self, column: &str, min: i64, max: i64, default: i64) -> i64 {
        match self.get(column) {
            "" => default,
            v => self
                .check(column, values::int_in(v, min, max))
                .unwrap_or(default),
        }
    }

    /// true/false (also yes/no, 1/0); empty: `default`.
    fn flag(&mut self, column: &str, default: bool) -> bool {
        match self.get(column).to_lowercase().as_str() {
            "" => default,
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => {
                self.bad(column, "Write true or false.");
                default
            }
        }
    }

    /// A date or a date and time (ISO 8601, UTC), bounded.
    fn moment(&mut self, column: &str) -> Option<NaiveDateTime> {
        let v = self.get(column);
        if v.is_empty() {
            return None;
        }
        let r = parse_moment(v);
        self.check(column, r)
    }

    /// `30d`, `6w`, `12m`, `1y` (months of 30 days, years of 365) or a number of days.
    fn duration(&mut self, column: &str) -> Option<i64> {
        let v = self.get(column);
        if v.is_empty() {
            return None;
        }
        let r = parse_duration(v);
        self.check(column, r)
    }
}

/// An ISO date (`2026-12-31`) or date and time (`2026-12-31T10:00:00Z`), as UTC.
pub fn parse_moment(v: &str) -> Result<NaiveDateTime, String> {
    let s = v.trim().trim_end_matches('Z');
    let at = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .ok_or_else(|| values::not_a_date(v))?;
    if at.date() < values::MIN_DATE || at.date() > values::MAX_DATE {
        return Err("The date is out of range.".to_owned());
    }
    Ok(at)
}

/// A duration in days from `30d`, `6w`, `12m`, `1y` or a plain number of days.
pub fn parse_duration(v: &str) -> Result<i64, String> {
    let s = v.trim().to_lowercase();
    let (number, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s.as_str(), 'd'),
    };
    let per = match unit {
        'd' => 1,
        'w' => 7,
        'm' => 30,
        'y' => 365,
        _ => return Err("Write a duration like 30d, 6w, 12m or 1y.".to_owned()),
    };
    let n: i64 = number
        .trim()
        .parse()
        .map_err(|_| "Write a duration like 30d, 6w, 12m or 1y.".to_owned())?;
    match n.checked_mul(per) {
        Some(days) if (1..=values::MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "From 1 day to {} days (100 years).",
            values::MAX_DAYS
        )),
    }
}

/// A key as files write it: 8–64 characters of A–Z, 0–9 and `-` (any case).
fn parse_key(v: &str) -> Result<String, String> {
    let ok =
        (8..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(v.to_uppercase())
    } else {
        Err("A license key is 8–64 characters of A–Z, 0–9 and -.".to_owned())
    }
}

/// Reads and checks the whole file.
pub fn plan(conn: &mut DbConnection, bytes: &[u8]) -> Plan<Planned> {
    let checked = match reader::check(bytes, &FILE) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let index: HashMap<&'static str, Option<usize>> =
        COLUMNS.iter().map(|c| (*c, checked.index(c))).collect();
    let products: HashMap<String, ProductDefaults> = license_import::products(conn)?
        .into_iter()
        .map(|p| (p.code_norm.clone(), p))
        .collect();
    let mut preview = Preview::default();
    // Room for every line at once (growing by doubling would need half as much again).
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let mut planned: Vec<Planned> = Vec::with_capacity(lines);
    let mut keys: HashMap<String, u64> = HashMap::with_capacity(lines);
    // A new order's customer: the first row naming the order decides it.
    let mut new_orders: HashMap<String, (String, u64)> = HashMap::new();
    for row in checked.rows() {
        let row = match row {
            Ok(r) => r,
            Err((line, message)) => {
                preview
                    .problems
                    .push(problem(line, "", "unreadable row", message));
                break;
            }
        };
        preview.total += 1;
        if let Some(m) = row.shape_error() {
            preview.problems.push(problem(row.line, "", "row shape", m));
            continue;
        }
        let mut c = Cells {
            row: &row,
            index: &index,
            problems: Vec::new(),
        };
        let key = c.get("license_key");
        let key = c.check("license_key", parse_key(key));
        let key_norm = key.as_deref().map(license_key::normalize);
        if let Some(k) = &key_norm {
            if let Some(first) = keys.get(k) {
                c.bad("license_key", format!("This key is also on line {first}."));
            } else {
                keys.insert(k.clone(), row.line);
            }
        }
        let code_cell = c.get("product_short_code");
        let code = code_cell.to_lowercase();
        let product = match products.get(&code) {
            Some(p) if p.is_bundle => {
                c.bad(
                    "product_short_code",
                    "A bundle is not a license's product: name the products in it.",
                );
                None
            }
            Some(p) => Some(p.clone()),
            None => {
                let shown: String = code_cell.chars().take(40).collect();
                c.bad(
                    "product_short_code",
                    format!("No product has the short code “{shown}”."),
                );
                None
            }
        };
        let reference = c.get("order_reference");
        let reference = c
            .check(
                "order_reference",
                values::text(reference, values::SHORT, true),
            )
            .unwrap_or_default();
        let email = match c.get("customer_email") {
            "" => String::new(),
            e => c
                .check("customer_email", EmailAddress::parse(e))
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
        };
        let first = c.get("customer_first_name");
        let first = c
            .check(
                "customer_first_name",
                values::text(first, values::SHORT, false),
            )
            .unwrap_or_default();
        let last = c.get("customer_last_name");
        let last = c
            .check(
                "customer_last_name",
                values::text(last, values::SHORT, false),
            )
            .unwrap_or_default();
        let company = c.get("customer_company_name");
        let company = c
            .check(
                "customer_company_name",
                values::text(company, values::SHORT, false),
            )
            .unwrap_or_default();
        let p = product.clone().unwrap_or_else(|| ProductDefaults {
            id: 0,
            code_norm: String::new(),
            is_bundle: false,
            license_type: "perpetual".to_owned(),
            max_activations: 1,
            validity_days: None,
            maintenance_days: None,
            trial_days: 0,
            floating_seats: 0,
            borrow_limit_hours: 0,
            max_license_users: 0,
        });
        let license_type = match c.get("license_type") {
            "" => p.license_type.clone(),
            t => match LICENSE_TYPES.iter().find(|(k, _)| *k == t.to_lowercase()) {
                Some((k, _)) => (*k).to_owned(),
                None => {
                    c.bad(
                        "license_type",
                        "Write perpetual, time_limited, subscription or consumption.",
                    );
                    p.license_type.clone()
                }
            },
        };
        let enabled = c.flag("enabled", true);
        let is_trial = c.flag("is_trial", false);
        let max_activations = c.int("max_activations", 0, values::MAX_NUMBER, p.max_activations);
        let floating_seats = c.int("floating_seats", 0, values::MAX_NUMBER, p.floating_seats);
        let borrow_limit_hours = c.int(
            "borrow_limit_hours",
            0,
            values::MAX_BORROW_HOURS,
            p.borrow_limit_hours,
        );
        let max_license_users = c.int(
            "max_license_users",
            0,
            values::MAX_LICENSE_USERS,
            p.max_license_users,
        );
        let start_date = c.moment("start_date").map(|t| t.date());
        let valid_until = c.moment("validity_period");
        let validity_days = c.duration("valid_duration");
        let validity_days = if c.present("validity_period") || c.present("valid_duration") {
            validity_days
        } else if is_trial && p.trial_days > 0 {
            p.validity_days.or(Some(p.trial_days))
        } else {
            p.validity_days
        };
        let maintenance_until = c.moment("maintenance_period");
        let maintenance_days = c.duration("maintenance_duration");
        let maintenance_days =
            if c.present("maintenance_period") || c.present("maintenance_duration") {
                maintenance_days
            } else {
                p.maintenance_days
            };
        let note = c.get("note");
        let note = c
            .check("note", values::text(note, values::LONG, false))
            .unwrap_or_default();
        let metadata = c.get("metadata");
        let metadata = c
            .check("metadata", values::json_object(metadata))
            .unwrap_or_default();
        // A new order takes one customer: every row naming it must agree.
        let ref_norm = reference.to_lowercase();
        if !ref_norm.is_empty() {
            match new_orders.get(&ref_norm) {
                Some((e, first_line)) if e.to_lowercase() != email.to_lowercase() => c.bad(
                    "customer_email",
                    format!("Line {first_line} gives order {reference} another customer."),
                ),
                Some(_) => {}
                None => {
                    new_orders.insert(ref_norm.clone(), (email.clone(), row.line));
                }
            }
        }
        let problems = std::mem::take(&mut c.problems);
        if !problems.is_empty() {
            preview.problems.extend(problems);
            continue;
        }
        let (Some(key), Some(key_norm), Some(product)) = (key, key_norm, product) else {
            continue;
        };
        planned.push(Planned {
            line: row.line as i64,
            license_key: key,
            key_norm,
            product_id: product.id,
            order_id: None,
            order_reference: reference,
            customer: (email, first, last, company),
            license_type,
            enabled,
            max_activations,
            start_date,
            valid_until,
            validity_days,
            maintenance_until,
            maintenance_days,
            is_trial,
            floating_seats,
            borrow_limit_hours,
            max_license_users,
            note,
            metadata,
        });
    }
    // Keys already in the database, and the orders that exist already: the rows are
    // marked in place (a million rows are not copied).
    let mut taken_rows = vec![false; planned.len()];
    for (chunk, taken_marks) in planned.chunks_mut(500).zip(taken_rows.chunks_mut(500)) {
        let keys: Vec<String> = chunk.iter().map(|p| p.key_norm.clone()).collect();
        let taken = license_import::taken_keys(conn, &keys)?;
        let refs: Vec<String> = chunk
            .iter()
            .map(|p| p.order_reference.to_lowercase())
            .collect();
        let orders: HashMap<String, i64> = license_import::orders_by_reference(conn, &refs)?
            .into_iter()
            .collect();
        for (p, is_taken) in chunk.iter_mut().zip(taken_marks.iter_mut()) {
            if taken.contains(&p.key_norm) {
                preview.problems.push(problem(
                    p.line as u64,
                    "license_key",
                    "bad key",
                    format!("License {} is already in the database.", p.license_key),
                ));
                *is_taken = true;
                continue;
            }
            p.order_id = orders.get(&p.order_reference.to_lowercase()).copied();
        }
    }
    let mut marks = taken_rows.into_iter();
    planned.retain(|_| !marks.next().unwrap_or(false));
    planned.shrink_to_fit();
    preview.problems.sort_by_key(|p| p.line);
    preview.create = planned.len() as i64;
    if preview.problems.is_empty() {
        let details = license_import::would_create(conn, &planned)?;
        preview.details = serde_json::to_string(&details).ok();
    }
    Ok(Ok((planned, preview)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_dates_and_keys_are_bounded() {
        assert_eq!(parse_duration("30d"), Ok(30));
        assert_eq!(parse_duration("12M"), Ok(360));
        assert_eq!(parse_duration("1y"), Ok(365));
        assert_eq!(parse_duration("14"), Ok(14));
        for bad in [
            "0d",
            "-1d",
            "1000000000y",
            "x",
            "3q",
            "",
            "9223372036854775807w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_moment("2026-02-30").is_err());
        assert!(parse_moment("10000-01-01").is_err());
        assert_eq!(
            parse_moment("2026-12-31T10:20:30Z").unwrap().to_string(),
            "2026-12-31 10:20:30"
        );
        assert!(parse_key("abcd-efgh").is_ok());
        for bad in ["short", "ÄBCD-EFGH", "ABCD EFGH", &"A".repeat(65)] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_template_is_a_header_and_one_example() {
        let t = template();
        assert_eq!(t.lines().count(), 2);
        assert!(t.starts_with("license_key,product_short_code,order_reference"));
    }
}
