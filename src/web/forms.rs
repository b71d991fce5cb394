//! Form helpers shared by every page: field errors and rendering with a status.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

pub use crate::domain::FieldErrors;
use crate::error::AppResult;

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
