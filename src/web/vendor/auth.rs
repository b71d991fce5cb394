//! Signing in and out of the vendor portal.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::cookie::{
    self, csrf_token, forget_staff_session, rotate_csrf_token, set_staff_session_token,
    take_flashes, Flash, FlashLevel,
};
use crate::auth::{is_local_path, password, staff_guard, ClientIp, CsrfForm, CurrentStaff};
use crate::db::write_tx;
use crate::domain::password::check_length;
use crate::domain::StaffId;
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, Actor, Entry};
use crate::models::session::{self, Kind};
use crate::models::{login_attempt, staff};
use crate::web::forms::{render, see_other, FieldErrors};
use crate::web::State;

const AREA: &str = "staff";
const HOME: &str = "/orders";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    message: Option<String>,
    errors: FieldErrors,
    flashes: Vec<Flash>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n)).unwrap_or("").to_owned()
}

/// `GET /login`. Writes nothing to the database; an already signed-in user goes on.
pub async fn login_form(
    state: State,
    session: Session,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if let Some(token) = cookie::staff_session_token(&session) {
        if state.db(staff_guard::load(&state, token)).await?.is_some() {
            return Ok(see_other(if next.is_empty() { HOME } else { &next }));
        }
    }
    let page = LoginPage {
        csrf: csrf_token(&session),
        next,
        email: String::new(),
        message: None,
        errors: FieldErrors::new(),
        flashes: take_flashes(&session),
    };
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

/// `POST /login`.
pub async fn login_submit(
    state: State,
    session: Session,
    req: HttpRequest,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_owned();
    let email_norm = email.to_lowercase();
    let page = |status: StatusCode, message: Option<&str>, errors: FieldErrors| {
        render(
            status,
            &LoginPage {
                csrf: csrf_token(&session),
                next: next.clone(),
                email: email.clone(),
                message: message.map(str::to_owned),
                errors,
                flashes: Vec::new(),
            },
        )
    };

    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("email", "Enter your email address.");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    } else if let Err(e) = check_length(&form.password) {
        errors.add("password", e);
    }
    if !errors.is_empty() {
        return page(StatusCode::UNPROCESSABLE_ENTITY, None, errors);
    }

    let (throttled, user) = {
        let (email_norm, ip) = (email_norm.clone(), ip.0.clone());
        state
            .db(move |conn| {
                let throttled = login_attempt::is_throttled(conn, AREA, &email_norm, &ip)?;
                let user = staff::find_by_email(conn, &email_norm)?;
                Ok((throttled, user))
            })
            .await?
    };
    if throttled {
        return Err(AppError::TooManyRequests);
    }
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let cost = state.config.bcrypt_cost;
    let password_ok = password::verify(form.password.clone(), stored_hash, cost).await?;
    let user = match user {
        Some(u) if password_ok => u,
        _ => {
            let (email_norm, ip) = (email_norm.clone(), ip.0.clone());
            state
                .db(move |conn| Ok(login_attempt::record_failure(conn, AREA, &email_norm, &ip)?))
                .await?;
            return page(
                StatusCode::UNAUTHORIZED,
                Some("Email or password is incorrect."),
                FieldErrors::new(),
            );
        }
    };
    if !user.active {
        return page(
            StatusCode::FORBIDDEN,
            Some("This account is disabled. Ask an administrator to enable it."),
            FieldErrors::new(),
        );
    }

    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let timeouts = staff_guard::timeouts(&state);
    let token = {
        let ip = ip.0.clone();
        state
            .db(move |conn| {
                write_tx(conn, |conn| {
                    let token =
                        session::create(conn, Kind::Staff, user.id, &ip, &user_agent, timeouts)?;
                    staff::record_sign_in(conn, StaffId(user.id))?;
                    login_attempt::clear(conn, AREA, &user.email_norm, &ip)?;
                    audit::record(
                        conn,
                        &Actor::staff(user.id, &user.email, Some(ip.clone())),
                        Entry::new("staff.signed_in", "staff_user", Some(user.id))
                            .label(&user.email),
                    )?;
                    Ok::<_, AppError>(token)
                })
            })
            .await?
    };
    // A fresh cookie: nothing from before sign-in (a planted id or token) survives.
    session.renew();
    set_staff_session_token(&session, &token);
    rotate_csrf_token(&session);
    Ok(see_other(if next.is_empty() { HOME } else { &next }))
}

/// `POST /logout`: ends the session here and everywhere its cookie was copied to.
pub async fn logout(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let session_id = staff.session_id;
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                session::revoke(conn, session_id)?;
                audit::record(
                    conn,
                    &Actor::staff(staff.user.id, &staff.user.email, Some(ip.0)),
                    Entry::new("staff.signed_out", "staff_user", Some(staff.user.id))
                        .label(&staff.user.email),
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    forget_staff_session(&session);
    session.clear();
    session.renew();
    cookie::flash(&session, FlashLevel::Success, "You have signed out.");
    Ok(see_other("/login"))
}
