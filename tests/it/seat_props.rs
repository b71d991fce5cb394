//! Seats and transfers, proved over generated sequences of what clients, license
//! managers and staff do to one license's devices: activate (also a hardware id that is
//! already active), deactivate through the API, reset a device or the whole license in
//! the license portal or the admin portal — through the model functions the handlers
//! call, each in one write transaction. A reference model (the set of active hardware
//! ids, the transfers spent) predicts every outcome; after every step:
//! - the active devices are exactly the model's, one per hardware id, and the license's
//!   count of active devices equals them and never passes max activations;
//! - an activation is refused (`max_activations_reached`) exactly when its hardware id
//!   is not active and every seat is taken; a retry answers the same device;
//! - transfers spent equal the client and license-portal deactivations that happened,
//!   never pass max transfers, and a deactivation is refused
//!   (`max_transfers_reached`) exactly when it would pass them; staff never spend one;
//! - the product's activations per hour and client deactivations per 30 days refuse
//!   (`activations_rate_reached`, `deactivations_rate_reached`) exactly when the
//!   license's API activations or deactivations so far reach them.

use std::collections::BTreeSet;

use diesel::prelude::*;
use keyfold::db::schema::devices;
use keyfold::db::DbConnection;
use keyfold::domain::{DeviceId, LicenseId};
use keyfold::models::activation::{self, ActivatedBy, DeviceInfo};
use keyfold::models::audit::Actor;
use keyfold::models::license_ops::{self, ResetBy};
use keyfold::models::{license, ModelError};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::helpers::props;

#[derive(Debug, Clone)]
enum Step {
    Activate(usize),
    Deactivate(usize),
    ResetDevice(usize, bool),
    ResetLicense(bool),
}

/// Max activations, max transfers, the product's activations per hour and client
/// deactivations per 30 days, and the steps.
type Case = (i64, Option<i64>, (Option<i64>, Option<i64>), Vec<Step>);

fn steps() -> impl Strategy<Value = Case> {
    let step = prop_oneof![
        4 => (0..6usize).prop_map(Step::Activate),
        2 => (0..6usize).prop_map(Step::Deactivate),
        2 => (0..6usize, any::<bool>()).prop_map(|(h, p)| Step::ResetDevice(h, p)),
        1 => any::<bool>().prop_map(Step::ResetLicense),
    ];
    (
        1..5i64,
        prop::option::of(0..5i64),
        (prop::option::of(1..6i64), prop::option::of(0..5i64)),
        prop::collection::vec(step, 1..30),
    )
}

fn hw(i: usize) -> String {
    format!("hw-{i}")
}

fn active(conn: &mut DbConnection, license: LicenseId) -> Vec<(DeviceId, String)> {
    devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .select((devices::id, devices::hardware_id.assume_not_null()))
        .load(conn)
        .unwrap()
}

fn code(e: &ModelError) -> &'static str {
    e.code()
}

fn prove(cases: u32) {
    let (_db, conn, product) = props::setup("SEATS", "perpetual");
    let counter = std::cell::Cell::new(0usize);
    let mut runner = props::runner(cases);
    let actor = Actor::system("props");
    let result = runner.run(&steps(), |(max, max_transfers, rates, steps)| {
        let mut conn = conn.borrow_mut();
        let conn = &mut *conn;
        let (per_hour, per_30_days) = rates;
        diesel::update(keyfold::db::schema::products::table.find(product))
            .set((
                keyfold::db::schema::products::activations_per_hour.eq(per_hour),
                keyfold::db::schema::products::deactivations_per_30_days.eq(per_30_days),
            ))
            .execute(conn)
            .unwrap();
        let n = counter.get() + 1;
        counter.set(n);
        let now = keyfold::models::now();
        let id = props::license(conn, "SEAT", n, product, "perpetual", now);
        diesel::update(keyfold::db::schema::licenses::table.find(id))
            .set((
                keyfold::db::schema::licenses::max_activations.eq(max),
                keyfold::db::schema::licenses::max_transfers.eq(max_transfers),
            ))
            .execute(conn)
            .unwrap();
        let mut model: BTreeSet<String> = BTreeSet::new();
        let mut spent = 0i64;
        let (mut activated, mut deactivated) = (0i64, 0i64);
        let reached = |limit: Option<i64>, n: i64| limit.is_some_and(|l| n >= l);
        let left = |spent: i64| max_transfers.map_or(i64::MAX, |m| m - spent);
        for step in &steps {
            let before: std::collections::HashMap<String, DeviceId> =
                active(conn, id).into_iter().map(|(d, h)| (h, d)).collect();
            match step {
                Step::Activate(h) => {
                    let info = DeviceInfo {
                        hardware_id: hw(*h),
                        ..DeviceInfo::default()
                    };
                    let got = keyfold::db::write_tx(conn, |c| {
                        activation::activate(c, id, &info, ActivatedBy::Key, now)
                    })
                    .unwrap();
                    if model.contains(&hw(*h)) {
                        let a =
                            got.map_err(|r| TestCaseError::fail(format!("retry refused: {r}")))?;
                        prop_assert!(!a.created);
                        prop_assert_eq!(Some(&a.device.id), before.get(&hw(*h)));
                    } else if reached(per_hour, activated) {
                        prop_assert_eq!(
                            got.map(|_| ()).unwrap_err().code,
                            "activations_rate_reached"
                        );
                    } else if model.len() as i64 >= max {
                        prop_assert_eq!(
                            got.map(|_| ()).unwrap_err().code,
                            "max_activations_reached"
                        );
                    } else {
                        prop_assert!(got.map_err(|r| TestCaseError::fail(r.to_string()))?.created);
                        model.insert(hw(*h));
                        activated += 1;
                    }
                }
                Step::Deactivate(h) => {
                    let Some(device) = before.get(&hw(*h)) else {
                        continue;
                    };
                    let got = keyfold::db::write_tx(conn, |c| {
                        activation::deactivate(c, id, *device, now)
                    });
                    if reached(per_30_days, deactivated) {
                        prop_assert_eq!(
                            got.map(|_| ()).map_err(|e| code(&e)),
                            Err("deactivations_rate_reached")
                        );
                    } else if left(spent) >= 1 {
                        prop_assert!(got.map_err(|e| TestCaseError::fail(e.to_string()))?.1);
                        model.remove(&hw(*h));
                        spent += 1;
                        deactivated += 1;
                    } else {
                        prop_assert_eq!(
                            got.map(|_| ()).map_err(|e| code(&e)),
                            Err("max_transfers_reached")
                        );
                    }
                }
                Step::ResetDevice(h, portal) => {
                    let Some(device) = before.get(&hw(*h)) else {
                        continue;
                    };
                    let by = if *portal {
                        ResetBy::LicenseManager
                    } else {
                        ResetBy::Staff
                    };
                    let got = keyfold::db::write_tx(conn, |c| {
                        license_ops::reset_device(c, &actor, id, *device, by)
                    });
                    if !portal || left(spent) >= 1 {
                        prop_assert!(got.is_ok(), "{:?}", got.err());
                        model.remove(&hw(*h));
                        spent += i64::from(*portal);
                    } else {
                        prop_assert_eq!(
                            got.map(|_| ()).map_err(|e| code(&e)),
                            Err("max_transfers_reached")
                        );
                    }
                }
                Step::ResetLicense(portal) => {
                    let by = if *portal {
                        ResetBy::LicenseManager
                    } else {
                        ResetBy::Staff
                    };
                    let need = if *portal { model.len() as i64 } else { 0 };
                    let got =
                        keyfold::db::write_tx(conn, |c| license_ops::reset(c, &actor, id, by));
                    if left(spent) >= need {
                        prop_assert!(got.is_ok(), "{:?}", got.err());
                        model.clear();
                        spent += need;
                    } else {
                        prop_assert_eq!(
                            got.map(|_| ()).map_err(|e| code(&e)),
                            Err("max_transfers_reached")
                        );
                    }
                }
            }
            let now_active: BTreeSet<String> =
                active(conn, id).into_iter().map(|(_, h)| h).collect();
            let rows = active(conn, id).len();
            prop_assert_eq!(rows, now_active.len(), "one active device per hardware id");
            prop_assert_eq!(&now_active, &model, "after {:?}", step);
            let l = license::find(conn, id).unwrap().unwrap();
            prop_assert_eq!(l.active_devices, model.len() as i64);
            prop_assert!(l.active_devices <= max);
            prop_assert_eq!(l.transfers, spent);
            if let Some(m) = max_transfers {
                prop_assert!(l.transfers <= m);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Many sequences on SQLite, fewer on PostgreSQL (the same rules; the second backend
/// checks the queries and the locks).
#[test]
fn seats_and_transfers_hold_over_generated_sequences() {
    prove(props::cases(250, 60));
}
