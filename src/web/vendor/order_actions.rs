//! The order detail view's actions: edit the order, set its customer, issue more
//! licences, export its data, delete it.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::orders::{show_page, Forms};
use super::VendorCtx;
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::models::customer;
use crate::models::issue::{self, LineRow, LinesForm, BLANK_LINES};
use crate::models::order::{self, CustomerChoiceForm, EditOrderForm, Order};
use crate::models::product::{self, Product, LICENSE_TYPES};
use crate::web::forms::{render, see_other};
use crate::web::{outcome, Outcome, State};

/// `POST /orders/{id}`: edit the order's own fields.
pub async fn update(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<EditOrderForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    let submitted = form.clone();
    match outcome(
        state
            .write(move |conn| order::edit(conn, &actor, id, &submitted))
            .await?,
    )? {
        Outcome::Done(_) => {
            flash(&session, FlashLevel::Success, "Order saved.");
            Ok(see_other(&format!("/orders/{id}")))
        }
        Outcome::Form(errors, Some(conflict)) if errors.is_empty() => {
            let ctx = VendorCtx::new(&req, &staff);
            show_page(
                &state,
                ctx,
                id,
                Forms {
                    errors,
                    message: Some(conflict),
                    ..Default::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Outcome::Form(errors, message) => {
            let ctx = VendorCtx::new(&req, &staff);
            let message = message.or_else(|| errors.get("form").map(str::to_owned));
            show_page(
                &state,
                ctx,
                id,
                Forms {
                    edit: Some(form),
                    errors,
                    message,
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /orders/{id}/customer`: set, replace or remove the order's customer.
pub async fn set_customer(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<CustomerChoiceForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let choice = match order::parse_customer_choice(&form) {
        Ok(c) => c,
        Err(errors) => {
            let ctx = VendorCtx::new(&req, &staff);
            return show_page(
                &state,
                ctx,
                id,
                Forms {
                    customer: Some(form),
                    errors,
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| order::set_customer(conn, &actor, id, &choice))
            .await?,
    )? {
        Outcome::Done(o) => {
            let text = if o.customer_id.is_some() {
                "Order customer saved."
            } else {
                "Customer removed from the order."
            };
            flash(&session, FlashLevel::Success, text);
            Ok(see_other(&format!("/orders/{id}")))
        }
        Outcome::Form(errors, message) => {
            let ctx = VendorCtx::new(&req, &staff);
            show_page(
                &state,
                ctx,
                id,
                Forms {
                    customer: Some(form),
                    errors,
                    message,
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "vendor/orders/issue.html")]
struct IssuePage {
    ctx: VendorCtx,
    order: Order,
    rows: Vec<LineRow>,
    products: Vec<Product>,
    types: [(&'static str, &'static str); 4],
    errors: FieldErrors,
}

async fn issue_page(
    state: &State,
    ctx: VendorCtx,
    id: i64,
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
    let rows = issue::with_defaults(lines.rows(extra), &products);
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
    ctx: VendorCtx,
    path: web::Path<i64>,
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

/// `POST /orders/{id}/licenses`: issue more licences into the order.
pub async fn issue(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(lines): CsrfForm<LinesForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let ctx = || VendorCtx::new(&req, &staff);
    if lines.add_lines.is_some() {
        return issue_page(
            &state,
            ctx(),
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
    if !errors.is_empty() {
        return issue_page(
            &state,
            ctx(),
            id,
            lines,
            0,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| order::issue_more(conn, &actor, id, &parsed))
            .await?,
    )? {
        Outcome::Done(n) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("{n} licence(s) issued."),
            );
            Ok(see_other(&format!("/orders/{id}")))
        }
        Outcome::Form(errors, _) => {
            issue_page(
                &state,
                ctx(),
                id,
                lines,
                0,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "vendor/orders/delete.html")]
struct DeletePage {
    ctx: VendorCtx,
    order: Order,
    licenses: i64,
    typed: String,
    errors: FieldErrors,
}

async fn delete_page(
    state: &State,
    ctx: VendorCtx,
    id: i64,
    typed: String,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (order, licenses) = state
        .db(move |conn| {
            let o = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((o, order::license_count(conn, id)?))
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
        },
    )
}

/// `GET /orders/{id}/delete`: asks for the reference to be typed.
pub async fn delete_confirm(
    state: State,
    ctx: VendorCtx,
    path: web::Path<i64>,
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
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    let typed = form.confirm_reference.clone();
    match outcome(
        state
            .write(move |conn| order::delete(conn, &actor, id, &typed))
            .await?,
    )? {
        Outcome::Done(n) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Order deleted with its {n} licence(s)."),
            );
            Ok(see_other("/orders"))
        }
        Outcome::Form(errors, _) => {
            let ctx = VendorCtx::new(&req, &staff);
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

/// `GET /orders/{id}/export.csv`: the order, its customer and its licences.
pub async fn export(state: State, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (reference, body) = state
        .db(move |conn| {
            let o = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            let c = match o.customer_id {
                Some(c) => customer::find(conn, c)?,
                None => None,
            };
            let body = crate::csv_io::order_export::order_csv(conn, &o, c.as_ref())
                .map_err(AppError::Internal)?;
            Ok((o.reference, body))
        })
        .await?;
    let file: String = reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"order-{file}.csv\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
