//! A license of a managed order: its terms, devices and events, and the two resets the
//! grant may allow. Buttons show only with the permission; the route table's grant guard
//! refuses the action without it, whatever the page showed.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::PortalCtx;
use crate::auth::CsrfForm;
use crate::domain::{DeviceId, LicenseId, Permission};
use crate::error::AppResult;
use crate::models::audit::AuditRow;
use crate::models::grant::GrantedOrder;
use crate::models::license_ops::ResetPlan;
use crate::models::portal::{self, LicenseView};
use crate::web::forms::{act, ok};
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "portal/licenses/show.html")]
struct ShowPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    view: LicenseView,
    history: Vec<AuditRow>,
}

impl ShowPage {
    fn can_reset_device(&self) -> bool {
        self.granted.can(Permission::ResetDevice)
    }

    fn can_reset_license(&self) -> bool {
        self.granted.can(Permission::ResetLicense)
    }
}

/// `GET /portal/licenses/{id}`.
pub async fn show(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let g = granted.clone();
    let (view, history) = state
        .db(move |conn| {
            Ok((
                portal::license_view(conn, &g, id)?,
                portal::license_history(conn, &g, id)?,
            ))
        })
        .await?;
    ok(&ShowPage {
        ctx,
        granted,
        view,
        history,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeviceForm {
    device_id: String,
}

/// `POST /portal/licenses/{id}/devices/reset`: frees the seat of the posted device, which
/// is looked up through the granted order (another order's device is not found).
pub async fn reset_device(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let device = DeviceId(form.device_id.trim().parse().unwrap_or(-1));
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &format!("/portal/licenses/{id}"),
        move |conn| portal::reset_device(conn, &granted, &actor, id, device),
        |d| format!("Device {} was reset: its seat is free.", d.hostname),
    )
    .await
}

#[derive(Template)]
#[template(path = "portal/licenses/reset.html")]
struct ResetPage {
    ctx: PortalCtx,
    plan: ResetPlan,
}

/// `GET /portal/licenses/{id}/reset`: exactly what a reset will change.
pub async fn reset_confirm(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let plan = state
        .db(move |conn| Ok(portal::reset_plan(conn, &granted, id)?))
        .await?;
    ok(&ResetPage { ctx, plan })
}

/// `POST /portal/licenses/{id}/reset`.
pub async fn reset(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &format!("/portal/licenses/{id}"),
        move |conn| portal::reset_license(conn, &granted, &actor, id),
        |l| {
            format!(
                "License {} was reset: every device was deactivated.",
                l.license_key
            )
        },
    )
    .await
}
