//! CSV exports of the license, order, customer and license manager lists and the audit log, with the lists' filters: streamed
//! (memory stays flat whatever the row count) and audited with the filters and the row
//! count. Exporting needs the role that may change that data.

use actix_web::{web, HttpResponse};

use super::audit::ListQuery as AuditQuery;
use super::customers::ListQuery as CustomerQuery;
use super::license_managers::ListQuery as ManagerQuery;
use super::licenses::ListQuery as LicenseQuery;
use super::orders::ListQuery as OrderQuery;
use super::AdminCtx;
use crate::csv_io::{self, stream::csv_stream};
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::web::shared::csv_download;
use crate::web::State;

/// `GET /licenses/export.csv`: the licenses the list shows with the same filters.
pub async fn licenses(
    state: State,
    ctx: AdminCtx,
    query: web::Query<LicenseQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    if let Some(m) = errors.messages().first() {
        return Err(AppError::Unprocessable(format!(
            "The export's filters: {m}"
        )));
    }
    let (actor, filters) = (ctx.actor(), q.query_string(&filter));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::licenses::export(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download("licenses", body))
}

/// `GET /orders/export.csv`: the orders the list shows with the same filters.
pub async fn orders(
    state: State,
    ctx: AdminCtx,
    query: web::Query<OrderQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    if let Some(m) = errors.messages().first() {
        return Err(AppError::Unprocessable(format!(
            "The export's filters: {m}"
        )));
    }
    let (actor, filters) = (ctx.actor(), q.query_string(&filter));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::orders::export(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download("orders", body))
}

/// `GET /audit-log/export.csv`: the entries the audit log shows with the same filters.
pub async fn audit_log(
    state: State,
    ctx: AdminCtx,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    if let Some(m) = errors.messages().first() {
        return Err(AppError::Unprocessable(format!(
            "The export's filters: {m}"
        )));
    }
    let (actor, filters) = (ctx.actor(), q.query_string(&filter));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::audit::export(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download("audit-log", body))
}

/// `GET /license-managers/export.csv`: the managers the list shows with the same filters.
pub async fn license_managers(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ManagerQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter();
    let (actor, filters) = (ctx.actor(), ManagerQuery::query_string(&filter));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::license_managers::export(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download("license-managers", body))
}

/// `GET /customers/export.csv`: the customers the list shows with the same filters.
pub async fn customers(
    state: State,
    ctx: AdminCtx,
    query: web::Query<CustomerQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let filter = q.filter();
    let (actor, filters) = (ctx.actor(), q.query_string(&filter));
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        csv_io::customers::export(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download("customers", body))
}
