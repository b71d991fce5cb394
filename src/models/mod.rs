//! The model layer: one module per aggregate, holding its diesel structs, queries and
//! rules. Nothing here knows about HTTP.

pub mod settings;

/// The current time in UTC, as stored in every timestamp column.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
