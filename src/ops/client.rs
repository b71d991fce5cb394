//! What a vendor's application asks of its license through the license API. The
//! license key it presents is its reach: it reaches that license only, and an unknown
//! key, another product's key and an archived product's key are all "not found".

use chrono::{Duration, NaiveDateTime};

use crate::db::DbConnection;
use crate::models::device::{self, Device};
use crate::models::license::{self, License};
use crate::models::product::{self, Feature, Product};
use crate::models::{ModelError, ModelResult};

/// How long an application may trust a check's answer without calling again (never past
/// the license's end).
pub const OFFLINE_DAYS: i64 = 7;

/// What an application presents to check its license.
pub struct Credentials<'a> {
    pub product_code: &'a str,
    pub license_key: &'a str,
    pub hardware_id: &'a str,
}

/// A check's answer: whether the license may be used on this device now, and why not.
pub struct Checked {
    pub license: License,
    pub product: Product,
    pub features: Vec<Feature>,
    /// The device with this hardware id, when active on the license.
    pub device: Option<Device>,
    /// `None` when valid; else why not (`license_disabled`, `license_not_started`,
    /// `license_expired`, `not_activated`).
    pub refusal: Option<&'static str>,
    pub offline_valid_until: Option<NaiveDateTime>,
}

/// The license the credentials name (with its product), or not found.
fn authenticate(conn: &mut DbConnection, c: &Credentials<'_>) -> ModelResult<(License, Product)> {
    let license = license::find_by_key(conn, c.license_key)?.ok_or(ModelError::NotFound)?;
    let product = product::find(conn, license.product_id)?
        .filter(|p| p.archived_at.is_none() && p.code.eq_ignore_ascii_case(c.product_code.trim()))
        .ok_or(ModelError::NotFound)?;
    Ok((license, product))
}

/// Checks a license on a device: never takes a seat, writes nothing.
pub fn check(
    conn: &mut DbConnection,
    c: &Credentials<'_>,
    now: NaiveDateTime,
) -> ModelResult<Checked> {
    let (license, product) = authenticate(conn, c)?;
    let features = product::features(conn, product.id)?;
    let device = device::active_with_hardware_id(conn, license.id, c.hardware_id)?;
    let refusal = if !license.enabled {
        Some("license_disabled")
    } else if license.start_date.is_some_and(|d| d > now.date()) {
        Some("license_not_started")
    } else if license.valid_until.is_some_and(|v| v <= now) {
        Some("license_expired")
    } else if device.is_none() {
        Some("not_activated")
    } else {
        None
    };
    let offline_valid_until = refusal.is_none().then(|| {
        let trusted = now
            .checked_add_signed(Duration::days(OFFLINE_DAYS))
            .unwrap_or(NaiveDateTime::MAX);
        license.valid_until.map_or(trusted, |end| trusted.min(end))
    });
    Ok(Checked {
        license,
        product,
        features,
        device,
        refusal,
        offline_valid_until,
    })
}
