//! An order's license users, as both portals show them: the "License users" tab (add,
//! change, remove, set-password link, typed password) and assigning them on a license's
//! page. The route tables say who may (staff: Manage licenses for people and licenses,
//! Control licenses for credentials; license managers: Manage license users and Manage
//! license user credentials); the operations find the order through the caller's reach.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{Area, Confirm};
use crate::auth::{password, CsrfForm};
use crate::domain::{FieldErrors, LicenseId, LicenseUserId, OrderId};
use crate::error::AppResult;
use crate::models::license_user::{LicenseUser, UserRow};
use crate::models::order::Order;
use crate::ops::{license_users as ops, Reach};
use crate::web::forms::{act, submit, Problem};
use crate::web::user_forms::{posted_id, LicenseUserField, UserForm, UserPasswordForm};
use crate::web::{EmptyForm, State};

/// What the tab shows, whichever area shows it.
pub struct UsersTab {
    pub rows: Vec<UserRow>,
    pub form: UserForm,
    pub errors: FieldErrors,
    pub message: Option<String>,
    /// The row whose password form failed, with its messages.
    pub password_errors: Option<(LicenseUserId, FieldErrors)>,
    pub can_manage: bool,
    pub can_credentials: bool,
    /// The order's users URL and where licenses live, for the tab's links and forms.
    pub users_base: String,
    pub license_base: &'static str,
}

impl UsersTab {
    pub fn password_error(&self, user: &LicenseUserId, field: &str) -> Option<&str> {
        match &self.password_errors {
            Some((id, e)) if id == user => e.get(field),
            _ => None,
        }
    }
}

/// An area that shows the license users tab.
pub trait UsersArea: Area {
    /// Whether the signed-in person may add, change and remove license users, and set
    /// their credentials (to show the forms; the route table refuses the actions).
    fn may(&self, reach: &Reach) -> (bool, bool);

    /// Renders the tab in the area's layout.
    fn users_page(self, status: StatusCode, order: Order, tab: UsersTab)
        -> AppResult<HttpResponse>;
}

async fn page<A: UsersArea>(
    state: &State,
    ctx: A,
    order: OrderId,
    form: UserForm,
    problem: Problem,
    password_errors: Option<(LicenseUserId, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let reach = ctx.reach()?;
    let (can_manage, can_credentials) = ctx.may(&reach);
    let (order, rows) = state
        .db(move |conn| Ok(ops::list(conn, &reach, order)?))
        .await?;
    let users_base = A::order_url(order.id, "/users");
    ctx.users_page(
        problem.status,
        order,
        UsersTab {
            rows,
            form,
            errors: problem.errors,
            message: problem.message,
            password_errors,
            can_manage,
            can_credentials,
            users_base,
            license_base: A::LICENSES,
        },
    )
}

fn back<A: Area>(order: OrderId) -> String {
    A::order_url(order, "/users")
}

/// `GET …/orders/{id}/users`.
pub async fn index<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    page(&state, ctx, id, UserForm::default(), Problem::none(), None).await
}

/// `POST …/orders/{id}/users`: adds a license user to the order.
pub async fn add<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| ops::add(conn, &actor, &reach, id, &input),
        |u| {
            (
                back::<A>(id),
                format!("{} is a license user of this order.", u.email),
            )
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => page(&state, ctx, id, form, problem, None).await,
    }
}

/// `POST …/orders/{id}/users/{user}`: changes a license user's email and name.
pub async fn edit<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| ops::edit(conn, &actor, &reach, id, user, &input),
        |u| (back::<A>(id), format!("License user {} saved.", u.email)),
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => {
            let problem = problem.as_message("The license user was not saved");
            page(&state, ctx, id, UserForm::default(), problem, None).await
        }
    }
}

/// `GET …/orders/{id}/users/{user}/remove`: what removing will do.
pub async fn remove_confirm<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, LicenseUserId)>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let reach = ctx.reach()?;
    let (order, user): (Order, LicenseUser) = state
        .db(move |conn| Ok(ops::find(conn, &reach, id, user)?))
        .await?;
    ctx.confirm(Confirm::danger(
        format!("Remove license user {}?", user.email),
        vec![
            format!(
                "{} stops being a license user of order {} and of every license of it.",
                user.display_name(),
                order.reference
            ),
            "Their password and any set-password link stop working. This cannot be undone."
                .to_owned(),
        ],
        A::order_url(id, &format!("/users/{}/remove", user.id)),
        "Remove license user",
        back::<A>(id),
    ))
}

/// `POST …/orders/{id}/users/{user}/remove`.
pub async fn remove<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    act(
        &ctx,
        &state,
        &back::<A>(id),
        move |conn| ops::remove(conn, &actor, &reach, id, user),
        |u| format!("{} is no longer a license user of this order.", u.email),
    )
    .await
}

/// `POST …/orders/{id}/users/{user}/password-link`: emails a set-password link.
pub async fn send_link<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let (actor, reach, mailer) = (ctx.actor(), ctx.reach()?, state.mailer.clone());
    act(
        &ctx,
        &state,
        &back::<A>(id),
        move |conn| ops::send_password_link(conn, &mailer, &actor, &reach, id, user),
        |u| {
            format!(
                "A link to choose a password is on its way to {}; earlier links stop working.",
                u.email
            )
        },
    )
    .await
}

/// `POST …/orders/{id}/users/{user}/password`: sets a password typed by staff or a
/// manager.
pub async fn set_password<A: UsersArea>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserPasswordForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let reach = ctx.reach()?;
    // The user must be of this order before any work is done for them.
    let r = reach.clone();
    state
        .db(move |conn| Ok(ops::find(conn, &r, id, user)?))
        .await?;
    let new = match form.parse() {
        Ok(n) => n,
        Err(errors) => {
            let problem = Problem::from(FieldErrors::new());
            return page(
                &state,
                ctx,
                id,
                UserForm::default(),
                problem,
                Some((user, errors)),
            )
            .await;
        }
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &back::<A>(id),
        move |conn| ops::set_password(conn, &actor, &reach, id, user, &hash),
        |u| format!("The password of {} is set.", u.email),
    )
    .await
}

/// `POST …/licenses/{id}/users`: assigns one of the order's license users (emailed).
pub async fn assign<A: Area>(
    state: State,
    ctx: A,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<LicenseUserField>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = LicenseUserId(posted_id(&form.license_user_id));
    let (actor, reach, mailer) = (ctx.actor(), ctx.reach()?, state.mailer.clone());
    act(
        &ctx,
        &state,
        &A::license_url(id),
        move |conn| ops::assign(conn, &mailer, &actor, &reach, id, user),
        |(u, _)| {
            format!(
                "{} is now a user of this license; they were emailed.",
                u.email
            )
        },
    )
    .await
}

/// `POST …/licenses/{id}/users/remove`: takes a license user off the license.
pub async fn unassign<A: Area>(
    state: State,
    ctx: A,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<LicenseUserField>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = LicenseUserId(posted_id(&form.license_user_id));
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    act(
        &ctx,
        &state,
        &A::license_url(id),
        move |conn| ops::unassign(conn, &actor, &reach, id, user),
        |(u, _)| format!("{} is no longer a user of this license.", u.email),
    )
    .await
}
