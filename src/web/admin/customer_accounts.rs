//! Customer accounts: list, create, edit, each with its customers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::CsrfForm;
use crate::domain::CustomerAccountId;
use crate::domain::{values, Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::customer::{self, Customer};
use crate::models::customer_account::{self, AccountInput, CustomerAccount};
use crate::models::Page;
use crate::web::forms::{render, submit, Problem};
use crate::web::State;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AccountForm {
    name: String,
    code: String,
    description: String,
    updated_at: String,
}

impl AccountForm {
    fn from_account(a: &CustomerAccount) -> Self {
        AccountForm {
            name: a.name.clone(),
            code: a.code.clone(),
            description: a.description.clone(),
            updated_at: values::version(&a.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/customer_accounts/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    page: Page<(CustomerAccount, i64)>,
    form: AccountForm,
    errors: FieldErrors,
    can_edit: bool,
    pager_base: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: String,
}

async fn index_page(
    state: &State,
    ctx: AdminCtx,
    page: &str,
    form: AccountForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let paging = crate::models::Paging::parse(page, 50);
    let page = state
        .db(move |conn| Ok(customer_account::list(conn, paging)?))
        .await?;
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    render(
        status,
        &IndexPage {
            ctx,
            page,
            form,
            errors,
            can_edit,
            pager_base: "/customer-accounts".to_owned(),
        },
    )
}

/// `GET /customer-accounts`: the list, with a form to create one.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    index_page(
        &state,
        ctx,
        &query.page,
        AccountForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /customer-accounts`.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let created = submit(
        &ctx,
        &state,
        AccountInput::parse(&form.name, &form.code, &form.description),
        move |conn, input| customer_account::create(conn, &actor, &input),
        |a| {
            let text = format!("Account {} created.", a.name);
            (format!("/customer-accounts/{}", a.id), text)
        },
    )
    .await?;
    match created {
        Ok(done) => Ok(done),
        Err(p) => {
            let status = p.status;
            index_page(&state, ctx, "1", form, p.field_errors("name"), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/customer_accounts/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    account: CustomerAccount,
    customers: Vec<Customer>,
    audit: Vec<AuditRow>,
    form: AccountForm,
    errors: FieldErrors,
    message: Option<String>,
    can_edit: bool,
}

async fn show_page(
    state: &State,
    ctx: AdminCtx,
    id: CustomerAccountId,
    form: Option<AccountForm>,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let Problem {
        errors,
        message,
        status,
    } = problem;
    let (account, customers, audit) = state
        .db(move |conn| {
            let account = customer_account::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((
                account,
                customer::of_account(conn, id, 200)?,
                audit::for_object(conn, "customer_account", id, 30)?,
            ))
        })
        .await?;
    let form = form.unwrap_or_else(|| AccountForm::from_account(&account));
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    render(
        status,
        &ShowPage {
            ctx,
            account,
            customers,
            audit,
            form,
            errors,
            message,
            can_edit,
        },
    )
}

/// `GET /customer-accounts/{id}`: the account, its customers and an edit form.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerAccountId>,
) -> AppResult<HttpResponse> {
    let (id, none) = (path.into_inner(), Problem::none());
    show_page(&state, ctx, id, None, none).await
}

/// `POST /customer-accounts/{id}`: save an edit (refused when someone else saved first).
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<CustomerAccountId>,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let seen = values::parse_version(&form.updated_at);
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        AccountInput::parse(&form.name, &form.code, &form.description),
        move |conn, input| customer_account::update(conn, &actor, id, &input, seen),
        |_| {
            (
                format!("/customer-accounts/{id}"),
                "Account saved.".to_owned(),
            )
        },
    )
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(p) => {
            let form = (!p.is_conflict()).then_some(form);
            show_page(&state, ctx, id, form, p).await
        }
    }
}
