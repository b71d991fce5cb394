//! Error pages: 403, 404, 422, 429 and 500, each a template under `templates/errors/`.

use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "errors/403.html")]
struct Forbidden<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "errors/404.html")]
struct NotFound<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "errors/422.html")]
struct Unprocessable<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "errors/429.html")]
struct TooMany<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "errors/500.html")]
struct Internal<'a> {
    message: &'a str,
}

/// An error page to render: its status, a short title and the message shown.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address. It may have been deleted, or the link may be mistyped.",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your account is not allowed to do this, or the form had expired. Nothing was changed.",
        )
    }
    pub fn unprocessable(message: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Cannot process this request",
            message,
        )
    }
    pub fn gone(message: &str) -> Self {
        Self::new(StatusCode::GONE, "This link no longer works", message)
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "There were too many failed sign-in attempts. Wait a minute, then try again.",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Keyfold could not complete this request. Nothing was changed; the error has been logged.",
        )
    }

    fn new(status: StatusCode, title: &'static str, message: &str) -> Self {
        ErrorPage {
            status,
            title,
            message: message.to_owned(),
        }
    }

    pub fn render(&self) -> askama::Result<String> {
        let message = self.message.as_str();
        match self.status.as_u16() {
            403 => Forbidden { message }.render(),
            404 | 410 => NotFound { message }.render(),
            422 | 400 | 413 => Unprocessable { message }.render(),
            429 => TooMany { message }.render(),
            _ => Internal { message }.render(),
        }
    }
}
