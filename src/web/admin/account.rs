//! The signed-in staff user's own account: changing the password.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::auth::service;
use crate::auth::CsrfForm;
use crate::error::AppResult;
use crate::web::forms::{render, see_other, FieldErrors, PasswordForm};
use crate::web::State;

#[derive(Template)]
#[template(path = "admin/account/password.html")]
struct PasswordPage {
    ctx: AdminCtx,
    errors: FieldErrors,
}

impl PasswordPage {
    const ACTION: &'static str = "/account/password";
}

/// `GET /account/password`.
pub async fn password_form(ctx: AdminCtx) -> AppResult<HttpResponse> {
    render(
        StatusCode::OK,
        &PasswordPage {
            ctx,
            errors: FieldErrors::new(),
        },
    )
}

/// `POST /account/password`: needs the current password; ends the user's other sessions.
pub async fn password_submit(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) =
        service::change_own_password(&state, &ctx.staff, form.change(), &ctx.ip.0).await?
    {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { ctx, errors },
        );
    }
    ctx.flash(
        FlashLevel::Success,
        "Your password was changed. Your other sessions have been signed out.",
    );
    Ok(see_other("/account/password"))
}
