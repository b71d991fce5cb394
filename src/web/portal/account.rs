//! The license manager's own account: change the password (the current one required;
//! the other sessions end and a notice is emailed) and sign out everywhere.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::PortalCtx;
use crate::auth::cookie::{flash, forget_session, FlashLevel};
use crate::auth::{service, CsrfForm};
use crate::error::AppResult;
use crate::models::session::Kind;
use crate::web::forms::{render, see_other, FieldErrors, PasswordForm};
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "portal/account.html")]
struct AccountPage {
    ctx: PortalCtx,
    errors: FieldErrors,
}

impl AccountPage {
    const ACTION: &'static str = "/portal/account/password";
}

/// `GET /portal/account`.
pub async fn show(ctx: PortalCtx) -> AppResult<HttpResponse> {
    render(
        StatusCode::OK,
        &AccountPage {
            ctx,
            errors: FieldErrors::new(),
        },
    )
}

/// `POST /portal/account/password`.
pub async fn password(
    state: State,
    ctx: PortalCtx,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) =
        service::change_own_password(&state, &ctx.manager, form.change(), &ctx.ip.0).await?
    {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &AccountPage { ctx, errors },
        );
    }
    flash(
        &ctx.session,
        FlashLevel::Success,
        "Your password was changed. Your other sessions have been signed out.",
    );
    Ok(see_other("/portal/account"))
}

/// `POST /portal/account/sign-out-everywhere`: ends every session of the account,
/// this one included.
pub async fn sign_out_everywhere(
    state: State,
    ctx: PortalCtx,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (ctx.user.id, ctx.actor());
    state
        .db(move |conn| {
            crate::ops::write_tx(conn, |conn| {
                crate::models::license_manager::sign_out_everywhere(conn, &actor, id)?;
                Ok::<_, crate::error::AppError>(())
            })
        })
        .await?;
    forget_session(&ctx.session, Kind::LicenseManager);
    flash(
        &ctx.session,
        FlashLevel::Success,
        "You have been signed out everywhere.",
    );
    Ok(see_other("/portal/login"))
}
