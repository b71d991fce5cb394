//! One error type for every handler. It is mapped to an HTTP answer in one place,
//! `web::errors` (this module knows nothing of pages).

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

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::models::ModelError> for AppError {
    fn from(e: crate::models::ModelError) -> Self {
        use crate::models::ModelError;
        match e {
            ModelError::Db(e) => AppError::Db(e),
            ModelError::NotFound => AppError::NotFound,
            ModelError::Invalid { message, .. } | ModelError::Conflict(message) => {
                AppError::Unprocessable(message)
            }
            ModelError::Refused(r) => AppError::Unprocessable(r.message),
        }
    }
}
