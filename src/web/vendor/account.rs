//! The signed-in staff user's own account: changing the password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::VendorCtx;
use crate::auth::cookie::{self, FlashLevel};
use crate::auth::{password, ClientIp, CsrfForm, CurrentStaff};
use crate::db::write_tx;
use crate::domain::NewPassword;
use crate::error::{AppError, AppResult};
use crate::models::audit::Actor;
use crate::models::staff;
use crate::web::forms::{render, see_other, FieldErrors};
use crate::web::State;

#[derive(Template)]
#[template(path = "vendor/account/password.html")]
struct PasswordPage {
    ctx: VendorCtx,
    errors: FieldErrors,
}

/// `GET /account/password`.
pub async fn password_form(ctx: VendorCtx) -> AppResult<HttpResponse> {
    render(
        StatusCode::OK,
        &PasswordPage {
            ctx,
            errors: FieldErrors::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: needs the current password; ends the user's other sessions.
pub async fn password_submit(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let cost = state.config.bcrypt_cost;
    let current_ok = !form.current_password.is_empty()
        && password::verify(
            form.current_password.clone(),
            staff.user.password_hash.clone(),
            cost,
        )
        .await?;
    if !current_ok {
        errors.add("current_password", "This is not your current password.");
    }
    let new = errors.check("new_password", NewPassword::parse(&form.new_password));
    if new.is_some() && form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two new passwords differ.");
    }
    let new = match new {
        Some(new) if errors.is_empty() => new,
        _ => {
            let ctx = VendorCtx::new(&req, &staff);
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordPage { ctx, errors },
            );
        }
    };
    let hash = password::hash(new.expose().to_owned(), cost).await?;
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let actor = Actor::staff(staff.user.id, &staff.user.email, Some(ip.0));
                staff::set_password(conn, &actor, &staff.user, &hash, Some(staff.session_id))?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    cookie::flash(
        &session,
        FlashLevel::Success,
        "Your password was changed. Your other sessions have been signed out.",
    );
    Ok(see_other("/account/password"))
}
