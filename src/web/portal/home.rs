//! The license manager's home page.

use actix_web::HttpResponse;
use askama::Template;

use super::PortalCtx;
use crate::error::AppResult;
use crate::web::forms::ok;

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    ctx: PortalCtx,
}

/// `GET /portal`: the signed-in manager's orders.
pub async fn index(ctx: PortalCtx) -> AppResult<HttpResponse> {
    ok(&HomePage { ctx })
}
