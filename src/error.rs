//! One error type for every handler, mapped to an HTTP answer in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::web::area::Area;
use crate::web::errors::ErrorPage;

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

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            e => ErrorPage::for_error(e, Area::Admin).status,
        }
    }

    /// A bare answer with the right status: the error-page middleware
    /// ([`crate::web::errors::error_pages`]) renders it for the area of the request.
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
        HttpResponse::build(self.status_code())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/plain; charset=utf-8")
            .body(ErrorPage::for_error(self, Area::Admin).title)
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
