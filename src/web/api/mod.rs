//! The license API (`/api/v1/…`): JSON for the vendor's applications, no session or
//! cookie, every answer signed (`signing.rs`, RFC 9421 in `signature.rs`), refusals as
//! problems with a stable code (`problem.rs`). This first part publishes the signing
//! keys and product details; activation, checks and deactivation follow.

pub mod problem;
pub mod signature;
pub mod signing;

use actix_web::HttpResponse;
use serde::Serialize;

use actix_web::http::StatusCode;
use actix_web::web;

use self::problem::ApiProblem;
use crate::error::AppResult;
use crate::models::{product, signing_key};
use crate::web::State;

/// A published key as `GET /api/v1/keys` lists it.
#[derive(Serialize)]
struct PublishedKey {
    kid: String,
    alg: &'static str,
    /// The raw 32-byte Ed25519 public key, base64.
    public_key: String,
    /// `next` (not signing yet), `active`, `outgoing` (still signing during a
    /// rotation's overlap) or `retired` (verify-only).
    state: String,
}

/// `GET /api/v1/keys`: the keys answers are or were signed with. Vendors pin their
/// public keys in the application; this list is for building and checking that pin.
pub async fn keys(state: State) -> AppResult<HttpResponse> {
    let keys = state
        .db(|conn| Ok(signing_key::published(conn)?))
        .await?
        .into_iter()
        .map(|k| PublishedKey {
            kid: k.kid,
            alg: "ed25519",
            public_key: k.public_key,
            state: k.state.to_string(),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "keys": keys })))
}

/// A product as `GET /api/v1/products/{code}` describes it to the application.
#[derive(Serialize)]
struct ProductDetails {
    code: String,
    name: String,
    /// The license type of its licenses (`perpetual`, `time_limited`, `subscription`,
    /// `consumption`, `floating`).
    license_type: String,
    /// Whether a trial can be started (trial days > 0).
    trials: bool,
    trial_days: i64,
    /// Whether licenses are used by named license users (email and password).
    user_based: bool,
    features: Vec<FeatureDetails>,
}

#[derive(Serialize)]
struct FeatureDetails {
    code: String,
    name: String,
    kind: String,
}

/// `GET /api/v1/products/{code}`: what the application needs to know of its product.
/// An unknown, archived or bundle product is `product_not_found`.
pub async fn product_details(
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let code = path.into_inner();
    if code.len() > 100 || code.chars().any(char::is_control) {
        return Err(not_found().into());
    }
    let found = state
        .db(move |conn| {
            let Some(p) = product::find_by_code(conn, &code)?
                .filter(|p| p.archived_at.is_none() && !p.is_bundle)
            else {
                return Ok(None);
            };
            let features = product::features(conn, p.id)?;
            Ok(Some((p, features)))
        })
        .await?;
    let Some((p, features)) = found else {
        return Err(not_found().into());
    };
    Ok(HttpResponse::Ok().json(ProductDetails {
        code: p.code,
        name: p.name,
        license_type: p.license_type,
        trials: p.trial_days > 0,
        trial_days: p.trial_days,
        user_based: p.max_license_users > 0,
        features: features
            .into_iter()
            .map(|f| FeatureDetails {
                code: f.code,
                name: f.name,
                kind: f.kind,
            })
            .collect(),
    }))
}

fn not_found() -> ApiProblem {
    ApiProblem::new(
        StatusCode::NOT_FOUND,
        "product_not_found",
        "No product has this code.",
    )
}

/// The body of `POST /api/v1/check`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    product_code: String,
    license_key: String,
    hardware_id: String,
}

/// The longest hardware id a client may send (compared exactly).
pub const MAX_HARDWARE_ID: usize = 256;

/// A body's JSON, or `body_invalid` (malformed, wrong types, missing or unknown fields).
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiProblem> {
    serde_json::from_slice(body).map_err(ApiProblem::body_invalid)
}

/// A text field: not empty, at most `max` characters, no control characters.
fn field(name: &str, value: &str, max: usize) -> Result<(), ApiProblem> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiProblem::body_invalid(format!(
            "{name} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(())
}

/// `POST /api/v1/check`: whether the license may be used on this device now. Never
/// takes a seat. An unknown key is `404 license_not_found`; a license that is disabled,
/// not started, expired or not active on this device is an answer (`"valid": false`
/// with a `code`), not an error.
pub async fn check(state: State, body: web::Bytes) -> Result<HttpResponse, actix_web::Error> {
    let b: CheckBody = parse_body(&body)?;
    field("product_code", &b.product_code, 100)?;
    field("license_key", &b.license_key, 100)?;
    field("hardware_id", &b.hardware_id, MAX_HARDWARE_ID)?;
    let now = crate::db::now();
    let (key, code, hw) = (
        b.license_key.clone(),
        b.product_code.clone(),
        b.hardware_id.clone(),
    );
    let checked = state
        .db(move |conn| {
            let credentials = crate::ops::client::Credentials {
                product_code: &code,
                license_key: &key,
                hardware_id: &hw,
            };
            match crate::ops::client::check(conn, &credentials, now) {
                Ok(c) => Ok(Some(c)),
                Err(crate::models::ModelError::NotFound) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let Some(c) = checked else {
        return Err(ApiProblem::new(
            StatusCode::NOT_FOUND,
            "license_not_found",
            "No license of this product has this key.",
        )
        .into());
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "valid": c.refusal.is_none(),
        "code": c.refusal,
        "license_key": c.license.license_key,
        "product_code": c.product.code,
        "hardware_id": b.hardware_id,
        "device_id": c.device.as_ref().map(|d| d.id),
        "license_type": c.license.license_type,
        "status": c.license.status().as_str(),
        "start_date": c.license.start_date,
        "valid_until": c.license.valid_until,
        "maintenance_until": c.license.maintenance_until,
        "features": c.features.iter().map(|f| serde_json::json!({
            "code": f.code, "name": f.name, "kind": f.kind,
        })).collect::<Vec<_>>(),
        "offline_valid_until": c.offline_valid_until,
    })))
}
