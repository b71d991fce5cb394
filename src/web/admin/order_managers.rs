//! An order's "License managers" tab: who manages the order in the license portal, with
//! which permissions; adding them (an invite or a "granted" notice goes to the outbox),
//! changing their permissions, removing them, resending, revoking or copying an invite.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::AdminCtx;
use crate::auth::CsrfForm;
use crate::db::DbConnection;
use crate::domain::{Action, FieldErrors, GrantId, OrderId, Permission};
use crate::error::{AppError, AppResult};
use crate::models::grant::{self, GrantRow};
use crate::models::grant_products::{self, ProductChoice};
use crate::models::license_manager::LicenseManager;
use crate::models::order::{self, Order};
use crate::models::{ModelError, ModelResult};
use crate::ops::grants::{self, Added};
use crate::ops::Reach;
use crate::web::forms::{act, flash_result, ok, render, see_other, submit, Problem};
use crate::web::manager_forms::{ManagerForm, PermissionsForm};
use crate::web::shared::Area;
use crate::web::{EmptyForm, State};

#[derive(Template)]
#[template(path = "admin/orders/managers.html")]
struct ManagersPage {
    ctx: AdminCtx,
    order: Order,
    rows: Vec<GrantRow>,
    form: ManagerForm,
    errors: FieldErrors,
    message: Option<String>,
    /// A failed permissions edit: the grant, its submitted keys and the errors.
    editing: Option<(i64, PermissionsForm, FieldErrors)>,
    permissions: [Permission; 9],
    can_manage: bool,
    smtp: bool,
    /// The catalogue's products, each with whether it is on this order (the default).
    products: Vec<(i64, String, bool)>,
    /// Each grant's products and quotas.
    grant_products: std::collections::HashMap<i64, Vec<ProductChoice>>,
}

impl ManagersPage {
    /// Whether a row's edit form shows `p` ticked (the failed input, else the grant's).
    fn row_has(&self, row: &GrantRow, p: &Permission) -> bool {
        match &self.editing {
            Some((id, form, _)) if *id == row.grant.id => {
                form.permissions.iter().any(|k| k == p.key())
            }
            _ => row.grant.permissions.has(*p),
        }
    }

    fn row_error(&self, row: &GrantRow) -> Option<&str> {
        match &self.editing {
            Some((id, _, errors)) if *id == row.grant.id => {
                errors.get("permissions").or_else(|| errors.get("products"))
            }
            _ => None,
        }
    }

    /// A grant's product row: whether ticked and its quota as shown.
    fn row_product(&self, row: &GrantRow, product: &i64) -> (bool, String) {
        if let Some((id, form, _)) = &self.editing {
            if *id == row.grant.id {
                let f = form.product_fields();
                return (f.ticked(product, false), f.quota_of(product));
            }
        }
        grant_products::shown_choice(&self.grant_products, row.grant.id, *product)
    }
}

async fn page(
    state: &State,
    ctx: AdminCtx,
    id: OrderId,
    form: ManagerForm,
    problem: Problem,
    editing: Option<(i64, PermissionsForm, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let (order, rows, products, grant_products) = state
        .db(move |conn| {
            let order = order::find(conn, id)?.ok_or(AppError::NotFound)?;
            let rows = grant::for_order(conn, id)?;
            let on_order = grant_products::products_on_order(conn, id)?;
            let products = crate::models::product::list(conn, false)?
                .into_iter()
                .map(|p| (p.id, p.name, on_order.contains(&p.id)))
                .collect();
            let mut by_grant = std::collections::HashMap::new();
            for r in &rows {
                by_grant.insert(
                    r.grant.id,
                    grant_products::choices(conn, GrantId(r.grant.id))?,
                );
            }
            Ok((order, rows, products, by_grant))
        })
        .await?;
    let status = match &editing {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => problem.status,
    };
    render(
        status,
        &ManagersPage {
            can_manage: ctx.can(Action::ManageLicenseManagers),
            smtp: state.config.smtp_url.is_some(),
            ctx,
            order,
            rows,
            form,
            errors: problem.errors,
            message: problem.message,
            editing,
            permissions: Permission::ALL,
            products,
            grant_products,
        },
    )
}

/// `GET /orders/{id}/managers`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    page(
        &state,
        ctx,
        path.into_inner(),
        ManagerForm::fresh(),
        Problem::none(),
        None,
    )
    .await
}

/// `POST /orders/{id}/managers`: adds a license manager.
pub async fn add(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<ManagerForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    let email = form.email.trim().to_owned();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| grants::add(conn, &mailer, &actor, &reach, id, &input),
        |(_, added)| {
            let text = match added {
                Added::Invited { .. } => format!("{email} was added and an invite email is queued."),
                Added::Granted => format!(
                    "{email} already has an account: they now manage this order and a notice email is queued."
                ),
            };
            (format!("/orders/{id}/managers"), text)
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => page(&state, ctx, id, form, problem, None).await,
    }
}

/// `POST /orders/{id}/managers/{grant}/permissions`.
pub async fn permissions(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    CsrfForm(form): CsrfForm<PermissionsForm>,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    let result = submit(
        &ctx,
        &state,
        form.parse().and_then(|perms| {
            let mut e = FieldErrors::new();
            let products = e.check("products", form.product_fields().parse());
            match products {
                Some(p) if e.is_empty() => Ok((perms, p)),
                _ => Err(e),
            }
        }),
        move |conn, (perms, products)| grants::edit(conn, &actor, &reach, id, gid, perms, products),
        |m: LicenseManager| {
            (
                format!("/orders/{id}/managers"),
                format!("Permissions of {} saved.", m.email),
            )
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => {
            let errors = problem.field_errors("permissions");
            page(
                &state,
                ctx,
                id,
                ManagerForm::fresh(),
                Problem::none(),
                Some((gid.0, form, errors)),
            )
            .await
        }
    }
}

/// The one-button actions on a manager's row: run `f` on the order's grant, then back to
/// the tab with what happened.
async fn row_action(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    f: fn(
        &mut DbConnection,
        &crate::mail::Mailer,
        &crate::models::audit::Actor,
        &Reach,
        OrderId,
        GrantId,
    ) -> ModelResult<LicenseManager>,
    done: fn(&LicenseManager) -> String,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    act(
        &ctx,
        &state,
        &format!("/orders/{id}/managers"),
        move |conn| f(conn, &mailer, &actor, &reach, id, gid),
        |m| done(&m),
    )
    .await
}

/// `POST /orders/{id}/managers/{grant}/resend`: a new invite; earlier links stop working.
pub async fn resend(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    row_action(state, ctx, path, grants::resend_invite, |m| {
        format!(
            "A new invite to {} is queued; earlier links no longer work.",
            m.email
        )
    })
    .await
}

/// `POST /orders/{id}/managers/{grant}/revoke`.
pub async fn revoke(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    row_action(
        state,
        ctx,
        path,
        |conn, _, actor, reach, order, gid| grants::revoke_invite(conn, actor, reach, order, gid),
        |m| format!("The invite of {} is revoked.", m.email),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/orders/manager_link.html")]
struct LinkPage {
    ctx: AdminCtx,
    order: Order,
    manager: LicenseManager,
    link: String,
    days: i64,
}

/// `POST /orders/{id}/managers/{grant}/link`: "Copy new invite link" — a fresh link shown
/// once, offered only when no SMTP server is configured (its reason); earlier links stop
/// working, and the manager's page records that staff handed a link over.
pub async fn link(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    if state.config.smtp_url.is_some() {
        // The link is for vendors who cannot email it; with SMTP, Resend invite emails it.
        let refused = ModelError::refused(
            "invite_links_by_email",
            "Invite links go by email here: use Resend invite, which emails a new link.".to_owned(),
        );
        flash_result(&ctx, Err::<(), _>(refused), |_| String::new())?;
        return Ok(see_other(&format!("/orders/{id}/managers")));
    }
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    let result = state
        .write(move |conn| grants::new_invite_link(conn, &mailer, &actor, &reach, id, gid))
        .await?;
    match result {
        Ok((order, manager, link)) => {
            let page = LinkPage {
                days: state.mailer.invite_days,
                ctx,
                order,
                manager,
                link,
            };
            let mut response = ok(&page)?;
            response.headers_mut().insert(
                actix_web::http::header::REFERRER_POLICY,
                actix_web::http::header::HeaderValue::from_static("no-referrer"),
            );
            Ok(response)
        }
        Err(e) => {
            flash_result(&ctx, Err::<(), _>(e), |_| String::new())?;
            Ok(see_other(&format!("/orders/{id}/managers")))
        }
    }
}
