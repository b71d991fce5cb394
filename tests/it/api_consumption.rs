//! Consumption through the license API: limits with and without overage decided by the
//! server, an event id counted once (a retry answers as the first time; another
//! quantity is 409), only accepted events remembered, periodic resets at a UTC period
//! boundary with no sweeper, batches answered event by event, and exactly the remaining
//! amount accepted when fifty clients consume at once.

use diesel::prelude::*;
use keyfold::db::schema::{consumption_events, license_events, license_features, licenses};
use serde_json::{json, Value};

use crate::api_activation::{by_key, licensed};
use crate::api_seats::{app, set_clock};
use crate::helpers::{version_in, TestApp};

/// A license of product `code` (feature `calls`, max 100) active on `hw-1`.
async fn consuming(app: &TestApp, code: &str) -> (i64, String) {
    let (_, license, key) = licensed(app, code).await;
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key(code, &key, "hw-1"))
        .await;
    assert_eq!(s, 200, "{v}");
    (license, key)
}

fn event(code: &str, key: &str, id: &str, quantity: Value) -> Value {
    let mut b = by_key(code, key, "hw-1");
    b["event_id"] = json!(id);
    b["quantity"] = quantity;
    b
}

fn counter(app: &TestApp, license: i64) -> (i64, String) {
    license_features::table
        .filter(license_features::license_id.eq(license))
        .select((license_features::consumed, license_features::period))
        .first(&mut app.conn())
        .unwrap()
}

/// Saves the license form with the feature's maximum and overage and the period.
async fn edit(
    app: &TestApp,
    license: i64,
    max: &str,
    overage: &str,
    period: &str,
) -> reqwest::Response {
    let form = app.page(&format!("/licenses/{license}/edit")).await;
    let feature =
        keyfold::models::license::features(&mut app.conn(), keyfold::domain::LicenseId(license))
            .unwrap()[0]
            .id
            .to_string();
    let version = version_in(&form);
    app.post_form(
        &format!("/licenses/{license}"),
        &[
            ("updated_at", version.as_str()),
            ("start_date", ""),
            ("validity_days", "365"),
            ("max_activations", "2"),
            ("floating_seats", "0"),
            ("borrow_limit_hours", "0"),
            ("metadata", "{}"),
            ("consumption_period", period),
            ("feature_id", feature.as_str()),
            ("feature_max", max),
            ("feature_overage", overage),
        ],
    )
    .await
}

#[tokio::test]
async fn consumption_counts_each_event_once_within_the_limit() {
    let app = app().await;
    let (license, key) = consuming(&app, "USE").await;
    let ev = |id: &str, q: i64| event("USE", &key, id, json!(q));
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e1", 60)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["accepted"].clone(),
            v["repeated"].clone(),
            v["consumed"].clone(),
            v["remaining"].clone(),
            v["feature"].clone(),
            v["period"].clone()
        ),
        (
            json!(true),
            json!(false),
            json!(60),
            json!(40),
            json!("calls"),
            json!("all")
        )
    );
    // Beyond the limit: not counted, the remaining amount in the answer, not remembered.
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e2", 50)).await;
    assert_eq!(
        (
            s,
            v["accepted"].clone(),
            v["code"].as_str(),
            v["remaining"].clone(),
            v["consumed"].clone()
        ),
        (
            200,
            json!(false),
            Some("consumption_limit_reached"),
            json!(40),
            json!(60)
        ),
        "{v}"
    );
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e2", 40)).await;
    assert_eq!(
        (
            s,
            v["accepted"].clone(),
            v["consumed"].clone(),
            v["remaining"].clone()
        ),
        (200, json!(true), json!(100), json!(0)),
        "a refused event id may be used again"
    );
    // The same event again answers as the first time; another quantity is a conflict.
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e1", 60)).await;
    assert_eq!(
        (
            s,
            v["accepted"].clone(),
            v["repeated"].clone(),
            v["consumed"].clone()
        ),
        (200, json!(true), json!(true), json!(60)),
        "{v}"
    );
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e1", 61)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("event_id_reused")),
        "{v}"
    );
    assert_eq!(counter(&app, license).0, 100);
    let remembered: i64 = consumption_events::table
        .filter(consumption_events::license_id.eq(license))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(remembered, 2, "only accepted events are remembered");
    let amounts: Vec<i64> = license_events::table
        .filter(license_events::license_id.eq(license))
        .filter(license_events::kind.eq("consumed"))
        .select(license_events::amount)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        amounts.iter().sum::<i64>(),
        100,
        "the events sum to the counter"
    );

    // Hostile quantities and ids: a clear 400, nothing counted.
    for q in [
        json!(0),
        json!(-1),
        json!(1_000_001),
        json!(1.5),
        json!("7"),
        json!(null),
        json!(9e18),
        json!(i64::MAX),
    ] {
        let (s, v) = app
            .api_post("/api/v1/consumption", &event("USE", &key, "e9", q.clone()))
            .await;
        assert_eq!((s, v["code"].as_str()), (400, Some("body_invalid")), "{q}");
    }
    for id in ["", "a\u{0}b", &"x".repeat(101)] {
        let (s, _) = app
            .api_post("/api/v1/consumption", &event("USE", &key, id, json!(1)))
            .await;
        assert_eq!(s, 400, "{id:.10}");
    }
    let mut other = ev("e3", 1);
    other["feature"] = json!("nope");
    let (s, v) = app.api_post("/api/v1/consumption", &other).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("feature_not_found")));
    let mut stranger = ev("e3", 1);
    stranger["hardware_id"] = json!("hw-unknown");
    let (s, v) = app.api_post("/api/v1/consumption", &stranger).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_activated")));
    assert_eq!(counter(&app, license).0, 100);

    // Overage, decided by the server: the license form allows 10 beyond the maximum.
    let r = edit(&app, license, "100", "10", "none").await;
    assert_eq!(r.status(), 303);
    let (s, v) = app.api_post("/api/v1/consumption", &ev("e4", 10)).await;
    assert_eq!(
        (
            s,
            v["accepted"].clone(),
            v["consumed"].clone(),
            v["max_overage"].clone(),
            v["remaining"].clone()
        ),
        (200, json!(true), json!(110), json!(10), json!(0)),
        "{v}"
    );
    let (_, v) = app.api_post("/api/v1/consumption", &ev("e5", 1)).await;
    assert_eq!(v["accepted"], false);
    // The check answers the counter too.
    let (_, v) = app
        .api_post("/api/v1/check", &by_key("USE", &key, "hw-1"))
        .await;
    assert_eq!(
        (
            v["features"][0]["consumed"].clone(),
            v["features"][0]["max_overage"].clone()
        ),
        (json!(110), json!(10))
    );
    // Hostile overages on the form: a message beside the field, nothing saved.
    for bad in ["-1", "1e3", "99999999999999999999", "ten"] {
        let r = edit(&app, license, "100", bad, "none").await;
        assert_eq!(r.status(), 422, "{bad}");
        assert!(r.text().await.unwrap().contains(bad));
    }
    let r = edit(&app, license, "100", "10", "hourly").await;
    assert_eq!(r.status(), 422);
    assert!(app
        .page(&format!("/licenses/{license}"))
        .await
        .contains("110 / 100"));
}

#[tokio::test]
async fn a_periodic_reset_starts_the_count_again_at_the_period_boundary() {
    let app = app().await;
    let (license, key) = consuming(&app, "DAILY").await;
    assert_eq!(edit(&app, license, "100", "", "daily").await.status(), 303);
    let ev = |id: &str, q: i64| event("DAILY", &key, id, json!(q));
    // Just before midnight UTC (by the database's clock) ...
    let now = keyfold::db::now();
    let midnight = (now.date() + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap();
    set_clock(&app, (midnight - now).num_seconds() - 5);
    let (s, v) = app.api_post("/api/v1/consumption", &ev("d1", 100)).await;
    assert_eq!((s, v["consumed"].clone()), (200, json!(100)), "{v}");
    let today = v["period"].as_str().unwrap().to_owned();
    let (_, v) = app.api_post("/api/v1/consumption", &ev("d2", 1)).await;
    assert_eq!(v["accepted"], false, "the day's limit is reached");
    // ... and just after: a new period, counted from zero with no sweeper.
    set_clock(&app, (midnight - now).num_seconds() + 5);
    let (s, v) = app.api_post("/api/v1/consumption", &ev("d2", 1)).await;
    assert_eq!(
        (s, v["accepted"].clone(), v["consumed"].clone()),
        (200, json!(true), json!(1)),
        "{v}"
    );
    assert_eq!(
        v["period"].as_str().unwrap(),
        (midnight.date()).format("%Y-%m-%d").to_string()
    );
    assert_ne!(v["period"].as_str().unwrap(), today);
    // An event of the last period, sent again, still answers as the first time.
    let (_, v) = app.api_post("/api/v1/consumption", &ev("d1", 100)).await;
    assert_eq!(
        (
            v["repeated"].clone(),
            v["consumed"].clone(),
            v["period"].as_str()
        ),
        (json!(true), json!(100), Some(today.as_str()))
    );
    assert_eq!(
        counter(&app, license),
        (1, midnight.date().format("%Y-%m-%d").to_string())
    );
    // Changing the period in mid-period starts the count from zero in the new one.
    assert_eq!(
        edit(&app, license, "100", "", "monthly").await.status(),
        303
    );
    let (_, v) = app.api_post("/api/v1/consumption", &ev("d3", 2)).await;
    assert_eq!(
        (v["consumed"].clone(), v["period"].as_str().map(str::len)),
        (json!(2), Some(7)),
        "{v}"
    );
}

#[tokio::test]
async fn a_batch_answers_each_event_on_its_own() {
    let app = app().await;
    let (license, key) = consuming(&app, "BATCH").await;
    app.api_post("/api/v1/consumption", &event("BATCH", &key, "b1", json!(5)))
        .await;
    let mut body = by_key("BATCH", &key, "hw-1");
    body["events"] = json!([
        { "event_id": "b2", "quantity": 10 },
        { "event_id": "b1", "quantity": 6 },
        { "event_id": "b3", "quantity": 1, "feature": "nope" },
        { "event_id": "b4", "quantity": 90 },
        { "event_id": "b5", "quantity": 85, "feature": "CALLS" },
        { "event_id": "b1", "quantity": 5 },
    ]);
    let (s, v) = app.api_post("/api/v1/consumption/batch", &body).await;
    assert_eq!(s, 200, "{v}");
    let r = v["results"].as_array().unwrap();
    let seen: Vec<(i64, bool, Option<&str>)> = r
        .iter()
        .map(|x| {
            (
                x["status"].as_i64().unwrap(),
                x["accepted"].as_bool().unwrap(),
                x["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (200, true, None),
            (409, false, Some("event_id_reused")),
            (404, false, Some("feature_not_found")),
            (200, false, Some("consumption_limit_reached")),
            (200, true, None),
            (200, true, None),
        ]
    );
    assert_eq!(
        (
            r[4]["consumed"].clone(),
            r[5]["repeated"].clone(),
            r[5]["consumed"].clone()
        ),
        (json!(100), json!(true), json!(5))
    );
    assert_eq!(counter(&app, license).0, 100);
    for events in [
        json!([]),
        json!((0..101)
            .map(|i| json!({ "event_id": format!("x{i}"), "quantity": 1 }))
            .collect::<Vec<_>>()),
    ] {
        let mut b = by_key("BATCH", &key, "hw-1");
        b["events"] = events;
        let (s, v) = app.api_post("/api/v1/consumption/batch", &b).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("body_invalid")));
    }
    // Several consumption features: the event must name one.
    diesel::insert_into(license_features::table)
        .values((
            license_features::license_id.eq(license),
            license_features::code.eq("minutes"),
            license_features::name.eq("Minutes"),
            license_features::kind.eq("consumption"),
            license_features::max_consumption.eq(Some(10)),
            license_features::consumed.eq(0),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app
        .api_post("/api/v1/consumption", &event("BATCH", &key, "m1", json!(1)))
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("feature_required")));
}

/// Fifty consumptions of 1 at once against a remaining 20: exactly 20 accepted (on
/// PostgreSQL across two instances).
#[tokio::test]
async fn fifty_simultaneous_consumptions_accept_exactly_what_remains() {
    let app = app().await;
    let second = if app.db.url().starts_with("postgres") {
        Some(
            TestApp::spawn_on(
                crate::helpers::db::TestDb::borrowed(&app.db),
                |c| {
                    c.secret_key = Some(keyfold::config::Secret::new(
                        "an API test secret of more than thirty-two characters",
                    ));
                    c.api.license_per_minute = 100_000;
                    c.api.failures_per_minute = 100_000;
                },
                None,
            )
            .await,
        )
    } else {
        None
    };
    let (license, key) = consuming(&app, "RUSHUSE").await;
    app.api_post(
        "/api/v1/consumption",
        &event("RUSHUSE", &key, "start", json!(80)),
    )
    .await;
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    let calls = (0..50).map(|i| {
        let target = instances[i % instances.len()];
        let body = event("RUSHUSE", &key, &format!("r{i}"), json!(1));
        async move { target.api_post("/api/v1/consumption", &body).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let accepted = answers
        .iter()
        .filter(|(s, v)| *s == 200 && v["accepted"] == true)
        .count();
    let refused = answers
        .iter()
        .filter(|(s, v)| *s == 200 && v["accepted"] == false)
        .count();
    assert_eq!(
        (accepted, refused),
        (20, 30),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(counter(&app, license).0, 100);
    let _ = licenses::table.find(license);
}
