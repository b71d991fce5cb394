//! Floating seats through the license API: check-outs under a lease that lapses with no
//! sweeper (against the database's clock, moved forward by the test clock), heartbeats,
//! release, borrow with a signed seat file and return, a check never taking a seat, and
//! exactly the seats there are when fifty clients check out at once.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::prelude::*;
use keyfold::db::schema::{devices, license_events, licenses, products, settings};
use serde_json::{json, Value};

use crate::api_activation::{by_key, licensed};
use crate::helpers::TestApp;

pub(crate) const SECRET: &str = "an API test secret of more than thirty-two characters";

fn adjust(c: &mut keyfold::config::Config) {
    c.secret_key = Some(keyfold::config::Secret::new(SECRET));
    c.api.license_per_minute = 100_000;
    c.api.failures_per_minute = 100_000;
    c.api.test_clock = true;
}

pub(crate) async fn app() -> TestApp {
    TestApp::spawn_with(adjust, None).await
}

/// Moves the database clock every instance compares leases against.
pub(crate) fn set_clock(app: &TestApp, offset_seconds: i64) {
    let mut conn = app.conn();
    diesel::delete(settings::table.filter(settings::key.eq(keyfold::models::clock::OFFSET_KEY)))
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(settings::table)
        .values((
            settings::key.eq(keyfold::models::clock::OFFSET_KEY),
            settings::value.eq(offset_seconds.to_string()),
            settings::updated_at.eq(keyfold::db::now()),
        ))
        .execute(&mut conn)
        .unwrap();
}

/// A floating license of product `code`: `seats` seats, 10 activations, the product's
/// lease of 10 minutes, borrowing up to 24 hours.
pub(crate) async fn floating(app: &TestApp, code: &str, seats: i64) -> (i64, String) {
    let (product, license, key) = licensed(app, code).await;
    diesel::update(licenses::table.find(license))
        .set((
            licenses::floating_seats.eq(seats),
            licenses::max_activations.eq(10),
            licenses::borrow_limit_hours.eq(24),
        ))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(products::table.find(product))
        .set(products::activations_per_hour.eq(None::<i64>))
        .execute(&mut app.conn())
        .unwrap();
    (license, key)
}

fn time(v: &Value) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(v.as_str().expect("a time"), "%Y-%m-%dT%H:%M:%S%.f")
        .expect("a time")
}

fn refused(app: &TestApp, license: i64) -> Vec<String> {
    license_events::table
        .filter(license_events::license_id.eq(license))
        .filter(license_events::kind.eq("refused"))
        .select(license_events::code.assume_not_null())
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_lease_holds_a_seat_until_it_lapses_and_heartbeats_renew_it() {
    let app = app().await;
    let (license, key) = floating(&app, "FLOAT", 2).await;
    let out = |hw: &str| by_key("FLOAT", &key, hw);

    let (s, v) = app.api_post("/api/v1/seats/checkout", &out("hw-1")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["created"].clone(),
            v["held_seats"].clone(),
            v["seats"].clone()
        ),
        (json!(true), json!(1), json!(2))
    );
    assert_eq!(v["heartbeat_after_seconds"], 200, "a third of 10 minutes");
    let lease_until = time(&v["lease_until"]);
    let now = keyfold::db::now();
    assert!(
        (lease_until - now).num_seconds().abs_diff(600) < 30,
        "{lease_until} vs {now}"
    );
    assert!(
        time(&v["offline_valid_until"]) <= lease_until,
        "offline trust ends with the lease"
    );
    let device = v["device_id"].as_i64().unwrap();
    assert_eq!(
        app.license(license).active_devices,
        1,
        "the first check-out activates"
    );

    // The same hardware id within its lease gets its own seat back, never a second one.
    let (s, v) = app.api_post("/api/v1/seats/checkout", &out("hw-1")).await;
    assert_eq!(
        (
            s,
            v["created"].clone(),
            v["device_id"].as_i64(),
            v["held_seats"].clone()
        ),
        (200, json!(false), Some(device), json!(1))
    );

    let (s, _) = app.api_post("/api/v1/seats/checkout", &out("hw-2")).await;
    assert_eq!(s, 200);
    let (s, v) = app.api_post("/api/v1/seats/checkout", &out("hw-3")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("no_seat_available")),
        "{v}"
    );
    assert_eq!(
        refused(&app, license),
        ["no_seat_available"],
        "a refused check-out is recorded"
    );
    assert_eq!(
        app.license(license).active_devices,
        2,
        "a refused check-out activates nothing"
    );

    // A check never takes a seat, for a holder or for a stranger.
    let (s, v) = app.api_post("/api/v1/check", &out("hw-3")).await;
    assert_eq!(
        (s, v["valid"].clone(), v["code"].as_str()),
        (200, json!(false), Some("not_activated"))
    );
    let (s, v) = app.api_post("/api/v1/check", &out("hw-1")).await;
    assert_eq!((s, v["valid"].clone()), (200, json!(true)));
    let (s, v) = app.api_post("/api/v1/seats/checkout", &out("hw-3")).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("no_seat_available")));

    // A heartbeat renews: seven minutes on, hw-1 renews and hw-2 does not.
    set_clock(&app, 7 * 60);
    let (s, v) = app.api_post("/api/v1/seats/heartbeat", &out("hw-1")).await;
    assert_eq!(s, 200, "{v}");
    assert!(time(&v["lease_until"]) > lease_until + chrono::Duration::minutes(6));
    // Eleven minutes on, hw-2's lease has lapsed: its seat is free with no sweeper.
    set_clock(&app, 11 * 60);
    let (s, v) = app.api_post("/api/v1/seats/checkout", &out("hw-3")).await;
    assert_eq!((s, v["held_seats"].clone()), (200, json!(2)), "{v}");
    // hw-2's heartbeat after the lapse finds no free seat ...
    let (s, v) = app.api_post("/api/v1/seats/heartbeat", &out("hw-2")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("no_seat_available")),
        "{v}"
    );
    // ... until hw-1 releases: then its heartbeat takes a seat again.
    let (s, v) = app.api_post("/api/v1/seats/release", &out("hw-1")).await;
    assert_eq!(
        (s, v["released"].clone(), v["held_seats"].clone()),
        (200, json!(true), json!(1)),
        "{v}"
    );
    let (s, v) = app.api_post("/api/v1/seats/release", &out("hw-1")).await;
    assert_eq!(
        (s, v["released"].clone()),
        (200, json!(false)),
        "a second release changes nothing"
    );
    let (s, v) = app.api_post("/api/v1/seats/heartbeat", &out("hw-2")).await;
    assert_eq!(
        (s, v["held_seats"].clone(), v["created"].clone()),
        (200, json!(2), json!(false)),
        "{v}"
    );

    // A heartbeat never activates; a non-floating license has no seats.
    let (s, v) = app
        .api_post("/api/v1/seats/heartbeat", &out("hw-new"))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_activated")));
    let (_, _, plain) = licensed(&app, "PLAIN").await;
    let (s, v) = app
        .api_post("/api/v1/seats/checkout", &by_key("PLAIN", &plain, "hw-1"))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("license_not_floating")));
    // A disabled license: refused with its code, and recorded.
    diesel::update(licenses::table.find(license))
        .set(licenses::enabled.eq(false))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app.api_post("/api/v1/seats/heartbeat", &out("hw-2")).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("license_disabled")));
    assert_eq!(
        refused(&app, license).last().map(String::as_str),
        Some("license_disabled")
    );
}

#[tokio::test]
async fn the_lease_length_is_the_licenses_own_or_its_products() {
    let app = app().await;
    let (license, key) = floating(&app, "LEASE", 1).await;
    let r = app
        .page(&format!(
            "/products/{}/edit",
            app.license(license).product_id
        ))
        .await;
    assert!(
        r.contains("name=\"lease_minutes\"") && r.contains("value=\"10\""),
        "the product form shows the default"
    );
    diesel::update(licenses::table.find(license))
        .set(licenses::lease_minutes.eq(Some(3)))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app
        .api_post("/api/v1/seats/checkout", &by_key("LEASE", &key, "hw-1"))
        .await;
    assert_eq!(
        (s, v["heartbeat_after_seconds"].clone()),
        (200, json!(60)),
        "{v}"
    );
    // Hostile values for the setting on the license form: a message beside the field.
    let edit = format!("/licenses/{license}/edit");
    for bad in ["0", "1441", "-3", "99999999999999999999", "1e3", "ten"] {
        let form = app.page(&edit).await;
        let version = crate::helpers::version_in(&form);
        let r = app
            .post_form(
                &format!("/licenses/{license}"),
                &[
                    ("updated_at", version.as_str()),
                    ("max_activations", "10"),
                    ("floating_seats", "1"),
                    ("borrow_limit_hours", "24"),
                    ("lease_minutes", bad),
                    ("metadata", "{}"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("lease_minutes") && body.contains(bad),
            "{bad}: the input comes back"
        );
    }
    assert_eq!(app.license(license).lease_minutes, Some(3), "nothing saved");
}

/// Verifies a signed file with the published key: its signature covers the kind's
/// prefix and the payload's bytes.
pub(crate) async fn verify_file(app: &TestApp, file: &Value, prefix: &str) -> Option<Value> {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let keys: Value = app.api_get("/api/v1/keys").await.json().await.ok()?;
    let key = keys["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == file["kid"])?;
    let raw: [u8; 32] = STANDARD
        .decode(key["public_key"].as_str()?)
        .ok()?
        .try_into()
        .ok()?;
    let key = VerifyingKey::from_bytes(&raw).ok()?;
    let payload = STANDARD.decode(file["payload"].as_str()?).ok()?;
    let sig: [u8; 64] = STANDARD
        .decode(file["signature"].as_str()?)
        .ok()?
        .try_into()
        .ok()?;
    let mut signed = prefix.as_bytes().to_vec();
    signed.extend_from_slice(&payload);
    key.verify(&signed, &Signature::from_bytes(&sig)).ok()?;
    serde_json::from_slice(&payload).ok()
}

#[tokio::test]
async fn a_borrow_answers_a_signed_seat_file_within_the_borrow_limit() {
    let app = app().await;
    let (license, key) = floating(&app, "BORROW", 1).await;
    let borrow = |hw: &str, until: String| {
        let mut b = by_key("BORROW", &key, hw);
        b["borrowed_until"] = json!(until);
        b
    };
    let at = |hours: i64| {
        (keyfold::db::now() + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let (s, v) = app
        .api_post("/api/v1/seats/borrow", &borrow("hw-1", at(2)))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("not_activated")),
        "only an active device borrows"
    );
    let (s, _) = app
        .api_post("/api/v1/seats/checkout", &by_key("BORROW", &key, "hw-1"))
        .await;
    assert_eq!(s, 200);
    for (until, why) in [(at(25), "past the limit"), (at(-1), "in the past")] {
        let (s, v) = app
            .api_post("/api/v1/seats/borrow", &borrow("hw-1", until))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("borrow_until_invalid")),
            "{why}: {v}"
        );
    }
    for bad in [
        "tomorrow",
        "2026-13-01T00:00:00",
        "99999-01-01T00:00:00",
        "",
    ] {
        let (s, v) = app
            .api_post("/api/v1/seats/borrow", &borrow("hw-1", bad.into()))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("body_invalid")),
            "{bad}"
        );
    }
    let until = at(20);
    let (s, v) = app
        .api_post("/api/v1/seats/borrow", &borrow("hw-1", format!("{until}Z")))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["borrowed_until"].as_str(), Some(until.as_str()));
    let file = &v["seat_file"];
    assert_eq!(file["kind"], "keyfold-seat-file");
    let payload = verify_file(&app, file, "keyfold-seat-file v1\n")
        .await
        .expect("the seat file verifies");
    assert_eq!(
        (
            payload["license_key"].as_str(),
            payload["hardware_id"].as_str(),
            payload["borrowed_until"].as_str()
        ),
        (Some(key.as_str()), Some("hw-1"), Some(until.as_str()))
    );
    // Domain separation: the same signature is not a license file's.
    assert!(verify_file(&app, file, "keyfold-license-file v1\n")
        .await
        .is_none());
    assert!(verify_file(&app, file, "").await.is_none());

    // The borrow holds the seat after the lease lapsed; a heartbeat keeps it.
    set_clock(&app, 3600);
    let (s, v) = app
        .api_post("/api/v1/seats/checkout", &by_key("BORROW", &key, "hw-2"))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("no_seat_available")));
    // Returned: the seat is free; a second return is refused.
    let (s, v) = app
        .api_post("/api/v1/seats/return", &by_key("BORROW", &key, "hw-1"))
        .await;
    assert_eq!(
        (s, v["borrowed_until"].clone(), v["held_seats"].clone()),
        (200, Value::Null, json!(0)),
        "{v}"
    );
    let (s, v) = app
        .api_post("/api/v1/seats/return", &by_key("BORROW", &key, "hw-1"))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("seat_not_borrowed")));
    let (s, _) = app
        .api_post("/api/v1/seats/checkout", &by_key("BORROW", &key, "hw-2"))
        .await;
    assert_eq!(s, 200);
    let borrowed: Vec<Option<chrono::NaiveDateTime>> = devices::table
        .filter(devices::license_id.eq(license))
        .select(devices::borrowed_until)
        .load(&mut app.conn())
        .unwrap();
    assert!(borrowed.iter().all(Option::is_none));
    // A license that does not allow borrowing.
    diesel::update(licenses::table.find(license))
        .set(licenses::borrow_limit_hours.eq(0))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app
        .api_post("/api/v1/seats/borrow", &borrow("hw-2", at(1)))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("borrowing_not_allowed")),
        "{v}"
    );
}

/// Fifty check-outs at once of a five-seat license: exactly five leases (on PostgreSQL
/// across two instances), and the rest `no_seat_available`.
#[tokio::test]
async fn fifty_simultaneous_check_outs_take_exactly_the_seats_there_are() {
    let app = app().await;
    let second = if app.db.url().starts_with("postgres") {
        Some(TestApp::spawn_on(crate::helpers::db::TestDb::borrowed(&app.db), adjust, None).await)
    } else {
        None
    };
    let (license, key) = floating(&app, "CROWD", 5).await;
    diesel::update(licenses::table.find(license))
        .set(licenses::max_activations.eq(100))
        .execute(&mut app.conn())
        .unwrap();
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    let calls = (0..50).map(|i| {
        let target = instances[i % instances.len()];
        let body = by_key("CROWD", &key, &format!("hw-{i}"));
        async move { target.api_post("/api/v1/seats/checkout", &body).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let full = answers
        .iter()
        .filter(|(s, v)| *s == 409 && v["code"] == "no_seat_available")
        .count();
    assert_eq!(
        (ok, full),
        (5, 45),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let leased: i64 = devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::checkout_until.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!((leased, app.license(license).active_devices), (5, 5));
}
