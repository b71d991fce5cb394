//! `POST /api/v1/trial`: a trial license for a device, with no credential. One trial
//! per product and hardware id ever (a retry answers the same trial), a few per client
//! address a day, at most the product's trials per day.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::{self as api_client, detail, field, parse_body, Entitlement, MAX_HARDWARE_ID};
use super::problem::ApiProblem;
use super::rate::address_key;
use super::runtime::ApiRuntime;
use crate::auth::client_ip::ClientIp;
use crate::models::activation::DeviceInfo;
use crate::models::clock::Clock;
use crate::models::ModelError;
use crate::ops::client;
use crate::web::State;

/// The body of `POST /api/v1/trial`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrialBody {
    #[schema(max_length = 100)]
    product_code: String,
    /// Compared exactly: one trial per product and hardware id.
    #[schema(max_length = 256)]
    hardware_id: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    hostname: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    os: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    app_version: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    sdk_version: String,
}

/// The answer to a trial: the trial license activated on this device.
#[derive(Serialize, ToSchema)]
pub struct TrialAnswer {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    /// Always true: a refusal is a problem answer.
    pub valid: bool,
    /// False when this device had its trial already (a retry): the same license.
    pub started: bool,
}

/// `POST /api/v1/trial`: starts a trial of the product on this device and activates
/// it; the answer carries the trial's license key for every later call.
#[utoipa::path(post, path = "/api/v1/trial", tag = "license",
    request_body = TrialBody,
    responses((status = 200, description = "The device's trial license, activated.", body = TrialAnswer)))]
pub async fn start(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    api.limits.address_allowed(&ip.0)?;
    let b: TrialBody = parse_body(&body)?;
    field("product_code", &b.product_code, 100)?;
    field("hardware_id", &b.hardware_id, MAX_HARDWARE_ID)?;
    detail("hostname", &b.hostname)?;
    detail("os", &b.os)?;
    detail("app_version", &b.app_version)?;
    detail("sdk_version", &b.sdk_version)?;
    let info = DeviceInfo {
        hardware_id: b.hardware_id.clone(),
        hostname: b.hostname,
        os: b.os,
        app_version: b.app_version,
        sdk_version: b.sdk_version,
        ip: ip.0.clone(),
    };
    let clock = Clock {
        test: state.config.api.test_clock,
    };
    let per_address = state.config.api.trials_per_address_per_day;
    let address = address_key(&ip.0);
    let code = b.product_code;
    let done = state
        .write(move |conn| {
            let now = clock.now(conn)?;
            let started = client::start_trial(conn, &code, &info, &address, per_address, now)?;
            let terms = match &started {
                Ok(s) => Some(client::terms(conn, s.activation.license.id)?),
                Err(_) => None,
            };
            Ok((started, terms, now))
        })
        .await?;
    let (started, terms, now) = done.map_err(|e| match e {
        ModelError::NotFound => {
            api.limits.failed(&ip.0);
            ApiProblem::of("product_not_found", "No product has this code.").into()
        }
        e => api_client::problem(e),
    })?;
    let s = started.map_err(ApiProblem::from)?;
    let terms = terms.unwrap_or(client::Terms {
        features: Vec::new(),
        custom_fields: Vec::new(),
    });
    api.limits.license_allowed(s.activation.license.id)?;
    Ok(HttpResponse::Ok().json(TrialAnswer {
        entitlement: Entitlement::of(
            &s.activation.license,
            &s.product,
            &terms,
            &b.hardware_id,
            Some(&s.activation.device),
            Some(client::offline_valid_until(
                &s.activation.license,
                &s.product,
                now,
            )),
        ),
        valid: true,
        started: s.started,
    }))
}
