//! Trials through the license API. A product with trial days > 0 offers them: a trial
//! is an ordinary license flagged trial, issued into the product's trial order (made
//! at the first trial; no license manager is granted on it), valid for the trial days
//! from its activation, for one device. At most one trial per product and hardware id
//! ever — the `trial_records` row outlives the order — and a retry gets the same trial
//! back. A client address may start a few trials a UTC day and the product at most
//! `trials_per_day`, both counted from those rows. The product row's lock serialises a
//! product's trials, so the limits hold under concurrency on both backends.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::activation::{self, ActivatedBy, Activation, DeviceInfo};
use super::audit::{self, Actor, Entry};
use super::issue::{self, LineInput};
use super::order::{self, CustomerChoice, NewOrder};
use super::product::{self, Product};
use super::{ModelError, ModelResult, Refusal};
use crate::db::schema::{orders, products, trial_records};
use crate::db::DbConnection;
use crate::domain::{LicenseId, OrderId};

/// A trial the client holds: the activation on its license, and whether it was started
/// now (false: a retry, the same trial back).
pub struct Started {
    pub activation: Activation,
    pub product: Product,
    pub started: bool,
}

fn refused(code: &'static str, message: String, retry_after: Option<i64>) -> ModelError {
    ModelError::Refused(Refusal {
        code,
        message,
        retry_after,
    })
}

/// Seconds from `now` to the next UTC midnight.
fn until_tomorrow(now: NaiveDateTime) -> i64 {
    let tomorrow = (now.date() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or(now);
    (tomorrow - now).num_seconds().max(1)
}

/// The product's trial order: the one it has, or a new one.
fn trial_order(conn: &mut DbConnection, actor: &Actor, p: &Product) -> ModelResult<OrderId> {
    if let Some(id) = p.trial_order_id {
        return Ok(id);
    }
    let wanted = format!("TRIAL-{}", p.code);
    let taken: bool = diesel::select(diesel::dsl::exists(
        orders::table.filter(orders::reference_norm.eq(wanted.to_lowercase())),
    ))
    .get_result(conn)?;
    let (order, _) = order::create(
        conn,
        actor,
        &NewOrder {
            // Taken by some other order: a generated reference instead.
            reference: if taken { String::new() } else { wanted },
            customer: CustomerChoice::None,
            is_test: false,
            is_trial: true,
            campaign_params: String::new(),
            download_id: String::new(),
            metadata: json!({ "trials_of": p.code }).to_string(),
            lines: Vec::new(),
        },
    )?;
    diesel::update(products::table.find(p.id))
        .set(products::trial_order_id.eq(Some(order.id)))
        .execute(conn)?;
    Ok(order.id)
}

/// Starts a trial of the product for the device (or answers the one it has). Call it
/// in a write transaction. `per_address`: trials a client address may start a day.
pub fn start(
    conn: &mut DbConnection,
    product_code: &str,
    info: &DeviceInfo,
    address: &str,
    per_address: i64,
    now: NaiveDateTime,
) -> ModelResult<Result<Started, Refusal>> {
    let found = product::find_by_code(conn, product_code)?
        .filter(|p| p.archived_at.is_none() && !p.is_bundle)
        .ok_or(ModelError::NotFound)?;
    // The product's lock: one trial decision at a time per product.
    diesel::update(products::table.find(found.id))
        .set(products::updated_at.eq(products::updated_at))
        .execute(conn)?;
    let p = product::find(conn, found.id)?.ok_or(ModelError::NotFound)?;
    if p.trial_days <= 0 {
        return Err(refused(
            "trials_not_offered",
            format!("Product {} offers no trials.", p.code),
            None,
        ));
    }
    let earlier: Option<Option<LicenseId>> = trial_records::table
        .filter(trial_records::product_id.eq(p.id))
        .filter(trial_records::hardware_id.eq(&info.hardware_id))
        .select(trial_records::license_id)
        .first(conn)
        .optional()?;
    match earlier {
        Some(Some(license)) => return activate(conn, license, p, info, false, now),
        Some(None) => {
            return Err(refused(
                "trial_used",
                format!("This device has had its trial of {} already.", p.code),
                None,
            ))
        }
        None => {}
    }
    let day = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    let from_address: i64 = trial_records::table
        .filter(trial_records::address.eq(address))
        .filter(trial_records::created_at.ge(day))
        .count()
        .get_result(conn)?;
    if from_address >= per_address {
        return Err(refused(
            "trials_rate_reached",
            format!(
                "This address has started {per_address} trials today: try again tomorrow (UTC)."
            ),
            Some(until_tomorrow(now)),
        ));
    }
    if let Some(cap) = p.trials_per_day {
        let today: i64 = trial_records::table
            .filter(trial_records::product_id.eq(p.id))
            .filter(trial_records::created_at.ge(day))
            .count()
            .get_result(conn)?;
        if today >= cap {
            return Err(refused(
                "trials_rate_reached",
                format!(
                    "No more trials of {} today: try again tomorrow (UTC).",
                    p.code
                ),
                Some(until_tomorrow(now)),
            ));
        }
    }
    let actor = Actor::client(&info.hardware_id, Some(info.ip.clone()));
    let order = trial_order(conn, &actor, &p)?;
    let line = LineInput {
        index: 0,
        product_id: p.id,
        count: 1,
        license_type: None,
        max_activations: Some(1),
        validity_days: Some(p.trial_days),
        maintenance_days: None,
        charged_to: None,
    };
    let ids = issue::issue(conn, order, &[line], true, now.date())?;
    let license = LicenseId(*ids.first().ok_or(ModelError::NotFound)?);
    diesel::insert_into(trial_records::table)
        .values((
            trial_records::product_id.eq(p.id),
            trial_records::hardware_id.eq(&info.hardware_id),
            trial_records::license_id.eq(Some(license)),
            trial_records::address.eq(address),
            trial_records::created_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &actor,
        Entry::new("license.trial_started", "license", Some(license))
            .order(order)
            .label(&p.code)
            .after(json!({ "product": p.code, "trial_days": p.trial_days })),
    )?;
    activate(conn, license, p, info, true, now)
}

fn activate(
    conn: &mut DbConnection,
    license: LicenseId,
    product: Product,
    info: &DeviceInfo,
    started: bool,
    now: NaiveDateTime,
) -> ModelResult<Result<Started, Refusal>> {
    Ok(
        activation::activate(conn, license, info, ActivatedBy::Key, now)?.map(|activation| {
            Started {
                activation,
                product,
                started,
            }
        }),
    )
}
