//! A license user's set-password link (`/portal/users/password/{token}`): the person
//! chooses the password they will sign in to the application with. Opening the link
//! never uses it up; submitting the form does. It signs nobody in to the portal.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::forms::UserPasswordForm;
use super::links::{private, ChoosePage, InvalidPage};
use crate::auth::cookie::csrf_token;
use crate::auth::{password, ClientIp, CsrfForm};
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::models::license_user::{self, LicenseUser};
use crate::models::ModelError;
use crate::web::forms::render;
use crate::web::State;

fn invalid(state: &State, e: ModelError) -> AppResult<HttpResponse> {
    let (status, message) = match e {
        ModelError::Refused(r) => (StatusCode::GONE, r.message),
        ModelError::NotFound => (
            StatusCode::NOT_FOUND,
            "This link is not valid: it may have been copied incompletely, or replaced by a newer one. Ask your license manager for a new one."
                .to_owned(),
        ),
        other => return Err(other.into()),
    };
    Ok(private(render(
        status,
        &InvalidPage {
            vendor: state.config.vendor_name.clone(),
            message,
            manager: false,
        },
    )?))
}

fn form_page(
    state: &State,
    session: &Session,
    token: &str,
    user: &LicenseUser,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(private(render(
        status,
        &ChoosePage {
            vendor: state.config.vendor_name.clone(),
            csrf: csrf_token(session),
            email: user.email.clone(),
            heading: "Choose your password",
            action: format!("/portal/users/password/{token}"),
            button: "Set password",
            errors,
        },
    )?))
}

#[derive(Template)]
#[template(path = "portal/user_password_set.html")]
struct DonePage {
    vendor: String,
    email: String,
}

/// `GET /portal/users/password/{token}`.
pub async fn form(
    state: State,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let t = token.clone();
    match state
        .db(move |conn| Ok(license_user::for_link(conn, &t)))
        .await?
    {
        Ok(user) => form_page(&state, &session, &token, &user, FieldErrors::new()),
        Err(e) => invalid(&state, e),
    }
}

/// `POST /portal/users/password/{token}`.
pub async fn submit(
    state: State,
    session: Session,
    ip: ClientIp,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<UserPasswordForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let t = token.clone();
    let user = match state
        .db(move |conn| Ok(license_user::for_link(conn, &t)))
        .await?
    {
        Ok(u) => u,
        Err(e) => return invalid(&state, e),
    };
    let new = match form.parse() {
        Ok(n) => n,
        Err(errors) => return form_page(&state, &session, &token, &user, errors),
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    let addr = ip.0.clone();
    match state
        .write(move |conn| {
            crate::ops::license_users::set_password_by_link(conn, &token, &hash, Some(addr))
        })
        .await?
    {
        Ok(user) => Ok(private(render(
            StatusCode::OK,
            &DonePage {
                vendor: state.config.vendor_name.clone(),
                email: user.email,
            },
        )?)),
        Err(e) => invalid(&state, e),
    }
}
