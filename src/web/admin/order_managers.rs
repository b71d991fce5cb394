//! An order's "License managers" tab: who manages the order in the license portal, with
//! which permissions; adding them (an invite or a "granted" notice goes to the outbox),
//! changing their permissions, removing them, resending, revoking or copying an invite.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::AdminCtx;
use crate::auth::CsrfForm;
use crate::db::DbConnection;
use crate::domain::{GrantId, OrderId};
use crate::error::AppResult;
use crate::models::license_manager::LicenseManager;
use crate::models::order::Order;
use crate::models::{ModelError, ModelResult};
use crate::ops::grants;
use crate::ops::Reach;
use crate::web::forms::{act, flash_result, ok, see_other};
use crate::web::shared::Area;
use crate::web::{EmptyForm, State};

/// The one-button actions on a manager's row: run `f` on the order's grant, then back to
/// the tab with what happened.
async fn row_action(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    f: fn(
        &mut DbConnection,
        &crate::mail::Mailer,
        &crate::models::audit::Actor,
        &Reach,
        OrderId,
        GrantId,
    ) -> ModelResult<LicenseManager>,
    done: fn(&LicenseManager) -> String,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    act(
        &ctx,
        &state,
        &format!("/orders/{id}/managers"),
        move |conn| f(conn, &mailer, &actor, &reach, id, gid),
        |m| done(&m),
    )
    .await
}

/// `POST /orders/{id}/managers/{grant}/resend`: a new invite; earlier links stop working.
pub async fn resend(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    row_action(state, ctx, path, grants::resend_invite, |m| {
        format!(
            "A new invite to {} is queued; earlier links no longer work.",
            m.email
        )
    })
    .await
}

/// `POST /orders/{id}/managers/{grant}/revoke`.
pub async fn revoke(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    row_action(
        state,
        ctx,
        path,
        |conn, _, actor, reach, order, gid| grants::revoke_invite(conn, actor, reach, order, gid),
        |m| format!("The invite of {} is revoked.", m.email),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/orders/manager_link.html")]
struct LinkPage {
    ctx: AdminCtx,
    order: Order,
    manager: LicenseManager,
    link: String,
    days: i64,
}

/// `POST /orders/{id}/managers/{grant}/link`: "Copy new invite link" — a fresh link shown
/// once, offered only when no SMTP server is configured (its reason); earlier links stop
/// working, and the manager's page records that staff handed a link over.
pub async fn link(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    if state.config.smtp_url.is_some() {
        // The link is for vendors who cannot email it; with SMTP, Resend invite emails it.
        let refused = ModelError::refused(
            "invite_links_by_email",
            "Invite links go by email here: use Resend invite, which emails a new link.".to_owned(),
        );
        flash_result(&ctx, Err::<(), _>(refused), |_| String::new())?;
        return Ok(see_other(&format!("/orders/{id}/managers")));
    }
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    let result = state
        .write(move |conn| grants::new_invite_link(conn, &mailer, &actor, &reach, id, gid))
        .await?;
    match result {
        Ok((order, manager, link)) => {
            let page = LinkPage {
                days: state.mailer.invite_days,
                ctx,
                order,
                manager,
                link,
            };
            let mut response = ok(&page)?;
            response.headers_mut().insert(
                actix_web::http::header::REFERRER_POLICY,
                actix_web::http::header::HeaderValue::from_static("no-referrer"),
            );
            Ok(response)
        }
        Err(e) => {
            flash_result(&ctx, Err::<(), _>(e), |_| String::new())?;
            Ok(see_other(&format!("/orders/{id}/managers")))
        }
    }
}
