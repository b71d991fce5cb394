//! What a client records of its use through the license API: consumption (see
//! `models::consumption`) and device variables. The client must be active on the license (its hardware id,
//! or its device token's device).

use chrono::NaiveDateTime;

use super::client::{authenticate, Client};
use crate::db::DbConnection;
use crate::models::consumption::{self, Counted, NewEvent};
use crate::models::device_variable::{self, DeviceVariable};
use crate::models::license::License;
use crate::models::product::Product;
use crate::models::{ModelError, ModelResult, Refusal};

/// A batch's outcome: the license after it, its product, and each event's answer.
pub type Consumed = (License, Product, Vec<Result<Counted, Refusal>>);

fn not_activated() -> ModelError {
    ModelError::refused(
        "not_activated",
        "This hardware id is not active on the license: activate (or check out) first.",
    )
}

/// Counts consumption events for the client's license. Call it in a write transaction.
pub fn consume(
    conn: &mut DbConnection,
    c: &Client<'_>,
    events: &[NewEvent],
    now: NaiveDateTime,
) -> ModelResult<Consumed> {
    let r = authenticate(conn, c)?;
    let license = r.reach.license(conn, r.license.id)?;
    if r.device.is_none() {
        return Err(not_activated());
    }
    let (license, answers) = consumption::add(conn, license.id, events, now)?;
    Ok((license, r.product, answers))
}

/// Sets or removes the client's device variables (`None` removes), and answers them all.
pub fn set_variables(
    conn: &mut DbConnection,
    c: &Client<'_>,
    changes: &[(String, Option<String>)],
    now: NaiveDateTime,
) -> ModelResult<(License, Product, Vec<DeviceVariable>)> {
    let r = authenticate(conn, c)?;
    let license = r.reach.license(conn, r.license.id)?;
    let device = r.device.ok_or_else(not_activated)?;
    let all = device_variable::set(conn, license.id, device.id, changes, now)?;
    Ok((license, r.product, all))
}
