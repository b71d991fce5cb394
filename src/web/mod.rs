//! HTTP layer: the route table, shared state, page structs and small helpers.
//! Handlers stay thin: parse, authorize, call the model layer, render.

pub mod forms;
pub mod health;
pub mod pages;
pub mod routes;
pub mod security;
pub mod static_files;
pub mod vendor;

use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::error::{AppError, AppResult};

/// What every handler can reach: the configuration and the database pool.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
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

/// Shorthand for the state extractor.
pub type State = web::Data<AppState>;

/// Turns any displayable failure into an internal error (for the rare cases that are not
/// the user's fault and have no better variant).
pub fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// A form with no fields of its own (only the CSRF token), e.g. sign-out.
#[derive(serde::Deserialize)]
pub struct EmptyForm {}
