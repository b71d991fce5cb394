//! The license API's endpoints for a vendor's application: activate, check, deactivate
//! and a license user's password change. Each parses and bounds its body, calls the
//! operation in `ops::client` and answers JSON; refusals are problems with a code from
//! the catalogue (`problem.rs`). A client authenticates by what its customer holds —
//! the license key, or a license user's password once and then the device token —
//! never by a secret shipped in the application.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{json, Value};

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
fn detail(name: &str, value: &str) -> Result<(), ApiProblem> {
    if value.is_empty() {
        return Ok(());
    }
    field(name, value, MAX_DETAIL)
}

/// What a model error means to a client.
fn problem(e: ModelError) -> actix_web::Error {
    match e {
        ModelError::NotFound => license_not_found().into(),
        ModelError::Refused(r) => ApiProblem::from(r).into(),
        ModelError::Invalid { field, message } => {
            ApiProblem::body_invalid(format!("{field}: {message}")).into()
        }
        e @ (ModelError::Db(_) | ModelError::Conflict(_)) => crate::error::AppError::from(e).into(),
    }
}

fn license_not_found() -> ApiProblem {
    ApiProblem::of(
        "license_not_found",
        "No license of this product has this key.",
    )
}

/// The credential of a check or deactivation body: the key or the device token.
fn credential<'a>(
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

/// The entitlement an answer carries: the license key, product code and hardware id
/// repeated (a client checks them), the license's terms, features, custom fields and
/// metadata, the device, and until when the answer may be trusted offline.
fn entitlement(
    license: &License,
    product: &Product,
    terms: &client::Terms,
    hardware_id: &str,
    device: Option<&Device>,
    offline_valid_until: Option<NaiveDateTime>,
) -> Value {
    let metadata: Value = serde_json::from_str(&license.metadata).unwrap_or_else(|_| json!({}));
    json!({
        "license_key": license.license_key,
        "product_code": product.code,
        "hardware_id": hardware_id,
        "device_id": device.map(|d| d.id),
        "license_type": license.license_type,
        "status": license.status().as_str(),
        "start_date": license.start_date,
        "valid_until": license.valid_until,
        "maintenance_until": license.maintenance_until,
        "max_activations": license.max_activations,
        "active_devices": license.active_devices,
        "max_transfers": license.max_transfers,
        "transfers": license.transfers,
        "is_trial": license.is_trial,
        "features": terms.features.iter().map(|f| json!({
            "code": f.code, "name": f.name, "kind": f.kind,
            "max_consumption": f.max_consumption, "consumed": f.consumed,
        })).collect::<Vec<_>>(),
        "custom_fields": terms.custom_fields.iter().map(|f| (f.name.clone(), Value::from(f.value.clone()))).collect::<serde_json::Map<_, _>>(),
        "metadata": metadata,
        "offline_valid_until": offline_valid_until,
    })
}

/// The body of `POST /api/v1/check` and `POST /api/v1/deactivate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientBody {
    product_code: String,
    hardware_id: String,
    #[serde(default)]
    license_key: Option<String>,
    #[serde(default)]
    device_token: Option<String>,
}

impl ClientBody {
    fn parse(body: &[u8]) -> Result<Self, ApiProblem> {
        let b: ClientBody = parse_body(body)?;
        field("product_code", &b.product_code, 100)?;
        field("hardware_id", &b.hardware_id, MAX_HARDWARE_ID)?;
        credential(&b.license_key, &b.device_token)?;
        Ok(b)
    }

    fn client(&self) -> Client<'_> {
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
        .db(move |conn| {
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
    let mut answer = entitlement(
        &c.license,
        &c.product,
        &terms,
        &b.hardware_id,
        c.device.as_ref(),
        c.offline_valid_until,
    );
    answer["valid"] = c.refusal.is_none().into();
    answer["code"] = c.refusal.into();
    Ok(HttpResponse::Ok().json(answer))
}

/// The body of `POST /api/v1/activate`: the license key, or a license user's email and
/// password (with the key too when they have several licenses of the product).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    product_code: String,
    hardware_id: String,
    #[serde(default)]
    license_key: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    app_version: String,
    #[serde(default)]
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
    let mut answer = entitlement(
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
    );
    answer["valid"] = true.into();
    answer["created"] = activation.created.into();
    if let Some(t) = token {
        answer["device_token"] = t.into();
    }
    Ok(HttpResponse::Ok().json(answer))
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
    let (license, device) = done.map_err(|e| {
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
    })?;
    api.limits.license_allowed(license.id)?;
    Ok(HttpResponse::Ok().json(json!({
        "license_key": license.license_key,
        "product_code": b.product_code,
        "hardware_id": b.hardware_id,
        "deactivated": device.is_some(),
        "device_id": device.map(|d| d.id),
        "active_devices": license.active_devices,
        "max_transfers": license.max_transfers,
        "transfers": license.transfers,
    })))
}

/// The body of `POST /api/v1/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    email: String,
    password: String,
    new_password: String,
}

/// `POST /api/v1/password`: a license user changes their password (the old one must
/// be right; the new one follows the portals' rules). Failures count like activations'.
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
    Ok(HttpResponse::Ok().json(json!({ "changed": true })))
}
