//! Licences: the list with key search and filters, the licence detail view, and its
//! actions (disable/enable, reset with a confirmation page, reset device, edit, delete).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{ConfirmPage, VendorCtx};
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::domain::{values, Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::device::{self, Device};
use crate::models::license::{
    self, Filter, License, LicenseCustomField, LicenseFeature, LicenseSummary,
};
use crate::models::license_event::{self, LicenseEvent};
use crate::models::license_ops::{self, LicenseForm, ResetPlan};
use crate::models::product::{self, Product, LICENSE_TYPES};
use crate::models::Page;
use crate::web::forms::{ok, render, see_other};
use crate::web::{outcome, Outcome, State};

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "vendor/licenses/index.html")]
struct IndexPage {
    ctx: VendorCtx,
    filter: Filter,
    order: String,
    page: Page<LicenseSummary>,
    products: Vec<Product>,
    types: [(&'static str, &'static str); 4],
    pager_base: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    key: String,
    product: String,
    status: String,
    license_type: String,
    order: String,
    before: String,
}

/// `GET /licenses`.
pub async fn index(
    state: State,
    ctx: VendorCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let filter = Filter {
        key: q.key.trim().chars().take(40).collect(),
        product_id: q.product.trim().parse().ok(),
        order_id: q.order.trim().parse().ok(),
        status: q.status.trim().to_owned(),
        license_type: LICENSE_TYPES
            .iter()
            .find(|(k, _)| *k == q.license_type.trim())
            .map(|(k, _)| k.to_string())
            .unwrap_or_default(),
    };
    let before = q.before.trim().parse().ok();
    let pager_base = format!(
        "/licenses?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("key", &filter.key)
            .append_pair("product", &q.product)
            .append_pair("status", &filter.status)
            .append_pair("license_type", &filter.license_type)
            .append_pair("order", &q.order)
            .finish()
    );
    let f = filter.clone();
    let (page, products) = state
        .db(move |conn| {
            Ok((
                license::list(conn, &f, before, PER_PAGE)?,
                product::list(conn, true)?,
            ))
        })
        .await?;
    ok(&IndexPage {
        ctx,
        filter,
        order: q.order,
        page,
        products,
        types: LICENSE_TYPES,
        pager_base,
    })
}

#[derive(Template)]
#[template(path = "vendor/licenses/show.html")]
struct ShowPage {
    ctx: VendorCtx,
    license: License,
    order_reference: String,
    product_name: String,
    customer: Option<(i64, String)>,
    features: Vec<LicenseFeature>,
    custom_fields: Vec<LicenseCustomField>,
    devices: Vec<Device>,
    events: Vec<LicenseEvent>,
    audit: Vec<AuditRow>,
    metadata: String,
    can_control: bool,
    can_manage: bool,
}

/// `GET /licenses/{id}`: the licence detail view.
pub async fn show(state: State, ctx: VendorCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (license, context, features, custom_fields, devices, events, audit) = state
        .db(move |conn| {
            let l = license::find(conn, id)?.ok_or(AppError::NotFound)?;
            let context = license::context(conn, &l)?;
            Ok((
                l,
                context,
                license::features(conn, id)?,
                license::custom_fields(conn, id)?,
                device::for_license(conn, id, 200)?,
                license_event::for_license(conn, id, 100)?,
                audit::for_object(conn, "license", id, 50)?,
            ))
        })
        .await?;
    let license::LicenseContext {
        order_reference,
        product_name,
        customer,
    } = context;
    let metadata = values::pretty_json(&license.metadata);
    let can_control = ctx.role.can(Action::ControlLicenses);
    let can_manage = ctx.role.can(Action::ManageLicenses);
    ok(&ShowPage {
        ctx,
        license,
        order_reference,
        product_name,
        customer,
        features,
        custom_fields,
        devices,
        events,
        audit,
        metadata,
        can_control,
        can_manage,
    })
}

async fn set_enabled(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    id: i64,
    enabled: bool,
) -> AppResult<HttpResponse> {
    let actor = staff.actor(&ip);
    let l = state
        .write(move |conn| license_ops::set_enabled(conn, &actor, id, enabled))
        .await??;
    let text = if enabled {
        format!(
            "Licence enabled; its status is now {}.",
            l.status().label().to_lowercase()
        )
    } else {
        "Licence disabled: every check fails until it is enabled again. Its data is kept."
            .to_owned()
    };
    flash(&session, FlashLevel::Success, text);
    Ok(see_other(&format!("/licenses/{id}")))
}

/// `POST /licenses/{id}/disable`.
pub async fn disable(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    set_enabled(state, session, staff, ip, path.into_inner(), false).await
}

/// `POST /licenses/{id}/enable`.
pub async fn enable(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    set_enabled(state, session, staff, ip, path.into_inner(), true).await
}

#[derive(Template)]
#[template(path = "vendor/licenses/reset.html")]
struct ResetPage {
    ctx: VendorCtx,
    plan: ResetPlan,
}

/// `GET /licenses/{id}/reset`: shows exactly what a reset will change.
pub async fn reset_confirm(
    state: State,
    ctx: VendorCtx,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let plan = state
        .db(move |conn| Ok(license_ops::reset_plan(conn, id)?))
        .await?;
    ok(&ResetPage { ctx, plan })
}

/// `POST /licenses/{id}/reset`.
pub async fn reset(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    state
        .write(move |conn| license_ops::reset(conn, &actor, id))
        .await??;
    flash(
        &session,
        FlashLevel::Success,
        "Licence reset: its devices are deactivated and it can be activated again.",
    );
    Ok(see_other(&format!("/licenses/{id}")))
}

/// `POST /licenses/{id}/devices/{device_id}/reset`: frees one device's seat.
pub async fn reset_device(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, device_id) = path.into_inner();
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| license_ops::reset_device(conn, &actor, id, device_id))
            .await?,
    )? {
        Outcome::Done(d) => flash(
            &session,
            FlashLevel::Success,
            format!("Device {} reset; its seat is free.", d.hostname),
        ),
        Outcome::Form(_, message) => {
            flash(&session, FlashLevel::Error, message.unwrap_or_default())
        }
    }
    Ok(see_other(&format!("/licenses/{id}")))
}

#[derive(Template)]
#[template(path = "vendor/licenses/edit.html")]
struct EditPage {
    ctx: VendorCtx,
    license: License,
    features: Vec<LicenseFeature>,
    custom_fields: Vec<LicenseCustomField>,
    form: LicenseForm,
    errors: FieldErrors,
    message: Option<String>,
}

async fn edit_page(
    state: &State,
    ctx: VendorCtx,
    id: i64,
    form: Option<LicenseForm>,
    errors: FieldErrors,
    message: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (license, features, custom_fields) = state
        .db(move |conn| {
            let l = license::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((
                l,
                license::features(conn, id)?,
                license::custom_fields(conn, id)?,
            ))
        })
        .await?;
    let form =
        form.unwrap_or_else(|| LicenseForm::from_license(&license, &features, &custom_fields));
    render(
        status,
        &EditPage {
            ctx,
            license,
            features,
            custom_fields,
            form,
            errors,
            message,
        },
    )
}

/// `GET /licenses/{id}/edit`.
pub async fn edit(state: State, ctx: VendorCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    edit_page(
        &state,
        ctx,
        path.into_inner(),
        None,
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /licenses/{id}`: save an edit of the licence's terms.
pub async fn update(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<LicenseForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return edit_page(
                &state,
                ctx(),
                id,
                Some(form),
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| license_ops::edit(conn, &actor, id, &input))
            .await?,
    )? {
        Outcome::Done(_) => {
            flash(&session, FlashLevel::Success, "Licence saved.");
            Ok(see_other(&format!("/licenses/{id}")))
        }
        Outcome::Form(errors, Some(conflict)) if errors.is_empty() => {
            edit_page(
                &state,
                ctx(),
                id,
                None,
                errors,
                Some(conflict),
                StatusCode::CONFLICT,
            )
            .await
        }
        Outcome::Form(errors, message) => {
            edit_page(
                &state,
                ctx(),
                id,
                Some(form),
                errors,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `GET /licenses/{id}/delete`.
pub async fn delete_confirm(
    state: State,
    ctx: VendorCtx,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let l = state
        .db(move |conn| license::find(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    ConfirmPage::new(
        ctx,
        format!("Delete licence {}?", l.license_key),
        vec![
            format!("The licence, its {} active device(s), its events, features and custom fields are deleted for good.", l.active_devices),
            "Applications using this key will stop working. To stop it temporarily, disable it instead.".to_owned(),
        ],
        format!("/licenses/{id}/delete"),
        "Delete licence",
        format!("/licenses/{id}"),
    )
    .render_ok()
}

/// `POST /licenses/{id}/delete`.
pub async fn delete(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    let order_id = state
        .write(move |conn| license_ops::delete(conn, &actor, id))
        .await??;
    flash(&session, FlashLevel::Success, "Licence deleted.");
    Ok(see_other(&format!("/orders/{order_id}")))
}
