//! The audit log's CSV: the entries the log's filters match, oldest first, in the words
//! the page uses (the action's sentence beside its code, changes by field label),
//! streamed a page at a time; the export itself is recorded in the log.

use super::licenses::{iso, record};
use super::stream::{export_pages, write_cells, Sink};
use crate::db::DbConnection;
use crate::models::audit::{self, Actor, AuditRow, Filter};

pub const COLUMNS: [&str; 11] = [
    "at",
    "actor",
    "actor_kind",
    "source",
    "ip",
    "action",
    "action_code",
    "object_type",
    "object_id",
    "object_label",
    "changes",
];

const PAGE: i64 = 2_000;

/// The changes of an entry on one line: `Field: before → after; …`.
fn changes(r: &AuditRow) -> String {
    r.changes()
        .into_iter()
        .map(|c| match (c.before, c.after) {
            (Some(b), Some(a)) => format!("{}: {b} → {a}", c.field),
            (None, Some(a)) => format!("{}: {a}", c.field),
            (Some(b), None) => format!("{}: {b} → (removed)", c.field),
            (None, None) => c.field,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Streams the entries `filter` matches into `sink`, then records the export.
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
        |conn, after| audit::export_page(conn, filter, after, PAGE),
        |r| r.id,
        |out, r| {
            write_cells(
                out,
                [
                    iso(r.at),
                    r.actor_label.clone(),
                    r.actor_kind.as_str().to_owned(),
                    r.source.clone(),
                    r.ip.clone().unwrap_or_default(),
                    r.sentence(),
                    r.action.clone(),
                    r.object_type.clone(),
                    r.object_id.map(|i| i.to_string()).unwrap_or_default(),
                    r.object_label.clone(),
                    changes(r),
                ],
            )
        },
    )?;
    record(
        conn,
        actor,
        ("audit.exported", "audit_log"),
        filters,
        sink.rows,
        complete,
    )
}
