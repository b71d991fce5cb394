//! What staff do to a license: disable and enable, reset it or one device, edit its
//! terms, delete it. Each is one transaction with its license event and audit row.

use crate::domain::OrderId;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::device::{self, Device};
use super::license::{self, License};
use super::license_event::{self, EventKind, Source};
use super::{ModelError, ModelResult};
use crate::db::schema::{devices, license_custom_fields, license_features, licenses};
use crate::db::DbConnection;
use crate::domain::values;
use crate::domain::DeviceId;
use crate::domain::LicenseId;

fn load(conn: &mut DbConnection, id: LicenseId) -> ModelResult<License> {
    license::find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Disables (every check fails, data kept) or enables (status derived again) a license.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    enabled: bool,
) -> ModelResult<License> {
    let before = load(conn, id)?;
    if before.enabled == enabled {
        return Ok(before);
    }
    diesel::update(licenses::table.find(id))
        .set((
            licenses::enabled.eq(enabled),
            licenses::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    let (kind, action) = if enabled {
        (EventKind::Enabled, "license.enabled")
    } else {
        (EventKind::Disabled, "license.disabled")
    };
    license_event::record(conn, id, None, kind, 0, Source::AdminPortal)?;
    audit::record(
        conn,
        actor,
        Entry::new(action, "license", Some(id))
            .label(&before.license_key)
            .before(json!({ "enabled": before.enabled }))
            .after(json!({ "enabled": enabled })),
    )?;
    load(conn, id)
}

/// What resetting a license will change, shown before it is done.
pub struct ResetPlan {
    pub license: License,
    /// Active devices that will be deactivated.
    pub devices: Vec<Device>,
    /// Hardware ids that will be erased (of every device of the license).
    pub hardware_ids: Vec<String>,
    /// Sentences about the end dates: which restart at the next activation, which stay.
    pub dates: Vec<String>,
}

/// Who resets a license. Staff restart the end dates computed from a duration (the
/// period starts again at the next activation); a license manager in the license
/// portal keeps them, so a customer cannot stretch a 30-day license by resetting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetBy {
    Staff,
    LicenseManager,
}

impl ResetBy {
    fn source(self) -> Source {
        match self {
            ResetBy::Staff => Source::AdminPortal,
            ResetBy::LicenseManager => Source::LicensePortal,
        }
    }

    fn restarts_durations(self) -> bool {
        self == ResetBy::Staff
    }

    /// Whether each device it deactivates spends a transfer (staff's never do).
    fn spends_transfers(self) -> bool {
        self == ResetBy::LicenseManager
    }
}

pub fn reset_plan(conn: &mut DbConnection, id: LicenseId, by: ResetBy) -> ModelResult<ResetPlan> {
    let license = load(conn, id)?;
    let devices = device::active_for_license(conn, id)?;
    let hardware_ids: Vec<String> = devices::table
        .filter(devices::license_id.eq(id))
        .filter(devices::hardware_id.is_not_null())
        .select(devices::hardware_id.assume_not_null())
        .limit(1000)
        .load(conn)?;
    let mut dates = Vec::new();
    let describe = |what: &str, until: Option<NaiveDateTime>, days: Option<i64>| {
        match (until, days) {
        (Some(u), Some(_)) if !by.restarts_durations() => format!(
            "The {what} end date {} stays: a reset here does not restart the {what} period.",
            u.format("%Y-%m-%d")
        ),
        (Some(u), Some(d)) => format!(
            "The {what} end date {} is cleared; the {d}-day {what} period restarts at the next activation.",
            u.format("%Y-%m-%d")
        ),
        (None, Some(d)) => format!("The {d}-day {what} period has not started yet and still starts at the next activation."),
        (Some(u), None) => format!("The fixed {what} end date {} stays.", u.format("%Y-%m-%d")),
        (None, None) => format!("There is no {what} end date."),
    }
    };
    dates.push(describe(
        "validity",
        license.valid_until,
        license.validity_days,
    ));
    dates.push(describe(
        "maintenance",
        license.maintenance_until,
        license.maintenance_days,
    ));
    Ok(ResetPlan {
        license,
        devices,
        hardware_ids,
        dates,
    })
}

/// Resets a license: deactivates all its devices, erases their hardware ids, and clears
/// only the end dates computed from a duration (a fixed date stays).
pub fn reset(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    by: ResetBy,
) -> ModelResult<License> {
    let before = load(conn, id)?;
    let now = super::now();
    if by.spends_transfers() {
        let active = device::active_for_license(conn, id)?.len() as i64;
        super::activation::spend_transfers(conn, id, active)?;
    }
    let deactivated = diesel::update(
        devices::table
            .filter(devices::license_id.eq(id))
            .filter(devices::deactivated_at.is_null()),
    )
    .set(devices::deactivated_at.eq(Some(now)))
    .execute(conn)?;
    diesel::update(devices::table.filter(devices::license_id.eq(id)))
        .set((
            devices::hardware_id.eq(None::<String>),
            devices::borrowed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    let restart = by.restarts_durations();
    let valid_until = if restart && before.validity_days.is_some() {
        None
    } else {
        before.valid_until
    };
    let maintenance_until = if restart && before.maintenance_days.is_some() {
        None
    } else {
        before.maintenance_until
    };
    let first_activated_at = if restart {
        None
    } else {
        before.first_activated_at
    };
    diesel::update(licenses::table.find(id))
        .set((
            licenses::active_devices.eq(0),
            licenses::first_activated_at.eq(first_activated_at),
            licenses::valid_until.eq(valid_until),
            licenses::maintenance_until.eq(maintenance_until),
            licenses::updated_at.eq(now),
        ))
        .execute(conn)?;
    license_event::record(
        conn,
        id,
        None,
        EventKind::Reset,
        deactivated as i64,
        by.source(),
    )?;
    let after = load(conn, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.reset", "license", Some(id))
            .label(&before.license_key)
            .before(json!({ "active_devices": before.active_devices, "valid_until": before.valid_until, "maintenance_until": before.maintenance_until }))
            .after(json!({ "active_devices": 0, "valid_until": after.valid_until, "maintenance_until": after.maintenance_until })),
    )?;
    Ok(after)
}

/// Frees one device's seat: deactivates it and erases its hardware id.
pub fn reset_device(
    conn: &mut DbConnection,
    actor: &Actor,
    license_id: LicenseId,
    device_id: DeviceId,
    by: ResetBy,
) -> ModelResult<Device> {
    let license = load(conn, license_id)?;
    let device: Device = devices::table
        .find(device_id)
        .filter(devices::license_id.eq(license_id))
        .select(Device::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)?;
    if !device.is_active() {
        return Err(ModelError::refused(
            "device_already_deactivated",
            "This device is already deactivated.".to_owned(),
        ));
    }
    if by.spends_transfers() {
        super::activation::spend_transfers(conn, license_id, 1)?;
    }
    let now = super::now();
    diesel::update(devices::table.find(device_id))
        .set((
            devices::deactivated_at.eq(Some(now)),
            devices::hardware_id.eq(None::<String>),
            devices::borrowed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    diesel::update(licenses::table.find(license_id))
        .set((
            licenses::active_devices.eq(licenses::active_devices - 1),
            licenses::updated_at.eq(now),
        ))
        .filter(licenses::active_devices.gt(0))
        .execute(conn)?;
    license_event::record(
        conn,
        license_id,
        Some(device_id),
        EventKind::Deactivated,
        0,
        by.source(),
    )?;
    audit::record(
        conn,
        actor,
        Entry::new("license.device_reset", "license", Some(license_id))
            .label(&license.license_key)
            .before(json!({ "device": device.hostname, "hardware_id": device.hardware_id, "active": true }))
            .after(json!({ "device": device.hostname, "active": false })),
    )?;
    Ok(device)
}

#[derive(Debug, Clone)]
pub struct LicenseEdit {
    pub start_date: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub validity_days: Option<i64>,
    pub maintenance_until: Option<NaiveDate>,
    pub maintenance_days: Option<i64>,
    pub max_activations: i64,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub max_license_users: i64,
    pub max_transfers: Option<i64>,
    /// A floating seat's lease in minutes (none: the product's).
    pub lease_minutes: Option<i64>,
    /// When consumption starts again from zero.
    pub consumption_period: crate::domain::ConsumptionPeriod,
    pub note: String,
    pub metadata: String,
    /// Each feature's (id, maximum consumption, overage).
    pub features: Vec<(i64, Option<i64>, Option<i64>)>,
    pub fields: Vec<(i64, String)>,
    pub seen_updated_at: Option<NaiveDateTime>,
}

/// The end of a day, as stored for a fixed end date.
fn end_of_day(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(23, 59, 59).unwrap_or_default()
}

/// An end date: fixed, or computed from a duration once the license was first activated.
fn end_date(
    fixed: Option<NaiveDate>,
    days: Option<i64>,
    first_activated: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    match (fixed, days) {
        (Some(d), _) => Some(end_of_day(d)),
        (None, Some(days)) => first_activated.and_then(|a| values::add_days(a, days)),
        (None, None) => None,
    }
}

/// Saves an edit of a license's terms, unless it changed since the form was opened.
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    input: &LicenseEdit,
) -> ModelResult<License> {
    let before = load(conn, id)?;
    if input.seen_updated_at != Some(before.updated_at) {
        return Err(ModelError::Conflict(
            "Someone else changed this license after you opened the form. The form now shows their version; make your change again."
                .to_owned(),
        ));
    }
    let now = super::now();
    diesel::update(licenses::table.find(id))
        .set((
            licenses::start_date.eq(input.start_date),
            licenses::valid_until.eq(end_date(
                input.valid_until,
                input.validity_days,
                before.first_activated_at,
            )),
            licenses::validity_days.eq(input.validity_days),
            licenses::maintenance_until.eq(end_date(
                input.maintenance_until,
                input.maintenance_days,
                before.first_activated_at,
            )),
            licenses::maintenance_days.eq(input.maintenance_days),
            licenses::max_activations.eq(input.max_activations),
            licenses::floating_seats.eq(input.floating_seats),
            licenses::borrow_limit_hours.eq(input.borrow_limit_hours),
            licenses::max_license_users.eq(input.max_license_users),
            licenses::max_transfers.eq(input.max_transfers),
            licenses::lease_minutes.eq(input.lease_minutes),
            licenses::consumption_period.eq(input.consumption_period),
            licenses::note.eq(&input.note),
            licenses::metadata.eq(&input.metadata),
            licenses::updated_at.eq(now),
        ))
        .execute(conn)?;
    for (feature_id, max, overage) in &input.features {
        let n = diesel::update(
            license_features::table
                .find(feature_id)
                .filter(license_features::license_id.eq(id)),
        )
        .set((
            license_features::max_consumption.eq(max),
            license_features::max_overage.eq(overage),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(ModelError::invalid(
                "features",
                "A feature of the form does not belong to this license.",
            ));
        }
    }
    for (field_id, value) in &input.fields {
        let n = diesel::update(
            license_custom_fields::table
                .find(field_id)
                .filter(license_custom_fields::license_id.eq(id)),
        )
        .set(license_custom_fields::value.eq(value))
        .execute(conn)?;
        if n == 0 {
            return Err(ModelError::invalid(
                "fields",
                "A custom field of the form does not belong to this license.",
            ));
        }
    }
    let after = load(conn, id)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.updated", "license", Some(id))
            .label(&after.license_key)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// Deletes a license with its devices, events, features and custom fields.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: LicenseId) -> ModelResult<OrderId> {
    let before = load(conn, id)?;
    diesel::delete(licenses::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.deleted", "license", Some(id))
            .order(before.order_id)
            .label(&before.license_key)
            .before(before.audit_view()),
    )?;
    Ok(before.order_id)
}
