//! The orders list's CSV: one row per order with its customer and license count, the
//! list's filters, streamed a page at a time and audited like the other list exports.
//! (One order with all its licenses is `order_export`.)

use super::licenses::{iso, record};
use super::stream::{export_pages, write_cells, Sink};
use crate::db::DbConnection;
use crate::models::audit::Actor;
use crate::models::order::{self, Filter};

pub const COLUMNS: [&str; 7] = [
    "order_reference",
    "created_at",
    "is_test",
    "is_trial",
    "customer_email",
    "customer_name",
    "licenses",
];

const PAGE: i64 = 5_000;

/// Streams the orders `filter` matches into `sink` (oldest first), then records the
/// export with its filters and row count.
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
        |conn, after| order::export_page(conn, filter, after, PAGE),
        |r| r.id.into(),
        |out, r| {
            write_cells(
                out,
                [
                    r.reference.clone(),
                    iso(r.created_at),
                    r.is_test.to_string(),
                    r.is_trial.to_string(),
                    r.customer_email.clone().unwrap_or_default(),
                    r.customer_name.clone(),
                    r.licenses.to_string(),
                ],
            )
        },
    )?;
    record(
        conn,
        actor,
        ("orders.exported", "order"),
        filters,
        sink.rows,
        complete,
    )
}
