//! Orders: the list, a new order with license lines, and the order detail view. The
//! detail view's actions are in `order_actions`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::lines::{self, LineRow, BLANK_LINES};
use super::forms::order::{CustomerChoiceForm, EditOrderForm, NewOrderForm};
use super::AdminCtx;
use crate::auth::CsrfForm;
use crate::domain::CustomerId;
use crate::domain::OrderId;
use crate::domain::{values, Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::customer::{self, Customer};
use crate::models::license::{self, LicenseSummary};
use crate::models::order::{self, Order, OrderListRow};
use crate::models::product::{self, Product, LICENSE_TYPES};
use crate::models::{Page, Paging};
use crate::web::forms::{render, submit};
use crate::web::State;

const PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "admin/orders/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    page: Page<OrderListRow>,
    q: String,
    test: String,
    trial: String,
    from: String,
    to: String,
    errors: FieldErrors,
    pager_base: String,
    can_create: bool,
    /// The export link (the same filters), for roles that may export.
    export: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    test: String,
    trial: String,
    from: String,
    to: String,
    page: String,
}

impl ListQuery {
    /// The list's filters (shared with the CSV export), with a message beside a bad date.
    pub fn filter(&self, errors: &mut FieldErrors) -> order::Filter {
        let (from, to) = crate::web::forms::date_range(errors, &self.from, &self.to);
        order::Filter {
            q: values::search_term(&self.q, 100),
            test: self.test.trim().to_owned(),
            trial: self.trial.trim().to_owned(),
            from,
            to,
            customers_in: None,
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(&self, filter: &order::Filter) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("test", &filter.test)
            .append_pair("trial", &filter.trial)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

/// `GET /orders`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    let paging = Paging::parse(&q.page, PER_PAGE);
    let query_string = q.query_string(&filter);
    let pager_base = format!("/orders?{query_string}");
    let export = ctx
        .can(Action::EditCustomers)
        .then(|| format!("/orders/export.csv?{query_string}"));
    let f = filter.clone();
    let page = state
        .db(move |conn| Ok(order::list(conn, &f, paging)?))
        .await?;
    let can_create = ctx.role.can(Action::ManageOrders);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &IndexPage {
            ctx,
            page,
            q: filter.q,
            test: filter.test,
            trial: filter.trial,
            from: q.from,
            to: q.to,
            errors,
            pager_base,
            can_create,
            export,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/orders/new.html")]
struct NewPage {
    ctx: AdminCtx,
    form: NewOrderForm,
    rows: Vec<LineRow>,
    products: Vec<Product>,
    types: [(&'static str, &'static str); 4],
    errors: FieldErrors,
}

async fn new_page(
    state: &State,
    ctx: AdminCtx,
    form: NewOrderForm,
    extra: usize,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let products = state.db(|conn| Ok(product::list(conn, false)?)).await?;
    let rows = lines::with_defaults(form.lines().rows(extra), &products);
    render(
        status,
        &NewPage {
            ctx,
            form,
            rows,
            products,
            types: LICENSE_TYPES,
            errors,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    customer: String,
}

/// `GET /orders/new` (`?customer=ID` fills in that customer).
pub async fn new(
    state: State,
    ctx: AdminCtx,
    query: web::Query<NewQuery>,
) -> AppResult<HttpResponse> {
    let mut form = NewOrderForm::default();
    if let Ok(id) = query.customer.trim().parse::<i64>() {
        if let Some(c) = state
            .db(move |conn| Ok(customer::find(conn, CustomerId(id))?))
            .await?
        {
            form.customer_email = c.email;
        }
    }
    new_page(
        &state,
        ctx,
        form,
        BLANK_LINES,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /orders`: creates the order, or ("Add lines") shows the form with more rows.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<NewOrderForm>,
) -> AppResult<HttpResponse> {
    if form.add_lines.is_some() {
        return new_page(
            &state,
            ctx,
            form,
            BLANK_LINES,
            FieldErrors::new(),
            StatusCode::OK,
        )
        .await;
    }
    let actor = ctx.actor();
    let created = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| order::create(conn, &actor, &input),
        |(o, n)| {
            let text = format!(
                "Order {} created with {}.",
                o.reference,
                crate::web::plural(n as i64, "license", "licenses")
            );
            (format!("/orders/{}", o.id), text)
        },
    )
    .await?;
    match created {
        Ok(done) => Ok(done),
        Err(p) => {
            let status = p.status;
            new_page(&state, ctx, form, 0, p.field_errors("lines"), status).await
        }
    }
}

/// The order detail view's page, with whichever of its forms failed.
#[derive(Template)]
#[template(path = "admin/orders/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    order: Order,
    customer: Option<Customer>,
    licenses: Vec<LicenseSummary>,
    metadata: String,
    audit: Vec<AuditRow>,
    edit: EditOrderForm,
    customer_form: CustomerChoiceForm,
    errors: FieldErrors,
    message: Option<String>,
    can_manage: bool,
}

/// The forms of the order page as they should show: fresh, or a failed submission.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) edit: Option<EditOrderForm>,
    pub(super) customer: Option<CustomerChoiceForm>,
    pub(super) errors: FieldErrors,
    pub(super) message: Option<String>,
}

/// The licenses shown on the order page; a larger order links to the filtered list.
const SHOWN_LICENSES: i64 = 200;

pub(super) async fn show_page(
    state: &State,
    ctx: AdminCtx,
    id: OrderId,
    forms: Forms,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let Forms {
        edit,
        customer: customer_form,
        errors,
        message,
    } = forms;
    let (order, customer, licenses, audit) = state
        .db(move |conn| {
            let o = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            let c = match o.customer_id {
                Some(c) => customer::find(conn, c)?,
                None => None,
            };
            Ok((
                o,
                c,
                license::for_order(conn, id, SHOWN_LICENSES)?,
                audit::for_order(conn, id, 50)?,
            ))
        })
        .await?;
    let edit = edit.unwrap_or_else(|| EditOrderForm::from_order(&order));
    let customer_form = customer_form.unwrap_or_default();
    let metadata = values::pretty_json(&order.metadata);
    let can_manage = ctx.role.can(Action::ManageOrders);
    render(
        status,
        &ShowPage {
            ctx,
            order,
            customer,
            licenses,
            metadata,
            audit,
            edit,
            customer_form,
            errors,
            message,
            can_manage,
        },
    )
}

/// `GET /orders/{id}`.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    show_page(
        &state,
        ctx,
        path.into_inner(),
        Forms::default(),
        StatusCode::OK,
    )
    .await
}
