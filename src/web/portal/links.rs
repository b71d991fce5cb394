//! The portal's one-time-link pages and "forgot password": choosing the first password
//! through an invite link, asking for a reset link, choosing a new password through it.
//! Opening a link (GET) never uses it up — mail scanners open links — only submitting
//! the form does. Every answer here is `no-store` and `Referrer-Policy: no-referrer`, so
//! the token in the address stays out of caches and other sites' logs.

use actix_session::Session;
use actix_web::http::header::{HeaderValue, CACHE_CONTROL, REFERRER_POLICY};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::cookie::{csrf_token, flash, FlashLevel};
use crate::auth::{password, service, ClientIp, CsrfForm};
use crate::domain::{EmailAddress, FieldErrors, NewPassword};
use crate::error::AppResult;
use crate::models::license_manager::{self, LicenseManager};
use crate::models::token::Purpose;
use crate::models::ModelError;
use crate::web::forms::{render, see_other};
use crate::web::sign_in;
use crate::web::State;

/// Marks a token page's answer: never cached, never sent on as a referrer.
pub(super) fn private(mut response: HttpResponse) -> HttpResponse {
    let h = response.headers_mut();
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Which link a page is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkPage {
    Invite,
    Reset,
}

impl LinkPage {
    fn purpose(self) -> Purpose {
        match self {
            LinkPage::Invite => Purpose::ManagerInvite,
            LinkPage::Reset => Purpose::ManagerReset,
        }
    }

    fn action(self, token: &str) -> String {
        match self {
            LinkPage::Invite => format!("/portal/invite/{token}"),
            LinkPage::Reset => format!("/portal/reset-password/{token}"),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/link_invalid.html")]
pub(super) struct InvalidPage {
    pub vendor: String,
    pub message: String,
    /// A license manager's link (the page offers sign-in and "forgot password").
    pub manager: bool,
}

/// The page for a link that cannot be used: what is wrong, and whom to ask.
fn invalid(state: &State, e: ModelError) -> AppResult<HttpResponse> {
    let (status, message) = match e {
        ModelError::Refused(r) => (StatusCode::GONE, r.message),
        ModelError::NotFound => (
            StatusCode::NOT_FOUND,
            "This link is not valid: it may have been copied incompletely. Copy the whole link from the email, or ask whoever sent it for a new one."
                .to_owned(),
        ),
        other => return Err(other.into()),
    };
    Ok(private(render(
        status,
        &InvalidPage {
            vendor: state.config.vendor_name.clone(),
            message,
            manager: true,
        },
    )?))
}

#[derive(Template)]
#[template(path = "portal/choose_password.html")]
pub(super) struct ChoosePage {
    pub vendor: String,
    pub csrf: String,
    pub email: String,
    pub heading: &'static str,
    pub action: String,
    pub button: &'static str,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "portal/already_set_up.html")]
struct AlreadySetUpPage {
    vendor: String,
    email: String,
}

fn choose_page(
    state: &State,
    session: &Session,
    page: LinkPage,
    token: &str,
    manager: &LicenseManager,
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
            email: manager.email.clone(),
            heading: match page {
                LinkPage::Invite => "Choose your password",
                LinkPage::Reset => "Choose a new password",
            },
            action: page.action(token),
            button: "Set password and sign in",
            errors,
        },
    )?))
}

fn already_set_up(state: &State, manager: &LicenseManager) -> AppResult<HttpResponse> {
    Ok(private(render(
        StatusCode::OK,
        &AlreadySetUpPage {
            vendor: state.config.vendor_name.clone(),
            email: manager.email.clone(),
        },
    )?))
}

/// The shared GET of both links: the form, or the page saying why not.
async fn link_form(
    state: State,
    session: Session,
    token: String,
    page: LinkPage,
) -> AppResult<HttpResponse> {
    let t = token.clone();
    let found = state
        .db(move |conn| Ok(license_manager::for_link(conn, page.purpose(), &t)))
        .await?;
    match found {
        Ok((_, manager)) if page == LinkPage::Invite && manager.password_hash.is_some() => {
            already_set_up(&state, &manager)
        }
        Ok((_, manager)) => {
            choose_page(&state, &session, page, &token, &manager, FieldErrors::new())
        }
        Err(e) => invalid(&state, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChooseForm {
    new_password: String,
    confirm_password: String,
}

/// The shared POST of both links: checks the password, uses the link up, signs in.
async fn link_submit(
    state: State,
    session: Session,
    req: HttpRequest,
    ip: ClientIp,
    token: String,
    page: LinkPage,
    form: ChooseForm,
) -> AppResult<HttpResponse> {
    let t = token.clone();
    let found = state
        .db(move |conn| Ok(license_manager::for_link(conn, page.purpose(), &t)))
        .await?;
    let manager = match found {
        Ok((_, m)) if page == LinkPage::Invite && m.password_hash.is_some() => {
            return already_set_up(&state, &m)
        }
        Ok((_, m)) => m,
        Err(e) => return invalid(&state, e),
    };
    let mut errors = FieldErrors::new();
    let new = errors.check("new_password", NewPassword::parse(&form.new_password));
    if new.is_some() && form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two passwords differ.");
    }
    let new = match new {
        Some(n) if errors.is_empty() => n,
        _ => return choose_page(&state, &session, page, &token, &manager, errors),
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    let (mailer, addr) = (state.mailer.clone(), ip.0.clone());
    let done = state
        .write(move |conn| match page {
            LinkPage::Invite => license_manager::accept_invite(conn, &token, &hash, Some(addr)),
            LinkPage::Reset => {
                crate::ops::accounts::reset_password(conn, &mailer, &token, &hash, Some(addr))
            }
        })
        .await?;
    let manager = match done {
        Ok(m) => m,
        Err(ModelError::Conflict(_)) => return already_set_up(&state, &manager),
        Err(e) => return invalid(&state, e),
    };
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let signed_in = service::start_session(&state, manager, &ip.0, &user_agent).await?;
    sign_in::enter::<LicenseManager>(&session, &signed_in.token);
    flash(
        &session,
        FlashLevel::Success,
        match page {
            LinkPage::Invite => "Your password is set and you are signed in.",
            LinkPage::Reset => "Your new password is set; every other session was signed out.",
        },
    );
    Ok(private(see_other("/portal")))
}

/// `GET /portal/invite/{token}`.
pub async fn invite_form(
    state: State,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    link_form(state, session, path.into_inner(), LinkPage::Invite).await
}

/// `POST /portal/invite/{token}`.
pub async fn invite_submit(
    state: State,
    session: Session,
    req: HttpRequest,
    ip: ClientIp,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ChooseForm>,
) -> AppResult<HttpResponse> {
    link_submit(
        state,
        session,
        req,
        ip,
        path.into_inner(),
        LinkPage::Invite,
        form,
    )
    .await
}

/// `GET /portal/reset-password/{token}`.
pub async fn reset_form(
    state: State,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    link_form(state, session, path.into_inner(), LinkPage::Reset).await
}

/// `POST /portal/reset-password/{token}`.
pub async fn reset_submit(
    state: State,
    session: Session,
    req: HttpRequest,
    ip: ClientIp,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ChooseForm>,
) -> AppResult<HttpResponse> {
    link_submit(
        state,
        session,
        req,
        ip,
        path.into_inner(),
        LinkPage::Reset,
        form,
    )
    .await
}

#[derive(Template)]
#[template(path = "portal/forgot_password.html")]
struct ForgotPage {
    vendor: String,
    csrf: String,
    email: String,
    errors: FieldErrors,
    sent: bool,
}

/// `GET /portal/forgot-password`.
pub async fn forgot_form(state: State, session: Session) -> AppResult<HttpResponse> {
    Ok(private(render(
        StatusCode::OK,
        &ForgotPage {
            vendor: state.config.vendor_name.clone(),
            csrf: csrf_token(&session),
            email: String::new(),
            errors: FieldErrors::new(),
            sent: false,
        },
    )?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// `POST /portal/forgot-password`: the same answer whether or not the address has an
/// account (and about the same time: one lookup, and the write only when a mail goes).
pub async fn forgot_submit(
    state: State,
    session: Session,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let mut too_many = false;
    let sent = match email {
        Some(email) => {
            let (mailer, addr) = (state.mailer.clone(), ip.0.clone());
            let norm = email.normalized().to_owned();
            let done = state
                .write(move |conn| {
                    Ok(crate::ops::accounts::request_reset(
                        conn, &mailer, &norm, &addr,
                    )?)
                })
                .await??;
            too_many = done == crate::ops::accounts::Reset::TooMany;
            if too_many {
                errors.add(
                    "email",
                    "Too many requests came from your address: wait a quarter of an hour, then try again.",
                );
            }
            !too_many
        }
        None => false,
    };
    let status = if sent {
        StatusCode::OK
    } else if too_many {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(private(render(
        status,
        &ForgotPage {
            vendor: state.config.vendor_name.clone(),
            csrf: csrf_token(&session),
            email: form
                .email
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(254)
                .collect(),
            errors,
            sent,
        },
    )?))
}
