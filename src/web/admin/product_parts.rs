//! Changes on the product page: features, custom fields and bundle contents.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::forms::product::{CustomFieldForm, FeatureForm};
use super::products::{load, show_page};
use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::db::DbConnection;
use crate::domain::FieldErrors;
use crate::domain::ProductId;
use crate::error::AppResult;
use crate::models::product_parts;
use crate::models::ModelResult;
use crate::web::forms::{see_other, submit};
use crate::web::State;

/// Runs one change on the product page: on success a flash and back to the page; on a
/// field error the page again with the input and the messages; a refused rule as an
/// error flash.
async fn page_action<I: Send + 'static>(
    state: State,
    ctx: AdminCtx,
    id: ProductId,
    (forms, parsed): ((FeatureForm, CustomFieldForm), Result<I, FieldErrors>),
    done: &'static str,
    change: impl FnOnce(&mut DbConnection, I) -> ModelResult<()> + Send + 'static,
) -> AppResult<HttpResponse> {
    let back = format!("/products/{id}");
    let done = |()| (back.clone(), done.to_owned());
    let p = match submit(&ctx, &state, parsed, change, done).await? {
        Ok(response) => return Ok(response),
        Err(p) => p,
    };
    match p.message {
        Some(message) if p.errors.is_empty() => {
            ctx.flash(FlashLevel::Error, message);
            Ok(see_other(&back))
        }
        _ => show_page(&state, ctx, id, forms.0, forms.1, p.errors, p.status).await,
    }
}

/// `POST /products/{id}/features`.
pub async fn add_feature(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
    CsrfForm(form): CsrfForm<FeatureForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    load(&state, id).await?;
    let actor = ctx.actor();
    let parsed = form.parse();
    let forms = ((form, CustomFieldForm::default()), parsed);
    page_action(state, ctx, id, forms, "Feature added.", move |conn, f| {
        product_parts::add_feature(conn, &actor, id, f)
    })
    .await
}

/// `POST /products/{id}/features/{feature_id}/remove`.
pub async fn remove_feature(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(ProductId, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, feature_id) = path.into_inner();
    let actor = ctx.actor();
    let change = move |conn: &mut DbConnection, ()| {
        product_parts::remove_feature(conn, &actor, id, feature_id)
    };
    let forms = (Default::default(), Ok(()));
    page_action(state, ctx, id, forms, "Feature removed.", change).await
}

/// `POST /products/{id}/custom-fields`.
pub async fn add_custom_field(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
    CsrfForm(form): CsrfForm<CustomFieldForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    load(&state, id).await?;
    let actor = ctx.actor();
    let parsed = form.parse();
    let forms = ((FeatureForm::default(), form), parsed);
    page_action(
        state,
        ctx,
        id,
        forms,
        "Custom field added.",
        move |conn, f| product_parts::add_custom_field(conn, &actor, id, f),
    )
    .await
}

/// `POST /products/{id}/custom-fields/{field_id}/remove`.
pub async fn remove_custom_field(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(ProductId, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, field_id) = path.into_inner();
    let actor = ctx.actor();
    let change = move |conn: &mut DbConnection, ()| {
        product_parts::remove_custom_field(conn, &actor, id, field_id)
    };
    let forms = (Default::default(), Ok(()));
    page_action(state, ctx, id, forms, "Custom field removed.", change).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartForm {
    part_id: String,
}

/// `POST /products/{id}/bundle-items`.
pub async fn add_bundle_part(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
    CsrfForm(form): CsrfForm<PartForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let part_id = ProductId(form.part_id.trim().parse::<i64>().unwrap_or(-1));
    let actor = ctx.actor();
    let change = move |conn: &mut DbConnection, ()| {
        product_parts::add_bundle_part(conn, &actor, id, part_id)
    };
    let forms = (Default::default(), Ok(()));
    page_action(
        state,
        ctx,
        id,
        forms,
        "Product added to the bundle.",
        change,
    )
    .await
}

/// `POST /products/{id}/bundle-items/{item_id}/remove`.
pub async fn remove_bundle_part(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(ProductId, i64)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, item_id) = path.into_inner();
    let actor = ctx.actor();
    let change = move |conn: &mut DbConnection, ()| {
        product_parts::remove_bundle_part(conn, &actor, id, item_id)
    };
    let forms = (Default::default(), Ok(()));
    page_action(
        state,
        ctx,
        id,
        forms,
        "Product removed from the bundle.",
        change,
    )
    .await
}
