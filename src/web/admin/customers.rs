//! Customers: list with search and filters, create, edit, detail view, labels,
//! disable/enable, delete (soft when they have orders) and restore.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::customer::CustomerForm;
use super::{AdminCtx, ConfirmPage};
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::CustomerAccountId;
use crate::domain::CustomerId;
use crate::domain::LabelId;
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::customer::{self, Customer, Deleted, Filter};
use crate::models::customer_account::{self, CustomerAccount};
use crate::models::label::{self, Label};
use crate::models::license::{self, LicenseSummary};
use crate::models::{order, Page};
use crate::web::forms::{act, ok, render, see_other, submit, Problem};
use crate::web::{outcome, Outcome, State};

const PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "admin/customers/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    filter: Filter,
    page: Page<customer::CustomerRow>,
    labels: Vec<Label>,
    accounts: Vec<(CustomerAccountId, String)>,
    can_edit: bool,
    pager_base: String,
    /// The export link (the same filters), shown to roles that may edit customers.
    export: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    label: String,
    account: String,
    status: String,
    page: String,
}

impl ListQuery {
    /// The list's filters (shared with the CSV export).
    pub fn filter(&self) -> Filter {
        Filter {
            q: crate::domain::values::search_term(&self.q, 100),
            label_id: self.label.trim().parse().ok(),
            account_id: self.account.trim().parse().ok(),
            status: self.status.trim().to_owned(),
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(&self, filter: &Filter) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("label", &self.label)
            .append_pair("account", &self.account)
            .append_pair("status", &filter.status)
            .finish()
    }
}

/// `GET /customers`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let filter = query.filter();
    let paging = crate::models::Paging::parse(&query.page, PER_PAGE);
    let query_string = query.query_string(&filter);
    let pager_base = format!("/customers?{query_string}");
    let f = filter.clone();
    let (page, labels, accounts) = state
        .db(move |conn| {
            Ok((
                customer::list(conn, &f, paging)?,
                label::all(conn)?,
                customer_account::options(conn)?,
            ))
        })
        .await?;
    let can_edit = ctx.role.can(Action::EditCustomers);
    ok(&IndexPage {
        ctx,
        filter,
        page,
        labels,
        accounts,
        can_edit,
        export: format!("/customers/export.csv?{query_string}"),
        pager_base,
    })
}

#[derive(Template)]
#[template(path = "admin/customers/form.html")]
struct FormPage {
    ctx: AdminCtx,
    title: String,
    action: String,
    submit: &'static str,
    cancel: String,
    form: CustomerForm,
    errors: FieldErrors,
    message: Option<String>,
    accounts: Vec<(CustomerAccountId, String)>,
}

async fn form_page(
    state: &State,
    ctx: AdminCtx,
    existing: Option<&Customer>,
    form: CustomerForm,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let Problem {
        errors,
        message,
        status,
    } = problem;
    let accounts = state
        .db(|conn| Ok(customer_account::options(conn)?))
        .await?;
    let page = match existing {
        Some(c) => FormPage {
            ctx,
            title: format!("Edit {}", c.display()),
            action: format!("/customers/{}", c.id),
            submit: "Save customer",
            cancel: format!("/customers/{}", c.id),
            form,
            errors,
            message,
            accounts,
        },
        None => FormPage {
            ctx,
            title: "New customer".to_owned(),
            action: "/customers".to_owned(),
            submit: "Create customer",
            cancel: "/customers".to_owned(),
            form,
            errors,
            message,
            accounts,
        },
    };
    render(status, &page)
}

/// `GET /customers/new`.
pub async fn new(state: State, ctx: AdminCtx) -> AppResult<HttpResponse> {
    let (form, none) = (CustomerForm::default(), Problem::none());
    form_page(&state, ctx, None, form, none).await
}

/// `POST /customers`.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<CustomerForm>,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let created = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| customer::create(conn, &actor, &input),
        |c| {
            let text = format!("Customer {} created.", c.email);
            (format!("/customers/{}", c.id), text)
        },
    )
    .await?;
    match created {
        Ok(done) => Ok(done),
        Err(p) => form_page(&state, ctx, None, form, p).await,
    }
}

async fn load(state: &State, id: CustomerId) -> AppResult<Customer> {
    state
        .db(move |conn| customer::find(conn, id)?.ok_or(AppError::NotFound))
        .await
}

#[derive(Template)]
#[template(path = "admin/customers/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    customer: Customer,
    account: Option<CustomerAccount>,
    metadata: String,
    labels: Vec<Label>,
    available_labels: Vec<Label>,
    orders: Vec<order::OrderBrief>,
    licenses: Vec<LicenseSummary>,
    audit: Vec<AuditRow>,
    can_edit: bool,
}

/// `GET /customers/{id}`: the customer detail view.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let page = state
        .db(move |conn| {
            let customer = customer::find(conn, id)?.ok_or(AppError::NotFound)?;
            let account = match customer.customer_account_id {
                Some(a) => customer_account::find(conn, a)?,
                None => None,
            };
            let labels = label::for_customer(conn, id)?;
            let available_labels = label::all(conn)?
                .into_iter()
                .filter(|l| !labels.iter().any(|m| m.id == l.id))
                .collect();
            Ok((
                customer,
                account,
                labels,
                available_labels,
                order::for_customer(conn, id, 50)?,
                license::for_customer(conn, id, 50)?,
                audit::for_object(conn, "customer", id, 50)?,
            ))
        })
        .await?;
    let (customer, account, labels, available_labels, orders, licenses, audit) = page;
    let can_edit = ctx.role.can(Action::EditCustomers);
    let metadata = crate::domain::values::pretty_json(&customer.metadata);
    ok(&ShowPage {
        ctx,
        customer,
        account,
        metadata,
        labels,
        available_labels,
        orders,
        licenses,
        audit,
        can_edit,
    })
}

/// `GET /customers/{id}/edit`.
pub async fn edit(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
) -> AppResult<HttpResponse> {
    let customer = load(&state, path.into_inner()).await?;
    let form = crate::web::admin::forms::customer::from_customer(&customer);
    form_page(&state, ctx, Some(&customer), form, Problem::none()).await
}

/// `POST /customers/{id}`: save an edit (refused when someone else saved first: the form
/// then shows their version).
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
    CsrfForm(form): CsrfForm<CustomerForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let existing = load(&state, id).await?;
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| customer::update(conn, &actor, id, &input),
        |c| (format!("/customers/{}", c.id), "Customer saved.".to_owned()),
    )
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(p) if p.is_conflict() => {
            let current = load(&state, id).await?;
            let fresh = crate::web::admin::forms::customer::from_customer(&current);
            form_page(&state, ctx, Some(&current), fresh, p).await
        }
        Err(p) => form_page(&state, ctx, Some(&existing), form, p).await,
    }
}

async fn set_enabled(
    state: State,
    ctx: AdminCtx,
    id: CustomerId,
    enabled: bool,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let back = format!("/customers/{id}");
    act(
        &ctx,
        &state,
        &back,
        move |conn| customer::set_enabled(conn, &actor, id, enabled),
        |c| {
            let verb = if enabled { "enabled" } else { "disabled" };
            format!("Customer {} {verb}.", c.email)
        },
    )
    .await
}

buttons! {
    CustomerId;
    /// `POST /customers/{id}/disable`.
    disable => set_enabled(false);
    /// `POST /customers/{id}/enable`.
    enable => set_enabled(true);
}

/// `GET /customers/{id}/delete`: says what deleting will do, and asks.
pub async fn delete_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (customer, orders) = state
        .db(move |conn| {
            let c = customer::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((c, customer::order_count(conn, id)?))
        })
        .await?;
    let lines = if orders > 0 {
        vec![
            format!("{} has {}. Their orders and licenses stay; the customer is hidden from lists and shown under the “Deleted” filter.", customer.email, crate::web::plural(orders, "order", "orders")),
            "You can restore the customer later.".to_owned(),
        ]
    } else {
        vec![format!(
            "{} has no orders and will be removed for good.",
            customer.email
        )]
    };
    ConfirmPage::new(
        ctx,
        format!("Delete {}?", customer.display()),
        lines,
        format!("/customers/{id}/delete"),
        "Delete customer",
        format!("/customers/{id}"),
    )
    .render_ok()
}

/// `POST /customers/{id}/delete`.
pub async fn delete(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    match outcome(
        state
            .write(move |conn| customer::delete(conn, &actor, id))
            .await?,
    )? {
        Outcome::Done(Deleted::Soft) => {
            ctx.flash(
                FlashLevel::Success,
                "Customer deleted. They are listed under the “Deleted” filter and can be restored.",
            );
            Ok(see_other(&format!("/customers/{id}")))
        }
        Outcome::Done(Deleted::Hard) => {
            ctx.flash(FlashLevel::Success, "Customer removed.");
            Ok(see_other("/customers"))
        }
        Outcome::Form(_, message) => {
            ctx.flash(FlashLevel::Error, message.unwrap_or_default());
            Ok(see_other(&format!("/customers/{id}")))
        }
    }
}

/// `POST /customers/{id}/restore`.
pub async fn restore(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let back = format!("/customers/{id}");
    let restore = move |conn: &mut _| customer::restore(conn, &actor, id);
    act(&ctx, &state, &back, restore, |_| {
        "Customer restored.".to_owned()
    })
    .await
}

#[derive(Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    label_id: String,
}

/// `POST /customers/{id}/labels`: add a label.
pub async fn add_label(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerId>,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let customer = load(&state, id).await?;
    let Ok(label_id) = form.label_id.trim().parse::<i64>() else {
        ctx.flash(FlashLevel::Error, "Choose a label from the list.");
        return Ok(see_other(&format!("/customers/{id}")));
    };
    let actor = ctx.actor();
    let email = customer.email.clone();
    match outcome(
        state
            .write(move |conn| label::assign(conn, &actor, id, &email, LabelId(label_id)))
            .await?,
    )? {
        Outcome::Done(true) => ctx.flash(FlashLevel::Success, "Label added."),
        Outcome::Done(false) => ctx.flash(FlashLevel::Info, "The customer already has this label."),
        Outcome::Form(errors, message) => ctx.flash(
            FlashLevel::Error,
            errors
                .get("label_id")
                .map(str::to_owned)
                .or(message)
                .unwrap_or_default(),
        ),
    }
    Ok(see_other(&format!("/customers/{id}")))
}

/// `POST /customers/{id}/labels/{label_id}/remove`.
pub async fn remove_label(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(CustomerId, LabelId)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, label_id) = path.into_inner();
    let email = load(&state, id).await?.email;
    let actor = ctx.actor();
    let back = format!("/customers/{id}");
    let remove = move |conn: &mut _| label::unassign(conn, &actor, id, &email, label_id);
    act(&ctx, &state, &back, remove, |()| {
        "Label removed.".to_owned()
    })
    .await
}
