//! The demo's license API usage over the last two weeks, made through the real model
//! operations at their moment in the past (so the usage report has something to show):
//! floating check-outs, heartbeats and borrows on RENDER licenses (some refused when
//! all seats are held), consumption on ANALYTICS licenses, and trials of STUDIO.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::prelude::*;
use rand::rngs::StdRng;

use crate::db::schema::{licenses, products};
use crate::db::DbConnection;
use crate::domain::LicenseId;
use crate::models::activation::{ActivatedBy, DeviceInfo};
use crate::models::audit::Actor;
use crate::models::consumption::{self, NewEvent};
use crate::models::{floating, license, trial, ModelError};

/// Usable licenses of a product (enabled, not ended), a few.
fn usable(
    conn: &mut DbConnection,
    code: &str,
    now: NaiveDateTime,
    n: i64,
) -> Result<Vec<LicenseId>, ModelError> {
    Ok(licenses::table
        .inner_join(products::table)
        .filter(products::code.eq(code))
        .filter(licenses::enabled.eq(true))
        .filter(
            licenses::valid_until
                .is_null()
                .or(licenses::valid_until.gt(now + Duration::days(30))),
        )
        .filter(
            licenses::start_date
                .is_null()
                .or(licenses::start_date.le((now - Duration::days(30)).date())),
        )
        .order(licenses::id.asc())
        .select(licenses::id)
        .limit(n)
        .load(conn)?)
}

fn device(hw: &str) -> DeviceInfo {
    DeviceInfo {
        hardware_id: hw.to_owned(),
        // `WS-005` for `ws-5`: the demo's hostnames all look alike.
        hostname: match hw.split_once('-') {
            Some((prefix, n)) => format!(
                "{}-{:03}",
                prefix.to_uppercase(),
                n.parse::<u32>().unwrap_or_default()
            ),
            None => hw.to_uppercase(),
        },
        os: "Linux".to_owned(),
        app_version: "3.2.0".to_owned(),
        sdk_version: "1.4".to_owned(),
        ip: "198.51.100.7".to_owned(),
    }
}

/// A refusal is part of the story (a lapsed device, a cap); anything else stops.
fn refused_is_fine<T>(r: Result<T, ModelError>) -> Result<(), ModelError> {
    match r {
        Ok(_) | Err(ModelError::Refused(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Seeds the last 14 days of API usage.
pub fn seed(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    now: NaiveDateTime,
) -> Result<(), ModelError> {
    let day = |d: i64, hour: i64| now - Duration::days(14 - d) + Duration::hours(hour);
    let render = usable(conn, "RENDER", now, 2)?;
    for &l in &render {
        // Enough activations for the workstations that float over the seats.
        diesel::update(licenses::table.find(l))
            .set(licenses::max_activations.eq(20))
            .execute(conn)?;
    }
    let analytics = usable(conn, "ANALYTICS", now, 2)?;
    let mut event = 0;
    for d in 0..14 {
        for &l in &render {
            let busy = rng.random_range(2..8);
            for w in 0..busy {
                let at = day(d, 9) + Duration::minutes(w);
                let hw = format!("ws-{}", rng.random_range(0..10));
                let _ = floating::check_out(conn, l, &device(&hw), ActivatedBy::Key, at)?;
                if rng.random_bool(0.5) {
                    refused_is_fine(floating::heartbeat(conn, l, &hw, at + Duration::minutes(3)))?;
                }
            }
            if rng.random_bool(0.3) {
                if let Some(d0) = crate::models::device::for_license(conn, l, 20)?
                    .into_iter()
                    .find(|x| x.is_active())
                {
                    let at = day(d, 17);
                    let _ = floating::borrow(
                        conn,
                        &Actor::client("demo", None),
                        l,
                        d0.id,
                        at + Duration::hours(24),
                        crate::domain::Source::LicenseApi,
                        at,
                    )?;
                }
            }
        }
        for &l in &analytics {
            let features = license::features_at(conn, l, day(d, 12))?;
            for f in features.iter().filter(|f| f.kind == "consumption") {
                let events: Vec<NewEvent> = (0..rng.random_range(1..6))
                    .map(|_| {
                        event += 1;
                        NewEvent {
                            feature: Some(f.code.clone()),
                            event_id: format!("demo-{event}"),
                            quantity: rng.random_range(1..40),
                        }
                    })
                    .collect();
                consumption::add(conn, l, &events, day(d, 12))?;
            }
        }
        // The applications' checks of the day (as the API's flush writes them).
        let checks: Vec<(LicenseId, chrono::NaiveDate, i64)> = render
            .iter()
            .chain(&analytics)
            .map(|l| (*l, day(d, 0).date(), rng.random_range(40..400)))
            .collect();
        crate::models::license_check::add_counts(conn, &checks)?;
        crate::models::usage::add_checks(conn, &checks)?;
        if d % 4 == 1 {
            let hw = format!("tl-{d}");
            match trial::start(
                conn,
                "STUDIO",
                &device(&hw),
                "198.51.100.0/24",
                100,
                day(d, 15),
            ) {
                Ok(_) | Err(ModelError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
