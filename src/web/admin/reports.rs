//! The license usage report: per UTC day over a chosen range (at most 366 days),
//! overall or for one product, as a chart drawn on the server, a table and a CSV
//! download, with each product's totals. Read from the daily counts the events keep up
//! to date (`models::usage`), never from the events themselves.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::domain::{FieldErrors, ProductId};
use crate::error::{AppError, AppResult};
use crate::models::product::{self, Product};
use crate::models::usage::{self, ProductTotal};
use crate::web::chart::{range, UsageView};
use crate::web::forms::render;
use crate::web::State;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UsageQuery {
    from: String,
    to: String,
    product: String,
}

impl UsageQuery {
    fn product(&self) -> Option<ProductId> {
        self.product.trim().parse::<i64>().ok().map(ProductId)
    }
}

#[derive(Template)]
#[template(path = "admin/reports/usage.html")]
struct UsagePage {
    ctx: AdminCtx,
    from: String,
    to: String,
    errors: FieldErrors,
    products: Vec<Product>,
    selected: Option<ProductId>,
    product_name: Option<String>,
    usage: Option<UsageView>,
    per_product: Vec<ProductTotal>,
    query: String,
}

impl UsagePage {
    fn is_selected(&self, id: &ProductId) -> bool {
        self.selected == Some(*id)
    }
}

struct Loaded {
    products: Vec<Product>,
    usage: Option<UsageView>,
    per_product: Vec<ProductTotal>,
}

async fn load(state: &State, q: &UsageQuery) -> AppResult<(Loaded, Result<(), FieldErrors>)> {
    let today = crate::models::now().date();
    let (range, errors) = match range(&q.from, &q.to, today) {
        Ok(r) => (Some(r), Ok(())),
        Err(e) => (None, Err(e)),
    };
    let product = q.product();
    let loaded = state
        .read(move |conn| {
            let products = product::list(conn, true)?;
            let Some((from, to)) = range else {
                return Ok(Loaded {
                    products,
                    usage: None,
                    per_product: Vec::new(),
                });
            };
            let days = usage::overall(conn, from, to, product)?;
            let per_product = usage::per_product(conn, from, to)?;
            Ok(Loaded {
                products,
                usage: Some(UsageView::of("License usage", from, to, days)),
                per_product,
            })
        })
        .await?;
    Ok((loaded, errors))
}

/// `GET /reports/usage`.
pub async fn usage(
    state: State,
    ctx: AdminCtx,
    query: web::Query<UsageQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let (loaded, errors) = load(&state, &q).await?;
    let selected = q.product();
    let product_name = selected.and_then(|id| {
        loaded
            .products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
    });
    let status = if errors.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let query = loaded
        .usage
        .as_ref()
        .map(|u| {
            format!(
                "from={}&to={}{}",
                u.from,
                u.to,
                selected
                    .map(|p| format!("&product={}", p.0))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    render(
        status,
        &UsagePage {
            ctx,
            // The range shown (the default one when none was asked for).
            from: match (&loaded.usage, q.from.trim().is_empty()) {
                (Some(u), true) => u.from.to_string(),
                _ => q.from.chars().take(20).collect(),
            },
            to: match (&loaded.usage, q.to.trim().is_empty()) {
                (Some(u), true) => u.to.to_string(),
                _ => q.to.chars().take(20).collect(),
            },
            errors: errors.err().unwrap_or_default(),
            products: loaded.products,
            selected,
            product_name,
            usage: loaded.usage,
            per_product: loaded.per_product,
            query,
        },
    )
}

/// `GET /reports/usage.csv`: the same days as CSV.
pub async fn usage_csv(
    state: State,
    _ctx: AdminCtx,
    query: web::Query<UsageQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let (loaded, errors) = load(&state, &q).await?;
    if let Err(e) = errors {
        return Err(AppError::Unprocessable(
            e.get("from")
                .or(e.get("to"))
                .unwrap_or("Choose a valid range.")
                .to_owned(),
        ));
    }
    let usage = loaded.usage.ok_or(AppError::NotFound)?;
    let body = usage.csv().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"keyfold-usage-{}-{}.csv\"",
                usage.from, usage.to
            ),
        ))
        .body(body))
}
