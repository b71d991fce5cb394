//! Floating seats through the license API: check-out, heartbeat, release, borrow and
//! return, each for the one license the client authenticated for (its key, or a
//! license user's device token). The rules are in `models::floating`; `now` is the
//! database's clock (`models::clock`), so instances agree on which lease has lapsed.

use chrono::NaiveDateTime;

use super::client::{authenticate, Client, Credential, Reached};
use crate::db::DbConnection;
use crate::models::activation::{ActivatedBy, DeviceInfo};
use crate::models::audit::Actor;
use crate::models::device::Device;
use crate::models::floating::{self, Seat};
use crate::models::license::{self, License};
use crate::models::license_event::Source;
use crate::models::product::Product;
use crate::models::{ModelError, ModelResult, Refusal};

/// A seat the client holds, with its product.
pub type Held = Result<(Seat, Product), Refusal>;

fn reach(conn: &mut DbConnection, c: &Client<'_>) -> ModelResult<(Reached, License)> {
    let r = authenticate(conn, c)?;
    let license = r.reach.license(conn, r.license.id)?;
    Ok((r, license))
}

fn not_activated() -> ModelError {
    ModelError::refused(
        "not_activated",
        "This device token's device is not active: activate it again with the password.",
    )
}

/// Checks out a seat (activating the hardware id on its first check-out). Call it in a
/// write transaction: a refusal is an event to commit.
pub fn check_out(
    conn: &mut DbConnection,
    c: &Client<'_>,
    info: &DeviceInfo,
    now: NaiveDateTime,
) -> ModelResult<Held> {
    let (r, license) = reach(conn, c)?;
    if matches!(c.credential, Credential::DeviceToken(_)) && r.device.is_none() {
        return Err(not_activated());
    }
    let product = r.product;
    Ok(floating::check_out(conn, license.id, info, ActivatedBy::Key, now)?.map(|s| (s, product)))
}

/// Renews the client's lease (or takes a seat again after a lapse).
pub fn heartbeat(conn: &mut DbConnection, c: &Client<'_>, now: NaiveDateTime) -> ModelResult<Held> {
    let (r, license) = reach(conn, c)?;
    let product = r.product;
    Ok(floating::heartbeat(conn, license.id, c.hardware_id, now)?.map(|s| (s, product)))
}

/// A released lease.
pub struct Released {
    pub license: License,
    pub product: Product,
    pub device: Device,
    /// False when it held no lease (a retry): nothing changed.
    pub released: bool,
    pub held: i64,
}

/// Ends the client's lease at once.
pub fn release(
    conn: &mut DbConnection,
    c: &Client<'_>,
    now: NaiveDateTime,
) -> ModelResult<Released> {
    let (r, license) = reach(conn, c)?;
    let (license, device, released, held) =
        floating::release(conn, license.id, c.hardware_id, now)?;
    Ok(Released {
        license,
        product: r.product,
        device,
        released,
        held,
    })
}

/// A borrowed (or returned) seat.
pub struct Borrowed {
    pub license: License,
    pub product: Product,
    pub device: Device,
    pub held: i64,
}

/// Borrows a seat for the client's device until `until` (within the license's borrow
/// limit).
pub fn borrow(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Client<'_>,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> ModelResult<Result<Borrowed, Refusal>> {
    let (r, license) = reach(conn, c)?;
    let device = floating::active_by_hardware_id(conn, license.id, c.hardware_id)?;
    match floating::borrow(
        conn,
        actor,
        license.id,
        device.id,
        until,
        Source::LicenseApi,
        now,
    )? {
        Ok(device) => Ok(Ok(borrowed(conn, r.product, device, now)?)),
        // A refusal recorded for the usage report: committed, then answered.
        Err(refusal) => Ok(Err(refusal)),
    }
}

/// Returns the client's borrowed seat.
pub fn return_seat(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Client<'_>,
    now: NaiveDateTime,
) -> ModelResult<Borrowed> {
    let (r, license) = reach(conn, c)?;
    let device = floating::active_by_hardware_id(conn, license.id, c.hardware_id)?;
    let device =
        floating::return_seat(conn, actor, license.id, device.id, Source::LicenseApi, now)?;
    borrowed(conn, r.product, device, now)
}

fn borrowed(
    conn: &mut DbConnection,
    product: Product,
    device: Device,
    now: NaiveDateTime,
) -> ModelResult<Borrowed> {
    let license = license::find(conn, device.license_id)?.ok_or(ModelError::NotFound)?;
    let held = floating::held_seats(conn, license.id, now, None)?;
    Ok(Borrowed {
        license,
        product,
        device,
        held,
    })
}
