//! What every handler and the authentication layer can reach: the configuration, the
//! database pool and the mailer, with the helpers that run database work off the
//! executor. Below `auth` and `web`, so neither has to import the other for it.

use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::error::AppResult;

/// What every handler can reach: the configuration and the database pool.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    /// What actions that write email need (sealing key, vendor name, public URL).
    pub mailer: Arc<crate::mail::Mailer>,
}

impl AppState {
    /// Runs blocking database work on actix's thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}

impl AppState {
    /// Runs a short read: on SQLite, right here on the worker thread when a pooled
    /// connection is free at once (a few indexed lookups in the page cache take less
    /// time than the two thread hand-offs of [`AppState::db`], which a profile of the
    /// license API's check showed as its largest cost after SQL); otherwise, and always
    /// on PostgreSQL (a network round trip must not hold the worker), as `db`. `f` must
    /// only read: a write could wait for SQLite's writer while holding the worker. Its
    /// queries share one read transaction on SQLite: one snapshot, and one shared lock
    /// taken once rather than per statement (a profile showed that per-statement lock a
    /// tenth of the check's time).
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.config.backend() == crate::config::Backend::Sqlite {
            if let Some(mut conn) = self.pool.try_get() {
                return read_tx(&mut conn, f);
            }
        }
        self.db(move |conn| read_tx(conn, f)).await
    }

    /// Runs `f` in one write transaction (rolled back when it returns an error). The
    /// outer result is the infrastructure's (pool, thread); the inner one is the model's,
    /// for the handler to turn into field messages or a page.
    pub async fn write<T, F>(&self, f: F) -> AppResult<crate::models::ModelResult<T>>
    where
        F: FnOnce(&mut DbConnection) -> crate::models::ModelResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db(move |conn| Ok(crate::ops::write_tx(conn, f))).await
    }
}

/// Shorthand for the state extractor.
pub type State = web::Data<AppState>;

/// `f` in one deferred (read) transaction on SQLite; on PostgreSQL as it is (two more
/// round trips would cost more than they save).
fn read_tx<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    use diesel::Connection;
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(f),
        DbConnection::Pg(_) => f(conn),
    }
}
