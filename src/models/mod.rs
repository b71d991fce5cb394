//! The model layer: one module per aggregate, holding its diesel structs, queries and
//! rules. Nothing here knows about HTTP.

pub mod activation;
pub mod audit;
pub mod audit_words;
pub mod clock;
pub mod consumption;
pub mod customer;
pub mod customer_account;
pub mod customer_export;
pub mod customer_import;
pub mod device;
pub mod device_variable;
pub mod floating;
pub mod grant;
pub mod grant_change;
pub mod grant_flags;
pub mod grant_products;
pub mod grant_tree;
pub mod import;
pub mod issue;
pub mod label;
pub mod license;
pub mod license_check;
pub mod license_columns;
pub mod license_event;
pub mod license_export;
pub mod license_import;
pub mod license_manager;
pub mod license_ops;
pub mod license_timeline;
pub mod license_user;
pub mod login_attempt;
pub mod order;
pub mod product;
pub mod product_parts;
pub mod search;
pub mod session;
pub mod settings;
pub mod signing_key;
pub mod staff;
pub mod token;
pub mod trial;
pub mod usage;

pub use crate::db::{now, Page, Paging, Total, COUNT_LIMIT};

/// Why a model operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// A field's value is not acceptable (shown beside that field).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// A rule refused the action as a whole (shown as a message on the page), with a
    /// stable code (the license API's error codes come from these).
    #[error("{0}")]
    Refused(Refusal),
    #[error("not found")]
    NotFound,
    /// The row changed since the form was opened (optimistic concurrency).
    #[error("{0}")]
    Conflict(String),
}

/// Why a rule refused an action: a stable code (`snake_case`, never reworded) and a
/// message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    /// Seconds until the same request may succeed, for a refusal that passes with time.
    pub retry_after: Option<i64>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ModelError {
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        ModelError::Refused(Refusal {
            code,
            message: message.into(),
            retry_after: None,
        })
    }

    /// The error's stable code: a refusal's own, or its kind's.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::Db(_) => "internal_error",
            ModelError::Invalid { .. } => "invalid_field",
            ModelError::Refused(r) => r.code,
            ModelError::NotFound => "not_found",
            ModelError::Conflict(_) => "conflict",
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type ModelResult<T> = Result<T, ModelError>;

/// Turns a unique-constraint violation into a field error; other errors pass through.
pub fn unique_as_field(e: diesel::result::Error, field: &'static str, message: &str) -> ModelError {
    if crate::db::is_unique_violation(&e) {
        ModelError::invalid(field, message)
    } else {
        ModelError::Db(e)
    }
}
