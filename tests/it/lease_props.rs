//! Floating seats, proved over generated sequences of check-outs, heartbeats, releases,
//! borrows and returns by a few hardware ids while time passes (leases lapse, borrows
//! end) — through the model functions the license API calls, each in one write
//! transaction. A reference model (each hardware id's lease and borrow end) predicts
//! every answer; after every step the seats held (unexpired leases and borrows, with no
//! sweeper) are the model's and never more than the license's seats, and a hardware id
//! is never active twice.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use keyfold::db::schema::{devices, licenses};
use keyfold::domain::Source;
use keyfold::models::activation::{ActivatedBy, DeviceInfo};
use keyfold::models::audit::Actor;
use keyfold::models::{floating, ModelError};
use proptest::prelude::*;

use crate::helpers::props;

#[derive(Debug, Clone)]
enum Step {
    CheckOut(usize),
    Heartbeat(usize),
    Release(usize),
    Borrow(usize, i64),
    Return(usize),
    Wait(i64),
}

fn steps() -> impl Strategy<Value = (i64, Vec<Step>)> {
    let step = prop_oneof![
        4 => (0..5usize).prop_map(Step::CheckOut),
        2 => (0..5usize).prop_map(Step::Heartbeat),
        1 => (0..5usize).prop_map(Step::Release),
        1 => (0..5usize, 1..30i64).prop_map(|(h, hours)| Step::Borrow(h, hours)),
        1 => (0..5usize).prop_map(Step::Return),
        2 => (0..30i64).prop_map(Step::Wait),
    ];
    (1..4i64, prop::collection::vec(step, 1..30))
}

/// A hardware id in the model: its lease's and borrow's ends (none: not active).
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    lease: Option<NaiveDateTime>,
    borrow: Option<NaiveDateTime>,
}

impl Held {
    fn holds(&self, now: NaiveDateTime) -> bool {
        self.lease.is_some_and(|t| t > now) || self.borrow.is_some_and(|t| t > now)
    }
}

fn code<T>(r: Result<Result<T, keyfold::models::Refusal>, ModelError>) -> Option<&'static str> {
    match r {
        Ok(Ok(_)) => None,
        Ok(Err(refusal)) => Some(refusal.code),
        Err(e) => Some(e.code()),
    }
}

fn prove(cases: u32) {
    let (_db, conn, product) = props::setup("FLOAT", "perpetual");
    let counter = std::cell::Cell::new(0usize);
    let mut runner = props::runner(cases);
    let actor = Actor::client("props", None);
    let result = runner.run(&steps(), |(seats, steps)| {
        let mut conn = conn.borrow_mut();
        let conn = &mut *conn;
        let n = counter.get() + 1;
        counter.set(n);
        let mut now = keyfold::models::now();
        let id = props::license(conn, "FLOAT", n, product, "perpetual", now);
        diesel::update(licenses::table.find(id))
            .set((
                licenses::max_activations.eq(20),
                licenses::floating_seats.eq(seats),
                licenses::borrow_limit_hours.eq(24),
            ))
            .execute(conn)
            .unwrap();
        let lease = Duration::minutes(10);
        let mut model: BTreeMap<usize, Held> = BTreeMap::new();
        let hw = |h: usize| format!("hw-{h}");
        for step in &steps {
            let held_now =
                |m: &BTreeMap<usize, Held>, now| m.values().filter(|x| x.holds(now)).count() as i64;
            let full = held_now(&model, now) >= seats;
            match step {
                Step::CheckOut(h) => {
                    let info = DeviceInfo {
                        hardware_id: hw(*h),
                        ..DeviceInfo::default()
                    };
                    let got = keyfold::db::write_tx(conn, |c| {
                        floating::check_out(c, id, &info, ActivatedBy::Key, now)
                    });
                    let holds = model.get(h).is_some_and(|x| x.holds(now));
                    if !holds && full {
                        prop_assert_eq!(code(got), Some("no_seat_available"));
                    } else {
                        prop_assert_eq!(code(got), None);
                        model.entry(*h).or_default().lease = Some(now + lease);
                    }
                }
                Step::Heartbeat(h) => {
                    let got =
                        keyfold::db::write_tx(conn, |c| floating::heartbeat(c, id, &hw(*h), now));
                    match model.get(h) {
                        None => prop_assert_eq!(code(got), Some("not_activated")),
                        Some(x) if !x.holds(now) && full => {
                            prop_assert_eq!(code(got), Some("no_seat_available"))
                        }
                        Some(_) => {
                            prop_assert_eq!(code(got), None);
                            model.entry(*h).or_default().lease = Some(now + lease);
                        }
                    }
                }
                Step::Release(h) => {
                    let got =
                        keyfold::db::write_tx(conn, |c| floating::release(c, id, &hw(*h), now));
                    match model.get_mut(h) {
                        None => {
                            prop_assert_eq!(got.map(|_| ()).unwrap_err().code(), "not_activated")
                        }
                        Some(x) => {
                            let released = got.map_err(|e| TestCaseError::fail(e.to_string()))?.2;
                            prop_assert_eq!(released, x.lease.is_some_and(|t| t > now));
                            x.lease = None;
                        }
                    }
                }
                Step::Borrow(h, hours) => {
                    let until = now + Duration::hours(*hours);
                    let got = keyfold::db::write_tx(conn, |c| {
                        let d = floating::active_by_hardware_id(c, id, &hw(*h))?;
                        floating::borrow(c, &actor, id, d.id, until, Source::LicenseApi, now)
                    });
                    match model.get(h) {
                        None => prop_assert_eq!(code(got), Some("not_activated")),
                        Some(_) if *hours > 24 => prop_assert_eq!(code(got), Some("invalid_field")),
                        Some(x) if !x.holds(now) && full => {
                            prop_assert_eq!(code(got), Some("no_seat_available"))
                        }
                        Some(_) => {
                            prop_assert_eq!(code(got), None);
                            model.entry(*h).or_default().borrow = Some(until);
                        }
                    }
                }
                Step::Return(h) => {
                    let got = keyfold::db::write_tx(conn, |c| {
                        let d = floating::active_by_hardware_id(c, id, &hw(*h))?;
                        floating::return_seat(c, &actor, id, d.id, Source::LicenseApi, now)
                    });
                    match model.get_mut(h) {
                        None => {
                            prop_assert_eq!(got.map(|_| ()).unwrap_err().code(), "not_activated")
                        }
                        Some(x) if x.borrow.is_none_or(|t| t <= now) => {
                            prop_assert_eq!(
                                got.map(|_| ()).unwrap_err().code(),
                                "seat_not_borrowed"
                            )
                        }
                        Some(x) => {
                            prop_assert!(got.is_ok());
                            x.borrow = None;
                        }
                    }
                }
                Step::Wait(minutes) => now += Duration::minutes(*minutes),
            }
            let held = floating::held_seats(conn, id, now, None).unwrap();
            prop_assert_eq!(held, held_now(&model, now), "held seats after {:?}", step);
            prop_assert!(held <= seats);
            let active: Vec<Option<String>> = devices::table
                .filter(devices::license_id.eq(id))
                .filter(devices::deactivated_at.is_null())
                .select(devices::hardware_id)
                .load(conn)
                .unwrap();
            prop_assert_eq!(active.len(), model.len(), "one device per hardware id");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Many sequences on SQLite, fewer on PostgreSQL.
#[test]
fn floating_seats_hold_over_generated_sequences() {
    prove(props::cases(150, 40));
}
