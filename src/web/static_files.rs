//! Static assets compiled into the binary, so a single file runs from any folder.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ct:literal) => {
        Asset {
            path: $path,
            content_type: $ct,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $path)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("vendor/pico/pico.min.css", "text/css; charset=utf-8"),
    asset!("css/keyfold.css", "text/css; charset=utf-8"),
    asset!("js/keyfold.js", "text/javascript; charset=utf-8"),
    asset!("img/logo.svg", "image/svg+xml"),
];

/// `GET /static/{path}`: one of the compiled-in assets, cacheable for a day.
pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(asset.body))
}
