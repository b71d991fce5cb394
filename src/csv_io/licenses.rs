//! The licenses CSV: the columns an import reads (modelled on LicenseSpring's import)
//! followed by read-only ones an import recognises and ignores, so an export can be
//! imported elsewhere.

use serde_json::json;

use super::stream::{export_pages, Sink};
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
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn days(d: Option<i64>) -> String {
    d.map(|d| format!("{d}d")).unwrap_or_default()
}

fn cells(r: &ExportRow, now: chrono::NaiveDateTime) -> [String; 25] {
    let l = &r.license;
    let (email, first, last, company) = r.customer.clone().unwrap_or_default();
    let status = Status::derive(l.enabled, l.valid_until, l.active_devices, now);
    [
        l.license_key.clone(),
        r.product_code.clone(),
        r.order_reference.clone(),
        email,
        first,
        last,
        company,
        l.license_type.clone(),
        l.enabled.to_string(),
        l.max_activations.to_string(),
        l.start_date.map(|d| d.to_string()).unwrap_or_default(),
        l.valid_until.map(iso).unwrap_or_default(),
        days(l.validity_days),
        l.maintenance_until.map(iso).unwrap_or_default(),
        days(l.maintenance_days),
        l.is_trial.to_string(),
        l.floating_seats.to_string(),
        l.borrow_limit_hours.to_string(),
        l.max_license_users.to_string(),
        l.note.clone(),
        l.metadata.clone(),
        r.product_name.clone(),
        status.as_str().to_owned(),
        l.active_devices.to_string(),
        iso(l.created_at),
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
    let complete = export_pages(
        conn,
        sink,
        COLUMNS.iter().chain(READ_ONLY.iter()),
        PAGE,
        |conn, after| license_export::page(conn, filter, after, PAGE),
        |r| r.license.id,
        |r| cells(r, now),
    )?;
    record(
        conn,
        actor,
        "licenses.exported",
        "license",
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
    action: &str,
    object_type: &str,
    filters: &str,
    rows: u64,
    complete: bool,
) -> Result<(), String> {
    crate::db::write_tx(conn, |c| {
        audit::record(
            c,
            actor,
            Entry::new(action, object_type, None)
                .label("CSV export")
                .after(json!({ "filters": filters, "rows": rows, "complete": complete })),
        )
    })
    .map_err(|e: diesel::result::Error| e.to_string())
}
