//! "Issue license", "Create order" and "Create bundle order" in the license portal: the
//! grant's products with the product's defaults, counted against the grant's quotas in
//! the transaction that creates the licenses. The order of the URL reaches the handlers
//! only as the grant guard's `GrantedOrder`.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::forms::LinesForm;
use super::PortalCtx;
use crate::auth::CsrfForm;
use crate::domain::{FieldErrors, Permission};
use crate::error::AppResult;
use crate::models::grant::GrantedOrder;
use crate::models::grant_products::Allowance;
use crate::models::order::Order;
use crate::ops::issuing::{self as portal_issue, Kind};
use crate::web::forms::{render, submit, Problem};
use crate::web::State;

/// Which of the page's three forms a submission came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Which {
    Issue,
    Order,
    Bundle,
}

#[derive(Template)]
#[template(path = "portal/orders/issue.html")]
struct IssuePage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: Order,
    plain: Vec<Allowance>,
    bundles: Vec<Allowance>,
    which: Option<Which>,
    form: LinesForm,
    errors: FieldErrors,
    message: Option<String>,
}

impl IssuePage {
    fn can(&self, which: &str) -> bool {
        self.granted.can(match which {
            "issue" => Permission::IssueLicense,
            "order" => Permission::CreateOrder,
            _ => Permission::CreateBundleOrder,
        })
    }

    /// The form (as submitted, or blank) for the section `which`.
    fn form_for(&self, which: &str) -> (LinesForm, FieldErrors) {
        let w = match which {
            "issue" => Which::Issue,
            "order" => Which::Order,
            _ => Which::Bundle,
        };
        if self.which == Some(w) {
            (self.form.clone(), self.errors.clone())
        } else {
            (LinesForm::default(), FieldErrors::new())
        }
    }

    fn rows(&self, form: &LinesForm) -> Vec<usize> {
        (0..form.rows()).collect()
    }
}

async fn page(
    state: &State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    which: Option<Which>,
    form: LinesForm,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let g = granted.clone();
    let (order, plain, bundles) = state
        .db(move |conn| {
            Ok((
                crate::ops::Reach::LicenseManager(g.clone()).order(conn, g.order_id())?,
                portal_issue::offer(conn, &g, Kind::Plain)?,
                portal_issue::offer(conn, &g, Kind::Bundle)?,
            ))
        })
        .await?;
    render(
        problem.status,
        &IssuePage {
            ctx,
            granted,
            order,
            plain,
            bundles,
            which,
            form,
            errors: problem.errors,
            message: problem.message,
        },
    )
}

/// `GET /portal/orders/{id}/issue`.
pub async fn index(state: State, ctx: PortalCtx, granted: GrantedOrder) -> AppResult<HttpResponse> {
    page(
        &state,
        ctx,
        granted,
        None,
        LinesForm::default(),
        Problem::none(),
    )
    .await
}

async fn handle(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    which: Which,
    form: LinesForm,
) -> AppResult<HttpResponse> {
    if form.add_lines.is_some() {
        return page(&state, ctx, granted, Some(which), form, Problem::none()).await;
    }
    let (actor, g) = (ctx.actor(), granted.clone());
    let here = granted.order_id();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, lines| match which {
            Which::Issue => {
                portal_issue::issue_licenses(conn, &g, &actor, &lines).map(|n| (None, n))
            }
            Which::Order | Which::Bundle => {
                let kind = if which == Which::Bundle {
                    Kind::Bundle
                } else {
                    Kind::Plain
                };
                portal_issue::create_order(conn, &g, &actor, &lines, kind)
                    .map(|(o, n)| (Some(o), n))
            }
        },
        move |(created, n): (Option<Order>, usize)| match created {
            None => (
                format!("/portal/orders/{here}"),
                format!("{n} license{} issued.", if n == 1 { "" } else { "s" }),
            ),
            Some(o) => (
                format!("/portal/orders/{}", o.id),
                format!("Order {} was created with {n} licenses.", o.reference),
            ),
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => {
            let problem = Problem {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..problem
            };
            page(&state, ctx, granted, Some(which), form, problem).await
        }
    }
}

/// `POST /portal/orders/{id}/issue`: "Issue license".
pub async fn issue(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    CsrfForm(form): CsrfForm<LinesForm>,
) -> AppResult<HttpResponse> {
    handle(state, ctx, granted, Which::Issue, form).await
}

/// `POST /portal/orders/{id}/create-order`: "Create order".
pub async fn create_order(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    CsrfForm(form): CsrfForm<LinesForm>,
) -> AppResult<HttpResponse> {
    handle(state, ctx, granted, Which::Order, form).await
}

/// `POST /portal/orders/{id}/create-bundle-order`: "Create bundle order".
pub async fn create_bundle_order(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    CsrfForm(form): CsrfForm<LinesForm>,
) -> AppResult<HttpResponse> {
    handle(state, ctx, granted, Which::Bundle, form).await
}
