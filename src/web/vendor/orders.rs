//! The orders list.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::VendorCtx;
use crate::error::AppResult;
use crate::models::order::{self, OrderPage};
use crate::web::forms::ok;
use crate::web::State;

const PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "vendor/orders/index.html")]
struct OrdersPage {
    ctx: VendorCtx,
    page: OrderPage,
}

#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<String>,
}

/// `GET /orders`: newest first, a page at a time.
pub async fn index(
    state: State,
    ctx: VendorCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let before = query
        .before
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok());
    let page = state
        .db(move |conn| Ok(order::list(conn, before, PER_PAGE)?))
        .await?;
    ok(&OrdersPage { ctx, page })
}
