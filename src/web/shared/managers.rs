//! An order's license managers, as both portals show them: staff see every grant and
//! may change any (with Manage license managers); a license manager with "Manage
//! managers" sees the order's live grants and changes only those below theirs, giving
//! at most what they hold. The operations check the reach; these handlers parse, call
//! and render the one page both areas share (`partials/_managers.html`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{Area, Confirm};
use crate::auth::CsrfForm;
use crate::domain::{FieldErrors, GrantId, LicenseManagerId, OrderId, Permission, ProductId};
use crate::error::AppResult;
use crate::models::grant::GrantRow;
use crate::models::grant_products::{self, ProductChoice};
use crate::models::order::Order;
use crate::ops::grants::{self, Added};
use crate::ops::Reach;
use crate::web::forms::{act, submit, Problem};
use crate::web::manager_forms::{ManagerForm, PermissionsForm};
use crate::web::{EmptyForm, State};

/// What the managers tab shows, whichever area shows it.
pub struct ManagersTab {
    /// The order's grants, each with whether the signed-in person may change it.
    pub rows: Vec<(GrantRow, bool)>,
    pub form: ManagerForm,
    pub errors: FieldErrors,
    pub message: Option<String>,
    /// A failed permissions edit: the grant, its submitted fields and the messages.
    pub editing: Option<(GrantId, PermissionsForm, FieldErrors)>,
    /// The permissions the signed-in person may give (staff: all; a manager: theirs).
    pub offer: Vec<Permission>,
    /// The products they may give: (id, name, ticked by default).
    pub products: Vec<(ProductId, String, bool)>,
    /// Each changeable grant's products and quotas.
    pub grant_products: HashMap<GrantId, Vec<ProductChoice>>,
    /// Staff see the account columns and the invite actions.
    pub staff: bool,
    /// Whether the signed-in person may add and change managers here.
    pub can_manage: bool,
    /// Whether an SMTP server is configured (staff may copy an invite link without).
    pub smtp: bool,
    /// The order's managers URL, for the tab's forms and links.
    pub base: String,
    /// The vendor's name (who made the vendor-made grants, as a manager reads it).
    pub vendor: String,
    /// The signed-in license manager (their own row says "You").
    pub signed_in: Option<LicenseManagerId>,
}

impl ManagersTab {
    /// Whether a row's edit form shows `p` ticked (the failed input, else the grant's).
    pub fn row_has(&self, row: &GrantRow, p: &Permission) -> bool {
        match &self.editing {
            Some((id, form, _)) if *id == row.grant.id => {
                form.permissions.iter().any(|k| k == p.key())
            }
            _ => row.grant.permissions.has(*p),
        }
    }

    pub fn row_error(&self, row: &GrantRow) -> Option<&str> {
        match &self.editing {
            Some((id, _, errors)) if *id == row.grant.id => {
                errors.get("permissions").or_else(|| errors.get("products"))
            }
            _ => None,
        }
    }

    /// The message of a failed edit of a row that shows no edit form (a grant out of
    /// reach, or one's own), for the top of the page.
    pub fn unshown_error(&self) -> Option<&str> {
        let (id, _, errors) = self.editing.as_ref()?;
        let shown = self.can_manage && self.rows.iter().any(|(r, c)| *c && r.grant.id == *id);
        if shown {
            return None;
        }
        errors.get("permissions").or_else(|| errors.get("products"))
    }

    /// Whether the row is the signed-in license manager's own grant.
    pub fn is_you(&self, row: &GrantRow) -> bool {
        self.signed_in == Some(row.grant.manager_id)
    }

    /// A grant's products in words: "Studio (quota 10), Render", or "" when it names
    /// none (then the order's products are not limited by product).
    pub fn row_products_summary(&self, row: &GrantRow) -> String {
        let Some(choices) = self.grant_products.get(&row.grant.id) else {
            return String::new();
        };
        choices
            .iter()
            .map(|c| {
                let name = self
                    .products
                    .iter()
                    .find(|(id, _, _)| *id == c.product_id)
                    .map(|(_, n, _)| n.clone())
                    .unwrap_or_else(|| format!("product {}", c.product_id));
                match c.quota {
                    Some(q) => format!("{name} (quota {q})"),
                    None => name,
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A grant's product row: whether ticked and its quota as shown.
    pub fn row_product(&self, row: &GrantRow, product: &ProductId) -> (bool, String) {
        if let Some((id, form, _)) = &self.editing {
            if *id == row.grant.id {
                let f = form.product_fields();
                return (f.ticked(product, false), f.quota_of(product));
            }
        }
        grant_products::shown_choice(&self.grant_products, row.grant.id, *product)
    }
}

/// An area that shows the managers tab.
pub trait ManagersArea: Area {
    /// Whether the signed-in person may add and change managers (to show the forms; the
    /// route table refuses the actions).
    fn may_manage(&self) -> bool;

    /// Renders the tab in the area's layout.
    fn managers_page(
        self,
        status: StatusCode,
        order: Order,
        tab: ManagersTab,
    ) -> AppResult<HttpResponse>;
}

async fn page<A: ManagersArea>(
    state: &State,
    ctx: A,
    id: OrderId,
    form: ManagerForm,
    problem: Problem,
    editing: Option<(GrantId, PermissionsForm, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let reach = ctx.reach()?;
    let offer = match &reach {
        Reach::Staff(_) => Permission::ALL.to_vec(),
        Reach::LicenseManager(g) => g.permissions().held(),
        Reach::Client(_) => Vec::new(),
    };
    let staff = matches!(reach, Reach::Staff(_));
    let signed_in = reach.grant().map(|g| g.manager_id());
    let (order, rows, products, grant_products) = state
        .db(move |conn| {
            let order = reach.order(conn, id)?;
            let rows = grants::rows(conn, &reach, id)?;
            let products = grants::product_offer(conn, &reach, id)?
                .into_iter()
                .map(|o| (o.product_id, o.name, o.ticked))
                .collect();
            let mut by_grant = HashMap::new();
            for (r, changeable) in &rows {
                if *changeable {
                    by_grant.insert(r.grant.id, grant_products::choices(conn, r.grant.id)?);
                }
            }
            Ok((order, rows, products, by_grant))
        })
        .await?;
    let status = match &editing {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => problem.status,
    };
    let tab = ManagersTab {
        rows,
        form,
        errors: problem.errors,
        message: problem.message,
        editing,
        offer,
        products,
        grant_products,
        staff,
        can_manage: ctx.may_manage(),
        smtp: state.config.smtp_url.is_some(),
        base: A::order_url(id, "/managers"),
        vendor: state.config.vendor_name.clone(),
        signed_in,
    };
    ctx.managers_page(status, order, tab)
}

/// `GET …/orders/{id}/managers`.
pub async fn index<A: ManagersArea>(
    state: State,
    ctx: A,
    path: web::Path<OrderId>,
) -> AppResult<HttpResponse> {
    // Staff start from Reset device, the commonest; a manager ticks what to hand on.
    let form = match ctx.reach()? {
        Reach::Staff(_) => ManagerForm::fresh(),
        Reach::LicenseManager(_) | Reach::Client(_) => ManagerForm::default(),
    };
    page(&state, ctx, path.into_inner(), form, Problem::none(), None).await
}

/// `POST …/orders/{id}/managers`: staff add a license manager; a license manager
/// invites one below themselves.
pub async fn add<A: ManagersArea>(
    state: State,
    ctx: A,
    path: web::Path<OrderId>,
    CsrfForm(form): CsrfForm<ManagerForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (mailer, actor, reach) = (state.mailer.clone(), ctx.actor(), ctx.reach()?);
    let staff = matches!(reach, Reach::Staff(_));
    let email = form.email.trim().to_owned();
    let result = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| grants::add(conn, &mailer, &actor, &reach, id, &input),
        |(_, added)| {
            let text = match (staff, added) {
                (true, Added::Invited { .. }) => format!("{email} was added and an invite email is queued."),
                (true, Added::Granted) => format!(
                    "{email} already has an account: they now manage this order and a notice email is queued."
                ),
                (false, Added::Invited { .. }) => {
                    format!("{email} is invited: an email with their link is on its way.")
                }
                (false, Added::Granted) => {
                    format!("{email} now manages this order; they were notified by email.")
                }
            };
            (A::order_url(id, "/managers"), text)
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => page(&state, ctx, id, form, problem, None).await,
    }
}

/// `POST …/orders/{id}/managers/{grant}/permissions`: changes a grant's permissions and
/// products (lowering them takes the same from the grants below it).
pub async fn permissions<A: ManagersArea>(
    state: State,
    ctx: A,
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
        |m| {
            (
                A::order_url(id, "/managers"),
                format!("Permissions of {} saved.", m.email),
            )
        },
    )
    .await?;
    match result {
        Ok(done) => Ok(done),
        Err(problem) => {
            let errors = problem.field_errors("permissions");
            let editing = Some((gid, form, errors));
            page(
                &state,
                ctx,
                id,
                ManagerForm::fresh(),
                Problem::none(),
                editing,
            )
            .await
        }
    }
}

/// `GET …/orders/{id}/managers/{grant}/remove`: what removing will do.
pub async fn remove_confirm<A: Area>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, GrantId)>,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    let reach = ctx.reach()?;
    let (order, manager, derived) = state
        .db(move |conn| Ok(grants::removable(conn, &reach, id, gid)?))
        .await?;
    let mut lines = vec![
        format!(
            "{} will no longer see or manage order {} in the license portal.",
            manager.name, order.reference
        ),
        "Their account and their grants on other orders stay.".to_owned(),
    ];
    if !derived.is_empty() {
        lines.push(format!(
            "These {} grants came from theirs and are removed with it (licenses already created stay, and still count against its quotas' ceiling):",
            derived.len()
        ));
        lines.extend(
            derived
                .iter()
                .map(|d| format!("{} on order {}", d.manager_email, d.order_reference)),
        );
    }
    ctx.confirm(Confirm::danger(
        format!("Remove {} from order {}?", manager.email, order.reference),
        lines,
        A::order_url(id, &format!("/managers/{gid}/remove")),
        "Remove license manager",
        A::order_url(id, "/managers"),
    ))
}

/// `POST …/orders/{id}/managers/{grant}/remove`.
pub async fn remove<A: Area>(
    state: State,
    ctx: A,
    path: web::Path<(OrderId, GrantId)>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, gid) = path.into_inner();
    let (actor, reach) = (ctx.actor(), ctx.reach()?);
    act(
        &ctx,
        &state,
        &A::order_url(id, "/managers"),
        move |conn| grants::remove(conn, &actor, &reach, id, gid),
        |m| format!("{} no longer manages this order.", m.email),
    )
    .await
}
