//! Consumption of a license's consumption features through the license API. Each event
//! carries the client's `event_id`, unique per license and feature: an accepted event
//! is remembered with the counter after it, so the same event again answers as the
//! first time did, and the same id with another quantity is refused. Only accepted
//! events are remembered. A feature's limit is its maximum plus its overage (decided
//! here, never by the client); the counter belongs to the period key of the license's
//! consumption period, so a new period starts from zero with no sweeper. Every event
//! is counted under the license's lock: exact under concurrency on both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::license::{self, License, LicenseFeature};
use super::license_event::{self, EventKind, Source};
use super::license_user::lock_license;
use super::{ModelError, ModelResult, Refusal};
use crate::db::schema::{consumption_events, license_features};
use crate::db::DbConnection;
use crate::domain::LicenseId;

/// The largest quantity one event may consume.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The most events one request may carry.
pub const MAX_BATCH: usize = 100;

/// One consumption event as the client sends it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The feature's code (none: the license's one consumption feature).
    pub feature: Option<String>,
    pub event_id: String,
    pub quantity: i64,
}

/// How an event was counted.
#[derive(Debug, Clone)]
pub struct Counted {
    pub feature: String,
    pub event_id: String,
    pub quantity: i64,
    /// False when it would pass the limit: nothing was counted.
    pub accepted: bool,
    /// True when this event id was accepted before: the answer is the first one's.
    pub repeated: bool,
    /// The feature's counter in the period after the event (before, when refused).
    pub consumed: i64,
    pub max_consumption: Option<i64>,
    pub max_overage: Option<i64>,
    /// What may still be consumed in this period (none: unlimited).
    pub remaining: Option<i64>,
    /// The period key the event counts in (`all` when the license never resets).
    pub period: String,
}

fn feature_of<'a>(
    features: &'a [LicenseFeature],
    code: Option<&str>,
) -> Result<&'a LicenseFeature, Refusal> {
    let consumption = || features.iter().filter(|f| f.kind == "consumption");
    let found =
        match code {
            Some(c) => consumption().find(|f| f.code.eq_ignore_ascii_case(c.trim())),
            None => {
                let mut all = consumption();
                match (all.next(), all.next()) {
                    (Some(f), None) => Some(f),
                    (Some(_), Some(_)) => return Err(Refusal {
                        code: "feature_required",
                        message:
                            "This license has several consumption features: name one in feature."
                                .to_owned(),
                        retry_after: None,
                    }),
                    (None, _) => None,
                }
            }
        };
    found.ok_or_else(|| Refusal {
        code: "feature_not_found",
        message: "The license has no consumption feature with this code.".to_owned(),
        retry_after: None,
    })
}

/// Counts a batch of events for one license, in order, each answered on its own: a
/// refusal for one event (an unknown feature, a reused event id with another quantity)
/// does not stop the others. Call it in a write transaction.
pub fn add(
    conn: &mut DbConnection,
    license_id: LicenseId,
    events: &[NewEvent],
    now: NaiveDateTime,
) -> ModelResult<(License, Vec<Result<Counted, Refusal>>)> {
    lock_license(conn, license_id)?;
    let license = license::find(conn, license_id)?.ok_or(ModelError::NotFound)?;
    if let Some(r) = super::activation::unusable(&license, now) {
        return Err(ModelError::Refused(r));
    }
    let mut features = license::features_at(conn, license_id, now)?;
    let mut answers = Vec::with_capacity(events.len());
    for e in events {
        let f = match feature_of(&features, e.feature.as_deref()) {
            Ok(f) => f.clone(),
            Err(r) => {
                answers.push(Err(r));
                continue;
            }
        };
        let answer = count(conn, &license, &f, e, now)?;
        if let Ok(c) = &answer {
            if c.accepted && !c.repeated {
                if let Some(x) = features.iter_mut().find(|x| x.id == f.id) {
                    x.consumed = c.consumed;
                }
            }
        }
        answers.push(answer);
    }
    Ok((license, answers))
}

fn count(
    conn: &mut DbConnection,
    license: &License,
    f: &LicenseFeature,
    e: &NewEvent,
    now: NaiveDateTime,
) -> ModelResult<Result<Counted, Refusal>> {
    let answer = |accepted: bool, repeated: bool, consumed: i64, period: &str| Counted {
        feature: f.code.clone(),
        event_id: e.event_id.clone(),
        quantity: e.quantity,
        accepted,
        repeated,
        consumed,
        max_consumption: f.max_consumption,
        max_overage: f.max_overage,
        remaining: f.limit().map(|l| l.saturating_sub(consumed).max(0)),
        period: period.to_owned(),
    };
    let earlier: Option<(i64, String, i64)> = consumption_events::table
        .filter(consumption_events::license_id.eq(license.id))
        .filter(consumption_events::feature_code.eq(&f.code))
        .filter(consumption_events::event_id.eq(&e.event_id))
        .select((
            consumption_events::quantity,
            consumption_events::period,
            consumption_events::consumed_after,
        ))
        .first(conn)
        .optional()?;
    if let Some((quantity, period, after)) = earlier {
        if quantity != e.quantity {
            return Ok(Err(Refusal {
                code: "event_id_reused",
                message: format!(
                    "Event {} was counted with quantity {quantity}, not {}: use a new event id for another event.",
                    e.event_id, e.quantity
                ),
                retry_after: None,
            }));
        }
        return Ok(Ok(answer(true, true, after, &period)));
    }
    let after = f.consumed.saturating_add(e.quantity);
    if f.limit().is_some_and(|limit| after > limit) {
        return Ok(Ok(answer(false, false, f.consumed, &f.period)));
    }
    diesel::update(license_features::table.find(f.id))
        .set((
            license_features::consumed.eq(after),
            license_features::period.eq(&f.period),
        ))
        .execute(conn)?;
    diesel::insert_into(consumption_events::table)
        .values((
            consumption_events::license_id.eq(license.id),
            consumption_events::feature_code.eq(&f.code),
            consumption_events::event_id.eq(&e.event_id),
            consumption_events::quantity.eq(e.quantity),
            consumption_events::period.eq(&f.period),
            consumption_events::consumed_after.eq(after),
            consumption_events::at.eq(now),
        ))
        .execute(conn)?;
    license_event::record_at(
        conn,
        license.id,
        None,
        EventKind::Consumed,
        e.quantity,
        Source::LicenseApi,
        now,
    )?;
    Ok(Ok(answer(true, false, after, &f.period)))
}
