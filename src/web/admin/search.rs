//! The search box in the admin header: a whole key, order reference or email goes
//! straight to its page; anything else lists what matches, grouped by kind.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::domain::values;
use crate::error::AppResult;
use crate::models::search::{self, Found};
use crate::web::forms::{ok, see_other};
use crate::web::State;

/// Matches shown per kind (each group links to its whole list).
const PER_KIND: i64 = 10;

#[derive(Template)]
#[template(path = "admin/search/index.html")]
struct SearchPage {
    ctx: AdminCtx,
    q: String,
    /// The search as a query-string value, for the "see all" links.
    q_param: String,
    found: Option<Found>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

/// `GET /search?q=`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = values::search_term(&query.q, 200);
    let found = if q.is_empty() {
        None
    } else {
        let q = q.clone();
        Some(
            state
                .db(move |conn| {
                    Ok(match search::jump(conn, &q)? {
                        Some(jump) => Err(jump),
                        None => Ok(search::everything(conn, &q, PER_KIND)?),
                    })
                })
                .await?,
        )
    };
    let found = match found {
        Some(Err(jump)) => return Ok(see_other(&jump.path())),
        Some(Ok(found)) => Some(found),
        None => None,
    };
    let q_param = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    ok(&SearchPage {
        ctx,
        q,
        q_param,
        found,
    })
}
