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

use crate::error::{AppError, AppResult};

pub use crate::state::{AppState, State};

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
        Err(ModelError::Conflict(m)) => {
            Ok(Outcome::Form(crate::domain::FieldErrors::new(), Some(m)))
        }
        Err(ModelError::Refused(r)) => Ok(Outcome::Form(
            crate::domain::FieldErrors::new(),
            Some(r.message),
        )),
        Err(ModelError::NotFound) => Err(AppError::NotFound),
        Err(ModelError::Db(e)) => Err(AppError::Db(e)),
    }
}

/// Turns any displayable failure into an internal error (for the rare cases that are not
/// the user's fault and have no better variant).
pub fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// A form with no fields of its own (only the CSRF token), e.g. sign-out.
#[derive(serde::Deserialize)]
pub struct EmptyForm {}
