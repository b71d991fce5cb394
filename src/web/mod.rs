//! HTTP layer: the route table, shared state, page structs and small helpers.
//! Handlers stay thin: parse, authorize, call the model layer, render.

pub mod admin;
pub mod api;
pub mod chart;
pub mod errors;
pub mod forms;
pub mod health;
pub mod manager_forms;
pub mod portal;
pub mod request_log;
pub mod routes;
pub mod security;
pub mod shared;
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

/// Sorts a model result into done, back-to-the-form, or an error page (the one mapping of
/// model errors to form messages, [`forms::Problem`]).
pub fn outcome<T>(result: crate::models::ModelResult<T>) -> AppResult<Outcome<T>> {
    match result {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(e) => {
            let problem = forms::Problem::from_model(e)?;
            Ok(Outcome::Form(problem.errors, problem.message))
        }
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

/// A count with its noun in the right number: `1 license`, `3 licenses`, `1,200 licenses`.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::db::thousands(n),
        if n == 1 { one } else { many }
    )
}
