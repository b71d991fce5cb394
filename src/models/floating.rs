//! Floating seats: a floating license (`floating_seats` > 0) has that many seats, and a
//! seat is held by an active device with an unexpired check-out (`checkout_until`, the
//! license API's lease) or an unexpired borrow (`borrowed_until`). [`held_seats`] is the
//! one query that counts them; every change that takes a seat first takes the license
//! row's write lock ([`lock_license`]), so two requests never both take the last seat,
//! on either backend. The license API will reuse these rules for check-outs.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::device::Device;
use super::license::{self, License, Status};
use super::license_event::{self, EventKind, Source};
use super::license_user::lock_license;
use super::{ModelError, ModelResult};
use crate::db::schema::devices;
use crate::db::DbConnection;
use crate::domain::{DeviceId, LicenseId};

/// The seats of a license held at `at`, leaving out `except` (the device asking).
pub fn held_seats(
    conn: &mut DbConnection,
    license: LicenseId,
    at: NaiveDateTime,
    except: Option<DeviceId>,
) -> QueryResult<i64> {
    let mut q = devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .filter(
            devices::checkout_until
                .gt(at)
                .or(devices::borrowed_until.gt(at)),
        )
        .count()
        .into_boxed();
    if let Some(d) = except {
        q = q.filter(devices::id.ne(d.0));
    }
    q.get_result(conn)
}

/// The latest end a borrow of this license may have, from `now`.
pub fn latest_return(license: &License, now: NaiveDateTime) -> Option<NaiveDateTime> {
    now.checked_add_signed(Duration::try_hours(license.borrow_limit_hours)?)
}

fn active_device(
    conn: &mut DbConnection,
    license: LicenseId,
    device: DeviceId,
) -> ModelResult<Device> {
    let d: Device = devices::table
        .find(device)
        .filter(devices::license_id.eq(license))
        .select(Device::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)?;
    if !d.is_active() {
        return Err(ModelError::invalid(
            "device_id",
            "This device is deactivated: only an active device can borrow a seat.",
        ));
    }
    Ok(d)
}

/// Borrows a seat of a floating license for one of its devices until `until` (no later
/// than now + the license's borrow limit). A device that already holds a seat keeps it
/// and gets the new end; otherwise a free seat is needed.
pub fn borrow(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    device: DeviceId,
    until: NaiveDateTime,
    source: Source,
) -> ModelResult<Device> {
    lock_license(conn, id)?;
    let license = license::find(conn, id)?.ok_or(ModelError::NotFound)?;
    let d = active_device(conn, id, device)?;
    if !license.is_floating() {
        return Err(ModelError::refused(
            "license_not_floating",
            format!(
                "License {} is not a floating license: it has no seats to borrow.",
                license.license_key
            ),
        ));
    }
    if matches!(license.status(), Status::Disabled | Status::Expired) {
        return Err(ModelError::refused(
            "license_not_usable",
            format!(
                "License {} is {}: no seat can be borrowed.",
                license.license_key,
                license.status().label().to_lowercase()
            ),
        ));
    }
    if license.borrow_limit_hours <= 0 {
        return Err(ModelError::refused(
            "borrowing_not_allowed",
            format!(
                "License {} does not allow borrowing (its borrow limit is 0 hours).",
                license.license_key
            ),
        ));
    }
    let now = super::now();
    if until <= now {
        return Err(ModelError::invalid("until", "Choose a time in the future."));
    }
    let latest = latest_return(&license, now).unwrap_or(NaiveDateTime::MAX);
    if until > latest {
        return Err(ModelError::invalid(
            "until",
            format!(
                "At most {} hours ahead: no later than {} UTC.",
                license.borrow_limit_hours,
                latest.format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    if !d.holds_seat(now) {
        let held = held_seats(conn, id, now, Some(device))?;
        if held >= license.floating_seats {
            return Err(ModelError::refused(
                "no_seat_available",
                format!(
                    "All {} seats of license {} are held: return one first.",
                    license.floating_seats, license.license_key
                ),
            ));
        }
    }
    diesel::update(devices::table.find(d.id))
        .set(devices::borrowed_until.eq(Some(until)))
        .execute(conn)?;
    license_event::record(conn, id, Some(d.id), EventKind::Borrowed, 0, source)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.seat_borrowed", "license", Some(license.id))
            .order(license.order_id)
            .label(&license.license_key)
            .before(json!({ "device": d.hostname, "borrowed_until": d.borrowed_until }))
            .after(json!({ "device": d.hostname, "borrowed_until": until })),
    )?;
    Ok(Device {
        borrowed_until: Some(until),
        ..d
    })
}

/// Returns a borrowed seat early.
pub fn return_seat(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    device: DeviceId,
    source: Source,
) -> ModelResult<Device> {
    lock_license(conn, id)?;
    let license = license::find(conn, id)?.ok_or(ModelError::NotFound)?;
    let d = active_device(conn, id, device)?;
    if !d.is_borrowed(super::now()) {
        return Err(ModelError::refused(
            "seat_not_borrowed",
            format!("Device {} has not borrowed a seat.", d.hostname),
        ));
    }
    diesel::update(devices::table.find(d.id))
        .set(devices::borrowed_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    license_event::record(conn, id, Some(d.id), EventKind::Returned, 0, source)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.seat_returned", "license", Some(license.id))
            .order(license.order_id)
            .label(&license.license_key)
            .before(json!({ "device": d.hostname, "borrowed_until": d.borrowed_until }))
            .after(json!({ "device": d.hostname, "borrowed_until": null })),
    )?;
    Ok(Device {
        borrowed_until: None,
        ..d
    })
}
