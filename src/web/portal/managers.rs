//! "Manage managers" in the license portal: a manager with that permission invites other
//! managers to the order with at most their own permissions, and changes or removes the
//! managers whose permissions are all within theirs (never their own grant). The order of
//! the URL reaches the handlers only as the grant guard's `GrantedOrder`; the path's
//! order id is read to match the route and otherwise ignored.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::PortalCtx;
use crate::auth::CsrfForm;
use crate::domain::{FieldErrors, GrantId, OrderId, Permission};
use crate::error::AppResult;
use std::collections::HashMap;

use crate::models::grant::{GrantRow, GrantedOrder};
use crate::models::grant_products::{self, ProductChoice};
use crate::models::order::Order;
use crate::ops::grants::Added;
use crate::ops::{grants, Reach};
use crate::web::forms::{act, render, submit, Problem};
use crate::web::manager_forms::{ManagerForm, PermissionsForm};
use crate::web::State;

#[derive(Template)]
#[template(path = "portal/orders/managers.html")]
struct ManagersPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: Order,
    rows: Vec<(GrantRow, bool)>,
    form: ManagerForm,
    errors: FieldErrors,
    message: Option<String>,
    /// The permissions the signed-in manager may give: their own.
    mine: Vec<Permission>,
    /// The products they may hand on: (id, name with what is left, ticked by default).
    products: Vec<(i64, String, bool)>,
    /// Each delegate grant's products and quotas.
    grant_products: HashMap<i64, Vec<ProductChoice>>,
}

impl ManagersPage {
    /// A delegate's product row: whether ticked and its quota as shown.
    fn row_product(&self, row: &GrantRow, product: &i64) -> (bool, String) {
        grant_products::shown_choice(&self.grant_products, row.grant.id, *product)
    }
}

async fn page(
    state: &State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    form: ManagerForm,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let (reach, id) = (Reach::Manager(granted.clone()), granted.order_id());
    let (order, rows, products, grant_products) = state
        .db(move |conn| {
            let order = reach.order(conn, id)?;
            let rows = grants::rows(conn, &reach, id)?;
            let mut by_grant = HashMap::new();
            for (r, changeable) in &rows {
                if *changeable {
                    by_grant.insert(
                        r.grant.id,
                        grant_products::choices(conn, GrantId(r.grant.id))?,
                    );
                }
            }
            let products = grants::delegable_products(conn, &reach)?
                .into_iter()
                .map(|a| {
                    let name = format!("{} ({})", a.name, a.remaining_text());
                    (a.product_id, name, true)
                })
                .collect();
            Ok((order, rows, products, by_grant))
        })
        .await?;
    render(
        problem.status,
        &ManagersPage {
            mine: granted.permissions().held(),
            ctx,
            granted,
            order,
            rows,
            form,
            errors: problem.errors,
            message: problem.message,
            products,
            grant_products,
        },
    )
}

/// `GET /portal/orders/{id}/managers`.
pub async fn index(state: State, ctx: PortalCtx, granted: GrantedOrder) -> AppResult<HttpResponse> {
    page(
        &state,
        ctx,
        granted,
        ManagerForm::default(),
        Problem::none(),
    )
    .await
}

/// `POST /portal/orders/{id}/managers`: invites a manager to this order.
pub async fn invite(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    CsrfForm(form): CsrfForm<ManagerForm>,
) -> AppResult<HttpResponse> {
    let (mailer, actor, reach) = (
        state.mailer.clone(),
        ctx.actor(),
        Reach::Manager(granted.clone()),
    );
    let (id, back) = (
        granted.order_id(),
        format!("/portal/orders/{}/managers", granted.order_id()),
    );
    let email = form.email.trim().to_owned();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| grants::add(conn, &mailer, &actor, &reach, id, &input),
        |(_, added)| {
            let text = match added {
                Added::Invited { .. } => {
                    format!("{email} is invited: an email with their link is on its way.")
                }
                Added::Granted => {
                    format!("{email} now manages this order; they were notified by email.")
                }
            };
            (back, text)
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => page(&state, ctx, granted, form, problem).await,
    }
}

/// `POST /portal/orders/{id}/managers/{grant}/permissions`.
pub async fn permissions(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    path: web::Path<(OrderId, GrantId)>,
    CsrfForm(form): CsrfForm<PermissionsForm>,
) -> AppResult<HttpResponse> {
    let (order, id) = path.into_inner();
    let (actor, reach) = (ctx.actor(), Reach::Manager(granted.clone()));
    let back = format!("/portal/orders/{}/managers", granted.order_id());
    let parsed = form.parse();
    let products = form.product_fields().parse();
    act(
        &ctx,
        &state,
        &back,
        move |conn| {
            let perms = parsed.map_err(|e| {
                crate::models::ModelError::invalid(
                    "permissions",
                    e.get("permissions")
                        .unwrap_or("Choose permissions from the list."),
                )
            })?;
            let products =
                products.map_err(|e| crate::models::ModelError::invalid("products", e))?;
            grants::edit(conn, &actor, &reach, order, id, perms, products)
        },
        |m| format!("Permissions of {} saved.", m.email),
    )
    .await
}
