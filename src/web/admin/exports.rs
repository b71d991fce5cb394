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
use crate::csv_io;
use crate::csv_io::stream::{csv_stream, Sink};
use crate::db::DbConnection;
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::models::audit::Actor;
use crate::web::shared::csv_download;
use crate::web::State;

/// How a list's CSV is written: the list's filter, the stream's sink, who exports and the
/// filters as a query string (for the audit row).
type Writer<F> = fn(&mut DbConnection, &mut Sink, &F, &Actor, &str) -> Result<(), String>;

/// A list's export named `name`: a filter with a message (a bad date) is refused with
/// 422 and no file; else the file streams as `write` produces it.
fn download<F: Send + 'static>(
    state: &State,
    ctx: &AdminCtx,
    name: &str,
    (filter, errors, filters): (F, FieldErrors, String),
    write: Writer<F>,
) -> AppResult<HttpResponse> {
    if let Some(m) = errors.messages().first() {
        return Err(AppError::Unprocessable(format!(
            "The export's filters: {m}"
        )));
    }
    let actor = ctx.actor();
    let body = csv_stream(state.pool.clone(), move |conn, sink| {
        write(conn, sink, &filter, &actor, &filters)
    });
    Ok(csv_download(name, body))
}

/// `GET /licenses/export.csv`: the licenses the list shows with the same filters.
pub async fn licenses(
    state: State,
    ctx: AdminCtx,
    query: web::Query<LicenseQuery>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let filter = query.filter(&mut errors);
    let filters = query.query_string(&filter);
    let parsed = (filter, errors, filters);
    download(&state, &ctx, "licenses", parsed, csv_io::licenses::export)
}

/// `GET /orders/export.csv`: the orders the list shows with the same filters.
pub async fn orders(
    state: State,
    ctx: AdminCtx,
    query: web::Query<OrderQuery>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let filter = query.filter(&mut errors);
    let filters = query.query_string(&filter);
    let parsed = (filter, errors, filters);
    download(&state, &ctx, "orders", parsed, csv_io::orders::export)
}

/// `GET /audit-log/export.csv`: the entries the audit log shows with the same filters.
pub async fn audit_log(
    state: State,
    ctx: AdminCtx,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let filter = query.filter(&mut errors);
    let filters = query.query_string(&filter);
    let parsed = (filter, errors, filters);
    download(&state, &ctx, "audit-log", parsed, csv_io::audit::export)
}

/// `GET /license-managers/export.csv`: the managers the list shows with the same filters.
pub async fn license_managers(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ManagerQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter();
    let filters = ManagerQuery::query_string(&filter);
    let parsed = (filter, FieldErrors::new(), filters);
    download(
        &state,
        &ctx,
        "license-managers",
        parsed,
        csv_io::license_managers::export,
    )
}

/// `GET /customers/export.csv`: the customers the list shows with the same filters.
pub async fn customers(
    state: State,
    ctx: AdminCtx,
    query: web::Query<CustomerQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter();
    let filters = query.query_string(&filter);
    let parsed = (filter, FieldErrors::new(), filters);
    download(&state, &ctx, "customers", parsed, csv_io::customers::export)
}
