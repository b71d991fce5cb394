//! A managed order in the license portal: its facts, licenses (key-prefix search,
//! pages), managers, and the activity of the portal on it. Reached only through the
//! grant guard, which hands over the [`GrantedOrder`].

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::PortalCtx;
use crate::domain::values;
use crate::error::AppResult;
use crate::models::audit::AuditRow;
use crate::models::customer::Customer;
use crate::models::grant::GrantedOrder;
use crate::models::license::LicenseSummary;
use crate::models::order::Order;
use crate::models::Page;
use crate::ops::grants::{self, Colleague};
use crate::ops::{licenses, orders, Reach};
use crate::web::forms::ok;
use crate::web::State;

const PER_PAGE: i64 = 25;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LicenseQuery {
    key: String,
    page: String,
}

#[derive(Template)]
#[template(path = "portal/orders/show.html")]
struct ShowPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: Order,
    customer: Option<Customer>,
    key: String,
    page: Page<LicenseSummary>,
    pager_base: String,
    managers: Vec<Colleague>,
    usage: crate::web::chart::UsageView,
}

/// `GET /portal/orders/{id}`.
pub async fn show(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    query: web::Query<LicenseQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let key = values::search_term(&query.key, 80);
    let paging = crate::models::Paging::parse(&query.page, PER_PAGE);
    let (reach, id, k) = (
        Reach::LicenseManager(granted.clone()),
        granted.order_id(),
        key.clone(),
    );
    let to = crate::models::now().date();
    let from = to - chrono::Duration::days(29);
    let ((order, customer), page, managers, days) = state
        .db(move |conn| {
            Ok((
                orders::with_customer(conn, &reach, id)?,
                licenses::of_order(conn, &reach, id, &k, paging)?,
                grants::colleagues(conn, &reach, id)?,
                licenses::order_usage(conn, &reach, id, from, to)?,
            ))
        })
        .await?;
    let usage = crate::web::chart::UsageView::of("Usage of this order's licenses", from, to, days);
    let pager_base = format!(
        "/portal/orders/{}?{}",
        granted.order_id(),
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("key", &key)
            .finish()
    );
    ok(&ShowPage {
        ctx,
        granted,
        order,
        customer,
        key,
        page,
        pager_base,
        managers,
        usage,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivityQuery {
    before: String,
}

#[derive(Template)]
#[template(path = "portal/orders/activity.html")]
struct ActivityPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: Order,
    page: Page<AuditRow>,
    pager_base: String,
}

/// `GET /portal/orders/{id}/activity`: who changed what in the portal, and when.
pub async fn activity(
    state: State,
    ctx: PortalCtx,
    granted: GrantedOrder,
    query: web::Query<ActivityQuery>,
) -> AppResult<HttpResponse> {
    let before = query.before.trim().parse().ok();
    let (reach, id) = (Reach::LicenseManager(granted.clone()), granted.order_id());
    let (order, page) = state
        .db(move |conn| {
            Ok((
                reach.order(conn, id)?,
                orders::portal_activity(conn, &reach, id, before, 50)?,
            ))
        })
        .await?;
    let pager_base = format!("/portal/orders/{}/activity", granted.order_id());
    ok(&ActivityPage {
        ctx,
        granted,
        order,
        page,
        pager_base,
    })
}
