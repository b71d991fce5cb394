//! Importing customers from CSV: every row is checked exactly as the customer form checks
//! it (the same parser), plus what only a file can get wrong (an unknown account code, an
//! email twice in the file, a row with too many cells). A dry run reports what would be
//! created, updated or skipped and every problem with its line and column; only a file
//! without problems is committed, all at once or not at all.

use std::collections::HashMap;

use super::customers::{COLUMNS, READ_ONLY};
use super::reader::{self, Columns};
use super::run::{problem, Kind, Plan};
use crate::db::DbConnection;
use crate::domain::customer::CustomerDraft;
use crate::domain::values;
use crate::models::customer::CustomerInput;
use crate::models::customer_import::{self, Planned};
use crate::models::import::{Import, Preview};

const FILE: Columns<'static> = Columns {
    read: &COLUMNS,
    ignored: &READ_ONLY,
    required: &["email"],
};

/// At most this many labels per customer.
const MAX_LABELS: usize = 20;

/// The template file: the header and one example row.
pub fn template() -> String {
    let mut out = super::stream::page_writer();
    let _ = super::stream::write_cells(&mut out, COLUMNS);
    let _ = super::stream::write_cells(
        &mut out,
        [
            "ada@example.com",
            "Ada",
            "Lovelace",
            "Analytical Engines Ltd",
            "+44 20 7946 0000",
            "CRM-00001",
            "ext-1",
            "12 Market Street",
            "",
            "EC1A 1BB",
            "London",
            "",
            "GB",
            "",
            "VIP;Reseller",
            "{\"segment\":\"smb\"}",
        ],
    );
    String::from_utf8(super::stream::take(out).unwrap_or_default()).unwrap_or_default()
}

/// The form field a column fills, for messages (the form's names differ in two places).
fn column_of(field: &str) -> &str {
    match field {
        "company" => "company_name",
        "customer_account_id" => "customer_account",
        f => f,
    }
}

fn kind_of(column: &str) -> &'static str {
    match column {
        "email" => "bad email",
        "metadata" => "bad JSON",
        "customer_account" => "unknown account",
        "labels" => "bad labels",
        _ => "bad value",
    }
}

/// Reads and checks the whole file: the rows it would write, and its problems. A
/// problem of the whole file comes back as `Err`.
pub fn plan(conn: &mut DbConnection, bytes: &[u8], update_existing: bool) -> Plan<Planned> {
    let checked = match reader::check(bytes, &FILE) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let index: HashMap<&str, Option<usize>> =
        COLUMNS.iter().map(|c| (*c, checked.index(c))).collect();
    let accounts: HashMap<String, i64> =
        customer_import::account_codes(conn)?.into_iter().collect();
    let mut preview = Preview::default();
    let mut planned: Vec<Planned> = Vec::new();
    let mut first_line: HashMap<String, i64> = HashMap::new();
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
        let line = row.line;
        if let Some(m) = row.shape_error() {
            preview.problems.push(problem(line, "", "row shape", m));
            continue;
        }
        let cell = |c: &str| row.get(index[c]);
        let mut bad = false;
        let account = match cell("customer_account") {
            "" => String::new(),
            code => match accounts.get(&code.to_lowercase()) {
                Some(id) => id.to_string(),
                None => {
                    let shown: String = code.chars().take(40).collect();
                    preview.problems.push(problem(
                        line,
                        "customer_account",
                        "unknown account",
                        format!("No customer account has the code “{shown}”."),
                    ));
                    bad = true;
                    String::new()
                }
            },
        };
        let labels = match parse_labels(cell("labels")) {
            Ok(l) => l,
            Err(m) => {
                preview
                    .problems
                    .push(problem(line, "labels", "bad labels", m));
                bad = true;
                Vec::new()
            }
        };
        let form = CustomerDraft {
            email: cell("email").to_owned(),
            first_name: cell("first_name").to_owned(),
            last_name: cell("last_name").to_owned(),
            company: cell("company_name").to_owned(),
            phone: cell("phone").to_owned(),
            reference: cell("reference").to_owned(),
            external_id: cell("external_id").to_owned(),
            address_line1: cell("address_line1").to_owned(),
            address_line2: cell("address_line2").to_owned(),
            postcode: cell("postcode").to_owned(),
            city: cell("city").to_owned(),
            state: cell("state").to_owned(),
            country: cell("country").to_owned(),
            customer_account_id: account,
            metadata: cell("metadata").to_owned(),
            status: String::new(),
            updated_at: String::new(),
        };
        let input: CustomerInput = match form.parse() {
            Ok(i) => i,
            Err(errors) => {
                for (field, message) in errors.iter() {
                    let column = column_of(field);
                    preview
                        .problems
                        .push(problem(line, column, kind_of(column), message));
                }
                continue;
            }
        };
        let email = input.email.normalized().to_owned();
        if let Some(first) = first_line.get(&email) {
            preview.problems.push(problem(
                line,
                "email",
                "duplicate in file",
                format!("{} is also on line {first}.", input.email.as_str()),
            ));
            continue;
        }
        first_line.insert(email, line as i64);
        if bad {
            continue;
        }
        planned.push(Planned {
            line: line as i64,
            customer_id: None,
            input,
            labels,
        });
    }
    // What exists already: update it or skip it.
    let mut kept = Vec::with_capacity(planned.len());
    for chunk in planned.chunks(500) {
        let emails: Vec<String> = chunk
            .iter()
            .map(|p| p.input.email.normalized().to_owned())
            .collect();
        let found: HashMap<String, i64> = customer_import::existing(conn, &emails)?
            .into_iter()
            .collect();
        for p in chunk {
            match found.get(p.input.email.normalized()) {
                None => {
                    preview.create += 1;
                    kept.push(p.clone());
                }
                Some(id) if update_existing => {
                    preview.update += 1;
                    kept.push(Planned {
                        customer_id: Some(*id),
                        ..p.clone()
                    });
                }
                Some(_) => preview.skip += 1,
            }
        }
    }
    Ok(Ok((kept, preview)))
}

/// `a;b; c` → the label names, each once (any case), bounded.
fn parse_labels(cell: &str) -> Result<Vec<String>, String> {
    // Bounded before any work: a cell can hold at most MAX_LABELS labels of 40
    // characters (with room for spaces and repeats), and the parts are counted before
    // they are compared.
    let too_many = || format!("At most {MAX_LABELS} labels per customer.");
    if cell.chars().count() > MAX_LABELS * 100 {
        return Err(too_many());
    }
    let parts: Vec<&str> = cell
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > MAX_LABELS * 4 {
        return Err(too_many());
    }
    let mut seen = std::collections::HashSet::new();
    let mut names: Vec<String> = Vec::new();
    for name in parts {
        let name = values::text(name, 40, true)
            .map_err(|m| format!("Label “{}”: {m}", name.chars().take(40).collect::<String>()))?;
        if seen.insert(name.to_lowercase()) {
            names.push(name);
        }
    }
    if names.len() > MAX_LABELS {
        return Err(too_many());
    }
    Ok(names)
}

/// Customers as an import kind.
pub struct Customers;

impl Kind for Customers {
    type Row = Planned;
    const NAME: &'static str = "customers";
    const STAGING: &'static [(&'static str, &'static str)] = &[
        ("import_customer_rows", "import_id, line"),
        ("import_customer_labels", "import_id, line, label_norm"),
    ];

    fn plan(conn: &mut DbConnection, bytes: &[u8], update_existing: bool) -> Plan<Planned> {
        plan(conn, bytes, update_existing)
    }

    fn stage(conn: &mut DbConnection, import: i64, rows: &[Planned]) -> diesel::QueryResult<()> {
        customer_import::stage(conn, import, rows)
    }

    fn publish(conn: &mut DbConnection, import: &Import) -> diesel::QueryResult<()> {
        customer_import::publish(conn, import.id)
    }

    fn clear(conn: &mut DbConnection, import: i64) -> diesel::QueryResult<()> {
        customer_import::clear(conn, import)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_split_deduplicated_and_bounded() {
        assert_eq!(
            super::parse_labels(" VIP ; reseller;vip;;").unwrap(),
            vec!["VIP", "reseller"]
        );
        let many = (0..25)
            .map(|i| format!("l{i}"))
            .collect::<Vec<_>>()
            .join(";");
        assert!(super::parse_labels(&many).is_err());
        assert!(super::parse_labels(&"x".repeat(41)).is_err());
        // Repeats of a few labels are fine; 20,000 distinct ones are refused at once (the
        // cell's length and its count of parts are checked before any comparing).
        let repeats = vec!["a"; 60].join(";");
        assert_eq!(super::parse_labels(&repeats).unwrap(), vec!["a"]);
        let flood = (0..20_000)
            .map(|i| format!("label-{i}"))
            .collect::<Vec<_>>()
            .join(";");
        assert!(super::parse_labels(&flood).unwrap_err().contains("At most"));
        let short_flood = vec!["b"; 2_000].join(";");
        assert!(super::parse_labels(&short_flood).is_err());
    }

    #[test]
    fn the_template_is_a_header_and_one_example() {
        let t = super::template();
        assert_eq!(t.lines().count(), 2);
        assert!(t.starts_with("email,first_name,"));
    }
}
