//! Offline and air-gapped activation. A device that cannot reach the server writes a
//! request file ([`OfflineRequest`]); someone uploads it (the license portal's license
//! page, the admin license page, or the unauthenticated offline page with the license
//! key) and hands the answer back to the device: a signed **license file** (the
//! entitlement for that hardware id, with issue and expiry times) for an activation, a
//! signed **deactivation receipt** for a deactivation (which spends a transfer). Files
//! are signed with the answers' active key over a prefix of their own kind
//! ([`FileKind`]), so no signature passes as another kind's.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::Entitlement;
use super::signing::{ApiSigner, FileKind, SignedFile};
use crate::domain::{values, FieldErrors, LicenseId};
use crate::models::activation::DeviceInfo;
use crate::models::audit::{self, Actor, Entry};
use crate::models::clock::Clock;
use crate::models::device::Device;
use crate::models::license::License;
use crate::models::product::Product;
use crate::models::ModelError;
use crate::ops::client::{self, Client, Credential, Terms};
use crate::web::State;

/// The most an uploaded request file may hold.
pub const MAX_FILE: usize = 64 * 1024;

/// A request file, as the device writes it (JSON, UTF-8, at most 64 KiB).
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct OfflineRequest {
    /// `keyfold-offline-activation` or `keyfold-offline-deactivation`.
    pub kind: String,
    #[schema(max_length = 100)]
    pub product_code: String,
    #[schema(max_length = 100)]
    pub license_key: String,
    #[schema(max_length = 256)]
    pub hardware_id: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub hostname: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub os: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub app_version: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub sdk_version: String,
    /// When the device wrote it (informative).
    #[serde(default)]
    #[schema(max_length = 40)]
    pub created_at: Option<String>,
}

/// What a license file's payload holds.
#[derive(Serialize, ToSchema)]
pub struct LicenseFilePayload {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    pub device_id: i64,
    #[schema(value_type = String)]
    pub issued_at: NaiveDateTime,
    /// The file is not valid after this (the product's license file days, never past
    /// the license's end).
    #[schema(value_type = String)]
    pub expires_at: NaiveDateTime,
    pub entitlement: Entitlement,
}

/// What a deactivation receipt's payload holds.
#[derive(Serialize, ToSchema)]
pub struct ReceiptPayload {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    /// False when the device was not active any more (nothing changed).
    pub deactivated: bool,
    #[schema(value_type = String)]
    pub issued_at: NaiveDateTime,
    pub transfers: i64,
    pub max_transfers: Option<i64>,
}

/// A signed file to download.
pub struct Download {
    pub filename: String,
    pub file: SignedFile,
}

impl Download {
    pub fn response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.filename),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .json(&self.file)
    }
}

fn file_error(message: impl Into<String>) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add("file", message);
    e
}

/// A request file's bytes as a request, or the message for the file field.
pub fn parse_request(bytes: &[u8]) -> Result<OfflineRequest, FieldErrors> {
    if bytes.is_empty() {
        return Err(file_error("Choose the request file the device wrote."));
    }
    if bytes.len() > MAX_FILE {
        return Err(file_error(
            "A request file is at most 64 KiB: this is not one.",
        ));
    }
    let r: OfflineRequest = serde_json::from_slice(bytes).map_err(|e| {
        file_error(format!(
            "This is not a Keyfold request file ({}).",
            values::shorten(&e.to_string())
        ))
    })?;
    let bounded = |v: &str, max: usize, required: bool| {
        (!required || !v.is_empty()) && v.chars().count() <= max && !v.chars().any(char::is_control)
    };
    if !matches!(
        r.kind.as_str(),
        "keyfold-offline-activation" | "keyfold-offline-deactivation"
    ) || !bounded(&r.product_code, 100, true)
        || !bounded(&r.license_key, 100, true)
        || !bounded(&r.hardware_id, super::client::MAX_HARDWARE_ID, true)
        || ![&r.hostname, &r.os, &r.app_version, &r.sdk_version]
            .iter()
            .all(|v| bounded(v, 200, false))
    {
        return Err(file_error(
            "This request file is incomplete or damaged: ask the device to write it again.",
        ));
    }
    Ok(r)
}

/// When a license file issued at `now` expires.
pub fn expires_at(license: &License, product: &Product, now: NaiveDateTime) -> NaiveDateTime {
    let days = product.license_file_days.clamp(1, values::MAX_OFFLINE_DAYS);
    let end = Duration::try_days(days)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(NaiveDateTime::MAX);
    license.valid_until.map_or(end, |v| end.min(v))
}

fn name_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect()
}

fn unavailable() -> FieldErrors {
    file_error("This server cannot sign files: KEYFOLD_SECRET_KEY is not set.")
}

/// Signs a license file for an active device.
pub async fn license_file(
    signer: &ApiSigner,
    license: &License,
    product: &Product,
    terms: &Terms,
    device: &Device,
    now: NaiveDateTime,
) -> Result<Download, FieldErrors> {
    let hardware_id = device.hardware_id.clone().unwrap_or_default();
    let expires = expires_at(license, product, now);
    let payload = LicenseFilePayload {
        license_key: license.license_key.clone(),
        product_code: product.code.clone(),
        hardware_id: hardware_id.clone(),
        device_id: device.id.into(),
        issued_at: now,
        expires_at: expires,
        entitlement: Entitlement::of(
            license,
            product,
            terms,
            &hardware_id,
            Some(device),
            Some(expires),
        ),
    };
    let bytes = serde_json::to_vec(&payload).map_err(|e| file_error(e.to_string()))?;
    let file = signer
        .sign_file(FileKind::LicenseFile, &bytes)
        .await
        .ok_or_else(unavailable)?;
    Ok(Download {
        filename: format!(
            "license-{}-{}.json",
            name_part(&product.code),
            name_part(&hardware_id)
        ),
        file,
    })
}

/// What an uploaded request file asks, done: the license file or the receipt to hand
/// back to the device, or the messages for the form. `typed_key`: the key the
/// unauthenticated page asks for (it must be the file's). `expected`: the license
/// whose page the upload was made on (the file must be for it).
pub async fn answer_upload(
    state: &State,
    signer: &ApiSigner,
    actor: Actor,
    bytes: &[u8],
    typed_key: Option<&str>,
    expected: Option<LicenseId>,
) -> Result<Download, FieldErrors> {
    // Nothing is activated that could not be answered with a signed file.
    if !signer.can_sign().await {
        return Err(unavailable());
    }
    let r = parse_request(bytes)?;
    if let Some(k) = typed_key {
        if crate::domain::license_key::normalize(k)
            != crate::domain::license_key::normalize(&r.license_key)
        {
            let mut e = FieldErrors::new();
            e.add(
                "license_key",
                "The file was written for another license key.",
            );
            return Err(e);
        }
    }
    let clock = Clock {
        test: state.config.api.test_clock,
    };
    let activation = r.kind == "keyfold-offline-activation";
    let info = DeviceInfo {
        hardware_id: r.hardware_id.clone(),
        hostname: r.hostname.clone(),
        os: r.os.clone(),
        app_version: r.app_version.clone(),
        sdk_version: r.sdk_version.clone(),
        ip: actor.ip.clone().unwrap_or_default(),
    };
    let req = r.clone();
    let done = state
        .write(move |conn| {
            let now = clock.now(conn)?;
            let c = Client {
                product_code: &req.product_code,
                credential: Credential::LicenseKey(&req.license_key),
                hardware_id: &req.hardware_id,
            };
            let reached = client::authenticate(conn, &c)?;
            if expected.is_some_and(|id| id != reached.license.id) {
                return Err(ModelError::invalid(
                    "file",
                    "This request file is for another license.",
                ));
            }
            let action = if activation {
                "license.offline_activation"
            } else {
                "license.offline_deactivation"
            };
            let outcome = if activation {
                match client::activate_by_key(
                    conn,
                    &req.product_code,
                    &req.license_key,
                    &info,
                    now,
                )? {
                    Ok((a, product)) => {
                        let terms = client::terms(conn, a.license.id)?;
                        Ok(Outcome::Activated(Box::new((
                            a.license, product, a.device, terms,
                        ))))
                    }
                    Err(refusal) => Err(refusal),
                }
            } else {
                let (license, device) = client::deactivate(conn, &c, now)?;
                Ok(Outcome::Deactivated(Box::new((
                    license,
                    reached.product,
                    device.is_some(),
                ))))
            };
            if outcome.is_ok() {
                audit::record(
                    conn,
                    &actor,
                    Entry::new(action, "license", Some(reached.license.id))
                        .order(reached.license.order_id)
                        .label(&reached.license.license_key)
                        .after(serde_json::json!({ "hardware_id": req.hardware_id })),
                )?;
            }
            Ok((outcome, now))
        })
        .await
        .map_err(|e| file_error(e.to_string()))?;
    let (outcome, now) = done.map_err(|e| match e {
        ModelError::NotFound => file_error(format!(
            "No license of product {} has key {}.",
            values::shorten(&r.product_code),
            values::shorten(&r.license_key)
        )),
        ModelError::Invalid { message, .. } => file_error(message),
        ModelError::Refused(refusal) => file_error(refusal.message),
        e => file_error(format!("The file could not be handled: {e}")),
    })?;
    match outcome.map_err(|refusal| file_error(refusal.message))? {
        Outcome::Activated(activated) => {
            let (license, product, device, terms) = *activated;
            license_file(signer, &license, &product, &terms, &device, now).await
        }
        Outcome::Deactivated(deactivated) => {
            let (license, product, deactivated) = *deactivated;
            let payload = ReceiptPayload {
                license_key: license.license_key.clone(),
                product_code: product.code.clone(),
                hardware_id: r.hardware_id.clone(),
                deactivated,
                issued_at: now,
                transfers: license.transfers,
                max_transfers: license.max_transfers,
            };
            let bytes = serde_json::to_vec(&payload).map_err(|e| file_error(e.to_string()))?;
            let file = signer
                .sign_file(FileKind::DeactivationReceipt, &bytes)
                .await
                .ok_or_else(unavailable)?;
            Ok(Download {
                filename: format!("deactivation-{}.json", name_part(&r.hardware_id)),
                file,
            })
        }
    }
}

enum Outcome {
    Activated(Box<(License, Product, Device, Terms)>),
    Deactivated(Box<(License, Product, bool)>),
}
