//! Form helpers shared by every page: field errors and rendering with a status.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::error::AppResult;
use crate::models::ModelError;

/// Messages to show beside form fields, by field name.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(BTreeMap<&'static str, String>);

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// Records a parse result's error under `field`, returning the value if it parsed.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Turns a model's field error into a form error; other errors are handed back.
    pub fn absorb(&mut self, e: ModelError) -> Result<(), ModelError> {
        match e {
            ModelError::Invalid { field, message } => {
                self.add(field, message);
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// Renders a page with the given status (askama pages are otherwise always 200).
pub fn render<T: Template>(status: StatusCode, page: &T) -> AppResult<HttpResponse> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// Renders a page with 200 OK.
pub fn ok<T: Template>(page: &T) -> AppResult<HttpResponse> {
    render(StatusCode::OK, page)
}

/// A 303 redirect (after a successful POST, or to another page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}
