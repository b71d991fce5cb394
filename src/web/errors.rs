//! The one place errors become pages: every error response, and every panic, is
//! rendered here for the area it happened in — an admin page, a portal page, or JSON
//! `{ "code", "message" }` under `/api/` — with the request id on a 500.

use std::panic::AssertUnwindSafe;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;
use futures_util::FutureExt;
use tracing_actix_web::RequestId;

use crate::domain::Area;
use crate::error::AppError;

/// What an error page says: its status, a short title, the message and an API code.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    pub code: &'static str,
}

impl ErrorPage {
    /// The page for an error of this application, in the words of the area's audience.
    pub fn for_error(e: &AppError, area: Area) -> Self {
        match e {
            AppError::NotFound | AppError::Db(diesel::result::Error::NotFound) => {
                Self::for_status(StatusCode::NOT_FOUND, area)
            }
            AppError::Forbidden => Self::for_status(StatusCode::FORBIDDEN, area),
            AppError::TooManyRequests => Self::for_status(StatusCode::TOO_MANY_REQUESTS, area),
            AppError::Unprocessable(m) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Cannot process this request",
                m,
                "unprocessable",
            ),
            AppError::Gone(m) => {
                Self::new(StatusCode::GONE, "This link no longer works", m, "gone")
            }
            _ => Self::for_status(StatusCode::INTERNAL_SERVER_ERROR, area),
        }
    }

    /// The page for a bare status (an error that is not ours, e.g. a payload too large).
    pub fn for_status(status: StatusCode, area: Area) -> Self {
        let portal = area == Area::Portal;
        match status.as_u16() {
            404 => Self::new(
                status,
                "Page not found",
                "There is nothing at this address. It may have been deleted, or the link may be mistyped.",
                "not_found",
            ),
            403 if portal => Self::new(
                status,
                "Not allowed",
                "You do not have permission to do this on this order, or the form had expired. Nothing was changed.",
                "forbidden",
            ),
            403 => Self::new(
                status,
                "Not allowed",
                "Your role does not allow this, or the form had expired. Nothing was changed.",
                "forbidden",
            ),
            429 => Self::new(
                status,
                "Too many attempts",
                "There were too many failed sign-in attempts. Wait a minute, then try again.",
                "too_many_requests",
            ),
            413 => Self::new(
                status,
                "Too large",
                "What was sent is larger than Keyfold accepts. Nothing was changed.",
                "payload_too_large",
            ),
            400..=499 => Self::new(
                status,
                "Cannot process this request",
                "The request could not be understood. Nothing was changed.",
                "bad_request",
            ),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Keyfold could not complete this request; the error has been logged. Check whether your change was saved before you try again.",
                "internal_error",
            ),
        }
    }

    fn new(status: StatusCode, title: &'static str, message: &str, code: &'static str) -> Self {
        ErrorPage {
            status,
            title,
            message: message.to_owned(),
            code,
        }
    }

    /// The response for this page in `area`; `request_id` is shown on a 500.
    pub fn respond(&self, area: Area, request_id: Option<String>) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
        // An API client always gets the request id to quote; a page shows it on a 500.
        let api_request_id = request_id.clone();
        let request_id = request_id.filter(|_| self.status.is_server_error());
        if area == Area::Api {
            let mut body = serde_json::json!({
                "type": "about:blank",
                "status": self.status.as_u16(),
                "code": self.code,
                "message": self.message,
            });
            if let Some(id) = api_request_id {
                body["request_id"] = id.into();
            }
            return builder
                .content_type("application/problem+json")
                .body(body.to_string());
        }
        let view = ErrorView {
            code: self.status.as_u16(),
            title: self.title,
            message: &self.message,
            request_id: request_id.as_deref(),
            home: area.home(),
        };
        let html = match area {
            Area::Portal => PortalError { e: view }.render(),
            _ => AdminError { e: view }.render(),
        };
        match html {
            Ok(body) => builder.content_type("text/html; charset=utf-8").body(body),
            Err(_) => builder
                .content_type("text/plain; charset=utf-8")
                .body(self.title),
        }
    }
}

/// What the error templates show.
pub struct ErrorView<'a> {
    pub code: u16,
    pub title: &'a str,
    pub message: &'a str,
    pub request_id: Option<&'a str>,
    pub home: &'a str,
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct AdminError<'a> {
    e: ErrorView<'a>,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct PortalError<'a> {
    e: ErrorView<'a>,
}

/// The middleware: runs the rest of the application, turns a panic into a 500 (logged
/// with its request id; the pool has already discarded any connection it held), and
/// renders every error response for its area.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // No clone of the request is kept before routing: the router needs it unshared. A
    // matched route says its area; the prefix is only the fallback (no route matched,
    // or a middleware failed before routing).
    let area = Area::of(req.path());
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let res = match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => {
            let page = match e.as_error::<AppError>() {
                Some(app) => ErrorPage::for_error(app, area),
                None => ErrorPage::for_status(e.as_response_error().status_code(), area),
            };
            return Err(Rendered::from(page.respond(area, request_id)).await.into());
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id = request_id.as_deref().unwrap_or(""), panic = %what, "a handler panicked");
            let page = ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR, area);
            return Err(Rendered::from(page.respond(area, request_id)).await.into());
        }
    };
    let area = res.request().app_data::<Area>().copied().unwrap_or(area);
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        // A redirect (sign in first) is not an error: nothing of it is logged as one.
        return Ok(without_error(res));
    }
    let Some(error) = res.response().error() else {
        return Ok(res);
    };
    let page = match (
        error.as_error::<AppError>(),
        error.as_error::<crate::web::api::problem::ApiProblem>(),
    ) {
        (Some(e), _) => ErrorPage::for_error(e, area),
        (None, Some(p)) => ErrorPage {
            status: p.status,
            title: "Request refused",
            message: p.message.clone(),
            code: p.code,
        },
        (None, None) => ErrorPage::for_status(status, area),
    };
    if page.status.is_server_error() {
        tracing::error!(error = %error, request_id = request_id.as_deref().unwrap_or(""), "request failed");
    }
    let mut response = page.respond(area, request_id);
    if let Some(p) = error.as_error::<crate::web::api::problem::ApiProblem>() {
        for (name, value) in &p.headers {
            if let Ok(v) = header::HeaderValue::from_str(value) {
                response
                    .headers_mut()
                    .insert(header::HeaderName::from_static(name), v);
            }
        }
    }
    // Keep the cookie the session middleware set (a sign-out, a forgotten session).
    for cookie in res.response().cookies() {
        let _ = response.add_cookie(&cookie.into_owned());
    }
    Ok(res.into_response(response))
}

/// The same response with no error attached (the request logger logs attached errors).
fn without_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if res.response().error().is_none() {
        return res;
    }
    let (req, response) = res.into_parts();
    let mut fresh = HttpResponse::new(response.status());
    *fresh.headers_mut() = response.headers().clone();
    ServiceResponse::new(req, fresh.set_body(response.into_body()))
}

/// An error page already rendered, for the paths where no request is left to build a
/// response around (a panic, an error from an inner middleware): actix answers with it.
#[derive(Debug)]
struct Rendered {
    status: StatusCode,
    content_type: String,
    body: actix_web::web::Bytes,
}

impl Rendered {
    async fn from(res: HttpResponse) -> Self {
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/plain; charset=utf-8")
            .to_owned();
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        Rendered {
            status,
            content_type,
            body,
        }
    }
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error page {}", self.status)
    }
}

impl actix_web::ResponseError for Rendered {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for h in super::security::HEADERS {
            builder.insert_header(h);
        }
        builder
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type(self.content_type.as_str())
            .body(self.body.clone())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            e => ErrorPage::for_error(e, Area::Admin).status,
        }
    }

    /// A bare answer with the right status: the error-page middleware
    /// ([`error_pages`]) renders it for the area of the request.
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
