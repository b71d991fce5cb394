//! `keyfold import customers|licenses FILE [--dry-run] [--update]` and
//! `keyfold export customers|licenses [filters] > FILE`: the same checks, messages,
//! all-or-nothing commit and streaming as the admin portal, for files too big to upload.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::domain::values;
use crate::models::audit::Actor;
use crate::models::{customer, license};

use super::run::{self, Kind};
use super::stream::Sink;

/// At most this many problems are printed (all are on the import's page).
const PRINTED: usize = 20;

/// Checks a file and, unless `dry_run` or it has problems, imports it.
pub fn import<K: Kind>(
    config: &Config,
    path: &std::path::Path,
    dry_run: bool,
    update: bool,
) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    let actor = Actor::system("command line");
    let terminal = std::io::stderr().is_terminal();
    if terminal {
        eprint!("Checking {name}…");
    }
    let checked = run::preview_keeping::<K>(&mut conn, &actor, &name, &bytes, update);
    if terminal {
        eprint!("\r\x1b[2K");
    }
    drop(bytes);
    let (import, rows) = checked.map_err(|e| e.to_string())?;
    if let Some(e) = &import.file_error {
        return Err(format!("{name}: {e}"));
    }
    println!(
        "{name}: {} rows: {} to create, {} to update, {} to skip, {} problems.",
        import.total_rows,
        import.create_count,
        import.update_count,
        import.skip_count,
        import.error_count
    );
    if import.error_count > 0 {
        let problems = crate::models::import::problems(&mut conn, import.id, 0, PRINTED as i64)
            .map_err(|e| e.to_string())?;
        for (_, p) in problems {
            let column = if p.column.is_empty() {
                String::new()
            } else {
                format!(", column {}", p.column)
            };
            println!("  line {}{column}: {} — {}", p.line, p.kind, p.message);
        }
        if import.error_count as usize > PRINTED {
            println!("  … and {} more.", import.error_count as usize - PRINTED);
        }
        return Err("nothing was imported: fix the file and run again.".to_owned());
    }
    if dry_run {
        println!("Dry run: nothing was imported.");
        return Ok(());
    }
    let begun = run::begin(&mut conn, import.id).map_err(|e| e.to_string())?;
    let mut line = ProgressLine::new(terminal);
    let done =
        run::finish_planned::<K>(&mut conn, &actor, &begun, Some(rows), &mut |p| line.show(p));
    line.end();
    let done = done.map_err(|e| e.to_string())?;
    println!(
        "Imported: {} created, {} updated, {} skipped.",
        done.create_count, done.update_count, done.skip_count
    );
    Ok(())
}

/// The commit's progress on one terminal line, redrawn at most five times a second
/// (nothing when standard error is not a terminal).
struct ProgressLine {
    on: bool,
    started: Instant,
    drawn: Option<Instant>,
}

impl ProgressLine {
    fn new(on: bool) -> Self {
        ProgressLine {
            on,
            started: Instant::now(),
            drawn: None,
        }
    }

    fn show(&mut self, p: run::Progress) {
        let due = self
            .drawn
            .is_none_or(|at| at.elapsed() >= Duration::from_millis(200));
        if !self.on || !(due || p.publishing) {
            return;
        }
        self.drawn = Some(Instant::now());
        let text = if p.publishing {
            format!(
                "Importing: all {} rows loaded; making them visible…",
                p.total
            )
        } else {
            let seconds = self.started.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 {
                p.done as f64 / seconds
            } else {
                0.0
            };
            let percent = if p.total > 0 {
                p.done * 100 / p.total
            } else {
                100
            };
            let left = if rate >= 1.0 {
                format!(
                    ", about {:.0} s left",
                    ((p.total - p.done) as f64 / rate).ceil().max(1.0)
                )
            } else {
                String::new()
            };
            format!(
                "Importing: {} of {} rows ({percent}%), {rate:.0} rows/s{left}",
                p.done, p.total
            )
        };
        eprint!("\r\x1b[2K{text}");
        let _ = std::io::stderr().flush();
    }

    fn end(&self) {
        if self.on && self.drawn.is_some() {
            eprintln!();
        }
    }
}

/// What `keyfold export` writes.
pub enum Export {
    Customers(customer::Filter),
    Licenses(license::Filter),
}

/// A date filter of the command line.
pub fn date(name: &str, value: &Option<String>) -> Result<Option<chrono::NaiveDate>, String> {
    match value {
        None => Ok(None),
        Some(v) => values::optional_date(v).map_err(|e| format!("--{name}: {e}")),
    }
}

/// Streams an export to standard output.
pub fn export(config: &Config, what: Export) -> Result<(), String> {
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    let (mut sink, mut rx) = Sink::channel();
    let actor = Actor::system("command line");
    let producer = std::thread::spawn(move || match what {
        Export::Customers(f) => {
            super::customers::export(&mut conn, &mut sink, &f, &actor, "command line")
        }
        Export::Licenses(f) => {
            super::licenses::export(&mut conn, &mut sink, &f, &actor, "command line")
        }
    });
    let mut out = std::io::stdout().lock();
    while let Some(page) = rx.blocking_recv() {
        if let Err(e) = out.write_all(&page) {
            drop(rx);
            let _ = producer.join();
            return Err(format!("standard output: {e}"));
        }
    }
    out.flush().map_err(|e| format!("standard output: {e}"))?;
    producer
        .join()
        .map_err(|_| "the export stopped unexpectedly".to_owned())?
}
