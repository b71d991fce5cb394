//! Customer accounts: list, create, edit, each with its customers.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::VendorCtx;
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::domain::{values, Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::customer::{self, Customer};
use crate::models::customer_account::{self, AccountInput, CustomerAccount};
use crate::models::Page;
use crate::web::forms::{render, see_other};
use crate::web::{outcome, Outcome, State};

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
#[template(path = "vendor/customer_accounts/index.html")]
struct IndexPage {
    ctx: VendorCtx,
    page: Page<(CustomerAccount, i64)>,
    form: AccountForm,
    errors: FieldErrors,
    can_edit: bool,
    pager_base: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    before: String,
}

async fn index_page(
    state: &State,
    ctx: VendorCtx,
    before: Option<i64>,
    form: AccountForm,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = state
        .db(move |conn| Ok(customer_account::list(conn, before, 50)?))
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
    ctx: VendorCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let before = query.before.trim().parse().ok();
    index_page(
        &state,
        ctx,
        before,
        AccountForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /customer-accounts`.
pub async fn create(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> AppResult<HttpResponse> {
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match AccountInput::parse(&form.name, &form.code, &form.description) {
        Ok(i) => i,
        Err(errors) => {
            return index_page(
                &state,
                ctx(),
                None,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| customer_account::create(conn, &actor, &input))
            .await?,
    )? {
        Outcome::Done(a) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Account {} created.", a.name),
            );
            Ok(see_other(&format!("/customer-accounts/{}", a.id)))
        }
        Outcome::Form(errors, _) => {
            index_page(
                &state,
                ctx(),
                None,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "vendor/customer_accounts/show.html")]
struct ShowPage {
    ctx: VendorCtx,
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
    ctx: VendorCtx,
    id: i64,
    form: Option<AccountForm>,
    errors: FieldErrors,
    message: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
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
pub async fn show(state: State, ctx: VendorCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    show_page(
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

/// `POST /customer-accounts/{id}`: save an edit.
pub async fn update(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match AccountInput::parse(&form.name, &form.code, &form.description) {
        Ok(i) => i,
        Err(errors) => {
            return show_page(
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
    let seen = values::parse_version(&form.updated_at);
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| customer_account::update(conn, &actor, id, &input, seen))
            .await?,
    )? {
        Outcome::Done(_) => {
            flash(&session, FlashLevel::Success, "Account saved.");
            Ok(see_other(&format!("/customer-accounts/{id}")))
        }
        Outcome::Form(errors, Some(conflict)) if errors.is_empty() => {
            show_page(
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
            show_page(
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
