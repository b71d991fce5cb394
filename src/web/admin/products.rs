//! Products: list, create, edit, the product page, archive, and delete (only while no
//! license uses it). Changes to the product's parts are in `product_parts`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::forms::product::{CustomFieldForm, FeatureForm, ProductForm};
use super::{AdminCtx, ConfirmPage};
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::ProductId;
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::product::{self, CustomField, Feature, Product, LICENSE_TYPES};
use crate::web::forms::{ok, render, see_other, submit, Problem};
use crate::web::{outcome, Outcome, State};

#[derive(Template)]
#[template(path = "admin/products/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    products: Vec<Product>,
    can_edit: bool,
}

/// `GET /products`.
pub async fn index(state: State, ctx: AdminCtx) -> AppResult<HttpResponse> {
    let products = state.db(|conn| Ok(product::list(conn, true)?)).await?;
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    ok(&IndexPage {
        ctx,
        products,
        can_edit,
    })
}

#[derive(Template)]
#[template(path = "admin/products/form.html")]
struct FormPage {
    ctx: AdminCtx,
    title: String,
    action: String,
    submit: &'static str,
    cancel: String,
    form: ProductForm,
    errors: FieldErrors,
    message: Option<String>,
    types: [(&'static str, &'static str); 4],
}

fn form_page(
    ctx: AdminCtx,
    existing: Option<&Product>,
    form: ProductForm,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let Problem {
        errors,
        message,
        status,
    } = problem;
    let (title, action, submit, cancel) = match existing {
        Some(p) => (
            format!("Edit {}", p.name),
            format!("/products/{}", p.id),
            "Save product",
            format!("/products/{}", p.id),
        ),
        None => (
            "New product".to_owned(),
            "/products".to_owned(),
            "Create product",
            "/products".to_owned(),
        ),
    };
    render(
        status,
        &FormPage {
            ctx,
            title,
            action,
            submit,
            cancel,
            form,
            errors,
            message,
            types: LICENSE_TYPES,
        },
    )
}

/// `GET /products/new`.
pub async fn new(ctx: AdminCtx) -> AppResult<HttpResponse> {
    form_page(ctx, None, ProductForm::blank(), Problem::none())
}

/// `POST /products`.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<ProductForm>,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let created = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| product::create(conn, &actor, &input),
        |p| {
            let text = format!("Product {} created.", p.name);
            (format!("/products/{}", p.id), text)
        },
    )
    .await?;
    match created {
        Ok(done) => Ok(done),
        Err(p) => form_page(ctx, None, form, p),
    }
}

pub(super) async fn load(state: &State, id: ProductId) -> AppResult<Product> {
    state
        .db(move |conn| product::find(conn, id)?.ok_or(AppError::NotFound))
        .await
}

/// `GET /products/{id}/edit`.
pub async fn edit(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
) -> AppResult<HttpResponse> {
    let p = load(&state, path.into_inner()).await?;
    let form = ProductForm::from_product(&p);
    form_page(ctx, Some(&p), form, Problem::none())
}

/// `POST /products/{id}`: save an edit (refused when someone else saved first: the form
/// then shows their version).
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
    CsrfForm(form): CsrfForm<ProductForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let existing = load(&state, id).await?;
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| product::update(conn, &actor, id, &input),
        |_| (format!("/products/{id}"), "Product saved.".to_owned()),
    )
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(p) if p.is_conflict() => {
            let current = load(&state, id).await?;
            let fresh = ProductForm::from_product(&current);
            form_page(ctx, Some(&current), fresh, p)
        }
        Err(p) => form_page(ctx, Some(&existing), form, p),
    }
}

#[derive(Template)]
#[template(path = "admin/products/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    product: Product,
    features: Vec<Feature>,
    custom_fields: Vec<CustomField>,
    parts: Vec<(i64, Product)>,
    candidates: Vec<Product>,
    has_licenses: bool,
    audit: Vec<AuditRow>,
    feature_form: FeatureForm,
    field_form: CustomFieldForm,
    errors: FieldErrors,
    can_edit: bool,
}

pub(super) async fn show_page(
    state: &State,
    ctx: AdminCtx,
    id: ProductId,
    feature_form: FeatureForm,
    field_form: CustomFieldForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (product, features, custom_fields, parts, candidates, has_licenses, audit) = state
        .db(move |conn| {
            let p = product::find(conn, id)?.ok_or(AppError::NotFound)?;
            let parts = product::bundle_parts(conn, id)?;
            let candidates = if p.is_bundle {
                product::list(conn, false)?
                    .into_iter()
                    .filter(|c| {
                        !c.is_bundle && c.id != id && !parts.iter().any(|(_, q)| q.id == c.id)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Ok((
                p,
                product::features(conn, id)?,
                product::custom_fields(conn, id)?,
                parts,
                candidates,
                product::has_licenses(conn, id)?,
                audit::for_object(conn, "product", id, 50)?,
            ))
        })
        .await?;
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    render(
        status,
        &ShowPage {
            ctx,
            product,
            features,
            custom_fields,
            parts,
            candidates,
            has_licenses,
            audit,
            feature_form,
            field_form,
            errors,
            can_edit,
        },
    )
}

/// `GET /products/{id}`.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
) -> AppResult<HttpResponse> {
    show_page(
        &state,
        ctx,
        path.into_inner(),
        FeatureForm::default(),
        CustomFieldForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn set_archived(
    state: State,
    ctx: AdminCtx,
    id: ProductId,
    archived: bool,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    state
        .write(move |conn| product::set_archived(conn, &actor, id, archived))
        .await??;
    let message = if archived {
        "Product archived: it is no longer offered for new orders. Its licenses are unchanged."
    } else {
        "Product restored from the archive."
    };
    ctx.flash(FlashLevel::Success, message);
    Ok(see_other(&format!("/products/{id}")))
}

buttons! {
    ProductId;
    /// `POST /products/{id}/archive`.
    archive => set_archived(true);
    /// `POST /products/{id}/unarchive`.
    unarchive => set_archived(false);
}

/// `GET /products/{id}/delete`.
pub async fn delete_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
) -> AppResult<HttpResponse> {
    let p = load(&state, path.into_inner()).await?;
    ConfirmPage::new(
        ctx,
        format!("Delete {}?", p.name),
        vec![
            format!(
                "The product {} ({}) with its features and custom fields is removed for good.",
                p.name, p.code
            ),
            "A product that licenses were issued for cannot be deleted; archive it instead."
                .to_owned(),
        ],
        format!("/products/{}/delete", p.id),
        "Delete product",
        format!("/products/{}", p.id),
    )
    .render_ok()
}

/// `POST /products/{id}/delete`.
pub async fn delete(
    state: State,
    ctx: AdminCtx,
    path: web::Path<ProductId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let deleted = state.write(move |conn| product::delete(conn, &actor, id));
    match outcome(deleted.await?)? {
        Outcome::Done(()) => {
            ctx.flash(FlashLevel::Success, "Product deleted.");
            Ok(see_other("/products"))
        }
        Outcome::Form(_, message) => {
            ctx.flash(FlashLevel::Error, message.unwrap_or_default());
            Ok(see_other(&format!("/products/{id}")))
        }
    }
}
