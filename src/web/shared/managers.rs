//! Removing a license manager from an order, as both portals do it: staff remove anyone;
//! a license manager with "Manage managers" only those below them. The operation checks
//! the reach; the confirmation page lists every grant that goes with theirs.

use actix_web::{web, HttpResponse};

use super::{Area, Confirm};
use crate::auth::CsrfForm;
use crate::domain::{GrantId, OrderId};
use crate::error::AppResult;
use crate::ops::grants;
use crate::web::forms::act;
use crate::web::{EmptyForm, State};

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
