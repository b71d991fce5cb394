//! What every kind of import shares: the dry run that stores a file with its preview,
//! and the commit that checks the stored file again, stages its rows a chunk per short
//! transaction and publishes them in one — or, on any failure, clears what was staged and
//! records why, so nothing of the file is visible. On SQLite the staging tables are the
//! connection's private TEMP copies (`db::private_staging`): staging never holds the one
//! writer's lock, which only the final switch and the few progress writes take.

use diesel::Connection;

use crate::db::DbConnection;
use crate::models::audit::Actor;
use crate::models::import::{self, Import, Preview, RowProblem};
use crate::models::{ModelError, ModelResult};

/// Rows staged per transaction.
pub const CHUNK: usize = 500;

/// The page cache (MiB) the final switch runs with on SQLite.
const PUBLISH_CACHE_MIB: u32 = 256;

/// How often a commit records its progress (and renews its lease).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What checking a file gives: the rows it would write and its preview, or a problem of
/// the whole file.
pub type Plan<R> = ModelResult<Result<(Vec<R>, Preview), String>>;

/// One kind of import (customers, licenses).
pub trait Kind {
    /// What a checked row will write.
    type Row: Send;
    /// The kind's name in the `imports` table.
    const NAME: &'static str;
    /// Its staging tables with their key columns (see [`crate::db::private_staging`]).
    const STAGING: &'static [(&'static str, &'static str)];
    /// Checks the whole file: the rows it would write and its preview, or a problem of
    /// the whole file.
    fn plan(conn: &mut DbConnection, bytes: &[u8], update_existing: bool) -> Plan<Self::Row>;
    fn stage(conn: &mut DbConnection, import: i64, rows: &[Self::Row]) -> diesel::QueryResult<()>;
    /// Work on the staged rows that can come before the final switch (none by default).
    fn prepare(_conn: &mut DbConnection, _import: i64) -> diesel::QueryResult<()> {
        Ok(())
    }
    fn publish(conn: &mut DbConnection, import: &Import) -> diesel::QueryResult<()>;
    fn clear(conn: &mut DbConnection, import: i64) -> diesel::QueryResult<()>;
}

/// A problem at a line and column.
pub fn problem(line: u64, column: &str, kind: &str, message: impl Into<String>) -> RowProblem {
    RowProblem {
        line: line as i64,
        column: column.to_owned(),
        kind: kind.to_owned(),
        message: message.into(),
    }
}

/// The dry run of an upload: checks the file and stores it with its preview.
pub fn preview<K: Kind>(
    conn: &mut DbConnection,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    update_existing: bool,
) -> ModelResult<Import> {
    preview_keeping::<K>(conn, actor, file_name, bytes, update_existing).map(|(i, _)| i)
}

/// The dry run, keeping the rows it planned for a commit that follows at once (the
/// command line), which then need not check the file a second time.
pub fn preview_keeping<K: Kind>(
    conn: &mut DbConnection,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    update_existing: bool,
) -> ModelResult<(Import, Vec<K::Row>)> {
    let started = std::time::Instant::now();
    let (rows, preview) = match K::plan(conn, bytes, update_existing)? {
        Ok(planned) => planned,
        Err(file_error) => (
            Vec::new(),
            Preview {
                file_error: Some(file_error),
                ..Preview::default()
            },
        ),
    };
    tracing::info!(rows = preview.total, took = ?started.elapsed(), "import checked");
    let import = crate::db::write_tx(conn, |c| -> ModelResult<Import> {
        Ok(import::create(
            c,
            actor,
            K::NAME,
            file_name,
            bytes,
            update_existing,
            &preview,
        )?)
    })?;
    Ok((import, rows))
}

enum Failure {
    Problems(Vec<RowProblem>),
    Model(ModelError),
}

impl From<ModelError> for Failure {
    fn from(e: ModelError) -> Self {
        Failure::Model(e)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Failure::Model(e.into())
    }
}

/// Imports of more rows than this commit in the background, their page showing progress.
pub const BACKGROUND_ROWS: i64 = 10_000;

/// How far a commit is: rows staged of all, and whether the final switch is under way.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
    pub publishing: bool,
}

/// Takes a previewed import for committing (refused when it has problems or is being or
/// was imported already): the part of a commit that answers at once.
pub fn begin(conn: &mut DbConnection, id: i64) -> ModelResult<Import> {
    crate::db::write_tx(conn, |c| import::start(c, id))
}

/// The rest of a commit begun with [`begin`]: stages and publishes the rows, telling
/// `on_progress` after every chunk; on failure clears what was staged and records why.
pub fn finish<K: Kind>(
    conn: &mut DbConnection,
    actor: &Actor,
    import: &Import,
    on_progress: &mut dyn FnMut(Progress),
) -> ModelResult<Import> {
    finish_planned::<K>(conn, actor, import, None, on_progress)
}

/// [`finish`] with the rows the import's dry run planned a moment ago (see
/// [`preview_keeping`]), or `None` to check the stored file again.
pub fn finish_planned<K: Kind>(
    conn: &mut DbConnection,
    actor: &Actor,
    import: &Import,
    planned: Option<Vec<K::Row>>,
    on_progress: &mut dyn FnMut(Progress),
) -> ModelResult<Import> {
    let id = import.id;
    let staged = crate::db::private_staging(conn, K::STAGING)
        .map_err(Failure::from)
        .and_then(|()| stage_and_publish::<K>(conn, actor, import, planned, on_progress));
    if let Err(e) = crate::db::end_private_staging(conn, K::STAGING) {
        tracing::warn!(
            import = id,
            "the import's staging tables stay until the connection closes: {e}"
        );
    }
    if let Err(e) = staged {
        let (reason, problems) = match e {
            Failure::Problems(p) => (
                "The file no longer passes its checks (the data changed since the preview); nothing was imported.".to_owned(),
                p,
            ),
            Failure::Model(ModelError::Db(e)) => (
                format!("The import failed and nothing of it was kept: {e}."),
                Vec::new(),
            ),
            Failure::Model(e) => (format!("{e}"), Vec::new()),
        };
        crate::db::write_tx(conn, |c| {
            K::clear(c, id)?;
            import::fail(c, id, &reason, &problems)
        })?;
        return Err(ModelError::refused("import_has_problems", reason));
    }
    import::find(conn, id)?.ok_or(ModelError::NotFound)
}

fn stage_and_publish<K: Kind>(
    conn: &mut DbConnection,
    actor: &Actor,
    import: &Import,
    planned: Option<Vec<K::Row>>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let (rows, preview) = match planned {
        Some(rows) => (
            rows,
            Preview {
                total: import.total_rows,
                create: import.create_count,
                update: import.update_count,
                skip: import.skip_count,
                ..Preview::default()
            },
        ),
        None => {
            let bytes = import::file(conn, import.id)?;
            match K::plan(conn, &bytes, import.update_existing)? {
                Ok((_, p)) if !p.problems.is_empty() => return Err(Failure::Problems(p.problems)),
                Ok(planned) => planned,
                Err(file_error) => {
                    return Err(Failure::Problems(vec![problem(
                        1, "", "bad file", file_error,
                    )]))
                }
            }
        }
    };
    tracing::info!(rows = rows.len(), took = ?started.elapsed(), "import ready to stage");
    let total = rows.len() as i64;
    let mut done = 0i64;
    on_progress(Progress {
        done,
        total,
        publishing: false,
    });
    let mut reported = std::time::Instant::now();
    for chunk in rows.chunks(CHUNK) {
        done += chunk.len() as i64;
        // Staging tables are private (SQLite) or shared without a one-writer lock
        // (PostgreSQL): a chunk holds up nobody. Progress is written a few times a second.
        conn.transaction(|c| K::stage(c, import.id, chunk))?;
        if reported.elapsed() >= PROGRESS_EVERY || done == total {
            crate::db::write_tx(conn, |c| import::progress(c, import.id, done))?;
            reported = std::time::Instant::now();
        }
        on_progress(Progress {
            done,
            total,
            publishing: false,
        });
    }
    conn.transaction(|c| K::prepare(c, import.id))?;
    tracing::info!(rows = total, took = ?started.elapsed(), "import staged");
    on_progress(Progress {
        done,
        total,
        publishing: true,
    });
    let publishing = std::time::Instant::now();
    crate::db::with_large_cache(conn, PUBLISH_CACHE_MIB, |conn| {
        crate::db::write_tx(conn, |c| {
            K::publish(c, import)?;
            import::finish(c, actor, import, &preview)
        })
    })??;
    tracing::info!(rows = total, took = ?publishing.elapsed(), "import published");
    Ok(())
}
