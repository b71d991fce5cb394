//! The model layer: one module per aggregate, holding its diesel structs, queries and
//! rules. Nothing here knows about HTTP.

pub mod audit;
pub mod login_attempt;
pub mod order;
pub mod session;
pub mod settings;
pub mod staff;

/// The current time in UTC, as stored in every timestamp column.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Why a model operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// A field's value is not acceptable (shown beside that field).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A rule refused the action as a whole (shown as a message on the page).
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
}

impl ModelError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            field,
            message: message.into(),
        }
    }
}

pub type ModelResult<T> = Result<T, ModelError>;
