//! CSV imports as stored: the uploaded file and its dry-run preview (counts and every
//! problem, so any instance can show or commit it), the Imports page's list, and the
//! commit's bookkeeping (status, rows staged, the one audit row with the counts).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::{ModelError, ModelResult, Page};
use crate::db::schema::{import_files, import_problems, imports};
use crate::db::DbConnection;

/// At most this many problems are listed on an import's page (all are kept).
pub const PROBLEMS_SHOWN: i64 = 1_000;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub update_existing: bool,
    pub status: String,
    pub total_rows: i64,
    pub create_count: i64,
    pub update_count: i64,
    pub skip_count: i64,
    pub error_count: i64,
    pub rows_done: i64,
    pub file_error: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// When the commit began.
    pub started_at: Option<NaiveDateTime>,
    /// When the commit last reported progress.
    pub updated_at: NaiveDateTime,
    /// What a licenses file would create besides its licenses (JSON; see
    /// [`crate::models::license_import::WouldCreate`]).
    pub preview_details: Option<String>,
}

/// A running commit as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitProgress {
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    /// Rows per second so far (none before the first chunk).
    pub rate: Option<i64>,
    /// Roughly how long the rest takes, in words.
    pub left: Option<String>,
    /// All rows are staged: the final switch that makes them visible is running.
    pub publishing: bool,
}

impl CommitProgress {
    pub fn summary(&self) -> String {
        if self.done == 0 && !self.publishing {
            return format!(
                "Checking the file again before loading its {} rows…",
                self.total
            );
        }
        if self.publishing {
            return format!(
                "All {} rows loaded; making them visible at once…",
                self.total
            );
        }
        let mut s = format!("{} of {} rows ({}%)", self.done, self.total, self.percent);
        if let Some(rate) = self.rate {
            s.push_str(&format!(" · {rate} rows/s"));
        }
        if let Some(left) = &self.left {
            s.push_str(&format!(" · {left}"));
        }
        s
    }
}

/// "about 40 s left", "about 3 min left".
fn time_left(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("about {} s left", s.max(1)),
        s if s < 3600 => format!("about {} min left", (s + 59) / 60),
        s => format!("about {} h {} min left", s / 3600, (s % 3600) / 60),
    }
}

impl Import {
    /// How far a running commit is (rate and time left from its start and last report).
    pub fn progress(&self) -> CommitProgress {
        let total = self.total_rows.max(0);
        let done = self.rows_done.clamp(0, total);
        let percent = if total == 0 { 100 } else { done * 100 / total };
        let elapsed_ms = self
            .started_at
            .map(|s| (self.updated_at - s).num_milliseconds())
            .unwrap_or(0);
        let rate = (done > 0 && elapsed_ms > 0).then(|| {
            (i128::from(done) * 1000 / i128::from(elapsed_ms)).clamp(1, i128::from(i64::MAX)) as i64
        });
        let left = rate
            .filter(|_| done < total)
            .map(|r| time_left((total - done) / r.max(1)));
        CommitProgress {
            done,
            total,
            percent,
            rate,
            left,
            publishing: self.status == "committing" && total > 0 && done >= total,
        }
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "previewed" if self.error_count > 0 || self.file_error.is_some() => "Has problems",
            "previewed" => "Ready to import",
            "committing" => "Importing",
            "committed" => "Imported",
            "interrupted" => "Interrupted",
            _ => "Failed",
        }
    }

    /// What the import did or would do, in a few words for the Imports list: what was
    /// created only after a commit, what would be only for a preview that can be
    /// imported, and "Nothing imported" for one with problems.
    pub fn outcome(&self) -> String {
        let counts = |verb: [&str; 3]| {
            let mut parts = vec![format!("{} {}", verb[0], self.create_count)];
            if self.kind == "customers" {
                parts.push(format!("{} {}", verb[1], self.update_count));
                parts.push(format!("{} {}", verb[2], self.skip_count));
            }
            parts.join(", ")
        };
        match self.status.as_str() {
            "committed" => counts(["Created", "updated", "skipped"]),
            "previewed" if self.can_commit() => counts(["Would create", "update", "skip"]),
            "committing" => "Importing…".to_owned(),
            _ => "Nothing imported".to_owned(),
        }
    }

    /// How long a finished commit took, in words ("14 s", "3 min 5 s").
    pub fn took(&self) -> Option<String> {
        let seconds = (self.finished_at? - self.started_at?).num_seconds().max(0);
        Some(if seconds < 60 {
            format!("{seconds} s")
        } else {
            format!("{} min {} s", seconds / 60, seconds % 60)
        })
    }

    /// Whether the preview found nothing wrong and nothing was imported yet.
    pub fn can_commit(&self) -> bool {
        self.status == "previewed" && self.error_count == 0 && self.file_error.is_none()
    }

    pub fn kind_label(&self) -> &'static str {
        if self.kind == "licenses" {
            "Licenses"
        } else {
            "Customers"
        }
    }
}

/// One problem of a file: the line (1 is the header), the column and why.
#[derive(Queryable, Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: i64,
    pub column: String,
    pub kind: String,
    pub message: String,
}

/// What a dry run found.
#[derive(Debug, Default, Clone)]
pub struct Preview {
    pub total: i64,
    pub create: i64,
    pub update: i64,
    pub skip: i64,
    pub problems: Vec<RowProblem>,
    /// A problem of the whole file (nothing else was read).
    pub file_error: Option<String>,
    /// Kind-specific details of the preview (JSON), kept with it.
    pub details: Option<String>,
}

/// Stores an uploaded file with its preview; one audit row says who uploaded what.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: &str,
    file_name: &str,
    data: &[u8],
    update_existing: bool,
    preview: &Preview,
) -> QueryResult<Import> {
    let now = super::now();
    let id: i64 = diesel::insert_into(imports::table)
        .values((
            imports::kind.eq(kind),
            imports::file_name.eq(file_name),
            imports::update_existing.eq(update_existing),
            imports::status.eq(if preview.file_error.is_some() {
                "failed"
            } else {
                "previewed"
            }),
            imports::total_rows.eq(preview.total),
            imports::create_count.eq(preview.create),
            imports::update_count.eq(preview.update),
            imports::skip_count.eq(preview.skip),
            imports::preview_details.eq(preview.details.as_deref()),
            imports::error_count.eq(preview.problems.len() as i64),
            imports::file_error.eq(preview.file_error.as_deref()),
            imports::staff_id.eq(actor.id),
            imports::created_by.eq(&actor.label),
            imports::created_at.eq(now),
            imports::updated_at.eq(now),
        ))
        .returning(imports::id)
        .get_result(conn)?;
    diesel::insert_into(import_files::table)
        .values((import_files::import_id.eq(id), import_files::data.eq(data)))
        .execute(conn)?;
    for p in &preview.problems {
        diesel::insert_into(import_problems::table)
            .values((
                import_problems::import_id.eq(id),
                import_problems::line.eq(p.line),
                import_problems::column_name.eq(&p.column),
                import_problems::kind.eq(&p.kind),
                import_problems::message.eq(&p.message),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        actor,
        Entry::new("import.previewed", "import", Some(id))
            .label(file_name)
            .after(counts(preview.total, preview, kind)),
    )?;
    find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

fn counts(total: i64, p: &Preview, kind: &str) -> serde_json::Value {
    json!({
        "kind": kind,
        "rows": total,
        "create": p.create,
        "update": p.update,
        "skip": p.skip,
        "problems": p.problems.len(),
        "file_error": p.file_error,
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Import>> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .optional()
}

/// The uploaded file.
pub fn file(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<u8>> {
    import_files::table
        .find(id)
        .select(import_files::data)
        .first(conn)
}

/// The first `limit` problems after `after` (a problem's id), in file order.
pub fn problems(
    conn: &mut DbConnection,
    id: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, RowProblem)>> {
    let rows: Vec<(i64, i64, String, String, String)> = import_problems::table
        .filter(import_problems::import_id.eq(id))
        .filter(import_problems::id.gt(after))
        .order(import_problems::id.asc())
        .limit(limit)
        .select((
            import_problems::id,
            import_problems::line,
            import_problems::column_name,
            import_problems::kind,
            import_problems::message,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(pid, line, column, kind, message)| {
            (
                pid,
                RowProblem {
                    line,
                    column,
                    kind,
                    message,
                },
            )
        })
        .collect())
}

/// How many problems of each kind.
pub fn problem_counts(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<(String, i64)>> {
    import_problems::table
        .filter(import_problems::import_id.eq(id))
        .group_by(import_problems::kind)
        .select((import_problems::kind, diesel::dsl::count_star()))
        .order(import_problems::kind.asc())
        .load(conn)
}

/// Imports newest first, a numbered page at a time with a bounded count.
pub fn list(conn: &mut DbConnection, paging: super::Paging) -> QueryResult<Page<Import>> {
    use super::COUNT_LIMIT;
    let load = |conn: &mut DbConnection, p: super::Paging| {
        imports::table
            .select(Import::as_select())
            .order(imports::id.desc())
            .limit(p.per_page)
            .offset(p.offset())
            .load::<Import>(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let n = imports::table
            .select(imports::id)
            .limit(COUNT_LIMIT + 1)
            .load::<i64>(conn)?
            .len();
        Ok(n)
    };
    paging.read(conn, load, count)
}

/// Takes a previewed import for committing (refused when it has problems or was
/// committed already, by anyone on any instance).
pub fn start(conn: &mut DbConnection, id: i64) -> ModelResult<Import> {
    let import = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if !import.can_commit() {
        return Err(ModelError::refused("import_not_committable", match import.status.as_str() {
            "committed" => "This file was imported already.".to_owned(),
            "committing" => "This file is being imported.".to_owned(),
            _ => "Only a file without problems can be imported: fix the file and upload it again."
                .to_owned(),
        }));
    }
    let now = super::now();
    let taken = diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq("previewed")),
    )
    .set((
        imports::status.eq("committing"),
        imports::rows_done.eq(0),
        imports::lease_until.eq(Some(now + chrono::Duration::minutes(5))),
        imports::started_at.eq(Some(now)),
        imports::updated_at.eq(now),
    ))
    .execute(conn)?;
    if taken == 0 {
        return Err(ModelError::refused(
            "import_in_progress",
            "This file is being imported.".to_owned(),
        ));
    }
    find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Records rows staged so far (and renews the lease).
pub fn progress(conn: &mut DbConnection, id: i64, rows_done: i64) -> QueryResult<()> {
    let now = super::now();
    diesel::update(imports::table.find(id))
        .set((
            imports::rows_done.eq(rows_done),
            imports::lease_until.eq(Some(now + chrono::Duration::minutes(5))),
            imports::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the import done with what it did, and audits it (in the final transaction).
pub fn finish(
    conn: &mut DbConnection,
    actor: &Actor,
    import: &Import,
    preview: &Preview,
) -> QueryResult<()> {
    let now = super::now();
    diesel::update(imports::table.find(import.id))
        .set((
            imports::status.eq("committed"),
            imports::rows_done.eq(preview.total),
            imports::create_count.eq(preview.create),
            imports::update_count.eq(preview.update),
            imports::skip_count.eq(preview.skip),
            imports::lease_until.eq(None::<NaiveDateTime>),
            imports::updated_at.eq(now),
            imports::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("import.committed", "import", Some(import.id))
            .label(&import.file_name)
            .after(counts(preview.total, preview, &import.kind)),
    )
}

/// Marks a commit that failed (nothing of it is visible) with the reason; its problems,
/// if the file no longer passes, are stored for the page.
pub fn fail(
    conn: &mut DbConnection,
    id: i64,
    reason: &str,
    problems: &[RowProblem],
) -> QueryResult<()> {
    let now = super::now();
    diesel::update(imports::table.find(id))
        .set((
            imports::status.eq("failed"),
            imports::file_error.eq(Some(reason)),
            imports::error_count.eq(problems.len() as i64),
            imports::lease_until.eq(None::<NaiveDateTime>),
            imports::updated_at.eq(now),
            imports::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    diesel::delete(import_problems::table.filter(import_problems::import_id.eq(id)))
        .execute(conn)?;
    for p in problems {
        diesel::insert_into(import_problems::table)
            .values((
                import_problems::import_id.eq(id),
                import_problems::line.eq(p.line),
                import_problems::column_name.eq(&p.column),
                import_problems::kind.eq(&p.kind),
                import_problems::message.eq(&p.message),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Imports whose commit stopped without finishing (the process died: its lease lapsed)
/// are marked interrupted and their staging rows removed; nothing of them was visible.
pub fn sweep_lapsed(conn: &mut DbConnection) -> QueryResult<usize> {
    let now = super::now();
    let lapsed: Vec<i64> = imports::table
        .filter(imports::status.eq("committing"))
        .filter(imports::lease_until.lt(now))
        .select(imports::id)
        .load(conn)?;
    for id in &lapsed {
        crate::db::write_tx(conn, |c| {
            super::customer_import::clear(c, *id)?;
            super::license_import::clear(c, *id)?;
            diesel::update(
                imports::table
                    .find(*id)
                    .filter(imports::status.eq("committing")),
            )
            .set((
                imports::status.eq("interrupted"),
                imports::file_error.eq(Some(
                    "The import stopped before it finished (the server was stopped or failed); nothing of it is visible. Upload the file again.",
                )),
                imports::lease_until.eq(None::<NaiveDateTime>),
                imports::updated_at.eq(now),
                imports::finished_at.eq(Some(now)),
            ))
            .execute(c)
        })?;
    }
    Ok(lapsed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(total: i64, done: i64, seconds: i64) -> Import {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        Import {
            id: 1,
            kind: "licenses".into(),
            file_name: "l.csv".into(),
            update_existing: false,
            status: "committing".into(),
            total_rows: total,
            create_count: total,
            update_count: 0,
            skip_count: 0,
            error_count: 0,
            rows_done: done,
            file_error: None,
            created_by: "me".into(),
            created_at: start,
            finished_at: None,
            started_at: Some(start),
            updated_at: start + chrono::Duration::seconds(seconds),
            preview_details: None,
        }
    }

    #[test]
    fn progress_tells_rows_rate_and_time_left() {
        let p = running(100_000, 25_000, 5).progress();
        assert_eq!((p.percent, p.rate), (25, Some(5_000)));
        assert_eq!(
            p.summary(),
            "25000 of 100000 rows (25%) · 5000 rows/s · about 15 s left"
        );
        let p = running(1_000_000, 10_000, 10).progress();
        assert_eq!(p.left.as_deref(), Some("about 17 min left"));
        assert!(running(12_000, 0, 1)
            .progress()
            .summary()
            .starts_with("Checking the file again"));
        let p = running(12_000, 12_000, 3).progress();
        assert!(p.publishing && p.summary().contains("making them visible"));
    }

    #[test]
    fn progress_survives_odd_rows() {
        // More rows reported than the file has, no time passed, a clock gone backwards.
        let p = running(10, 50, 0).progress();
        assert_eq!((p.done, p.percent, p.rate), (10, 100, None));
        assert_eq!(running(10, 5, -3).progress().rate, None);
        assert_eq!(running(0, 0, 1).progress().percent, 100);
    }
}
