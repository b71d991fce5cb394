//! The license manager's home page: the orders they manage.

use actix_web::HttpResponse;
use askama::Template;

use super::PortalCtx;
use crate::error::AppResult;
use crate::models::grant::{self, ManagedOrder};
use crate::web::forms::ok;
use crate::web::State;

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    ctx: PortalCtx,
    orders: Vec<ManagedOrder>,
}

/// `GET /portal`: the signed-in manager's orders, with the permissions held on each.
pub async fn index(state: State, ctx: PortalCtx) -> AppResult<HttpResponse> {
    let id = ctx.user.manager_id();
    let orders = state
        .db(move |conn| Ok(grant::for_manager(conn, id, true)?))
        .await?;
    ok(&HomePage { ctx, orders })
}
