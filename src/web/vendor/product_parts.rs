//! Changes on the product page: features, custom fields and bundle contents.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::products::{load, show_page};
use super::VendorCtx;
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::error::AppResult;
use crate::models::product_parts::{self, CustomFieldForm, FeatureForm};
use crate::models::ModelResult;
use crate::web::forms::see_other;
use crate::web::{outcome, Outcome, State};

/// Runs one change on the product page: on success a flash and back to the page; on a
/// field error the page again with the input and the messages.
#[allow(clippy::too_many_arguments)]
async fn page_action(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    id: i64,
    forms: (FeatureForm, CustomFieldForm),
    done: &str,
    change: impl FnOnce(&mut crate::db::DbConnection) -> ModelResult<()> + Send + 'static,
) -> AppResult<HttpResponse> {
    match outcome(state.write(change).await?)? {
        Outcome::Done(()) => {
            flash(&session, FlashLevel::Success, done);
            Ok(see_other(&format!("/products/{id}")))
        }
        Outcome::Form(errors, None) => {
            let ctx = VendorCtx::new(&req, &staff);
            show_page(
                &state,
                ctx,
                id,
                forms.0,
                forms.1,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Outcome::Form(_, Some(message)) => {
            flash(&session, FlashLevel::Error, message);
            Ok(see_other(&format!("/products/{id}")))
        }
    }
}

/// `POST /products/{id}/features`.
pub async fn add_feature(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<FeatureForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    load(&state, id).await?;
    let feature = match form.parse() {
        Ok(f) => f,
        Err(errors) => {
            let ctx = VendorCtx::new(&req, &staff);
            return show_page(
                &state,
                ctx,
                id,
                form,
                CustomFieldForm::default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let actor = staff.actor(&ip);
    let forms = (form, CustomFieldForm::default());
    page_action(
        state,
        req,
        session,
        staff,
        id,
        forms,
        "Feature added.",
        move |conn| product_parts::add_feature(conn, &actor, id, feature),
    )
    .await
}

/// `POST /products/{id}/features/{feature_id}/remove`.
pub async fn remove_feature(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, feature_id) = path.into_inner();
    let actor = staff.actor(&ip);
    page_action(
        state,
        req,
        session,
        staff,
        id,
        Default::default(),
        "Feature removed.",
        move |conn| product_parts::remove_feature(conn, &actor, id, feature_id),
    )
    .await
}

/// `POST /products/{id}/custom-fields`.
pub async fn add_custom_field(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<CustomFieldForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    load(&state, id).await?;
    let field = match form.parse() {
        Ok(f) => f,
        Err(errors) => {
            let ctx = VendorCtx::new(&req, &staff);
            return show_page(
                &state,
                ctx,
                id,
                FeatureForm::default(),
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let actor = staff.actor(&ip);
    let forms = (FeatureForm::default(), form);
    page_action(
        state,
        req,
        session,
        staff,
        id,
        forms,
        "Custom field added.",
        move |conn| product_parts::add_custom_field(conn, &actor, id, field),
    )
    .await
}

/// `POST /products/{id}/custom-fields/{field_id}/remove`.
pub async fn remove_custom_field(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, field_id) = path.into_inner();
    let actor = staff.actor(&ip);
    page_action(
        state,
        req,
        session,
        staff,
        id,
        Default::default(),
        "Custom field removed.",
        move |conn| product_parts::remove_custom_field(conn, &actor, id, field_id),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartForm {
    part_id: String,
}

/// `POST /products/{id}/bundle-items`.
pub async fn add_bundle_part(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<PartForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let part_id = form.part_id.trim().parse::<i64>().unwrap_or(-1);
    let actor = staff.actor(&ip);
    page_action(
        state,
        req,
        session,
        staff,
        id,
        Default::default(),
        "Product added to the bundle.",
        move |conn| product_parts::add_bundle_part(conn, &actor, id, part_id),
    )
    .await
}

/// `POST /products/{id}/bundle-items/{item_id}/remove`.
pub async fn remove_bundle_part(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, item_id) = path.into_inner();
    let actor = staff.actor(&ip);
    page_action(
        state,
        req,
        session,
        staff,
        id,
        Default::default(),
        "Product removed from the bundle.",
        move |conn| product_parts::remove_bundle_part(conn, &actor, id, item_id),
    )
    .await
}
