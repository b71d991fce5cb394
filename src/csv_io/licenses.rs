//! The licenses CSV: the columns an import reads (modelled on LicenseSpring's import)
//! followed by read-only ones an import recognises and ignores, so an export can be
//! imported elsewhere.

use std::borrow::Cow;

use serde_json::json;

use super::stream::{export_pages, write_cells, Sink};
use crate::db::DbConnection;
use crate::models::audit::{self, Actor, Entry};
use crate::models::license::{Filter, Status};
use crate::models::license_export::{self, ExportRow};

/// Columns an import of licenses reads.
pub const COLUMNS: [&str; 21] = [
    "license_key",
    "product_short_code",
    "order_reference",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "customer_company_name",
    "license_type",
    "enabled",
    "max_activations",
    "start_date",
    "validity_period",
    "valid_duration",
    "maintenance_period",
    "maintenance_duration",
    "is_trial",
    "floating_seats",
    "borrow_limit_hours",
    "max_license_users",
    "note",
    "metadata",
];

/// Columns an export adds and an import ignores.
pub const READ_ONLY: [&str; 4] = ["product_name", "status", "active_devices", "created_at"];

/// Rows read per page.
const PAGE: i64 = 5_000;

/// A timestamp as the files write it (ISO 8601, UTC).
pub fn iso(at: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn days(d: Option<i64>) -> String {
    d.map(|d| format!("{d}d")).unwrap_or_default()
}

fn cells(r: &ExportRow, now: chrono::NaiveDateTime) -> [Cow<'_, str>; 25] {
    let l = &r.license;
    let (email, first, last, company) = match &r.customer {
        Some((e, f, la, c)) => (e.as_str(), f.as_str(), la.as_str(), c.as_str()),
        None => ("", "", "", ""),
    };
    let status = Status::derive(l.enabled, l.valid_until, l.active_devices, now);
    let b = |s: &'static str| Cow::Borrowed(s);
    [
        Cow::Borrowed(l.license_key.as_str()),
        Cow::Borrowed(r.product_code.as_str()),
        Cow::Borrowed(r.order_reference.as_str()),
        Cow::Borrowed(email),
        Cow::Borrowed(first),
        Cow::Borrowed(last),
        Cow::Borrowed(company),
        Cow::Borrowed(l.license_type.as_str()),
        b(if l.enabled { "true" } else { "false" }),
        Cow::Owned(l.max_activations.to_string()),
        l.start_date.map_or(b(""), |d| Cow::Owned(d.to_string())),
        l.valid_until.map_or(b(""), |t| Cow::Owned(iso(t))),
        Cow::Owned(days(l.validity_days)),
        l.maintenance_until.map_or(b(""), |t| Cow::Owned(iso(t))),
        Cow::Owned(days(l.maintenance_days)),
        b(if l.is_trial { "true" } else { "false" }),
        Cow::Owned(l.floating_seats.to_string()),
        Cow::Owned(l.borrow_limit_hours.to_string()),
        Cow::Owned(l.max_license_users.to_string()),
        Cow::Borrowed(l.note.as_str()),
        Cow::Borrowed(l.metadata.as_str()),
        Cow::Borrowed(r.product_name.as_str()),
        b(status.as_str()),
        Cow::Owned(l.active_devices.to_string()),
        Cow::Owned(iso(l.created_at)),
    ]
}

/// Streams every license matching `filter` into `sink`, then records who exported what
/// (`filters` as the list's query string) and how many rows in the audit log.
pub fn export(
    conn: &mut DbConnection,
    sink: &mut Sink,
    filter: &Filter,
    actor: &Actor,
    filters: &str,
) -> Result<(), String> {
    let now = crate::models::now();
    export_rows(
        conn,
        sink,
        (filter, actor, filters),
        COLUMNS.iter().chain(READ_ONLY.iter()),
        |out, r| write_cells(out, cells(r, now)),
    )
}

/// The licenses a filter selects, a page at a time, written by `row` under `header`,
/// then the export's audit row.
fn export_rows<H, S>(
    conn: &mut DbConnection,
    sink: &mut Sink,
    (filter, actor, filters): (&Filter, &Actor, &str),
    header: H,
    row: impl Fn(&mut csv::Writer<Vec<u8>>, &ExportRow) -> Result<(), String>,
) -> Result<(), String>
where
    H: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let complete = export_pages(
        conn,
        sink,
        header,
        PAGE,
        |conn, after| license_export::page(conn, filter, after, PAGE),
        |r| r.license.id.into(),
        row,
    )?;
    record(
        conn,
        actor,
        ("licenses.exported", "license"),
        filters,
        sink.rows,
        complete,
    )
}

/// The audit row of an export: the filters, the row count, and whether the whole file
/// reached the client. Personal data left the system: this is who took it.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    (action, object_type): (&str, &str),
    filters: &str,
    rows: u64,
    complete: bool,
) -> Result<(), String> {
    crate::db::write_tx(conn, |c| {
        audit::record(
            c,
            actor,
            Entry::new(action, object_type, None::<i64>)
                .label("CSV export")
                .after(json!({ "filters": filters, "rows": rows, "complete": complete })),
        )
    })
    .map_err(|e: diesel::result::Error| e.to_string())
}

/// The columns of a license manager's export: what the license portal shows of each
/// license (no vendor notes or metadata).
pub const MANAGER_COLUMNS: [&str; 11] = [
    "license_key",
    "product",
    "order_reference",
    "license_type",
    "status",
    "active_devices",
    "max_activations",
    "start_date",
    "valid_until",
    "maintenance_until",
    "is_trial",
];

/// A license manager's licenses (the filter holds their orders), audited as theirs.
pub fn export_for_manager(
    conn: &mut DbConnection,
    sink: &mut Sink,
    filter: &Filter,
    actor: &Actor,
    filters: &str,
) -> Result<(), String> {
    let now = crate::models::now();
    export_rows(
        conn,
        sink,
        (filter, actor, filters),
        MANAGER_COLUMNS.iter(),
        |out, r| {
            let l = &r.license;
            let status = Status::derive(l.enabled, l.valid_until, l.active_devices, now);
            write_cells(
                out,
                [
                    l.license_key.clone(),
                    r.product_name.clone(),
                    r.order_reference.clone(),
                    l.license_type.clone(),
                    status.label().to_owned(),
                    l.active_devices.to_string(),
                    l.max_activations.to_string(),
                    l.start_date.map(|d| d.to_string()).unwrap_or_default(),
                    l.valid_until.map(iso).unwrap_or_default(),
                    l.maintenance_until.map(iso).unwrap_or_default(),
                    l.is_trial.to_string(),
                ],
            )
        },
    )
}
