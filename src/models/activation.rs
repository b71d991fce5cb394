//! Activation and deactivation of devices by the vendor's application (the license
//! API), and transfers. Every change first takes the license row's write lock
//! ([`lock_license`]), so two activations never both take the last seat and two
//! deactivations never both spend the last transfer, on either backend; the partial
//! unique index `devices_active_hardware` backs "one active device per hardware id".
//!
//! A **transfer** is a deactivation of an active device by the client or through the
//! license portal (each device a portal reset deactivates counts one); it is refused
//! once `max_transfers` are spent. Staff actions never count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::device::{self, Device};
use super::license::{self, License};
use super::license_event::{EventKind, Source};
use super::license_user::lock_license;
use super::{ModelError, ModelResult, Refusal};
use crate::db::schema::{devices, license_events, licenses, products};
use crate::db::DbConnection;
use crate::domain::values::add_days as values_add_days;
use crate::domain::{DeviceId, LicenseId, LicenseUserId};

/// What a client tells of the device it activates.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    pub hardware_id: String,
    pub hostname: String,
    pub os: String,
    pub app_version: String,
    pub sdk_version: String,
    /// The client's address: kept only as the device's last address.
    pub ip: String,
}

/// Who activated: the license key's holder, or a license user (whose device gets a
/// device token; only its SHA-256 is stored).
#[derive(Debug, Clone, Copy)]
pub enum ActivatedBy<'a> {
    Key,
    User {
        id: LicenseUserId,
        token_hash: &'a str,
    },
}

/// A successful activation.
#[derive(Debug, Clone)]
pub struct Activation {
    pub license: License,
    pub device: Device,
    /// `false` when this hardware id was already active (a retry): the same device.
    pub created: bool,
}

fn refusal(code: &'static str, message: &str) -> Refusal {
    Refusal {
        code,
        message: message.to_owned(),
        retry_after: None,
    }
}

/// Why the license cannot be used at `now` whatever the device: disabled, not started
/// or expired.
pub fn unusable(license: &License, now: NaiveDateTime) -> Option<Refusal> {
    if !license.enabled {
        Some(refusal(
            "license_disabled",
            "This license is disabled; ask the vendor.",
        ))
    } else if license.start_date.is_some_and(|d| d > now.date()) {
        Some(refusal(
            "license_not_started",
            "This license's start date has not come yet.",
        ))
    } else if license.valid_until.is_some_and(|v| v <= now) {
        Some(refusal("license_expired", "This license has expired."))
    } else {
        None
    }
}

/// Records an event of the license API at `at` (a refused activation carries its code).
pub fn record(
    conn: &mut DbConnection,
    license: LicenseId,
    device: Option<DeviceId>,
    kind: EventKind,
    code: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(license_events::table)
        .values((
            license_events::license_id.eq(license),
            license_events::device_id.eq(device),
            license_events::kind.eq(kind),
            license_events::amount.eq(0),
            license_events::at.eq(at),
            license_events::source.eq(Source::LicenseApi),
            license_events::code.eq(code),
        ))
        .execute(conn)?;
    if let Some(c) = super::usage::Counts::of_event(kind, 0, code) {
        super::usage::count(conn, license, at, c)?;
    }
    Ok(())
}

/// A product's limit on the license API's events of a license within a window:
/// activations per hour, client deactivations per 30 days.
struct EventRate {
    kind: EventKind,
    limit: Option<i64>,
    window: chrono::Duration,
    code: &'static str,
    what: &'static str,
}

impl EventRate {
    fn of(conn: &mut DbConnection, license: &License, kind: EventKind) -> QueryResult<Self> {
        let (per_hour, per_30_days): (Option<i64>, Option<i64>) = products::table
            .find(license.product_id)
            .select((
                products::activations_per_hour,
                products::deactivations_per_30_days,
            ))
            .first(conn)?;
        Ok(if kind == EventKind::Activated {
            EventRate {
                kind,
                limit: per_hour,
                window: chrono::Duration::hours(1),
                code: "activations_rate_reached",
                what: "activations in an hour",
            }
        } else {
            EventRate {
                kind,
                limit: per_30_days,
                window: chrono::Duration::days(30),
                code: "deactivations_rate_reached",
                what: "deactivations in 30 days",
            }
        })
    }

    /// The refusal when the license's API events of this kind within the window already
    /// reach the limit, saying when the oldest that counts leaves the window. Exact
    /// under concurrency because the caller holds the license's lock.
    fn refusal(
        &self,
        conn: &mut DbConnection,
        license: LicenseId,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Refusal>> {
        let Some(limit) = self.limit else {
            return Ok(None);
        };
        let since = now - self.window;
        let recent = || {
            license_events::table
                .filter(license_events::license_id.eq(license))
                .filter(license_events::kind.eq(self.kind))
                .filter(license_events::source.eq(Source::LicenseApi))
                .filter(license_events::at.gt(since))
        };
        let count: i64 = recent().count().get_result(conn)?;
        if count < limit {
            return Ok(None);
        }
        // The request may succeed once enough events have left the window.
        let frees_at: Option<NaiveDateTime> = recent()
            .select(license_events::at)
            .order(license_events::at.asc())
            .offset(count - limit)
            .first(conn)
            .optional()?;
        let wait = frees_at.map_or(1, |at| (at + self.window - now).num_seconds().max(1));
        Ok(Some(Refusal {
            code: self.code,
            message: format!(
                "This license reached its {limit} {}: try again in {}.",
                self.what,
                crate::domain::values::wait_text(wait)
            ),
            retry_after: Some(wait),
        }))
    }
}

/// Records a refused activation with its code, and answers the refusal.
fn refuse(
    conn: &mut DbConnection,
    license: LicenseId,
    r: Refusal,
    now: NaiveDateTime,
) -> ModelResult<Result<Activation, Refusal>> {
    record(conn, license, None, EventKind::Refused, Some(r.code), now)?;
    Ok(Err(r))
}

fn load(conn: &mut DbConnection, id: LicenseId) -> ModelResult<License> {
    license::find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Activates a device on a license, or answers the device again when this hardware id
/// is already active on it. A refusal is recorded as an event and returned in `Ok`
/// (the caller commits it). The first activation starts the duration-based end dates.
pub fn activate(
    conn: &mut DbConnection,
    license_id: LicenseId,
    info: &DeviceInfo,
    by: ActivatedBy<'_>,
    now: NaiveDateTime,
) -> ModelResult<Result<Activation, Refusal>> {
    lock_license(conn, license_id)?;
    let license = load(conn, license_id)?;
    if let Some(r) = unusable(&license, now) {
        return refuse(conn, license_id, r, now);
    }
    let (user, token_hash) = match by {
        ActivatedBy::Key => (None, None),
        ActivatedBy::User { id, token_hash } => (Some(id), Some(token_hash)),
    };
    if let Some(existing) = device::active_with_hardware_id(conn, license_id, &info.hardware_id)? {
        diesel::update(devices::table.find(existing.id))
            .set((
                devices::hostname.eq(&info.hostname),
                devices::os.eq(&info.os),
                devices::app_version.eq(&info.app_version),
                devices::sdk_version.eq(&info.sdk_version),
                devices::ip.eq(&info.ip),
            ))
            .execute(conn)?;
        if let Some(hash) = token_hash {
            // A retry after a lost answer: the new token replaces the lost one.
            diesel::update(devices::table.find(existing.id))
                .set((
                    devices::token_hash.eq(hash),
                    devices::license_user_id.eq(user),
                ))
                .execute(conn)?;
        }
        let device = device::find(conn, existing.id)?.ok_or(ModelError::NotFound)?;
        return Ok(Ok(Activation {
            license,
            device,
            created: false,
        }));
    }
    if let Some(r) =
        EventRate::of(conn, &license, EventKind::Activated)?.refusal(conn, license_id, now)?
    {
        return refuse(conn, license_id, r, now);
    }
    if license.active_devices >= license.max_activations {
        let r = refusal(
            "max_activations_reached",
            &format!(
                "All {} activations of this license are in use: deactivate a device first.",
                license.max_activations
            ),
        );
        return refuse(conn, license_id, r, now);
    }
    let first = license.first_activated_at.is_none();
    let start = |until: Option<NaiveDateTime>, days: Option<i64>| match (until, days) {
        (None, Some(d)) if first => values_add_days(now, d),
        _ => until,
    };
    let valid_until = start(license.valid_until, license.validity_days);
    let maintenance_until = start(license.maintenance_until, license.maintenance_days);
    diesel::update(licenses::table.find(license_id))
        .set((
            licenses::active_devices.eq(licenses::active_devices + 1),
            licenses::first_activated_at.eq(license.first_activated_at.or(Some(now))),
            licenses::valid_until.eq(valid_until),
            licenses::maintenance_until.eq(maintenance_until),
            licenses::updated_at.eq(now),
        ))
        .execute(conn)?;
    let id: DeviceId = diesel::insert_into(devices::table)
        .values((
            devices::license_id.eq(license_id),
            devices::hardware_id.eq(&info.hardware_id),
            devices::hostname.eq(&info.hostname),
            devices::os.eq(&info.os),
            devices::app_version.eq(&info.app_version),
            devices::sdk_version.eq(&info.sdk_version),
            devices::ip.eq(&info.ip),
            devices::first_activated_at.eq(now),
            devices::token_hash.eq(token_hash),
            devices::license_user_id.eq(user),
        ))
        .returning(devices::id)
        .get_result(conn)?;
    record(conn, license_id, Some(id), EventKind::Activated, None, now)?;
    Ok(Ok(Activation {
        license: load(conn, license_id)?,
        device: device::find(conn, id)?.ok_or(ModelError::NotFound)?,
        created: true,
    }))
}

/// Spends `n` transfers of a license, or refuses when fewer are left. Atomic on its
/// own (a conditional update), so it needs no lock.
pub fn spend_transfers(conn: &mut DbConnection, license: LicenseId, n: i64) -> ModelResult<()> {
    if n <= 0 {
        return Ok(());
    }
    let done = diesel::update(licenses::table.find(license))
        .filter(
            licenses::max_transfers
                .is_null()
                .or(licenses::max_transfers.ge((licenses::transfers + n).nullable())),
        )
        .set(licenses::transfers.eq(licenses::transfers + n))
        .execute(conn)?;
    if done == 1 {
        return Ok(());
    }
    let l = load(conn, license)?;
    let left = l
        .max_transfers
        .unwrap_or(0)
        .saturating_sub(l.transfers)
        .max(0);
    Err(ModelError::refused(
        "max_transfers_reached",
        if left == 0 {
            format!(
                "All {} transfers of this license are used: ask the vendor to free a device.",
                l.max_transfers.unwrap_or(0)
            )
        } else {
            format!("This needs {n} transfers and only {left} are left: ask the vendor to free the devices.")
        },
    ))
}

/// Deactivates a device at the client's request: frees its seat and spends one
/// transfer (its device token then checks as not activated). Idempotent: an inactive device is answered as it is (`false`).
pub fn deactivate(
    conn: &mut DbConnection,
    license_id: LicenseId,
    device_id: DeviceId,
    now: NaiveDateTime,
) -> ModelResult<(Device, bool)> {
    lock_license(conn, license_id)?;
    let device = device::find(conn, device_id)?
        .filter(|d| d.license_id == license_id)
        .ok_or(ModelError::NotFound)?;
    if !device.is_active() {
        return Ok((device, false));
    }
    let license = load(conn, license_id)?;
    if let Some(r) =
        EventRate::of(conn, &license, EventKind::Deactivated)?.refusal(conn, license_id, now)?
    {
        return Err(ModelError::Refused(r));
    }
    spend_transfers(conn, license_id, 1)?;
    diesel::update(devices::table.find(device_id))
        .set((
            devices::deactivated_at.eq(Some(now)),
            devices::borrowed_until.eq(None::<NaiveDateTime>),
            devices::checkout_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    diesel::update(licenses::table.find(license_id))
        .filter(licenses::active_devices.gt(0))
        .set((
            licenses::active_devices.eq(licenses::active_devices - 1),
            licenses::updated_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        license_id,
        Some(device_id),
        EventKind::Deactivated,
        None,
        now,
    )?;
    let device = device::find(conn, device_id)?.ok_or(ModelError::NotFound)?;
    Ok((device, true))
}
