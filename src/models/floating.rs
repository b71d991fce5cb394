//! Floating seats: a floating license (`floating_seats` > 0) has that many seats, and a
//! seat is held by an active device with an unexpired check-out (`checkout_until`, the
//! license API's lease) or an unexpired borrow (`borrowed_until`). [`held_seats`] is the
//! one query that counts them; every change that takes a seat first takes the license
//! row's write lock ([`lock_license`]), so two requests never both take the last seat,
//! on either backend. The license API's check-outs, heartbeats and releases
//! ([`check_out`], [`heartbeat`], [`release`]) follow the same rules: a lapsed lease
//! stops counting at its end, with no sweeper, against the database's clock.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::activation::{self, ActivatedBy, DeviceInfo};
use super::audit::{self, Actor, Entry};
use super::device::{self, Device};
use super::license::{self, License};
use super::license_event::{self, EventKind, Source};
use super::license_user::lock_license;
use super::{ModelError, ModelResult, Refusal};
use crate::db::schema::{devices, products};
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
    now: NaiveDateTime,
) -> ModelResult<Result<Device, Refusal>> {
    lock_license(conn, id)?;
    let license = license::find(conn, id)?.ok_or(ModelError::NotFound)?;
    let d = active_device(conn, id, device)?;
    floating_license(&license)?;
    if let Some(r) = activation::unusable(&license, now) {
        return Err(ModelError::Refused(r));
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
            // Recorded (as `borrow_refused`, for the usage report) and answered.
            activation::record(
                conn,
                id,
                Some(d.id),
                EventKind::Refused,
                Some("borrow_refused"),
                now,
            )?;
            return Ok(Err(no_seat(&license)));
        }
    }
    diesel::update(devices::table.find(d.id))
        .set(devices::borrowed_until.eq(Some(until)))
        .execute(conn)?;
    let held = held_seats(conn, id, now, None)?;
    super::usage::seats_held(conn, id, now, held)?;
    license_event::record_at(conn, id, Some(d.id), EventKind::Borrowed, 0, source, now)?;
    audit::record(
        conn,
        actor,
        Entry::new("license.seat_borrowed", "license", Some(license.id))
            .order(license.order_id)
            .label(&license.license_key)
            .before(json!({ "device": d.hostname, "borrowed_until": d.borrowed_until }))
            .after(json!({ "device": d.hostname, "borrowed_until": until })),
    )?;
    Ok(Ok(Device {
        borrowed_until: Some(until),
        ..d
    }))
}

/// Returns a borrowed seat early.
pub fn return_seat(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LicenseId,
    device: DeviceId,
    source: Source,
    now: NaiveDateTime,
) -> ModelResult<Device> {
    lock_license(conn, id)?;
    let license = license::find(conn, id)?.ok_or(ModelError::NotFound)?;
    let d = active_device(conn, id, device)?;
    if !d.is_borrowed(now) {
        return Err(ModelError::refused(
            "seat_not_borrowed",
            format!("Device {} has not borrowed a seat.", d.hostname),
        ));
    }
    diesel::update(devices::table.find(d.id))
        .set(devices::borrowed_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    license_event::record_at(conn, id, Some(d.id), EventKind::Returned, 0, source, now)?;
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

/// The refusal when every seat is held.
fn no_seat(license: &License) -> Refusal {
    Refusal {
        code: "no_seat_available",
        message: format!(
            "All {} seats of license {} are held: wait for one to be released or to lapse.",
            license.floating_seats, license.license_key
        ),
        retry_after: None,
    }
}

fn floating_license(license: &License) -> ModelResult<()> {
    if license.is_floating() {
        return Ok(());
    }
    Err(ModelError::refused(
        "license_not_floating",
        format!(
            "License {} is not a floating license: it has no seats.",
            license.license_key
        ),
    ))
}

fn not_activated() -> ModelError {
    ModelError::refused(
        "not_activated",
        "This hardware id is not active on the license: check out a seat (or activate) first.",
    )
}

/// A seat's lease length for a license: its own, else its product's.
pub fn lease_length(conn: &mut DbConnection, license: &License) -> QueryResult<Duration> {
    let minutes = match license.lease_minutes {
        Some(m) => m,
        None => products::table
            .find(license.product_id)
            .select(products::lease_minutes)
            .first(conn)?,
    };
    Ok(Duration::try_minutes(minutes.clamp(
        crate::domain::values::MIN_LEASE_MINUTES,
        crate::domain::values::MAX_LEASE_MINUTES,
    ))
    .unwrap_or_default())
}

/// A seat a device holds after a check-out or a heartbeat.
#[derive(Debug, Clone)]
pub struct Seat {
    pub license: License,
    pub device: Device,
    /// Whether the check-out activated this hardware id (a new device).
    pub created: bool,
    /// The lease's length (a heartbeat is due after a third of it).
    pub lease: Duration,
    /// The seats held now, this one included.
    pub held: i64,
}

impl Seat {
    /// Until when the device holds its seat: the lease's or the borrow's end.
    pub fn until(&self) -> Option<NaiveDateTime> {
        self.device.checkout_until.max(self.device.borrowed_until)
    }
}

/// Records a refused check-out or heartbeat and answers the refusal.
fn refuse(
    conn: &mut DbConnection,
    license: LicenseId,
    r: Refusal,
    now: NaiveDateTime,
) -> ModelResult<Result<Seat, Refusal>> {
    activation::record(conn, license, None, EventKind::Refused, Some(r.code), now)?;
    Ok(Err(r))
}

/// Gives `device` a lease from `now` (it holds a seat already, or one was found free).
fn hold(
    conn: &mut DbConnection,
    license: License,
    device: Device,
    created: bool,
    now: NaiveDateTime,
) -> ModelResult<Result<Seat, Refusal>> {
    let lease = lease_length(conn, &license)?;
    let until = now.checked_add_signed(lease).unwrap_or(now);
    diesel::update(devices::table.find(device.id))
        .set(devices::checkout_until.eq(Some(until)))
        .execute(conn)?;
    let held = held_seats(conn, license.id, now, None)?;
    super::usage::seats_held(conn, license.id, now, held)?;
    Ok(Ok(Seat {
        license,
        device: Device {
            checkout_until: Some(until),
            ..device
        },
        created,
        lease,
        held,
    }))
}

/// Why a seat of this license cannot be taken now, before looking at the seats.
fn seat_refusal(license: &License, now: NaiveDateTime) -> ModelResult<Option<Refusal>> {
    floating_license(license)?;
    Ok(activation::unusable(license, now))
}

/// Checks out a seat of a floating license for a hardware id: the first check-out
/// activates it (a device counted against max activations like any activation); a
/// device that holds a seat (lease or borrow) gets its own seat back with a new lease,
/// never a second one. A refusal (`no_seat_available`, an unusable license, a full
/// license) is recorded and returned in `Ok`; call it in a write transaction.
pub fn check_out(
    conn: &mut DbConnection,
    license_id: LicenseId,
    info: &DeviceInfo,
    by: ActivatedBy<'_>,
    now: NaiveDateTime,
) -> ModelResult<Result<Seat, Refusal>> {
    lock_license(conn, license_id)?;
    let license = license::find(conn, license_id)?.ok_or(ModelError::NotFound)?;
    if let Some(r) = seat_refusal(&license, now)? {
        return refuse(conn, license_id, r, now);
    }
    let existing = device::active_with_hardware_id(conn, license_id, &info.hardware_id)?;
    let holds = existing.as_ref().is_some_and(|d| d.holds_seat(now));
    if !holds && held_seats(conn, license_id, now, None)? >= license.floating_seats {
        return refuse(conn, license_id, no_seat(&license), now);
    }
    let activated = match activation::activate(conn, license_id, info, by, now)? {
        Ok(a) => a,
        Err(r) => return Ok(Err(r)),
    };
    hold(
        conn,
        activated.license,
        activated.device,
        activated.created,
        now,
    )
}

/// Renews the lease of the device with this hardware id; after a lapse it takes a seat
/// again when one is free (else `no_seat_available`). Never activates.
pub fn heartbeat(
    conn: &mut DbConnection,
    license_id: LicenseId,
    hardware_id: &str,
    now: NaiveDateTime,
) -> ModelResult<Result<Seat, Refusal>> {
    lock_license(conn, license_id)?;
    let license = license::find(conn, license_id)?.ok_or(ModelError::NotFound)?;
    if let Some(r) = seat_refusal(&license, now)? {
        return refuse(conn, license_id, r, now);
    }
    let d = device::active_with_hardware_id(conn, license_id, hardware_id)?
        .ok_or_else(not_activated)?;
    if !d.holds_seat(now) && held_seats(conn, license_id, now, None)? >= license.floating_seats {
        return refuse(conn, license_id, no_seat(&license), now);
    }
    hold(conn, license, d, false, now)
}

/// Ends the lease of the device with this hardware id at once (a borrow stays until it
/// is returned). Idempotent: `false` when it held no lease.
pub fn release(
    conn: &mut DbConnection,
    license_id: LicenseId,
    hardware_id: &str,
    now: NaiveDateTime,
) -> ModelResult<(License, Device, bool, i64)> {
    lock_license(conn, license_id)?;
    let license = license::find(conn, license_id)?.ok_or(ModelError::NotFound)?;
    floating_license(&license)?;
    let d = device::active_with_hardware_id(conn, license_id, hardware_id)?
        .ok_or_else(not_activated)?;
    let leased = d.checkout_until.is_some_and(|u| u > now);
    if d.checkout_until.is_some() {
        diesel::update(devices::table.find(d.id))
            .set(devices::checkout_until.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    }
    let held = held_seats(conn, license_id, now, None)?;
    Ok((
        license,
        Device {
            checkout_until: None,
            ..d
        },
        leased,
        held,
    ))
}

/// The active device with this hardware id, for a borrow or a return through the API.
pub fn active_by_hardware_id(
    conn: &mut DbConnection,
    license_id: LicenseId,
    hardware_id: &str,
) -> ModelResult<Device> {
    device::active_with_hardware_id(conn, license_id, hardware_id)?.ok_or_else(not_activated)
}
