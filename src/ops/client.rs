//! What a vendor's application asks of its license through the license API. What the
//! client presents (the license key, or the device token a license user's activation
//! handed out) is authenticated once, here, into a [`Reach::Client`] for that one
//! license: an unknown key, another product's key and an archived product's key are
//! all "not found"; an unknown or foreign device token is `invalid_credentials`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::Reach;
use crate::db::schema::{license_user_assignments, license_users, licenses};
use crate::db::DbConnection;
use crate::domain::token::hash_token;
use crate::domain::{LicenseId, LicenseUserId};
use crate::models::activation::{self, ActivatedBy, Activation, DeviceInfo};
use crate::models::device::{self, Device};
use crate::models::license::{self, License, LicenseCustomField, LicenseFeature};
use crate::models::product::{self, Product};
use crate::models::{ModelError, ModelResult, Refusal};

/// How the client proves it may use a license.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    LicenseKey(&'a str),
    /// The device token of a license user's activation (it names one device).
    DeviceToken(&'a str),
}

/// What a client presents on a check or a deactivation.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub product_code: &'a str,
    pub credential: Credential<'a>,
    pub hardware_id: &'a str,
}

/// The license a client reached, its product and, when active on the license, the
/// device with the client's hardware id.
pub struct Reached {
    pub reach: Reach,
    pub license: License,
    pub product: Product,
    pub device: Option<Device>,
}

fn invalid_credentials() -> ModelError {
    ModelError::refused(
        "invalid_credentials",
        "The email and password, or the device token, are not right.",
    )
}

/// The live (not archived, not bundle) product with this code.
fn product_by_code(conn: &mut DbConnection, code: &str) -> ModelResult<Product> {
    product::find_by_code(conn, code.trim())?
        .filter(|p| p.archived_at.is_none() && !p.is_bundle)
        .ok_or(ModelError::NotFound)
}

/// Authenticates a client into the reach of one license.
pub fn authenticate(conn: &mut DbConnection, c: &Client<'_>) -> ModelResult<Reached> {
    let (license, device) = match c.credential {
        Credential::LicenseKey(key) => {
            let license = license::find_by_key(conn, key)?.ok_or(ModelError::NotFound)?;
            let device = device::active_with_hardware_id(conn, license.id, c.hardware_id)?;
            (license, device)
        }
        Credential::DeviceToken(token) => {
            let device = device::by_token_hash(conn, &hash_token(token))?
                .filter(|d| d.hardware_id.as_deref() == Some(c.hardware_id))
                .ok_or_else(invalid_credentials)?;
            let license = license::find(conn, device.license_id)?.ok_or(ModelError::NotFound)?;
            (license, Some(device).filter(Device::is_active))
        }
    };
    let product = product::find(conn, license.product_id)?
        .filter(|p| p.archived_at.is_none() && p.code.eq_ignore_ascii_case(c.product_code.trim()))
        .ok_or(ModelError::NotFound)?;
    Ok(Reached {
        reach: Reach::Client(license.id),
        license,
        product,
        device,
    })
}

/// A check's answer: whether the license may be used on this device now, and why not.
pub struct Checked {
    pub license: License,
    pub product: Product,
    /// The device with this hardware id, when active on the license.
    pub device: Option<Device>,
    /// `None` when valid; else why not (`license_disabled`, `license_not_started`,
    /// `license_expired`, `not_activated`).
    pub refusal: Option<&'static str>,
    pub offline_valid_until: Option<NaiveDateTime>,
}

/// Until when an application may trust an answer given at `now` without calling again:
/// the product's offline days, never past the license's end.
pub fn offline_valid_until(
    license: &License,
    product: &Product,
    now: NaiveDateTime,
) -> NaiveDateTime {
    let trusted = Duration::try_days(product.offline_days.clamp(0, 3650))
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(NaiveDateTime::MAX);
    license.valid_until.map_or(trusted, |end| trusted.min(end))
}

/// Checks a license on a device: never takes a seat, writes nothing (the API counts
/// checks in memory).
pub fn check(conn: &mut DbConnection, c: &Client<'_>, now: NaiveDateTime) -> ModelResult<Checked> {
    let r = authenticate(conn, c)?;
    let refusal = match activation::unusable(&r.license, now) {
        Some(refusal) => Some(refusal.code),
        None if r.device.is_none() => Some("not_activated"),
        None => None,
    };
    let offline_valid_until = refusal
        .is_none()
        .then(|| offline_valid_until(&r.license, &r.product, now));
    Ok(Checked {
        license: r.license,
        product: r.product,
        device: r.device,
        refusal,
        offline_valid_until,
    })
}

/// An activation's answer, or the refusal (recorded as an event) in `Err`.
pub type Activated = Result<(Activation, Product), Refusal>;

/// Activates a device with the license key. Call it in a write transaction: a refusal
/// is an event to commit.
pub fn activate_by_key(
    conn: &mut DbConnection,
    product_code: &str,
    key: &str,
    info: &DeviceInfo,
    now: NaiveDateTime,
) -> ModelResult<Activated> {
    let r = authenticate(
        conn,
        &Client {
            product_code,
            credential: Credential::LicenseKey(key),
            hardware_id: &info.hardware_id,
        },
    )?;
    let license = r.reach.license(conn, r.license.id)?;
    Ok(
        activation::activate(conn, license.id, info, ActivatedBy::Key, now)?
            .map(|a| (a, r.product)),
    )
}

/// A license user who may activate a license of a product, with their password hash.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub user: LicenseUserId,
    pub password_hash: Option<String>,
    pub license: LicenseId,
    pub license_key: String,
}

/// The licenses of the product that license users with this email are assigned to
/// (at most a few; an email may be a license user on several orders).
pub fn candidates(
    conn: &mut DbConnection,
    product_code: &str,
    email_norm: &str,
) -> ModelResult<Vec<Candidate>> {
    let product = product_by_code(conn, product_code)?;
    let rows: Vec<(LicenseUserId, Option<String>, LicenseId, String)> = license_users::table
        .inner_join(license_user_assignments::table.inner_join(licenses::table))
        .filter(license_users::email_norm.eq(email_norm))
        .filter(licenses::product_id.eq(product.id))
        .order(licenses::id.asc())
        .select((
            license_users::id,
            license_users::password_hash,
            licenses::id,
            licenses::license_key,
        ))
        .limit(20)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, password_hash, license, license_key)| Candidate {
            user,
            password_hash,
            license,
            license_key,
        })
        .collect())
}

/// Which of the candidates (those whose password matched) the client activates: the one
/// license, or the one with the key the client also sent. Several: `license_key_required`.
pub fn choose<'a>(
    matched: &'a [Candidate],
    license_key: Option<&str>,
) -> ModelResult<&'a Candidate> {
    let norm = license_key.map(crate::domain::license_key::normalize);
    let mut chosen = matched.iter().filter(|c| {
        norm.as_deref()
            .is_none_or(|k| crate::domain::license_key::normalize(&c.license_key) == k)
    });
    match (chosen.next(), chosen.next()) {
        (Some(c), None) => Ok(c),
        (None, _) => Err(invalid_credentials()),
        (Some(_), Some(_)) => Err(ModelError::refused(
            "license_key_required",
            "This license user has several licenses of this product: send the license key too.",
        )),
    }
}

/// Activates a device for a license user whose password was checked: the device gets
/// a fresh device token (only its SHA-256 is stored; it replaces an earlier one of the
/// same device). Call it in a write transaction.
pub fn activate_by_user(
    conn: &mut DbConnection,
    product_code: &str,
    chosen: &Candidate,
    token: &str,
    info: &DeviceInfo,
    now: NaiveDateTime,
) -> ModelResult<Activated> {
    let product = product_by_code(conn, product_code)?;
    let license = Reach::Client(chosen.license).license(conn, chosen.license)?;
    if license.product_id != product.id {
        return Err(ModelError::NotFound);
    }
    let hash = hash_token(token);
    let by = ActivatedBy::User {
        id: chosen.user,
        token_hash: &hash,
    };
    Ok(activation::activate(conn, license.id, info, by, now)?.map(|a| (a, product)))
}

/// Deactivates the client's device (its hardware id's, or its device token's): frees the
/// seat and spends a transfer. Idempotent: a device that is not active answers `None`.
pub fn deactivate(
    conn: &mut DbConnection,
    c: &Client<'_>,
    now: NaiveDateTime,
) -> ModelResult<(License, Option<Device>)> {
    let r = authenticate(conn, c)?;
    let license = r.reach.license(conn, r.license.id)?;
    let Some(device) = r.device else {
        return Ok((license, None));
    };
    let (device, changed) = activation::deactivate(conn, license.id, device.id, now)?;
    let license = license::find(conn, license.id)?.ok_or(ModelError::NotFound)?;
    Ok((license, changed.then_some(device)))
}

/// What an answer tells of a license beyond its terms: its features and custom fields.
pub struct Terms {
    pub features: Vec<LicenseFeature>,
    pub custom_fields: Vec<LicenseCustomField>,
}

pub fn terms(conn: &mut DbConnection, license: LicenseId) -> ModelResult<Terms> {
    Ok(Terms {
        features: license::features(conn, license)?,
        custom_fields: license::custom_fields(conn, license)?,
    })
}

/// Starts a trial of a product for the client's hardware id (or answers the trial it
/// has). No credential: anyone may ask; the limits are per hardware id, per client
/// address and per product. Call it in a write transaction.
pub fn start_trial(
    conn: &mut DbConnection,
    product_code: &str,
    info: &DeviceInfo,
    address: &str,
    per_address: i64,
    now: NaiveDateTime,
) -> ModelResult<Result<crate::models::trial::Started, Refusal>> {
    crate::models::trial::start(conn, product_code, info, address, per_address, now)
}
