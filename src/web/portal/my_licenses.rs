//! "Your licenses": every license of the orders a manager manages, searched by key or
//! order reference (and the license users whose email starts with the search, where the
//! grant manages them), and their CSV export (only those orders; audited as the
//! manager's).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::PortalCtx;
use crate::csv_io::{self, stream::csv_stream};
use crate::domain::values;
use crate::error::AppResult;
use crate::models::license::LicenseSummary;
use crate::models::{Page, Paging};
use crate::ops::licenses;
use crate::web::forms::ok;
use crate::web::State;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "portal/licenses/index.html")]
struct IndexPage {
    ctx: PortalCtx,
    key: String,
    page: Page<LicenseSummary>,
    /// "3 orders".
    orders: String,
    pager_base: String,
    export: String,
    /// License users whose email starts with the search (on orders where the manager
    /// manages license users).
    users: Vec<(crate::models::license_user::LicenseUser, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    key: String,
    page: String,
}

/// `GET /portal/licenses`.
pub async fn index(
    state: State,
    ctx: PortalCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let key = values::search_term(&query.key, 100);
    let paging = Paging::parse(&query.page, PER_PAGE);
    let manager = ctx.user.manager_id();
    let k = key.clone();
    let (page, orders, users) = state
        .db(move |conn| {
            let orders = licenses::managed_orders(conn, manager)?;
            Ok((
                licenses::of_manager(conn, &orders, &k, paging)?,
                orders.len(),
                licenses::users_of_manager(conn, &orders, &k, 20)?,
            ))
        })
        .await?;
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("key", &key)
        .finish();
    ok(&IndexPage {
        ctx,
        page,
        orders: crate::web::plural(orders as i64, "order", "orders"),
        pager_base: format!("/portal/licenses?{q}"),
        export: format!("/portal/licenses.csv?{q}"),
        key,
        users,
    })
}

/// `GET /portal/licenses.csv`: the licenses the page lists (every page), streamed.
pub async fn export(
    state: State,
    ctx: PortalCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let key = values::search_term(&query.key, 100);
    let manager = ctx.user.manager_id();
    let (filter, references) = {
        let k = key.clone();
        state
            .db(move |conn| {
                let orders = licenses::managed_orders(conn, manager)?;
                let refs: Vec<String> = orders.iter().map(|m| m.order_reference.clone()).collect();
                Ok((licenses::manager_filter(&orders, &k), refs))
            })
            .await?
    };
    let actor = ctx.actor();
    let filters = format!("orders={}&key={key}", references.join(","));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::licenses::export_for_manager(conn, sink, &filter, &actor, &filters)
    });
    Ok(crate::web::shared::csv_download("licenses", body))
}
