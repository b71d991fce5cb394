//! The license API's endpoints for a vendor's application: activate, check, deactivate
//! and a license user's password change. Each parses and bounds its body, calls the
//! operation in `ops::client` and answers JSON; refusals are problems with a code from
//! the catalogue (`problem.rs`). A client authenticates by what its customer holds —
//! the license key, or a license user's password once and then the device token —
//! never by a secret shipped in the application.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::problem::ApiProblem;
use super::rate::address_key;
use super::runtime::ApiRuntime;
use crate::auth::client_ip::ClientIp;
use crate::domain::token::random_token;
use crate::domain::LicenseUserId;
use crate::models::activation::DeviceInfo;
use crate::models::device::Device;
use crate::models::license::License;
use crate::models::product::Product;
use crate::models::{license_user, login_attempt, ModelError};
use crate::ops::client::{self, Candidate, Client, Credential};
use crate::web::State;

/// The longest hardware id a client may send (compared exactly).
pub const MAX_HARDWARE_ID: usize = 256;
/// The longest optional device detail (hostname, OS, versions).
const MAX_DETAIL: usize = 200;
/// The area name failed license-user passwords are counted under.
const ATTEMPT_AREA: &str = "api";

type ApiResult = Result<HttpResponse, actix_web::Error>;

/// A body's JSON, or `body_invalid` (malformed, wrong types, missing or unknown fields).
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiProblem> {
    serde_json::from_slice(body).map_err(ApiProblem::body_invalid)
}

/// A text field: not empty, at most `max` characters, no control characters.
pub fn field(name: &str, value: &str, max: usize) -> Result<(), ApiProblem> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiProblem::body_invalid(format!(
            "{name} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(())
}

/// An optional text field: empty, or as [`field`].
pub(super) fn detail(name: &str, value: &str) -> Result<(), ApiProblem> {
    if value.is_empty() {
        return Ok(());
    }
    field(name, value, MAX_DETAIL)
}

/// What a model error means to a client.
pub(super) fn problem(e: ModelError) -> actix_web::Error {
    match e {
        ModelError::NotFound => license_not_found().into(),
        ModelError::Refused(r) => ApiProblem::from(r).into(),
        ModelError::Invalid { field, message } => {
            ApiProblem::body_invalid(format!("{field}: {message}")).into()
        }
        e @ (ModelError::Db(_) | ModelError::Conflict(_)) => crate::error::AppError::from(e).into(),
    }
}

/// A client's request that failed: an unknown key or a wrong device token counts
/// against the address's failures; every error becomes its problem.
pub(super) fn client_failure(api: &ApiRuntime, ip: &ClientIp, e: ModelError) -> actix_web::Error {
    if matches!(
        e,
        ModelError::NotFound
            | ModelError::Refused(crate::models::Refusal {
                code: "invalid_credentials",
                ..
            })
    ) {
        api.limits.failed(&ip.0);
    }
    problem(e)
}

fn license_not_found() -> ApiProblem {
    ApiProblem::of(
        "license_not_found",
        "No license of this product has this key.",
    )
}

/// The credential of a check or deactivation body: the key or the device token.
pub(super) fn credential<'a>(
    key: &'a Option<String>,
    token: &'a Option<String>,
) -> Result<Credential<'a>, ApiProblem> {
    match (key, token) {
        (Some(k), None) => {
            field("license_key", k, 100)?;
            Ok(Credential::LicenseKey(k))
        }
        (None, Some(t)) => {
            field("device_token", t, 128)?;
            Ok(Credential::DeviceToken(t))
        }
        _ => Err(ApiProblem::body_invalid(
            "send either license_key or device_token",
        )),
    }
}

/// A license feature as an answer lists it.
#[derive(Serialize, ToSchema)]
pub struct FeatureAnswer {
    pub code: String,
    pub name: String,
    /// `boolean` or `consumption`.
    pub kind: String,
    /// The most that may be consumed (null: unlimited).
    pub max_consumption: Option<i64>,
    /// Consumed in the current period.
    pub consumed: i64,
    /// How far beyond the maximum the server allows (null: not at all).
    pub max_overage: Option<i64>,
    /// The period the count belongs to (`all` when it never starts again).
    pub period: String,
}

/// The entitlement an answer carries: the license key, product code and hardware id
/// repeated (a client checks them), the license's terms, features, custom fields and
/// metadata, the device, and until when the answer may be trusted offline. Times are
/// UTC, written `YYYY-MM-DDTHH:MM:SS`.
#[derive(Serialize, ToSchema)]
pub struct Entitlement {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    /// The device this hardware id is active as (null when it is not active).
    pub device_id: Option<i64>,
    /// `perpetual`, `time_limited`, `subscription`, `consumption` or `floating`.
    pub license_type: String,
    /// `active`, `inactive`, `expired` or `disabled`.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<chrono::NaiveDate>,
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>)]
    pub maintenance_until: Option<NaiveDateTime>,
    pub max_activations: i64,
    pub active_devices: i64,
    /// Null: unlimited.
    pub max_transfers: Option<i64>,
    pub transfers: i64,
    pub is_trial: bool,
    pub features: Vec<FeatureAnswer>,
    /// Custom fields by name (the product's, with the license's values).
    pub custom_fields: std::collections::BTreeMap<String, String>,
    /// The license's metadata as the vendor entered it.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Until when the client may trust this answer without calling again (null when the
    /// license may not be used now).
    #[schema(value_type = Option<String>)]
    pub offline_valid_until: Option<NaiveDateTime>,
}

impl Entitlement {
    pub(super) fn of(
        license: &License,
        product: &Product,
        terms: &client::Terms,
        hardware_id: &str,
        device: Option<&Device>,
        offline_valid_until: Option<NaiveDateTime>,
    ) -> Self {
        Entitlement {
            license_key: license.license_key.clone(),
            product_code: product.code.clone(),
            hardware_id: hardware_id.to_owned(),
            device_id: device.map(|d| d.id.into()),
            license_type: license.license_type.clone(),
            status: license.status().as_str().to_owned(),
            start_date: license.start_date,
            valid_until: license.valid_until,
            maintenance_until: license.maintenance_until,
            max_activations: license.max_activations,
            active_devices: license.active_devices,
            max_transfers: license.max_transfers,
            transfers: license.transfers,
            is_trial: license.is_trial,
            features: terms
                .features
                .iter()
                .map(|f| FeatureAnswer {
                    code: f.code.clone(),
                    name: f.name.clone(),
                    kind: f.kind.clone(),
                    max_consumption: f.max_consumption,
                    consumed: f.consumed,
                    max_overage: f.max_overage,
                    period: f.period.clone(),
                })
                .collect(),
            custom_fields: terms
                .custom_fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            metadata: serde_json::from_str(&license.metadata).unwrap_or_else(|_| json!({})),
            offline_valid_until,
        }
    }
}

/// The answer to a check.
#[derive(Serialize, ToSchema)]
pub struct CheckAnswer {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    /// Whether the license may be used on this device now.
    pub valid: bool,
    /// Why not (null when valid): `license_disabled`, `license_not_started`,
    /// `license_expired` or `not_activated`.
    pub code: Option<&'static str>,
}

/// The answer to an activation.
#[derive(Serialize, ToSchema)]
pub struct ActivateAnswer {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    /// Always true: a refusal is a problem answer.
    pub valid: bool,
    /// False when this hardware id was already active (a retry): the same device.
    pub created: bool,
    /// For a license user's activation only: the token for every later call (sent once;
    /// Keyfold keeps only its SHA-256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// The answer to a deactivation.
#[derive(Serialize, ToSchema)]
pub struct DeactivateAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    /// False when the device was not active any more (a retry): nothing changed.
    pub deactivated: bool,
    pub device_id: Option<i64>,
    pub active_devices: i64,
    pub max_transfers: Option<i64>,
    pub transfers: i64,
}

/// The answer to a password change.
#[derive(Serialize, ToSchema)]
pub struct PasswordAnswer {
    pub changed: bool,
}

/// Declares a request body that carries a client's credential — the product code, the
/// hardware id, and the license key or the device token (exactly one) — besides its own
/// fields; `credential()` takes that part out as a checked [`ClientBody`].
macro_rules! client_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )* }
    ) => {
        $(#[$meta])*
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[schema(max_length = 100)]
            product_code: String,
            /// Compared exactly.
            #[schema(max_length = 256)]
            hardware_id: String,
            #[serde(default)]
            #[schema(max_length = 100)]
            license_key: Option<String>,
            #[serde(default)]
            #[schema(max_length = 128)]
            device_token: Option<String>,
            $( $(#[$fmeta])* $field: $ty, )*
        }

        impl $name {
            /// The credential part, bounded and with exactly one credential.
            #[allow(dead_code)]
            fn credential(&self) -> Result<$crate::web::api::client::ClientBody, $crate::web::api::problem::ApiProblem> {
                let b = $crate::web::api::client::ClientBody {
                    product_code: self.product_code.clone(),
                    hardware_id: self.hardware_id.clone(),
                    license_key: self.license_key.clone(),
                    device_token: self.device_token.clone(),
                };
                b.validate()?;
                Ok(b)
            }
        }
    };
}
pub(crate) use client_request;

/// The body of `POST /api/v1/check` and `POST /api/v1/deactivate`: the license key or
/// the device token (exactly one), with the product code and the hardware id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    #[schema(max_length = 100)]
    pub(super) product_code: String,
    /// Compared exactly.
    #[schema(max_length = 256)]
    pub(super) hardware_id: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub(super) license_key: Option<String>,
    #[serde(default)]
    #[schema(max_length = 128)]
    pub(super) device_token: Option<String>,
}

impl ClientBody {
    pub(super) fn parse(body: &[u8]) -> Result<Self, ApiProblem> {
        let b: ClientBody = parse_body(body)?;
        b.validate()?;
        Ok(b)
    }

    /// The fields' bounds, and exactly one credential.
    pub(super) fn validate(&self) -> Result<(), ApiProblem> {
        field("product_code", &self.product_code, 100)?;
        field("hardware_id", &self.hardware_id, MAX_HARDWARE_ID)?;
        credential(&self.license_key, &self.device_token)?;
        Ok(())
    }

    /// Runs `f` for this client in one write transaction at the database's time (the
    /// clock floating leases, periods and trials are judged by); hands the body back
    /// with the outcome and that time.
    pub(super) async fn write_at_db_time<T, F>(
        self,
        state: &State,
        f: F,
    ) -> Result<(ClientBody, Result<(T, NaiveDateTime), ModelError>), actix_web::Error>
    where
        T: Send + 'static,
        F: FnOnce(
                &mut crate::db::DbConnection,
                &Client<'_>,
                NaiveDateTime,
            ) -> Result<T, ModelError>
            + Send
            + 'static,
    {
        let clock = crate::models::clock::Clock {
            test: state.config.api.test_clock,
        };
        Ok(state
            .db(move |conn| {
                let done = crate::ops::write_tx(conn, |conn| {
                    let now = clock.now(conn)?;
                    Ok((f(conn, &self.client(), now)?, now))
                });
                Ok((self, done))
            })
            .await?)
    }

    pub(super) fn client(&self) -> Client<'_> {
        // `parse` made sure exactly one of the two was sent.
        let credential = match &self.device_token {
            Some(token) => Credential::DeviceToken(token),
            None => Credential::LicenseKey(self.license_key.as_deref().unwrap_or_default()),
        };
        Client {
            product_code: &self.product_code,
            credential,
            hardware_id: &self.hardware_id,
        }
    }
}

/// `POST /api/v1/check`: whether the license may be used on this device now. Never
/// takes a seat and writes nothing on the request path (checks are counted in memory).
/// An unknown key is `404 license_not_found`; a license that is disabled, not started,
/// expired or not active on this device is an answer (`"valid": false` with a `code`).
#[utoipa::path(post, path = "/api/v1/check", tag = "license",
    request_body = ClientBody,
    responses(
        (status = 200, description = "The license's state on this device (`valid` false with a `code` when it may not be used).", body = CheckAnswer),
    ))]
pub async fn check(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ClientBody::parse(&body)?;
    let now = crate::db::now();
    let (b, checked) = state
        .read(move |conn| {
            let checked = client::check(conn, &b.client(), now).and_then(|checked| {
                let terms = client::terms(conn, checked.license.id)?;
                Ok((checked, terms))
            });
            Ok((b, checked))
        })
        .await?;
    let (c, terms) = checked.map_err(|e| {
        api.limits.failed(&ip.0);
        problem(e)
    })?;
    api.limits.license_allowed(c.license.id)?;
    api.count_check(
        c.license.id,
        c.device.as_ref().map(|d| (d.id, d.last_check_at)),
        now,
    );
    Ok(HttpResponse::Ok().json(CheckAnswer {
        entitlement: Entitlement::of(
            &c.license,
            &c.product,
            &terms,
            &b.hardware_id,
            c.device.as_ref(),
            c.offline_valid_until,
        ),
        valid: c.refusal.is_none(),
        code: c.refusal,
    }))
}

/// The body of `POST /api/v1/activate`: the license key, or a license user's email and
/// password (with the key too when they have several licenses of the product).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    #[schema(max_length = 100)]
    product_code: String,
    /// Compared exactly.
    #[schema(max_length = 256)]
    hardware_id: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    license_key: Option<String>,
    /// A license user's email (with `password`) instead of, or besides, the key.
    #[serde(default)]
    #[schema(max_length = 254)]
    email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 72)]
    password: Option<String>,
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

impl ActivateBody {
    fn parse(body: &[u8]) -> Result<Self, ApiProblem> {
        let b: ActivateBody = parse_body(body)?;
        field("product_code", &b.product_code, 100)?;
        field("hardware_id", &b.hardware_id, MAX_HARDWARE_ID)?;
        if let Some(k) = &b.license_key {
            field("license_key", k, 100)?;
        }
        match (&b.email, &b.password) {
            (Some(e), Some(p)) => {
                field("email", e, 254)?;
                password_field("password", p)?;
            }
            (None, None) if b.license_key.is_some() => {}
            _ => {
                return Err(ApiProblem::body_invalid(
                    "send license_key, or email and password",
                ))
            }
        }
        detail("hostname", &b.hostname)?;
        detail("os", &b.os)?;
        detail("app_version", &b.app_version)?;
        detail("sdk_version", &b.sdk_version)?;
        Ok(b)
    }

    fn device(&self, ip: &str) -> DeviceInfo {
        DeviceInfo {
            hardware_id: self.hardware_id.clone(),
            hostname: self.hostname.clone(),
            os: self.os.clone(),
            app_version: self.app_version.clone(),
            sdk_version: self.sdk_version.clone(),
            ip: ip.to_owned(),
        }
    }
}

/// `POST /api/v1/activate`: activates this device on the license (or answers the same
/// device again when its hardware id is already active: a retry never takes a second
/// seat). With a license user's email and password the answer carries a device token
/// for every later call; the password is used only here.
#[utoipa::path(post, path = "/api/v1/activate", tag = "license",
    request_body = ActivateBody,
    responses(
        (status = 200, description = "The device is active on the license (created, or the same device again).", body = ActivateAnswer),
    ))]
pub async fn activate(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ActivateBody::parse(&body)?;
    let now = crate::db::now();
    let info = b.device(&ip.0);
    let (outcome, token) = match (&b.email, &b.password) {
        (Some(email), Some(password)) => {
            let attempt = Attempt::new(email, &ip.0);
            let chosen =
                license_user_candidate(&state, &api, &ip.0, &b, &attempt, password).await?;
            let token = random_token();
            let (code, t) = (b.product_code.clone(), token.clone());
            let outcome = state
                .write(move |conn| {
                    attempt.forget(conn)?;
                    client::activate_by_user(conn, &code, &chosen, &t, &info, now)
                })
                .await?;
            (outcome, Some(token))
        }
        _ => {
            let (code, key) = (
                b.product_code.clone(),
                b.license_key.clone().unwrap_or_default(),
            );
            let outcome = state
                .write(move |conn| client::activate_by_key(conn, &code, &key, &info, now))
                .await?;
            (outcome, None)
        }
    };
    let outcome = outcome.map_err(|e| {
        if matches!(e, ModelError::NotFound) {
            api.limits.failed(&ip.0);
        }
        problem(e)
    })?;
    let (activation, product) = outcome.map_err(ApiProblem::from)?;
    api.limits.license_allowed(activation.license.id)?;
    let id = activation.license.id;
    let terms = state.db(move |conn| Ok(client::terms(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(ActivateAnswer {
        entitlement: Entitlement::of(
            &activation.license,
            &product,
            &terms,
            &b.hardware_id,
            Some(&activation.device),
            Some(client::offline_valid_until(
                &activation.license,
                &product,
                now,
            )),
        ),
        valid: true,
        created: activation.created,
        device_token: token,
    }))
}

/// A license user's password attempt from one client address. It is reserved in
/// `login_attempts` (per email and address) before bcrypt runs, so the limit holds
/// across instances and under concurrency; [`Attempt::forget`] clears it on success.
struct Attempt {
    email_norm: String,
    address: String,
}

impl Attempt {
    fn new(email: &str, ip: &str) -> Self {
        Attempt {
            email_norm: crate::domain::email::normalize(email),
            address: address_key(ip),
        }
    }

    /// Reserves the attempt and, in the same transaction, loads what it may be for
    /// (`lookup` is given the normalised email). A throttled attempt is `429`.
    async fn reserve<T, F>(
        &self,
        state: &State,
        lookup: F,
    ) -> Result<Result<T, ModelError>, actix_web::Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::db::DbConnection, &str) -> Result<T, ModelError> + Send + 'static,
    {
        let (e, a) = (self.email_norm.clone(), self.address.clone());
        let reserved = state
            .write(move |conn| {
                if !login_attempt::reserve(conn, ATTEMPT_AREA, &e, &a)? {
                    return Ok(None);
                }
                Ok(Some(lookup(conn, &e)))
            })
            .await?
            .map_err(problem)?;
        reserved.ok_or_else(|| {
            ApiProblem::of(
                "rate_limited",
                "Too many failed passwords for this license user: try again in a minute.",
            )
            .with_headers(vec![(
                "retry-after",
                login_attempt::WINDOW_SECONDS.to_string(),
            )])
            .into()
        })
    }

    /// The license users (id, password hash) whose password this is. Each user is
    /// checked once; with none, a dummy hash is checked, so an unknown email costs the
    /// same as a known one.
    async fn matching(
        state: &State,
        password: &str,
        users: impl IntoIterator<Item = (LicenseUserId, Option<String>)>,
    ) -> Result<HashSet<LicenseUserId>, actix_web::Error> {
        let cost = state.config.bcrypt_cost;
        let (mut tried, mut matched) = (HashSet::new(), HashSet::new());
        for (id, hash) in users {
            if tried.insert(id)
                && crate::auth::password::verify(password.to_owned(), hash, cost).await?
            {
                matched.insert(id);
            }
        }
        if tried.is_empty() {
            crate::auth::password::verify(password.to_owned(), None, cost).await?;
        }
        Ok(matched)
    }

    /// Forgets the reserved attempt (in the caller's transaction, after success).
    fn forget(&self, conn: &mut crate::db::DbConnection) -> diesel::QueryResult<()> {
        login_attempt::clear(conn, ATTEMPT_AREA, &self.email_norm, &self.address)
    }
}

/// A password field of a body: 1 to 72 bytes (bcrypt's limit).
fn password_field(name: &str, value: &str) -> Result<(), ApiProblem> {
    if value.is_empty() || value.len() > crate::domain::password::MAX_PASSWORD_BYTES {
        return Err(ApiProblem::body_invalid(format!(
            "{name} must be 1 to {} bytes",
            crate::domain::password::MAX_PASSWORD_BYTES
        )));
    }
    Ok(())
}

/// The license a license user activates, once their password is checked.
async fn license_user_candidate(
    state: &State,
    api: &ApiRuntime,
    ip: &str,
    b: &ActivateBody,
    attempt: &Attempt,
    password: &str,
) -> Result<Candidate, actix_web::Error> {
    let code = b.product_code.clone();
    let candidates = match attempt
        .reserve(state, move |conn, email| {
            client::candidates(conn, &code, email)
        })
        .await?
    {
        Ok(c) => c,
        Err(ModelError::NotFound) => {
            api.limits.failed(ip);
            return Err(ApiProblem::of("product_not_found", "No product has this code.").into());
        }
        Err(e) => return Err(problem(e)),
    };
    let matched = Attempt::matching(
        state,
        password,
        candidates.iter().map(|c| (c.user, c.password_hash.clone())),
    )
    .await?;
    let matched: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| matched.contains(&c.user))
        .collect();
    let chosen = client::choose(&matched, b.license_key.as_deref()).map_err(|e| {
        api.limits.failed(ip);
        problem(e)
    })?;
    Ok(chosen.clone())
}

/// `POST /api/v1/deactivate`: frees this device's seat and spends one transfer.
/// Idempotent: a device that is no longer active answers `"deactivated": false`.
#[utoipa::path(post, path = "/api/v1/deactivate", tag = "license",
    request_body = ClientBody,
    responses(
        (status = 200, description = "The device's seat is free (or was already).", body = DeactivateAnswer),
    ))]
pub async fn deactivate(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ClientBody::parse(&body)?;
    let now = crate::db::now();
    let (b, done) = state
        .db(move |conn| {
            let done =
                crate::ops::write_tx(conn, |conn| client::deactivate(conn, &b.client(), now));
            Ok((b, done))
        })
        .await?;
    let (license, device) = done.map_err(|e| client_failure(&api, &ip, e))?;
    api.limits.license_allowed(license.id)?;
    Ok(HttpResponse::Ok().json(DeactivateAnswer {
        license_key: license.license_key,
        product_code: b.product_code,
        hardware_id: b.hardware_id,
        deactivated: device.is_some(),
        device_id: device.map(|d| d.id.into()),
        active_devices: license.active_devices,
        max_transfers: license.max_transfers,
        transfers: license.transfers,
    }))
}

/// The body of `POST /api/v1/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    #[schema(max_length = 254)]
    email: String,
    #[schema(max_length = 72)]
    password: String,
    #[schema(max_length = 72)]
    new_password: String,
}

/// `POST /api/v1/password`: a license user changes their password (the old one must
/// be right; the new one follows the portals' rules). Failures count like activations'.
#[utoipa::path(post, path = "/api/v1/password", tag = "license users",
    request_body = PasswordBody,
    responses(
        (status = 200, description = "The password is changed.", body = PasswordAnswer),
    ))]
pub async fn change_password(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b: PasswordBody = parse_body(&body)?;
    field("email", &b.email, 254)?;
    password_field("password", &b.password)?;
    let new = crate::domain::password::NewPassword::parse(&b.new_password)
        .map_err(|m| ApiProblem::of("password_invalid", m))?;
    let attempt = Attempt::new(&b.email, &ip.0);
    let users = attempt
        .reserve(&state, |conn, email| {
            Ok(license_user::by_email(conn, email)?)
        })
        .await?
        .map_err(problem)?;
    let matched = Attempt::matching(&state, &b.password, users).await?;
    if matched.is_empty() {
        api.limits.failed(&ip.0);
        return Err(ApiProblem::of(
            "invalid_credentials",
            "The email and password are not right.",
        )
        .into());
    }
    let cost = state.config.bcrypt_cost;
    let hash = crate::auth::password::hash(new.expose().to_owned(), cost).await?;
    state
        .write(move |conn| {
            attempt.forget(conn)?;
            for id in &matched {
                license_user::store_password(conn, *id, &hash)?;
            }
            Ok(())
        })
        .await?
        .map_err(problem)?;
    Ok(HttpResponse::Ok().json(PasswordAnswer { changed: true }))
}
