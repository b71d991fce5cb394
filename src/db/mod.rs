//! Database access: one connection type over both backends, an r2d2 pool,
//! embedded migrations and the write-transaction helper.

pub mod schema;
pub mod search_words;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{backend_of, Backend};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to whichever backend `DATABASE_URL` selected.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Why the database could not be opened, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("{0}")]
    Url(String),
    #[error("cannot create the data folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
}

/// Opens concrete connections: the backend is chosen from the URL's scheme, so an error
/// names its real cause (diesel's MultiConnection would only say "invalid URL").
#[derive(Clone, Debug)]
pub struct Manager {
    backend: Backend,
    url: String,
}

impl Manager {
    pub fn new(url: &str) -> Result<Self, DbOpenError> {
        let backend = backend_of(url).map_err(|e| DbOpenError::Url(e.to_string()))?;
        let url = match backend {
            Backend::Postgres => with_connect_timeout(url),
            Backend::Sqlite => url.to_owned(),
        };
        Ok(Manager { backend, url })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// Whether the database answers a query right now.
///
/// On PostgreSQL a pooled connection asks the server. On SQLite the file is opened anew,
/// read-only: pooled connections keep answering from their open handle even after the
/// file was deleted or damaged, which a health check must notice.
pub fn probe(pool: &Pool, url: &str) -> Result<(), String> {
    const QUERY: &str = "SELECT key FROM settings LIMIT 1";
    match backend_of(url).map_err(|e| e.to_string())? {
        Backend::Postgres => {
            let mut conn = pool
                .get_timeout(Duration::from_secs(2))
                .map_err(|e| e.to_string())?;
            conn.batch_execute(QUERY).map_err(|e| e.to_string())
        }
        Backend::Sqlite => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let mut conn = SqliteConnection::establish(&format!("{url}{sep}mode=ro"))
                .map_err(|e| e.to_string())?;
            conn.batch_execute(QUERY).map_err(|e| e.to_string())
        }
    }
}

/// PostgreSQL URLs get a connect timeout so an unreachable server fails fast.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=5")
    } else {
        format!("{url}?connect_timeout=5")
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url).map(DbConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConnection::Pg),
        }
        .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection is thrown away, never reused, when it was checked out while a panic
    /// unwound, or when its transaction manager is broken or still inside a transaction
    /// (as diesel's own `ConnectionManager::has_broken`): a connection left in an open
    /// transaction would make every later write on it fail or silently never commit.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Per-connection SQLite settings: foreign keys, WAL, a busy timeout. The timeout is
/// long enough that a write waiting behind the longest single transaction Keyfold runs
/// (an import's final switch: about 8 s for a million licenses on a 2-core machine)
/// waits rather than fails.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Creates the SQLite file's folder when it does not exist yet.
fn ensure_sqlite_folder(url: &str) -> Result<(), DbOpenError> {
    let path = url.trim_start_matches("sqlite://");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            std::fs::create_dir_all(parent).map_err(|source| DbOpenError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Opens one migrated connection, without a pool: for one-shot commands, which then
/// exit with no pool threads still holding connections.
pub fn open_single(url: &str) -> Result<DbConnection, DbOpenError> {
    let manager = Manager::new(url)?;
    if manager.backend == Backend::Sqlite {
        ensure_sqlite_folder(url)?;
    }
    let mut conn = manager
        .connect()
        .map_err(|e| DbOpenError::Connect(one_line(&e.to_string())))?;
    SqlitePragmas
        .on_acquire(&mut conn)
        .map_err(|e| DbOpenError::Connect(one_line(&e.to_string())))?;
    run_migrations(&mut conn)?;
    Ok(conn)
}

/// Opens the database named by `url`, runs pending migrations and returns a pool.
///
/// One concrete connection is opened first, so a wrong URL or an unreachable server is
/// reported with its real cause at once instead of after the pool's time-out.
pub fn open(url: &str, max_size: u32) -> Result<Pool, DbOpenError> {
    let manager = Manager::new(url)?;
    if manager.backend == Backend::Sqlite {
        ensure_sqlite_folder(url)?;
    }
    let mut first = manager
        .connect()
        .map_err(|e| DbOpenError::Connect(one_line(&e.to_string())))?;
    SqlitePragmas
        .on_acquire(&mut first)
        .map_err(|e| DbOpenError::Connect(one_line(&e.to_string())))?;
    run_migrations(&mut first)?;
    if let DbConnection::Sqlite(c) = &mut first {
        // Fresh planner statistics where they are missing or stale (cheap: sampled).
        c.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
            .map_err(|e| DbOpenError::Migrate(one_line(&e.to_string())))?;
    }
    drop(first);
    // A PostgreSQL connection can die with its server, so each is tried on checkout; an
    // SQLite handle cannot, and the test (an unprepared `SELECT 1`) cost a parse each.
    let test_on_check_out = manager.backend == Backend::Postgres;
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .test_on_check_out(test_on_check_out)
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| DbOpenError::Connect(one_line(&e.to_string())))
}

/// Runs the pending migrations of the connection's backend. On PostgreSQL an advisory
/// lock keeps several instances starting at once from migrating concurrently.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), DbOpenError> {
    let err = |e: &dyn std::fmt::Display| DbOpenError::Migrate(one_line(&e.to_string()));
    let pg = matches!(conn, DbConnection::Pg(_));
    if pg {
        conn.batch_execute("SELECT pg_advisory_lock(7301985)")
            .map_err(|e| err(&e))?;
    }
    let migrated = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
    };
    let result = migrated
        .map_err(|e| err(&e))
        .and_then(|_| search_words::backfill(conn).map_err(|e| err(&e)));
    if pg {
        conn.batch_execute("SELECT pg_advisory_unlock(7301985)")
            .map_err(|e| err(&e))?;
    }
    result
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SQLite has one writer at a time. Within this process, writers queue here (a hand-off
/// with no delay) rather than in SQLite's busy handler, which polls with sleeps of up to
/// 100 ms: under concurrent writes that sleeping, not the work, set the pace. Other
/// processes (the CLI beside a server) still meet `busy_timeout`. One lock for every
/// SQLite database a process opens: tests with several databases in one process only
/// serialise their writes.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (a deferred transaction
/// that reads and then writes fails with SQLITE_BUSY, which busy_timeout does not cure),
/// taken after this process's other writers ([`SQLITE_WRITER`]); an ordinary transaction
/// on PostgreSQL. Rolled back when `f` returns an error.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Pg(_) => conn.transaction(f),
        DbConnection::Sqlite(c) => {
            // The lock guards no data, so a writer that panicked leaves nothing broken.
            let _writer = SQLITE_WRITER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    // The original error matters more than a failed rollback.
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e)
                }
            }
        }
    }
}

/// Gives this connection private copies of the named staging tables, each with a unique
/// index on its key columns — on SQLite only, where they are TEMP tables: they shadow the
/// database's tables of the same name for this connection alone, live in SQLite's
/// separate temporary database (so filling them never takes the one writer's lock that
/// other users' writes wait for), and vanish with the connection if the process dies. On
/// PostgreSQL, which has no one-writer lock, the shared staging tables are used as they
/// are. Table and column names are the caller's constants.
pub fn private_staging(conn: &mut DbConnection, tables: &[(&str, &str)]) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        end_private_staging_sqlite(c, tables)?;
        for (table, key) in tables {
            c.batch_execute(&format!(
                "CREATE TEMP TABLE {table} AS SELECT * FROM main.{table} WHERE 0; \
                 CREATE UNIQUE INDEX temp.{table}_key ON {table} ({key});"
            ))?;
        }
    }
    Ok(())
}

/// Whether this connection's staging tables are private copies (SQLite), which vanish
/// when the commit ends and need no clearing.
pub fn staging_is_private(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Sqlite(_))
}

/// Drops the private staging tables of [`private_staging`] (no-op on PostgreSQL).
pub fn end_private_staging(conn: &mut DbConnection, tables: &[(&str, &str)]) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => end_private_staging_sqlite(c, tables),
        DbConnection::Pg(_) => Ok(()),
    }
}

fn end_private_staging_sqlite(
    c: &mut SqliteConnection,
    tables: &[(&str, &str)],
) -> QueryResult<()> {
    for (table, _) in tables {
        c.batch_execute(&format!("DROP TABLE IF EXISTS temp.{table}"))?;
    }
    Ok(())
}

/// Runs `f` with a page cache of `mib` MiB on SQLite (the default is 2 MiB), then gives
/// the memory back: a bulk insert into tables with many indexes runs far faster when
/// their pages stay in memory. PostgreSQL sizes its own buffers.
pub fn with_large_cache<T>(
    conn: &mut DbConnection,
    mib: u32,
    f: impl FnOnce(&mut DbConnection) -> T,
) -> QueryResult<T> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024))?;
    }
    let out = f(conn);
    if sqlite {
        conn.batch_execute("PRAGMA cache_size = -2000")?;
    }
    Ok(out)
}

/// Whether a diesel error is a unique-constraint violation (a user's mistake, not a fault).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The current time in UTC, as stored in every timestamp column: whole microseconds, the
/// precision both backends keep, so a value read back compares equal to the one written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

/// A page of a list and the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// The id of the last row shown: the next page starts after it.
    pub next_before: Option<i64>,
    /// Where the page stands among the rows the filters match (lists paged by number).
    pub position: Option<Position>,
}

/// Lists count the rows their filters match up to this many, so a page view never
/// counts a million rows; numbered pages reach this far (export for the rest).
pub const COUNT_LIMIT: i64 = 10_000;

/// Which page of a list to show: 1-based, at most as far as [`COUNT_LIMIT`] reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
    /// Whether the list counts every row its filters match (the header search's groups
    /// do not: a full group reads "10+" and links to its list).
    pub count: bool,
}

impl Paging {
    /// The page asked for in a query string (anything unreadable is the first page; past
    /// the last page that [`COUNT_LIMIT`] reaches is that page).
    pub fn parse(input: &str, per_page: i64) -> Self {
        let per_page = per_page.clamp(1, COUNT_LIMIT);
        let last = (COUNT_LIMIT / per_page).max(1);
        let page = input.trim().parse::<i64>().unwrap_or(1).clamp(1, last);
        Paging {
            page,
            per_page,
            count: true,
        }
    }

    /// The first page, not counted beyond itself.
    pub fn first_uncounted(per_page: i64) -> Self {
        Paging {
            count: false,
            ..Paging::parse("1", per_page)
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// Reads this numbered page: `load` reads a page's rows, `count` the rows the filters
    /// match (up to `COUNT_LIMIT + 1` ids; only when the page cannot tell); a page past
    /// the end is read again as the last page that has rows.
    pub fn read<R>(
        self,
        conn: &mut DbConnection,
        mut load: impl FnMut(&mut DbConnection, Paging) -> QueryResult<Vec<R>>,
        count: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
    ) -> QueryResult<Page<R>> {
        let rows = load(conn, self)?;
        let total = if Page::<()>::needs_count(self, rows.len()) {
            Some(Total::of(count(conn)?))
        } else {
            None
        };
        Ok(match self.past_the_end(rows.len(), total) {
            Some(last) => Page::numbered(load(conn, last)?, last, total),
            None => Page::numbered(rows, self, total),
        })
    }

    /// The last page that has rows, when this page showed none past the end of an exact
    /// `total` (a bookmarked page 9 of a list that has shrunk, or `page=999999`).
    pub fn past_the_end(self, shown: usize, total: Option<Total>) -> Option<Paging> {
        match total {
            Some(Total::Exact(n)) if shown == 0 && self.page > 1 && n > 0 => Some(Paging {
                page: (n - 1) / self.per_page + 1,
                ..self
            }),
            _ => None,
        }
    }
}

/// How many rows a list's filters match: exact up to [`COUNT_LIMIT`], else "at least".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    AtLeast(i64),
}

impl Total {
    /// From the number of ids a bounded count read (at most `COUNT_LIMIT + 1`).
    pub fn of(read: usize) -> Self {
        let n = read as i64;
        if n > COUNT_LIMIT {
            Total::AtLeast(COUNT_LIMIT)
        } else {
            Total::Exact(n)
        }
    }
}

/// Where a page stands: its rows' numbers among the total, and its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub paging: Paging,
    pub shown: i64,
    pub total: Total,
}

impl Position {
    /// "1–50 of 1,234", "51–100 of 10,000+", "0 of 0".
    pub fn summary(&self) -> String {
        let total = match self.total {
            Total::Exact(n) => thousands(n),
            Total::AtLeast(n) => format!("{}+", thousands(n)),
        };
        if self.shown == 0 {
            return format!("0 of {total}");
        }
        let first = self.paging.offset() + 1;
        let last = self.paging.offset() + self.shown;
        format!("{}–{} of {total}", thousands(first), thousands(last))
    }

    pub fn previous(&self) -> Option<i64> {
        (self.paging.page > 1).then_some(self.paging.page - 1)
    }

    pub fn next(&self) -> Option<i64> {
        let seen = self.paging.offset() + self.shown;
        let more = match self.total {
            Total::Exact(n) => n > seen,
            Total::AtLeast(_) => true,
        };
        (more && seen < COUNT_LIMIT && self.shown == self.paging.per_page)
            .then_some(self.paging.page + 1)
    }

    /// Whether the rows go on past what numbered pages reach.
    pub fn beyond_reach(&self) -> bool {
        matches!(self.total, Total::AtLeast(_)) && self.paging.offset() + self.shown >= COUNT_LIMIT
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

impl<T> Page<T> {
    /// Builds a page from up to `per_page + 1` rows (the extra row says there is more).
    /// The same page with its rows turned into others (in the same order).
    pub fn try_map<U, E>(self, f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>) -> Result<Page<U>, E> {
        Ok(Page {
            rows: f(self.rows)?,
            next_before: self.next_before,
            position: self.position,
        })
    }

    pub fn from_rows<K: Into<i64>>(mut rows: Vec<T>, per_page: i64, id: impl Fn(&T) -> K) -> Self {
        let more = rows.len() as i64 > per_page;
        rows.truncate(per_page.max(0) as usize);
        let next_before = if more {
            rows.last().map(|r| id(r).into())
        } else {
            None
        };
        Page {
            rows,
            next_before,
            position: None,
        }
    }

    /// A numbered page: its rows (at most `paging.per_page`) and the bounded count of
    /// every row the filters match, or `None` when the page itself says it (a first
    /// page that is not full), which saves the count.
    pub fn numbered(rows: Vec<T>, paging: Paging, count: Option<Total>) -> Self {
        let shown = rows.len() as i64;
        let seen = paging.offset() + shown;
        let total = count.unwrap_or(if !paging.count && shown == paging.per_page {
            Total::AtLeast(seen)
        } else {
            Total::Exact(seen)
        });
        Page {
            rows,
            next_before: None,
            position: Some(Position {
                paging,
                shown,
                total,
            }),
        }
    }

    /// Whether the rows read are the whole answer (a first page with room left), so
    /// no count is needed.
    pub fn needs_count(paging: Paging, rows: usize) -> bool {
        paging.count && !(paging.page == 1 && (rows as i64) < paging.per_page)
    }
}

#[cfg(test)]
mod paging_tests {
    use super::*;

    #[test]
    fn a_page_past_the_end_is_the_last_page_with_rows() {
        let p = Paging::parse("200", 50);
        assert_eq!(
            p.past_the_end(0, Some(Total::Exact(60))).map(|p| p.page),
            Some(2)
        );
        assert_eq!(
            p.past_the_end(0, Some(Total::Exact(100))).map(|p| p.page),
            Some(2)
        );
        assert_eq!(
            p.past_the_end(0, Some(Total::Exact(0))),
            None,
            "nothing at all"
        );
        assert_eq!(
            p.past_the_end(3, Some(Total::Exact(60))),
            None,
            "rows shown"
        );
        assert_eq!(Paging::parse("1", 50).past_the_end(0, None), None);
    }

    #[test]
    fn positions_read_as_people_expect() {
        let p = Paging::parse("2", 50);
        let pos = Position {
            paging: p,
            shown: 50,
            total: Total::Exact(1234),
        };
        assert_eq!(pos.summary(), "51–100 of 1,234");
        assert_eq!((pos.previous(), pos.next()), (Some(1), Some(3)));
        let last = Position {
            paging: Paging::parse("200", 50),
            shown: 50,
            total: Total::AtLeast(COUNT_LIMIT),
        };
        assert_eq!(last.summary(), "9,951–10,000 of 10,000+");
        assert_eq!(last.next(), None);
        assert!(last.beyond_reach());
        assert_eq!(Paging::parse("999999999999", 50).page, 200);
        assert_eq!(Paging::parse("-3", 50).page, 1);
        assert_eq!(Paging::parse("x", 50).page, 1);
        assert_eq!(Total::of(10_001), Total::AtLeast(10_000));
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
