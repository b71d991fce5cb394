//! Products: list, create, edit, the product page, archive, and delete (only while no
//! licence uses it). Changes to the product's parts are in `product_parts`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{ConfirmPage, VendorCtx};
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::product::{self, CustomField, Feature, Product, ProductForm, LICENSE_TYPES};
use crate::models::product_parts::{CustomFieldForm, FeatureForm};
use crate::web::forms::{ok, render, see_other};
use crate::web::{outcome, Outcome, State};

#[derive(Template)]
#[template(path = "vendor/products/index.html")]
struct IndexPage {
    ctx: VendorCtx,
    products: Vec<Product>,
    can_edit: bool,
}

/// `GET /products`.
pub async fn index(state: State, ctx: VendorCtx) -> AppResult<HttpResponse> {
    let products = state.db(|conn| Ok(product::list(conn, true)?)).await?;
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    ok(&IndexPage {
        ctx,
        products,
        can_edit,
    })
}

#[derive(Template)]
#[template(path = "vendor/products/form.html")]
struct FormPage {
    ctx: VendorCtx,
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
    ctx: VendorCtx,
    existing: Option<&Product>,
    form: ProductForm,
    errors: FieldErrors,
    message: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
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
pub async fn new(ctx: VendorCtx) -> AppResult<HttpResponse> {
    form_page(
        ctx,
        None,
        ProductForm::blank(),
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
}

/// `POST /products`.
pub async fn create(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<ProductForm>,
) -> AppResult<HttpResponse> {
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return form_page(
                ctx(),
                None,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| product::create(conn, &actor, &input))
            .await?,
    )? {
        Outcome::Done(p) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Product {} created.", p.name),
            );
            Ok(see_other(&format!("/products/{}", p.id)))
        }
        Outcome::Form(errors, message) => form_page(
            ctx(),
            None,
            form,
            errors,
            message,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

pub(super) async fn load(state: &State, id: i64) -> AppResult<Product> {
    state
        .db(move |conn| product::find(conn, id)?.ok_or(AppError::NotFound))
        .await
}

/// `GET /products/{id}/edit`.
pub async fn edit(state: State, ctx: VendorCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let p = load(&state, path.into_inner()).await?;
    form_page(
        ctx,
        Some(&p),
        ProductForm::from_product(&p),
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
}

/// `POST /products/{id}`.
pub async fn update(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ProductForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let existing = load(&state, id).await?;
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return form_page(
                ctx(),
                Some(&existing),
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| product::update(conn, &actor, id, &input))
            .await?,
    )? {
        Outcome::Done(_) => {
            flash(&session, FlashLevel::Success, "Product saved.");
            Ok(see_other(&format!("/products/{id}")))
        }
        Outcome::Form(errors, Some(conflict)) if errors.is_empty() => {
            let current = load(&state, id).await?;
            let fresh = ProductForm::from_product(&current);
            form_page(
                ctx(),
                Some(&current),
                fresh,
                errors,
                Some(conflict),
                StatusCode::CONFLICT,
            )
        }
        Outcome::Form(errors, message) => form_page(
            ctx(),
            Some(&existing),
            form,
            errors,
            message,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

#[derive(Template)]
#[template(path = "vendor/products/show.html")]
struct ShowPage {
    ctx: VendorCtx,
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
    ctx: VendorCtx,
    id: i64,
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
pub async fn show(state: State, ctx: VendorCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
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
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    id: i64,
    archived: bool,
) -> AppResult<HttpResponse> {
    let actor = staff.actor(&ip);
    state
        .write(move |conn| product::set_archived(conn, &actor, id, archived))
        .await??;
    let message = if archived {
        "Product archived: it is no longer offered for new orders. Its licences are unchanged."
    } else {
        "Product restored from the archive."
    };
    flash(&session, FlashLevel::Success, message);
    Ok(see_other(&format!("/products/{id}")))
}

/// `POST /products/{id}/archive`.
pub async fn archive(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    set_archived(state, session, staff, ip, path.into_inner(), true).await
}

/// `POST /products/{id}/unarchive`.
pub async fn unarchive(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    set_archived(state, session, staff, ip, path.into_inner(), false).await
}

/// `GET /products/{id}/delete`.
pub async fn delete_confirm(
    state: State,
    ctx: VendorCtx,
    path: web::Path<i64>,
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
            "A product that licences were issued for cannot be deleted; archive it instead."
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
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| product::delete(conn, &actor, id))
            .await?,
    )? {
        Outcome::Done(()) => {
            flash(&session, FlashLevel::Success, "Product deleted.");
            Ok(see_other("/products"))
        }
        Outcome::Form(_, message) => {
            flash(&session, FlashLevel::Error, message.unwrap_or_default());
            Ok(see_other(&format!("/products/{id}")))
        }
    }
}
