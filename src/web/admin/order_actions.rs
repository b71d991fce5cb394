//! The order detail view's actions: edit the order, set its customer, issue more
//! licenses, export its data, delete it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::lines::{self, LineRow, LinesForm, BLANK_LINES};
use super::forms::order::{parse_customer_choice, CustomerChoiceForm, EditOrderForm};
use super::orders::{show_page, Forms};
use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::FieldErrors;
use crate::domain::OrderId;
use crate::error::{AppError, AppResult};
use crate::models::customer;
use crate::models::order::{self, Order};
use crate::models::product::{self, Product, LICENSE_TYPES};
use crate::web::forms::{render, see_other, submit};
use crate::web::{outcome, Outcome, State};

/// `POST /orders/{id}`: edit the order's own fields.
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<EditOrderForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| order::edit(conn, &actor, id, &input),
        |_| (format!("/orders/{id}"), "Order saved.".to_owned()),
    )
    .await?;
    let p = match saved {
        Ok(done) => return Ok(done),
        Err(p) => p,
    };
    // The edit form sits among others on the order page: its messages show above it.
    let conflict = p.is_conflict();
    let message = p
        .message
        .or_else(|| (!p.errors.is_empty()).then(|| p.errors.messages().join(" ")));
    let forms = Forms {
        edit: (!conflict).then_some(form),
        errors: p.errors,
        message,
        ..Default::default()
    };
    show_page(&state, ctx, id, forms, p.status).await
}

/// `POST /orders/{id}/customer`: set, replace or remove the order's customer.
pub async fn set_customer(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<CustomerChoiceForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        parse_customer_choice(&form),
        move |conn, choice| order::set_customer(conn, &actor, id, &choice),
        |o| {
            let text = match o.customer_id {
                Some(_) => "Order customer saved.",
                None => "Customer removed from the order.",
            };
            (format!("/orders/{id}"), text.to_owned())
        },
    )
    .await?;
    let p = match saved {
        Ok(done) => return Ok(done),
        Err(p) => p,
    };
    let forms = Forms {
        customer: Some(form),
        errors: p.errors,
        message: p.message,
        ..Default::default()
    };
    show_page(&state, ctx, id, forms, p.status).await
}

#[derive(Template)]
#[template(path = "admin/orders/issue.html")]
struct IssuePage {
    ctx: AdminCtx,
    order: Order,
    rows: Vec<LineRow>,
    products: Vec<Product>,
    types: [(&'static str, &'static str); 4],
    errors: FieldErrors,
}

async fn issue_page(
    state: &State,
    ctx: AdminCtx,
    id: OrderId,
    lines: LinesForm,
    extra: usize,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (order, products) = state
        .db(move |conn| {
            Ok((
                order::find(conn, id)?.ok_or(AppError::NotFound)?,
                product::list(conn, false)?,
            ))
        })
        .await?;
    let rows = lines::with_defaults(lines.rows(extra), &products);
    render(
        status,
        &IssuePage {
            ctx,
            order,
            rows,
            products,
            types: LICENSE_TYPES,
            errors,
        },
    )
}

/// `GET /orders/{id}/licenses/new`.
pub async fn issue_form(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    issue_page(
        &state,
        ctx,
        path.into_inner(),
        LinesForm::default(),
        BLANK_LINES,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /orders/{id}/licenses`: issue more licenses into the order.
pub async fn issue(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(lines): CsrfForm<LinesForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    if lines.add_lines.is_some() {
        return issue_page(
            &state,
            ctx,
            id,
            lines,
            BLANK_LINES,
            FieldErrors::new(),
            StatusCode::OK,
        )
        .await;
    }
    let mut errors = FieldErrors::new();
    let parsed = lines.parse(&mut errors);
    let actor = ctx.actor();
    let issued = submit(
        &ctx,
        &state,
        errors.finish(|| parsed),
        move |conn, parsed| order::issue_more(conn, &actor, id, &parsed),
        |n| {
            (
                format!("/orders/{id}"),
                format!(
                    "{} issued.",
                    crate::web::plural(n as i64, "license", "licenses")
                ),
            )
        },
    )
    .await?;
    match issued {
        Ok(done) => Ok(done),
        Err(p) => {
            let status = p.status;
            issue_page(&state, ctx, id, lines, 0, p.field_errors("lines"), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/orders/delete.html")]
struct DeletePage {
    ctx: AdminCtx,
    order: Order,
    licenses: i64,
    typed: String,
    errors: FieldErrors,
    /// Grants on other orders that go with this order's grants.
    derived: Vec<crate::models::grant::Derived>,
}

async fn delete_page(
    state: &State,
    ctx: AdminCtx,
    id: OrderId,
    typed: String,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (order, licenses, derived) = state
        .db(move |conn| {
            let o = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            let derived = crate::models::grant::derived_elsewhere(conn, id)?;
            Ok((o, order::license_count(conn, id)?, derived))
        })
        .await?;
    render(
        status,
        &DeletePage {
            ctx,
            order,
            licenses,
            typed,
            errors,
            derived,
        },
    )
}

/// `GET /orders/{id}/delete`: asks for the reference to be typed.
pub async fn delete_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    delete_page(
        &state,
        ctx,
        path.into_inner(),
        String::new(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm_reference: String,
}

/// `POST /orders/{id}/delete`.
pub async fn delete(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let typed = form.confirm_reference.clone();
    match outcome(
        state
            .write(move |conn| crate::models::grant_change::delete_order(conn, &actor, id, &typed))
            .await?,
    )? {
        Outcome::Done(n) => {
            ctx.flash(
                FlashLevel::Success,
                format!(
                    "Order deleted with its {}.",
                    crate::web::plural(n, "license", "licenses")
                ),
            );
            Ok(see_other("/orders"))
        }
        Outcome::Form(errors, _) => {
            delete_page(
                &state,
                ctx,
                id,
                form.confirm_reference,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `GET /orders/{id}/export.csv`: the order, its customer and its licenses.
pub async fn export(state: State, path: web::Path<OrderId>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (order, customer) = state
        .db(move |conn| {
            let o = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            let c = match o.customer_id {
                Some(c) => customer::find(conn, c)?,
                None => None,
            };
            Ok((o, c))
        })
        .await?;
    let file: String = order
        .reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let body = crate::csv_io::stream::csv_stream(state.pool.clone(), move |conn, sink| {
        crate::csv_io::order_export::export(conn, sink, &order, customer.as_ref())
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"order-{file}.csv\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}
