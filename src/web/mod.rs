//! HTTP layer: the route table, shared state, page structs and small helpers.
//! Handlers stay thin: parse, authorize, call the model layer, render.

pub mod admin;
pub mod area;
pub mod errors;
pub mod forms;
pub mod health;
pub mod manager_forms;
pub mod portal;
pub mod request_log;
pub mod routes;
pub mod security;
pub mod sign_in;
pub mod static_files;
pub mod user_forms;

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
        self.db(move |conn| Ok(crate::db::write_tx(conn, f))).await
    }
}

/// What a form submission came to: done, or back to the form with messages.
pub enum Outcome<T> {
    Done(T),
    /// Field messages, and a message for the whole form (a conflict or a refused rule).
    Form(crate::domain::FieldErrors, Option<String>),
}

/// Sorts a model result into done, back-to-the-form, or an error page.
pub fn outcome<T>(result: crate::models::ModelResult<T>) -> AppResult<Outcome<T>> {
    use crate::models::ModelError;
    match result {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(ModelError::Invalid { field, message }) => {
            let mut errors = crate::domain::FieldErrors::new();
            errors.add(field, message);
            Ok(Outcome::Form(errors, None))
        }
        Err(ModelError::Conflict(m)) | Err(ModelError::Refused(m)) => {
            Ok(Outcome::Form(crate::domain::FieldErrors::new(), Some(m)))
        }
        Err(ModelError::NotFound) => Err(AppError::NotFound),
        Err(ModelError::Db(e)) => Err(AppError::Db(e)),
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
