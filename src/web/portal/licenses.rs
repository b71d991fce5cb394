//! A license of a managed order: its terms, devices and events, and the two resets the
//! grant may allow. Buttons show only with the permission; the route table's grant guard
//! refuses the action without it, whatever the page showed.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::{parse_until, posted_id, BorrowForm};
use super::PortalCtx;
use crate::auth::CsrfForm;
use crate::domain::{DeviceId, LicenseId, Permission};
use crate::error::AppResult;
use crate::models::floating;
use crate::models::grant::GrantedOrder;
use crate::models::license_ops::ResetPlan;
use crate::models::license_timeline::By;
use crate::models::license_user::{LicenseUser, UserRow};
use crate::ops::licenses::{self, LicenseView};
use crate::ops::{license_users, Reach};
use crate::web::forms::{act, ok, Flasher};
use crate::web::shared::{Area, Confirm};
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "portal/licenses/show.html")]
struct ShowPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    view: LicenseView,
    /// The license's users, and the order's (to choose one to assign).
    users: Vec<LicenseUser>,
    order_users: Vec<UserRow>,
    /// Floating seats held now.
    held: i64,
    /// The default end of a borrow (now + the borrow limit), as a `datetime-local`.
    borrow_default: String,
    now: chrono::NaiveDateTime,
}

impl ShowPage {
    fn can_reset_device(&self) -> bool {
        self.granted.can(Permission::ResetDevice)
    }

    fn can_reset_license(&self) -> bool {
        self.granted.can(Permission::ResetLicense)
    }

    fn can_manage_users(&self) -> bool {
        self.granted.can(Permission::ManageLicenseUsers)
    }

    fn can_borrow(&self) -> bool {
        self.granted.can(Permission::BorrowLicense)
            && self.view.license.is_floating()
            && self.view.license.borrow_limit_hours > 0
    }

    /// Order users not yet on this license.
    fn assignable(&self) -> Vec<&LicenseUser> {
        crate::models::license_user::not_among(&self.order_users, &self.users)
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
    let reach = Reach::LicenseManager(granted.clone());
    let now = crate::models::now();
    let (view, (users, order_users), held) = state
        .db(move |conn| {
            Ok((
                licenses::view(conn, &reach, id)?,
                license_users::of_license(conn, &reach, id)?,
                floating::held_seats(conn, id, now, None)?,
            ))
        })
        .await?;
    let borrow_default = floating::latest_return(&view.license, now)
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default();
    ok(&ShowPage {
        ctx,
        granted,
        view,
        users,
        order_users,
        held,
        borrow_default,
        now,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeviceForm {
    device_id: String,
    /// "yes" once the manager confirmed on the page naming the device.
    confirmed: String,
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
    if form.confirmed != "yes" {
        // First a short confirmation naming the device (looked up through the grant).
        let reach = Reach::LicenseManager(granted);
        let view = state
            .db(move |conn| Ok(licenses::view(conn, &reach, id)?))
            .await?;
        let d = view
            .devices
            .iter()
            .find(|d| d.id == device && d.is_active())
            .ok_or(crate::error::AppError::NotFound)?;
        let name = if d.hostname.is_empty() {
            d.hardware_id
                .clone()
                .unwrap_or_else(|| format!("#{}", d.id.0))
        } else {
            d.hostname.clone()
        };
        let page = Confirm::danger(
            format!("Reset device {name}?"),
            vec![
                format!(
                    "{name} is signed out of license {} and its seat is freed for another device.",
                    view.license.license_key
                ),
                format!("Transfers: {}.", view.license.transfers_text()),
            ],
            format!("/portal/licenses/{id}/devices/reset"),
            "Reset device",
            format!("/portal/licenses/{id}"),
        )
        .carrying(vec![
            ("device_id", device.0.to_string()),
            ("confirmed", "yes".to_owned()),
        ]);
        return ctx.confirm(page);
    }
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &format!("/portal/licenses/{id}"),
        move |conn| {
            licenses::reset_device(conn, &actor, &Reach::LicenseManager(granted), id, device)
        },
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
        .db(move |conn| {
            Ok(licenses::reset_plan(
                conn,
                &Reach::LicenseManager(granted),
                id,
            )?)
        })
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
        move |conn| licenses::reset(conn, &actor, &Reach::LicenseManager(granted), id),
        |l| {
            format!(
                "License {} was reset: every device was deactivated.",
                l.license_key
            )
        },
    )
    .await
}

/// `POST /portal/licenses/{id}/devices/borrow`: borrows a floating seat for a device.
pub async fn borrow(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<BorrowForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let back = format!("/portal/licenses/{id}");
    let until = match parse_until(&form.until) {
        Ok(u) => u,
        Err(m) => {
            ctx.flash_message(
                crate::auth::cookie::FlashLevel::Error,
                format!("Until: {m}"),
            );
            return Ok(crate::web::forms::see_other(&back));
        }
    };
    let device = DeviceId(posted_id(&form.device_id));
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &back,
        move |conn| {
            licenses::borrow(
                conn,
                &actor,
                &Reach::LicenseManager(granted),
                id,
                device,
                until,
            )
        },
        |d| {
            format!(
                "Device {} borrowed a seat until {} UTC.",
                d.hostname,
                until.format("%Y-%m-%d %H:%M")
            )
        },
    )
    .await
}

/// `POST /portal/licenses/{id}/devices/return`: returns a borrowed seat early.
pub async fn return_seat(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let device = DeviceId(posted_id(&form.device_id));
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &format!("/portal/licenses/{id}"),
        move |conn| {
            licenses::return_seat(conn, &actor, &Reach::LicenseManager(granted), id, device)
        },
        |d| format!("Device {} returned its seat.", d.hostname),
    )
    .await
}
