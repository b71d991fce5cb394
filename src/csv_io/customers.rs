//! The customers CSV: the columns an import reads, then read-only ones (status, created)
//! that an import recognises and ignores.

use super::licenses::{iso, record};
use super::stream::{export_pages, write_cells, Sink};
use crate::db::DbConnection;
use crate::models::audit::Actor;
use crate::models::customer::Filter;
use crate::models::customer_export::{self, ExportRow};

/// Columns an import of customers reads.
pub const COLUMNS: [&str; 16] = [
    "email",
    "first_name",
    "last_name",
    "company_name",
    "phone",
    "reference",
    "external_id",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "state",
    "country",
    "customer_account",
    "labels",
    "metadata",
];

/// Columns an export adds and an import ignores.
pub const READ_ONLY: [&str; 2] = ["status", "created_at"];

const PAGE: i64 = 5_000;

fn cells(r: &ExportRow) -> [String; 18] {
    let c = &r.customer;
    [
        c.email.clone(),
        c.first_name.clone(),
        c.last_name.clone(),
        c.company.clone(),
        c.phone.clone(),
        c.reference.clone(),
        c.external_id.clone(),
        c.address_line1.clone(),
        c.address_line2.clone(),
        c.postcode.clone(),
        c.city.clone(),
        c.state.clone(),
        c.country.clone(),
        r.account_code.clone().unwrap_or_default(),
        r.labels.join(";"),
        c.metadata.clone(),
        c.status.clone(),
        iso(c.created_at),
    ]
}

/// Streams every customer matching `filter` into `sink`, then audits the export.
pub fn export(
    conn: &mut DbConnection,
    sink: &mut Sink,
    filter: &Filter,
    actor: &Actor,
    filters: &str,
) -> Result<(), String> {
    let complete = export_pages(
        conn,
        sink,
        COLUMNS.iter().chain(READ_ONLY.iter()),
        PAGE,
        |conn, after| customer_export::page(conn, filter, after, PAGE),
        |r| r.customer.id.into(),
        |out, r| write_cells(out, cells(r)),
    )?;
    record(
        conn,
        actor,
        ("customers.exported", "customer"),
        filters,
        sink.rows,
        complete,
    )
}
