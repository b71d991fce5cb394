//! The sign-in and sign-out pages of every area, written once over the kind of account
//! ([`Account`]): `/login` + `/logout` for staff, `/portal/login` + `/portal/logout` for
//! license managers. The work is the auth service's; this is the page around it.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::cookie::{
    csrf_token, flash, forget_session, rotate_csrf_token, session_token, set_session_token,
    take_flashes, Flash, FlashLevel,
};
use crate::auth::service::{self, Refusal};
use crate::auth::{guard, is_local_path, Account, ClientIp, CsrfForm, Current};
use crate::error::AppResult;
use crate::web::forms::{render, see_other, FieldErrors};
use crate::web::State;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    brand: String,
    forgot: Option<&'static str>,
    heading: &'static str,
    action: &'static str,
    csrf: String,
    next: String,
    email: String,
    message: Option<String>,
    errors: FieldErrors,
    flashes: Vec<Flash>,
}

impl LoginPage {
    fn new<A: Account>(state: &State, session: &Session, next: String, email: String) -> Self {
        LoginPage {
            brand: if A::VENDOR_BRANDED {
                format!("{} · License portal", state.config.vendor_name)
            } else {
                "Keyfold".to_owned()
            },
            forgot: A::FORGOT_PASSWORD,
            heading: A::SIGN_IN_HEADING,
            action: A::LOGIN,
            csrf: csrf_token(session),
            next,
            email,
            message: None,
            errors: FieldErrors::new(),
            flashes: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n)).unwrap_or("").to_owned()
}

/// `GET /login`, `GET /portal/login`. Writes nothing to the database; an account
/// already signed in goes on.
pub async fn login_form<A: Account>(
    state: State,
    session: Session,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if let Some(token) = session_token(&session, A::KIND) {
        if state.db(guard::load::<A>(&state, token)).await?.is_some() {
            return Ok(see_other(if next.is_empty() { A::HOME } else { &next }));
        }
    }
    let mut page = LoginPage::new::<A>(&state, &session, next, String::new());
    page.flashes = take_flashes(&session);
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`, `POST /portal/login`.
pub async fn login_submit<A: Account>(
    state: State,
    session: Session,
    req: HttpRequest,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let next = safe_next(form.next.as_deref());
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let refused = |status: StatusCode, message: Option<&str>, errors: FieldErrors| {
        let mut page =
            LoginPage::new::<A>(&state, &session, next.clone(), form.email.trim().to_owned());
        page.message = message.map(str::to_owned);
        page.errors = errors;
        render(status, &page)
    };
    match service::sign_in::<A>(&state, &form.email, &form.password, &ip.0, user_agent).await? {
        Err(Refusal::Invalid(errors)) => refused(StatusCode::UNPROCESSABLE_ENTITY, None, errors),
        Err(Refusal::WrongCredentials) => refused(
            StatusCode::UNAUTHORIZED,
            Some("Email or password is incorrect."),
            FieldErrors::new(),
        ),
        Err(Refusal::Disabled) => refused(
            StatusCode::FORBIDDEN,
            Some(A::DISABLED_MESSAGE),
            FieldErrors::new(),
        ),
        Ok(signed_in) => {
            enter::<A>(&session, &signed_in.token);
            Ok(see_other(if next.is_empty() { A::HOME } else { &next }))
        }
    }
}

/// Puts a just-started session in the cookie. A fresh cookie: nothing from before
/// sign-in (a planted id or token) survives, except the session of the other kind of
/// account.
pub fn enter<A: Account>(session: &Session, token: &str) {
    let other = other_sessions::<A>(session);
    session.renew();
    for (kind, token) in other {
        set_session_token(session, kind, &token);
    }
    set_session_token(session, A::KIND, token);
    rotate_csrf_token(session);
}

/// The session ids of the other kinds of account this browser is signed in as.
fn other_sessions<A: Account>(session: &Session) -> Vec<(crate::models::session::Kind, String)> {
    use crate::models::session::Kind;
    [Kind::Staff, Kind::LicenseManager]
        .into_iter()
        .filter(|k| *k != A::KIND)
        .filter_map(|k| session_token(session, k).map(|t| (k, t)))
        .collect()
}

/// `POST /logout`, `POST /portal/logout`: ends the session here and everywhere its
/// cookie was copied to.
pub async fn logout<A: Account>(
    state: State,
    session: Session,
    current: Current<A>,
    ip: ClientIp,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    service::sign_out::<A>(&state, current, &ip.0).await?;
    forget_session(&session, A::KIND);
    let other = other_sessions::<A>(&session);
    session.clear();
    session.renew();
    for (kind, token) in other {
        set_session_token(&session, kind, &token);
    }
    flash(&session, FlashLevel::Success, "You have signed out.");
    Ok(see_other(A::LOGIN))
}
