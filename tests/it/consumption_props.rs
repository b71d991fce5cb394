//! Consumption, proved over generated sequences of what a client and the vendor do to
//! one license's consumption feature: consume (event ids from a small pool, so retries
//! and reused ids with other quantities happen), change the reset period, change the
//! overage, let time pass (across day, week, month and year boundaries) — through the
//! model function the handlers call, each in one write transaction. A reference model
//! (the counter and the period it belongs to, the remembered events) predicts every
//! answer; after every step the feature's counter and period are the model's and equal
//! the events accepted since the count last started from zero (a new period, or a
//! change of the period setting); the recorded consumption events and the usage
//! report's daily counts sum to what was accepted.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use keyfold::db::schema::{license_events, license_features, license_usage_days, licenses};
use keyfold::domain::ConsumptionPeriod;
use keyfold::models::consumption::{self, NewEvent};
use proptest::prelude::*;

use crate::helpers::props;

#[derive(Debug, Clone)]
enum Step {
    Consume(usize, i64),
    Period(usize),
    Overage(Option<i64>),
    Wait(i64),
}

fn steps() -> impl Strategy<Value = (i64, Vec<Step>)> {
    let step = prop_oneof![
        6 => (0..6usize, 1..40i64).prop_map(|(e, q)| Step::Consume(e, q)),
        1 => (0..5usize).prop_map(Step::Period),
        1 => prop::option::of(0..30i64).prop_map(Step::Overage),
        2 => (0..80i64).prop_map(Step::Wait),
    ];
    (10..120i64, prop::collection::vec(step, 1..30))
}

fn prove(cases: u32) {
    let (_db, conn, product) = props::setup("USE", "consumption");
    let counter = std::cell::Cell::new(0usize);
    let mut runner = props::runner(cases);
    let result = runner.run(&steps(), |(max, steps)| {
        let mut conn = conn.borrow_mut();
        let conn = &mut *conn;
        let n = counter.get() + 1;
        counter.set(n);
        // Starts just before the end of a year, so the walk crosses every boundary.
        let mut now =
            NaiveDateTime::parse_from_str("2026-12-27 22:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let id = props::license(conn, "USE", n, product, "consumption", now);
        diesel::update(licenses::table.find(id))
            .set(licenses::max_activations.eq(1))
            .execute(conn)
            .unwrap();
        diesel::insert_into(license_features::table)
            .values((
                license_features::license_id.eq(id),
                license_features::code.eq("units"),
                license_features::name.eq("Units"),
                license_features::kind.eq("consumption"),
                license_features::max_consumption.eq(Some(max)),
                license_features::consumed.eq(0),
            ))
            .execute(conn)
            .unwrap();
        // The model: the stored counter and its period, the remembered events.
        let (mut stored, mut stored_key) = (0i64, "all".to_owned());
        let mut period = ConsumptionPeriod::Never;
        let mut overage: Option<i64> = None;
        let mut remembered: HashMap<usize, (i64, String, i64)> = HashMap::new();
        let mut accepted_total = 0i64;
        let mut since_reset: Vec<i64> = Vec::new();
        for step in &steps {
            match step {
                Step::Consume(e, q) => {
                    let event = NewEvent {
                        feature: None,
                        event_id: format!("ev-{e}"),
                        quantity: *q,
                    };
                    let (_, mut answers) =
                        keyfold::db::write_tx(conn, |c| consumption::add(c, id, &[event], now))
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let got = answers.pop().unwrap();
                    let key = period.key(now);
                    let effective = if stored_key == key { stored } else { 0 };
                    match remembered.get(e) {
                        Some((quantity, k, after)) if quantity == q => {
                            let c = got.map_err(|r| TestCaseError::fail(r.to_string()))?;
                            prop_assert!(c.accepted && c.repeated);
                            prop_assert_eq!((c.consumed, &c.period), (*after, k));
                        }
                        Some(_) => {
                            prop_assert_eq!(got.map(|_| ()).unwrap_err().code, "event_id_reused");
                        }
                        None => {
                            let c = got.map_err(|r| TestCaseError::fail(r.to_string()))?;
                            let limit = max + overage.unwrap_or(0);
                            if effective + q > limit {
                                prop_assert!(!c.accepted);
                                prop_assert_eq!(c.consumed, effective);
                                prop_assert_eq!(c.remaining, Some((limit - effective).max(0)));
                            } else {
                                prop_assert!(c.accepted && !c.repeated);
                                prop_assert_eq!(c.consumed, effective + q);
                                if stored_key != key {
                                    since_reset.clear();
                                }
                                since_reset.push(*q);
                                stored = effective + q;
                                stored_key = key.clone();
                                remembered.insert(*e, (*q, key, stored));
                                accepted_total += q;
                            }
                        }
                    }
                }
                Step::Period(p) => {
                    period = ConsumptionPeriod::ALL[*p];
                    diesel::update(licenses::table.find(id))
                        .set(licenses::consumption_period.eq(period))
                        .execute(conn)
                        .unwrap();
                }
                Step::Overage(o) => {
                    overage = *o;
                    diesel::update(
                        license_features::table.filter(license_features::license_id.eq(id)),
                    )
                    .set(license_features::max_overage.eq(overage))
                    .execute(conn)
                    .unwrap();
                }
                Step::Wait(hours) => now += Duration::hours(*hours),
            }
            // The stored counter is the model's and never passes the limit.
            let (consumed, key): (i64, String) = license_features::table
                .filter(license_features::license_id.eq(id))
                .select((license_features::consumed, license_features::period))
                .first(conn)
                .unwrap();
            prop_assert_eq!((consumed, &key), (stored, &stored_key));
            // What was accepted since the count last started from zero (a new period,
            // or a change of the period setting — even back to an earlier one).
            prop_assert_eq!(consumed, since_reset.iter().sum::<i64>());
        }
        let recorded: Vec<i64> = license_events::table
            .filter(license_events::license_id.eq(id))
            .filter(license_events::kind.eq("consumed"))
            .select(license_events::amount)
            .load(conn)
            .unwrap();
        let daily: Vec<i64> = license_usage_days::table
            .filter(license_usage_days::license_id.eq(id))
            .select(license_usage_days::consumption)
            .load(conn)
            .unwrap();
        prop_assert_eq!(recorded.iter().sum::<i64>(), accepted_total);
        prop_assert_eq!(daily.iter().sum::<i64>(), accepted_total);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Many sequences on SQLite, fewer on PostgreSQL.
#[test]
fn consumption_holds_over_generated_sequences() {
    prove(props::cases(150, 40));
}
