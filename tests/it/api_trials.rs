//! Trials through the license API: one per product and hardware id ever (a retry gets
//! the same trial; deleting the order does not give a second), a daily cap per product
//! and per client address kept in the database, an ordinary trial license on the
//! product's trial order with no license manager, and one trial when fifty requests
//! for one device arrive at once.

use diesel::prelude::*;
use keyfold::db::schema::{licenses, manager_grants, orders, products, trial_records};
use serde_json::{json, Value};

use crate::api_seats::set_clock;
use crate::helpers::TestApp;

const SECRET: &str = "an API test secret of more than thirty-two characters";

fn adjust(c: &mut keyfold::config::Config) {
    c.secret_key = Some(keyfold::config::Secret::new(SECRET));
    c.api.license_per_minute = 100_000;
    c.api.failures_per_minute = 100_000;
    c.api.test_clock = true;
    c.api.trials_per_address_per_day = 1_000;
}

/// A product offering 14-day trials (signed in as an admin).
async fn trial_product(app: &TestApp, code: &str) -> i64 {
    app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
        .await;
    crate::orders::product(app, code, false).await
}

fn trial(code: &str, hw: &str) -> Value {
    json!({ "product_code": code, "hardware_id": hw, "hostname": "trial-box" })
}

fn trials_of(app: &TestApp, product: i64) -> i64 {
    trial_records::table
        .filter(trial_records::product_id.eq(product))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_device_gets_one_trial_of_a_product_ever() {
    let app = TestApp::spawn_with(adjust, None).await;
    let product = trial_product(&app, "TRY").await;
    let (s, v) = app.api_post("/api/v1/trial", &trial("TRY", "hw-1")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["started"].clone(),
            v["is_trial"].clone(),
            v["valid"].clone(),
            v["active_devices"].clone()
        ),
        (json!(true), json!(true), json!(true), json!(1))
    );
    let key = v["license_key"].as_str().unwrap().to_owned();
    let until = chrono::NaiveDateTime::parse_from_str(
        v["valid_until"].as_str().unwrap(),
        "%Y-%m-%dT%H:%M:%S%.f",
    )
    .unwrap();
    assert!(
        ((until - keyfold::db::now()).num_hours() - 14 * 24).abs() <= 1,
        "14 days from the activation: {until}"
    );
    // A retry gets the same trial back.
    let (s, v) = app.api_post("/api/v1/trial", &trial("try", "hw-1")).await;
    assert_eq!(
        (s, v["started"].clone(), v["license_key"].as_str()),
        (200, json!(false), Some(key.as_str()))
    );
    // An ordinary license on the product's trial order, visible to staff, no manager.
    let (license, order): (i64, i64) = licenses::table
        .filter(licenses::key_norm.eq(keyfold::domain::license_key::normalize(&key)))
        .select((licenses::id, licenses::order_id))
        .first(&mut app.conn())
        .unwrap();
    let (reference, is_trial): (String, bool) = orders::table
        .find(order)
        .select((orders::reference, orders::is_trial))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((reference.as_str(), is_trial), ("TRIAL-TRY", true));
    let grants: i64 = manager_grants::table
        .filter(manager_grants::order_id.eq(order))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(grants, 0);
    let page = app.page(&format!("/licenses/{license}")).await;
    assert!(page.contains(&key) && page.contains("TRIAL-TRY"));
    // The key works like any: a check answers it.
    let (s, v) = app
        .api_post(
            "/api/v1/check",
            &crate::api_activation::by_key("TRY", &key, "hw-1"),
        )
        .await;
    assert_eq!((s, v["valid"].clone()), (200, json!(true)));
    // Deleting the trial order does not give the device a second trial.
    diesel::delete(orders::table.find(order))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app.api_post("/api/v1/trial", &trial("TRY", "hw-1")).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("trial_used")), "{v}");
    // Another device: a new trial, on a new trial order.
    let (s, v) = app.api_post("/api/v1/trial", &trial("TRY", "hw-2")).await;
    assert_eq!((s, v["started"].clone()), (200, json!(true)), "{v}");
    assert_eq!(trials_of(&app, product), 2);

    // A product without trials, an unknown product, hostile bodies.
    diesel::update(products::table.find(product))
        .set(products::trial_days.eq(0))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app.api_post("/api/v1/trial", &trial("TRY", "hw-3")).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("trials_not_offered")));
    let (s, v) = app.api_post("/api/v1/trial", &trial("NOPE", "hw-3")).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("product_not_found")));
    for bad in [
        json!({ "product_code": "TRY" }),
        json!({ "product_code": "TRY", "hardware_id": "" }),
        json!({ "product_code": "TRY", "hardware_id": "x".repeat(257) }),
    ] {
        let (s, _) = app.api_post("/api/v1/trial", &bad).await;
        assert_eq!(s, 400, "{bad:.60}");
    }
}

#[tokio::test]
async fn trials_per_day_are_capped_per_product_and_per_address() {
    let app = TestApp::spawn_with(
        |c| {
            adjust(c);
            c.api.trials_per_address_per_day = 3;
        },
        None,
    )
    .await;
    let product = trial_product(&app, "CAP").await;
    let other = crate::orders::product(&app, "CAP2", false).await;
    diesel::update(products::table.find(product))
        .set(products::trials_per_day.eq(Some(2)))
        .execute(&mut app.conn())
        .unwrap();
    for hw in ["a", "b"] {
        let (s, _) = app.api_post("/api/v1/trial", &trial("CAP", hw)).await;
        assert_eq!(s, 200);
    }
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/trial"))
        .header("Keyfold-Nonce", "dGVzdC1ub25jZS0xMjM0NTY")
        .json(&trial("CAP", "c"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=86_400).contains(&wait),
        "until the next UTC day: {wait}"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "trials_rate_reached");
    // The address's third trial of the day (of another product), then its fourth.
    let (s, _) = app.api_post("/api/v1/trial", &trial("CAP2", "a")).await;
    assert_eq!(s, 200);
    let (s, v) = app.api_post("/api/v1/trial", &trial("CAP2", "b")).await;
    assert_eq!((s, v["code"].as_str()), (429, Some("trials_rate_reached")));
    // A retry of a trial the device has is never capped.
    let (s, v) = app.api_post("/api/v1/trial", &trial("CAP", "a")).await;
    assert_eq!((s, v["started"].clone()), (200, json!(false)));
    // The next UTC day, both limits start again.
    set_clock(&app, wait + 5);
    let (s, _) = app.api_post("/api/v1/trial", &trial("CAP", "c")).await;
    assert_eq!(s, 200);
    let (s, _) = app.api_post("/api/v1/trial", &trial("CAP2", "b")).await;
    assert_eq!(s, 200);
    assert_eq!((trials_of(&app, product), trials_of(&app, other)), (3, 2));
    // The product form takes the cap; hostile values are a message beside the field.
    let form = app.page(&format!("/products/{product}/edit")).await;
    assert!(form.contains("name=\"trials_per_day\""));
}

/// Fifty trial requests for one device at once: one trial, fifty answers naming it
/// (on PostgreSQL across two instances).
#[tokio::test]
async fn fifty_simultaneous_trials_for_one_device_yield_one_trial() {
    let app = TestApp::spawn_with(adjust, None).await;
    let second = if app.db.url().starts_with("postgres") {
        Some(TestApp::spawn_on(crate::helpers::db::TestDb::borrowed(&app.db), adjust, None).await)
    } else {
        None
    };
    let product = trial_product(&app, "ONCE").await;
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    let calls = (0..50).map(|i| {
        let target = instances[i % instances.len()];
        async move {
            target
                .api_post("/api/v1/trial", &trial("ONCE", "hw-same"))
                .await
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 200),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let keys: std::collections::HashSet<&str> = answers
        .iter()
        .map(|(_, v)| v["license_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        answers.iter().filter(|(_, v)| v["started"] == true).count(),
        1
    );
    assert_eq!(trials_of(&app, product), 1);
    let issued: i64 = licenses::table
        .filter(licenses::product_id.eq(product))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(issued, 1);
}
