//! Every route of the product in one readable table.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{health, static_files};
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/static/{path:.*}", web::get().to(static_files::serve))
        .route("/", web::get().to(home));
}

async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/login"))
        .finish()
}

/// Anything no route matched.
pub async fn not_found(_req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
