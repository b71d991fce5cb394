//! License users in the vendor portal: an order's "License users" tab (add, change,
//! remove, set-password link, typed password) and assigning them on a license's page.
//! The same model functions and rules as the license portal's (`models/license_user.rs`);
//! staff roles decide who may: Manage licenses for the people and their licenses,
//! Control licenses (support and up) for their credentials.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{AdminCtx, ConfirmPage};
use crate::auth::{password, CsrfForm};
use crate::db::DbConnection;
use crate::domain::{Action, FieldErrors, LicenseId, LicenseUserId, OrderId};
use crate::error::AppResult;
use crate::models::audit::Actor;
use crate::models::license_user::{self, LicenseUser, UserRow};
use crate::models::order::{self, Order};
use crate::models::portal_users::LIST_LIMIT;
use crate::models::{license, ModelError, ModelResult};
use crate::web::forms::{act, render, submit, Problem};
use crate::web::user_forms::{posted_id, LicenseUserField, UserForm, UserPasswordForm};
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "admin/orders/users.html")]
struct UsersPage {
    ctx: AdminCtx,
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
        self.ctx.can(Action::ManageLicenses)
    }

    fn can_credentials(&self) -> bool {
        self.ctx.can(Action::ControlLicenses)
    }

    fn password_error(&self, user: &i64, field: &str) -> Option<&str> {
        match &self.password_errors {
            Some((id, e)) if id == user => e.get(field),
            _ => None,
        }
    }
}

/// Loads the order of the URL and runs `f` with it (404 when it does not exist).
fn on_order<T>(
    conn: &mut DbConnection,
    id: OrderId,
    f: impl FnOnce(&mut DbConnection, &Order) -> ModelResult<T>,
) -> ModelResult<T> {
    let order = order::find(conn, id)?.ok_or(ModelError::NotFound)?;
    f(conn, &order)
}

async fn page(
    state: &State,
    ctx: AdminCtx,
    id: OrderId,
    form: UserForm,
    problem: Problem,
    password_errors: Option<(i64, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let (order, rows) = state
        .db(move |conn| {
            Ok(on_order(conn, id, |conn, order| {
                Ok((
                    order.clone(),
                    license_user::for_order(conn, id, LIST_LIMIT)?,
                ))
            })?)
        })
        .await?;
    render(
        problem.status,
        &UsersPage {
            ctx,
            order,
            rows,
            form,
            errors: problem.errors,
            message: problem.message,
            password_errors,
        },
    )
}

fn back(id: OrderId) -> String {
    format!("/orders/{id}/users")
}

/// `GET /orders/{id}/users`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    page(&state, ctx, id, UserForm::default(), Problem::none(), None).await
}

/// `POST /orders/{id}/users`: adds a license user to the order.
pub async fn add(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| {
            on_order(conn, id, |conn, o| {
                license_user::add(conn, &actor, o, &input)
            })
        },
        |u| {
            (
                back(id),
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

/// `POST /orders/{id}/users/{user}`: changes a license user's email and name.
pub async fn edit(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let actor = ctx.actor();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| {
            on_order(conn, id, |conn, o| {
                // Staff who may edit license users may also set their passwords.
                license_user::edit(conn, &actor, o, user, &input, true)
            })
        },
        |u| (back(id), format!("License user {} saved.", u.email)),
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

/// `GET /orders/{id}/users/{user}/remove`: what removing will do.
pub async fn remove_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, LicenseUserId)>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let (order, user) = state
        .db(move |conn| {
            Ok(on_order(conn, id, |conn, o| {
                Ok((o.clone(), license_user::find_on_order(conn, id, user)?))
            })?)
        })
        .await?;
    ConfirmPage::new(
        ctx,
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
        format!("/orders/{id}/users/{}/remove", user.id),
        "Remove license user",
        back(id),
    )
    .render_ok()
}

/// `POST /orders/{id}/users/{user}/remove`.
pub async fn remove(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &back(id),
        move |conn| {
            on_order(conn, id, |conn, o| {
                license_user::remove(conn, &actor, o, user)
            })
        },
        |u| format!("{} is no longer a license user of this order.", u.email),
    )
    .await
}

/// `POST /orders/{id}/users/{user}/password-link`: emails a set-password link.
pub async fn send_link(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, LicenseUserId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let (actor, mailer) = (ctx.actor(), state.mailer.clone());
    act(
        &ctx,
        &state,
        &back(id),
        move |conn| {
            on_order(conn, id, |conn, o| {
                license_user::send_password_link(conn, &mailer, &actor, o, user)
            })
        },
        |u| {
            format!(
                "A link to choose a password is on its way to {}; earlier links stop working.",
                u.email
            )
        },
    )
    .await
}

/// `POST /orders/{id}/users/{user}/password`: sets a password typed by staff.
pub async fn set_password(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, LicenseUserId)>,
    CsrfForm(form): CsrfForm<UserPasswordForm>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    // The user must be of this order before any work is done for them.
    state
        .db(move |conn| {
            Ok(on_order(conn, id, |conn, _| {
                license_user::find_on_order(conn, id, user)
            })?)
        })
        .await?;
    let new = match form.parse() {
        Ok(n) => n,
        Err(errors) => {
            return page(
                &state,
                ctx,
                id,
                UserForm::default(),
                Problem::from(FieldErrors::new()),
                Some((user.0, errors)),
            )
            .await
        }
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    let actor = ctx.actor();
    act(
        &ctx,
        &state,
        &back(id),
        move |conn| {
            on_order(conn, id, |conn, o| {
                license_user::set_password(conn, &actor, o, user, &hash)
            })
        },
        |u| format!("The password of {} is set.", u.email),
    )
    .await
}

/// Runs `f` with the license of the URL's order (404 when there is no such license).
fn on_license_order<T>(
    conn: &mut DbConnection,
    id: LicenseId,
    f: impl FnOnce(&mut DbConnection, &Order) -> ModelResult<T>,
) -> ModelResult<T> {
    let l = license::find(conn, id)?.ok_or(ModelError::NotFound)?;
    on_order(conn, OrderId(l.order_id), f)
}

/// What assign and unassign do: (connection, mailer, actor, order, user, license).
type UserOnLicense = fn(
    &mut DbConnection,
    &crate::mail::Mailer,
    &Actor,
    &Order,
    LicenseUserId,
    LicenseId,
) -> ModelResult<(LicenseUser, crate::models::license::License)>;

/// Assign or unassign, the two license-page buttons: the posted license user is looked
/// up on the license's order (another order's is not found).
async fn license_user_action(
    state: State,
    ctx: AdminCtx,
    id: LicenseId,
    form: LicenseUserField,
    write: UserOnLicense,
    done: fn(&LicenseUser) -> String,
) -> AppResult<HttpResponse> {
    let user = LicenseUserId(posted_id(&form.license_user_id));
    let (actor, mailer) = (ctx.actor(), state.mailer.clone());
    act(
        &ctx,
        &state,
        &format!("/licenses/{id}"),
        move |conn| {
            on_license_order(conn, id, |conn, o| {
                write(conn, &mailer, &actor, o, user, id)
            })
        },
        |(u, _)| done(&u),
    )
    .await
}

/// `POST /licenses/{id}/users`: assigns one of the order's license users.
pub async fn assign(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<LicenseUserField>,
) -> AppResult<HttpResponse> {
    license_user_action(
        state,
        ctx,
        path.into_inner(),
        form,
        |conn, mailer, actor, order, user, license| {
            license_user::assign(conn, mailer, actor, order, user, license, true)
        },
        |u| {
            format!(
                "{} is now a user of this license; they were emailed.",
                u.email
            )
        },
    )
    .await
}

/// `POST /licenses/{id}/users/remove`: takes a license user off the license.
pub async fn unassign(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<LicenseUserField>,
) -> AppResult<HttpResponse> {
    license_user_action(
        state,
        ctx,
        path.into_inner(),
        form,
        |conn, _, actor, order, user, license| {
            license_user::unassign(conn, actor, order, user, license)
        },
        |u| format!("{} is no longer a user of this license.", u.email),
    )
    .await
}
