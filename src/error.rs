//! One error type for every handler, mapped to an HTTP answer in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::web::pages::errors::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The request could not be understood (a form that is not a form, a bad upload).
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many attempts")]
    TooManyRequests,
    /// A one-time link that was used or has expired.
    #[error("{0}")]
    Gone(String),
    /// The visitor must sign in first; `next` is the local path to come back to.
    #[error("sign-in required")]
    SignInRequired { login: &'static str, next: String },
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database unavailable: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("template error: {0}")]
    Render(#[from] askama::Error),
    #[error("background task failed")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    fn page(&self) -> ErrorPage {
        match self {
            AppError::NotFound => ErrorPage::not_found(),
            AppError::Forbidden => ErrorPage::forbidden(),
            AppError::Unprocessable(msg) => ErrorPage::unprocessable(msg),
            AppError::TooManyRequests => ErrorPage::too_many_requests(),
            AppError::Gone(msg) => ErrorPage::gone(msg),
            AppError::Db(diesel::result::Error::NotFound) => ErrorPage::not_found(),
            _ => ErrorPage::internal(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            _ => self.page().status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired { login, next } = self {
            let location = if next.is_empty() || next == "/" {
                (*login).to_owned()
            } else {
                format!(
                    "{login}?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                )
            };
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let page = self.page();
        if page.status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        render_error(&page)
    }
}

/// Renders an error page; falls back to plain text if the template itself fails.
pub fn render_error(page: &ErrorPage) -> HttpResponse {
    let mut builder = HttpResponse::build(page.status);
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    match page.render() {
        Ok(body) => builder.content_type("text/html; charset=utf-8").body(body),
        Err(_) => builder
            .content_type("text/plain; charset=utf-8")
            .body(page.title),
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::models::ModelError> for AppError {
    fn from(e: crate::models::ModelError) -> Self {
        use crate::models::ModelError;
        match e {
            ModelError::Db(e) => AppError::Db(e),
            ModelError::NotFound => AppError::NotFound,
            ModelError::Invalid { message, .. }
            | ModelError::Refused(message)
            | ModelError::Conflict(message) => AppError::Unprocessable(message),
        }
    }
}
