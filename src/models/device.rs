//! Devices (activations) of a license.

use crate::domain::DeviceId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::devices;
use crate::db::DbConnection;
use crate::domain::{LicenseId, LicenseUserId};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: DeviceId,
    pub license_id: LicenseId,
    pub hardware_id: Option<String>,
    pub hostname: String,
    pub os: String,
    pub app_version: String,
    pub ip: String,
    pub first_activated_at: NaiveDateTime,
    pub last_check_at: Option<NaiveDateTime>,
    pub deactivated_at: Option<NaiveDateTime>,
    pub borrowed_until: Option<NaiveDateTime>,
    pub checkout_until: Option<NaiveDateTime>,
    pub sdk_version: String,
    /// SHA-256 (hex) of the device token a license user's activation handed out.
    pub token_hash: Option<String>,
    /// The license user whose password activated the device.
    pub license_user_id: Option<LicenseUserId>,
}

impl Device {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }

    /// Borrowed now: an active device whose borrow has not ended.
    pub fn is_borrowed(&self, now: NaiveDateTime) -> bool {
        self.is_active() && self.borrowed_until.is_some_and(|u| u > now)
    }

    /// Holds a floating seat now: an active device with an unexpired check-out or borrow.
    pub fn holds_seat(&self, now: NaiveDateTime) -> bool {
        self.is_active() && (self.is_borrowed(now) || self.checkout_until.is_some_and(|u| u > now))
    }
}

/// A license's devices, active first, newest first; bounded.
pub fn for_license(
    conn: &mut DbConnection,
    license_id: LicenseId,
    limit: i64,
) -> QueryResult<Vec<Device>> {
    devices::table
        .filter(devices::license_id.eq(license_id))
        .order((
            devices::deactivated_at.is_not_null().asc(),
            devices::first_activated_at.desc(),
            devices::id.desc(),
        ))
        .limit(limit)
        .select(Device::as_select())
        .load(conn)
}

/// The active devices of a license.
pub fn active_for_license(
    conn: &mut DbConnection,
    license_id: LicenseId,
) -> QueryResult<Vec<Device>> {
    devices::table
        .filter(devices::license_id.eq(license_id))
        .filter(devices::deactivated_at.is_null())
        .order(devices::id.asc())
        .select(Device::as_select())
        .load(conn)
}

/// The license's active device with exactly this hardware id, if any.
pub fn active_with_hardware_id(
    conn: &mut DbConnection,
    license_id: LicenseId,
    hardware_id: &str,
) -> QueryResult<Option<Device>> {
    devices::table
        .filter(devices::license_id.eq(license_id))
        .filter(devices::deactivated_at.is_null())
        .filter(devices::hardware_id.eq(hardware_id))
        .select(Device::as_select())
        .first(conn)
        .optional()
}

/// A device by id.
pub fn find(conn: &mut DbConnection, id: DeviceId) -> QueryResult<Option<Device>> {
    devices::table
        .find(id)
        .select(Device::as_select())
        .first(conn)
        .optional()
}

/// The device a device token was handed to (by its SHA-256), active or not: a
/// deactivated device keeps its token's hash, so a repeated deactivation is answered.
pub fn by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Device>> {
    devices::table
        .filter(devices::token_hash.eq(hash))
        .select(Device::as_select())
        .first(conn)
        .optional()
}
