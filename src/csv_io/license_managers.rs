//! The license managers list's CSV: the list's filters, oldest first, streamed a page at
//! a time and audited like the other list exports.

use super::licenses::{iso, record};
use super::stream::{export_pages, write_cells, Sink};
use crate::db::DbConnection;
use crate::models::audit::Actor;
use crate::models::license_manager::{self, Filter};

pub const COLUMNS: [&str; 6] = [
    "email",
    "name",
    "state",
    "orders",
    "last_sign_in_at",
    "created_at",
];

const PAGE: i64 = 500;

/// Streams the managers `filter` matches into `sink`, then records the export.
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
        COLUMNS,
        PAGE,
        |conn, after| license_manager::export_page(conn, filter, after, PAGE),
        |r| r.manager.id.into(),
        |out, r| {
            write_cells(
                out,
                [
                    r.manager.email.clone(),
                    r.manager.name.clone(),
                    r.state.label().to_owned(),
                    r.orders.to_string(),
                    r.manager.last_sign_in_at.map(iso).unwrap_or_default(),
                    iso(r.manager.created_at),
                ],
            )
        },
    )?;
    record(
        conn,
        actor,
        ("license_managers.exported", "license_manager"),
        filters,
        sink.rows,
        complete,
    )
}
