//! `GET /healthz`: 200 `ok` when the database answers a query, 503 otherwise.

use actix_web::{web, HttpResponse};

use super::State;
use crate::db;

pub async fn healthz(state: State) -> HttpResponse {
    let pool = state.pool.clone();
    let url = state.config.database_url.clone();
    let answered = web::block(move || db::probe(&pool, url.expose()))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
    let mut response = match &answered {
        Ok(()) => HttpResponse::Ok(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
        }
    };
    response
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(if answered.is_ok() {
            "ok"
        } else {
            "database unavailable"
        })
}
