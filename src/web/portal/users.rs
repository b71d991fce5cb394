//! License users of a managed order in the license portal: the list any grant sees, and
//! with "Manage license users" adding, changing and removing them; with "Manage license
//! user credentials" sending a set-password link or setting a password. The order
//! reaches the handlers only as the grant guard's `GrantedOrder`; a license user id from
//! the path is looked up through it (another order's is not found).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::forms::{UserForm, UserPasswordForm};
use super::PortalCtx;
use crate::auth::{password, CsrfForm};
use crate::domain::{FieldErrors, LicenseUserId, OrderId, Permission};
use crate::error::AppResult;
use crate::models::grant::GrantedOrder;
use crate::models::license_user::{LicenseUser, UserRow};
use crate::models::order::Order;
use crate::models::{portal, portal_users};
use crate::web::forms::{act, ok, render, submit, Problem};
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "portal/orders/users.html")]
struct UsersPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: Order,
    rows: Vec<UserRow>,
    form: UserForm,
    errors: FieldErrors,
    message: Option<String>,
    /// The row whose password form failed, with its messages.
    password_errors: Option<(i64, FieldErrors)>,
}

impl UsersPage {
    fn can_manage(&self) -> bool {
        self.granted.can(Permission::ManageLicenseUsers)
    }

    fn can_credentials(&self) -> bool {
        self.granted.can(Permission::ManageLicenseUserCredentials)
    }

    fn password_error(&self, user: &i64, field: &str) -> Option<&str> {
        match &self.password_errors {
            Some((id, e)) if id == user => e.get(field),
            _ => None,
        }
    }
}

async fn page(
    state: &State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    form: UserForm,
    problem: Problem,
    password_errors: Option<(i64, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let g = granted.clone();
    let ((order, _), rows) = state
        .db(move |conn| Ok((portal::order(conn, &g)?, portal_users::users(conn, &g)?)))
        .await?;
    render(
        problem.status,
        &UsersPage {
            ctx,
            granted,
            order,
            rows,
            form,
            errors: problem.errors,
            message: problem.message,
            password_errors,
        },
    )
}

fn back(granted: &GrantedOrder) -> String {
    format!("/portal/orders/{}/users", granted.order_id())
}

/// `GET /portal/orders/{id}/users`.
pub async fn index(state: State, ctx: PortalCtx, granted: GrantedOrder) -> AppResult<HttpResponse> {
    page(
        &state,
        ctx,
        granted,
        UserForm::default(),
        Problem::none(),
        None,
    )
    .await
}

/// `POST /portal/orders/{id}/users`: adds a license user to the order.
pub async fn add(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let (actor, g, to) = (ctx.actor(), granted.clone(), back(&granted));
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| portal_users::add_user(conn, &g, &actor, &input),
        |u| (to, format!("{} is a license user of this order.", u.email)),
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => page(&state, ctx, granted, form, problem, None).await,
    }
}

/// `POST /portal/orders/{id}/users/{user}`: changes a license user's email and name.
pub async fn edit(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let (actor, g, to) = (ctx.actor(), granted.clone(), back(&granted));
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| portal_users::edit_user(conn, &g, &actor, id, &input),
        |u| (to, format!("License user {} saved.", u.email)),
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => {
            let problem = problem.as_message("The license user was not saved");
            page(&state, ctx, granted, UserForm::default(), problem, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "portal/orders/remove_user.html")]
struct RemovePage {
    ctx: PortalCtx,
    order: Order,
    user: LicenseUser,
}

/// `GET /portal/orders/{id}/users/{user}/remove`: what removing will do.
pub async fn remove_confirm(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, LicenseUserId)>,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let (order, user) = state
        .db(move |conn| {
            let (order, _) = portal::order(conn, &granted)?;
            Ok((order, portal_users::user(conn, &granted, id)?))
        })
        .await?;
    ok(&RemovePage { ctx, order, user })
}

/// `POST /portal/orders/{id}/users/{user}/remove`.
pub async fn remove(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let (actor, to) = (ctx.actor(), back(&granted));
    act(
        &ctx,
        &state,
        &to,
        move |conn| portal_users::remove_user(conn, &granted, &actor, id),
        |u| format!("{} is no longer a license user of this order.", u.email),
    )
    .await
}

/// `POST /portal/orders/{id}/users/{user}/password-link`: emails a set-password link.
pub async fn send_link(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let (actor, mailer, to) = (ctx.actor(), state.mailer.clone(), back(&granted));
    act(
        &ctx,
        &state,
        &to,
        move |conn| portal_users::send_password_link(conn, &granted, &mailer, &actor, id),
        |u| {
            format!(
                "A link to choose a password is on its way to {}; earlier links stop working.",
                u.email
            )
        },
    )
    .await
}

/// `POST /portal/orders/{id}/users/{user}/password`: sets a password the manager typed.
pub async fn set_password(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserPasswordForm>,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let g = granted.clone();
    // The user must be of this order before any work is done for them.
    state
        .db(move |conn| Ok(portal_users::user(conn, &g, id)?))
        .await?;
    let new = match form.parse() {
        Ok(n) => n,
        Err(errors) => {
            return page(
                &state,
                ctx,
                granted,
                UserForm::default(),
                Problem::from(FieldErrors::new()),
                Some((id.0, errors)),
            )
            .await
        }
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    let (actor, to) = (ctx.actor(), back(&granted));
    act(
        &ctx,
        &state,
        &to,
        move |conn| portal_users::set_password(conn, &granted, &actor, id, &hash),
        |u| format!("The password of {} is set.", u.email),
    )
    .await
}
