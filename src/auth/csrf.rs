//! CSRF protection: a synchronizer token kept in the session cookie and sent back in
//! every form. Reading a POST body goes through [`CsrfForm`] or [`CsrfMultipart`], which
//! check the token before the handler sees any field, so no handler can forget it.

use actix_multipart::form::{MultipartCollect, MultipartForm};
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::cookie::existing_csrf_token;
use crate::domain::token::constant_time_eq;
use crate::domain::Area;
use crate::error::AppError;

/// The name of the hidden field every form carries.
pub const FIELD: &str = "csrf_token";

/// The sign-in page for the area a request belongs to (as its route says).
pub fn login_path_for(req: &HttpRequest) -> &'static str {
    let area = req
        .app_data::<Area>()
        .copied()
        .unwrap_or_else(|| Area::of(req.path()));
    match area {
        Area::Portal => "/portal/login",
        Area::Admin | Area::Api => "/login",
    }
}

/// Where to come back after signing in again: the page the form was on, when it is a
/// page of this site.
pub fn return_path(req: &HttpRequest) -> String {
    let path = page_path(req);
    // A one-time link's token never travels on in a `?next=` (URLs reach logs).
    if crate::domain::token::carries_secret(&path) {
        String::new()
    } else {
        path
    }
}

fn page_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
    }
    let referer = req
        .headers()
        .get("referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok());
    let host = req.connection_info().host().to_owned();
    match referer {
        Some(r)
            if r.host_str().map(|h| match r.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            }) == Some(host) =>
        {
            match r.query() {
                Some(q) => format!("{}?{q}", r.path()),
                None => r.path().to_owned(),
            }
        }
        _ => String::new(),
    }
}

/// Checks a submitted token against the session's. No token in the session means the
/// session has expired (or never existed): the visitor is sent to sign in.
pub fn verify(req: &HttpRequest, submitted: Option<&str>) -> Result<(), AppError> {
    let session = req.get_session();
    let Some(expected) = existing_csrf_token(&session) else {
        return Err(AppError::SignInRequired {
            login: login_path_for(req),
            next: return_path(req),
        });
    };
    match submitted {
        Some(token) if constant_time_eq(token, &expected) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// A URL-encoded form whose CSRF token has been checked. `T` holds only strings, so a
/// wrong value reaches the handler and comes back as a message beside its field.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|_| {
                AppError::Unprocessable("The form was too large to accept.".to_owned())
            })?;
            let submitted = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            verify(&req, submitted.as_deref())?;
            let value = serde_html_form::from_bytes::<T>(&bytes).map_err(|e| {
                AppError::Unprocessable(format!("The form could not be read: {e}."))
            })?;
            Ok(CsrfForm(value))
        })
    }
}

/// A multipart form (uploads) that carries the CSRF token as a text field.
pub trait HasCsrfToken {
    fn csrf_token(&self) -> Option<&str>;
}

/// A multipart form whose CSRF token has been checked.
pub struct CsrfMultipart<T>(pub T);

impl<T: MultipartCollect + HasCsrfToken + 'static> FromRequest for CsrfMultipart<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = MultipartForm::<T>::from_request(&req, payload);
        Box::pin(async move {
            // Without a session there is nothing to check against: sign in first.
            if existing_csrf_token(&req.get_session()).is_none() {
                verify(&req, None)?;
            }
            // A body that is not multipart carries no token to check: refused as such.
            let multipart = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
            if !multipart {
                verify(&req, None)?;
            }
            let form = form.await.map_err(|e| {
                let text = e.to_string();
                let too_big = matches!(
                    e.as_error::<actix_multipart::MultipartError>(),
                    Some(actix_multipart::MultipartError::Payload(
                        actix_web::error::PayloadError::Overflow
                    ))
                ) || text.to_lowercase().contains("limit");
                AppError::Unprocessable(if too_big {
                    "The file is larger than the upload limit (KEYFOLD_UPLOAD_LIMIT_MB, 50 MB unless set otherwise): split it into smaller files.".to_owned()
                } else {
                    format!("The upload could not be read: {text}.")
                })
            })?;
            verify(&req, form.csrf_token())?;
            Ok(CsrfMultipart(form.into_inner()))
        })
    }
}
