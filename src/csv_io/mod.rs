//! CSV in and out. Exports are RFC 4180, UTF-8, with cells that a spreadsheet would run
//! as a formula neutralised.

pub mod audit;
pub mod cli;
pub mod customer_import;
pub mod customers;
pub mod license_import;
pub mod license_managers;
pub mod licenses;
pub mod order_export;
pub mod orders;
pub mod reader;
pub mod run;
pub mod stream;

use crate::db::{DbConnection, Pool};
use crate::models::audit::Actor;
use crate::models::import::Import;
use crate::models::ModelResult;
use run::Kind;

/// What a commit asked for in the portal came to.
pub enum Committed {
    /// Imported while the request waited.
    Done(Import),
    /// Too big to wait for: being imported on a thread of its own.
    InBackground(Import),
}

/// Commits a previewed import from the portal: taken at once (so a refusal is answered
/// at once); one of more than [`run::BACKGROUND_ROWS`] rows is finished in the
/// background, a smaller one here.
pub fn commit(
    conn: &mut DbConnection,
    pool: &Pool,
    actor: &Actor,
    id: i64,
) -> ModelResult<Committed> {
    let import = run::begin(conn, id)?;
    if import.total_rows > run::BACKGROUND_ROWS {
        match finish_in_background(pool.clone(), actor.clone(), import.clone()) {
            Ok(()) => return Ok(Committed::InBackground(import)),
            Err(e) => tracing::warn!("no thread for a background import, importing now: {e}"),
        }
    }
    finish_commit(conn, actor, &import, &mut |_| {}).map(Committed::Done)
}

/// Finishes a commit begun with [`run::begin`], whichever its kind.
pub fn finish_commit(
    conn: &mut DbConnection,
    actor: &Actor,
    import: &Import,
    on_progress: &mut dyn FnMut(run::Progress),
) -> ModelResult<Import> {
    if import.kind == license_import::Licenses::NAME {
        run::finish::<license_import::Licenses>(conn, actor, import, on_progress)
    } else {
        run::finish::<customer_import::Customers>(conn, actor, import, on_progress)
    }
}

/// Finishes a begun commit on a thread of its own with a pooled connection, so the
/// request that started it answers at once; the import's page shows its progress. If no
/// connection can be had, the import's lease lapses and it shows as interrupted.
pub fn finish_in_background(pool: Pool, actor: Actor, import: Import) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("import-{}", import.id))
        .spawn(move || {
            let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                finish_commit(&mut conn, &actor, &import, &mut |_| {}).map_err(|e| e.to_string())
            });
            match result {
                Ok(done) => tracing::info!(
                    import = done.id,
                    rows = done.total_rows,
                    "import committed in the background"
                ),
                Err(e) => tracing::warn!(import = import.id, "background import failed: {e}"),
            }
        })
        .map(|_| ())
}

/// Prefixes a cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return)
/// — or with a quote already — with a single quote, so a spreadsheet shows it as text
/// instead of running it (OWASP). [`restore`] takes exactly one such quote off again.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => {
            std::borrow::Cow::Owned(format!("'{cell}"))
        }
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// What an import reads from a cell: one leading quote taken off, so that
/// `restore(neutralise(x)) == x` for every cell.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(c).starts_with('\''), "{c:?}");
        }
        assert_eq!(neutralise("ORD-1"), "ORD-1");
        assert_eq!(neutralise(""), "");
        assert_eq!(neutralise("'quoted"), "''quoted");
    }

    #[test]
    fn restoring_takes_off_exactly_the_quote_neutralising_added() {
        for c in ["=1+1", "'x", "''y", "-5", "plain", "", "'", "@"] {
            assert_eq!(super::restore(&neutralise(c)), c, "{c:?}");
        }
    }
}
