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
