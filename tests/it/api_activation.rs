//! The license API's activation, deactivation and transfers, as a vendor's application
//! meets them: a seat per hardware id (a retry answers the same device), every refusal
//! with its code, durations starting at the first activation, transfers spent by client
//! and license-portal deactivations (never by staff), license users with a device token,
//! and exact limits when fifty clients arrive at once.

use diesel::prelude::*;
use keyfold::db::schema::{devices, license_events, licenses, products};
use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

const SECRET: &str = "an API test secret of more than thirty-two characters";

/// An app that signs (the API refuses to answer unsigned), with the rate limits raised
/// so that only the rules under test refuse.
pub(crate) async fn app() -> TestApp {
    TestApp::spawn_with(
        |c| {
            c.secret_key = Some(keyfold::config::Secret::new(SECRET));
            c.api.license_per_minute = 100_000;
            c.api.failures_per_minute = 100_000;
        },
        None,
    )
    .await
}

/// A product `code` (max 2 activations, 365 days' validity) and one license of it
/// issued the way staff issue; returns (product id, license id, key).
pub(crate) async fn licensed(app: &TestApp, code: &str) -> (i64, i64, String) {
    if app.get("/login").await.status() == 200 {
        app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
            .await;
    }
    let product = crate::orders::product(app, code, false).await;
    let order = app.insert_order(None, &format!("ORD-{code}"));
    let license = app.issue_license(order, product);
    (product, license, app.license(license).license_key)
}

pub(crate) fn by_key(code: &str, key: &str, hw: &str) -> Value {
    json!({ "product_code": code, "license_key": key, "hardware_id": hw })
}

/// Changes that make a license unusable, each with the code an activation then gets.
const LICENSE_STATES: [(&str, &str); 3] = [
    (
        "license_disabled",
        "UPDATE licenses SET enabled = FALSE WHERE id = $1",
    ),
    (
        "license_not_started",
        "UPDATE licenses SET enabled = TRUE, start_date = '2999-01-01' WHERE id = $1",
    ),
    (
        "license_expired",
        "UPDATE licenses SET start_date = NULL, valid_until = '2000-01-01 00:00:00' WHERE id = $1",
    ),
];

fn change_license(app: &TestApp, id: i64, sql: &str) {
    diesel::sql_query(sql.replace("$1", &id.to_string()))
        .execute(&mut app.conn())
        .unwrap();
}

fn refused_codes(app: &TestApp, license: i64) -> Vec<String> {
    license_events::table
        .filter(license_events::license_id.eq(license))
        .filter(license_events::kind.eq("refused"))
        .order(license_events::id.asc())
        .select(license_events::code.assume_not_null())
        .load(&mut app.conn())
        .unwrap()
}

fn active_devices(app: &TestApp, license: i64) -> i64 {
    devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn activation_takes_one_seat_per_hardware_id_and_answers_the_entitlement() {
    let app = app().await;
    let (_, license, key) = licensed(&app, "SEATS").await;
    let (s, v) = app
        .api_post(
            "/api/v1/activate",
            &json!({ "product_code": "seats", "license_key": key.to_lowercase(), "hardware_id": "hw-1",
                     "hostname": "laptop", "os": "Linux", "app_version": "2.1", "sdk_version": "0.3" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["valid"].clone(), v["created"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        (
            v["license_key"].as_str(),
            v["product_code"].as_str(),
            v["hardware_id"].as_str()
        ),
        (Some(key.as_str()), Some("SEATS"), Some("hw-1"))
    );
    let device = v["device_id"].as_i64().unwrap();
    assert_eq!(v["features"][0]["code"], "calls");
    assert!(
        v["device_token"].is_null(),
        "a key activation gets no device token"
    );
    assert!(v["offline_valid_until"].as_str().unwrap() <= v["valid_until"].as_str().unwrap());

    // A retry after a lost answer: the same device, no second seat.
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key("SEATS", &key, "hw-1"))
        .await;
    assert_eq!(
        (s, v["created"].clone(), v["device_id"].as_i64()),
        (200, json!(false), Some(device))
    );
    assert_eq!(app.license(license).active_devices, 1);
    let (s, _) = app
        .api_post("/api/v1/activate", &by_key("SEATS", &key, "hw-2"))
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key("SEATS", &key, "hw-3"))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("max_activations_reached")),
        "{v}"
    );
    assert_eq!(active_devices(&app, license), 2);
    assert_eq!(refused_codes(&app, license), ["max_activations_reached"]);

    // The device is the one the check sees; the stored details are the client's.
    let (_, v) = app
        .api_post("/api/v1/check", &by_key("SEATS", &key, "hw-1"))
        .await;
    assert_eq!(
        (v["valid"].clone(), v["device_id"].as_i64()),
        (json!(true), Some(device))
    );
    let (host, os, sdk, ip): (String, String, String, String) = devices::table
        .find(device)
        .select((
            devices::hostname,
            devices::os,
            devices::sdk_version,
            devices::ip,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        (host.as_str(), os.as_str(), sdk.as_str(), ip.as_str()),
        ("", "", "", "127.0.0.1"),
        "the retry's (empty) details replaced the first ones"
    );

    // Deactivation frees the seat, once; a repeat is answered, not refused.
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_key("SEATS", &key, "hw-1"))
        .await;
    assert_eq!(
        (s, v["deactivated"].clone(), v["device_id"].as_i64()),
        (200, json!(true), Some(device)),
        "{v}"
    );
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_key("SEATS", &key, "hw-1"))
        .await;
    assert_eq!((s, v["deactivated"].clone()), (200, json!(false)));
    assert_eq!(v["transfers"], 1, "one transfer spent, not two");
    let (_, v) = app
        .api_post("/api/v1/check", &by_key("SEATS", &key, "hw-1"))
        .await;
    assert_eq!(
        (v["valid"].clone(), v["code"].as_str()),
        (json!(false), Some("not_activated"))
    );
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key("SEATS", &key, "hw-3"))
        .await;
    assert_eq!(
        (s, v["created"].clone()),
        (200, json!(true)),
        "the freed seat is taken"
    );
    assert_eq!(app.license(license).active_devices, 2);
    let kinds: Vec<(String, Option<String>)> = license_events::table
        .filter(license_events::license_id.eq(license))
        .order(license_events::id.asc())
        .select((license_events::kind, license_events::source))
        .load::<(String, String)>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|(k, s)| (k, Some(s)))
        .collect();
    assert_eq!(
        kinds.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [
            "activated",
            "activated",
            "refused",
            "deactivated",
            "activated"
        ]
    );
    assert!(kinds
        .iter()
        .all(|(_, s)| s.as_deref() == Some("license_api")));
}

#[tokio::test]
async fn every_refusal_has_its_code_and_nothing_is_activated() {
    let app = app().await;
    let (product, license, key) = licensed(&app, "RULES").await;
    crate::orders::product(&app, "ELSEWHERE", false).await;
    let activate = |code: &'static str, key: String| {
        let app = &app;
        async move {
            app.api_post("/api/v1/activate", &by_key(code, &key, "hw-r"))
                .await
        }
    };
    for (code, k) in [
        ("ELSEWHERE", key.clone()),
        ("RULES", "AAAA-BBBB-CCCC-DDDD".to_owned()),
        ("NOPE", key.clone()),
    ] {
        let (s, v) = activate(code, k).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (404, Some("license_not_found")),
            "{code}"
        );
    }
    for (code, change) in LICENSE_STATES {
        change_license(&app, license, change);
        let (s, v) = activate("RULES", key.clone()).await;
        assert_eq!((s, v["code"].as_str()), (403, Some(code)), "{v}");
        assert!(v["message"].is_string() && v["request_id"].is_string());
    }
    assert_eq!(
        refused_codes(&app, license),
        ["license_disabled", "license_not_started", "license_expired"]
    );
    // An archived product's keys are not found at all.
    diesel::update(products::table.find(product))
        .set(products::archived_at.eq(Some(keyfold::models::now())))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = activate("RULES", key.clone()).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("license_not_found")));
    assert_eq!(active_devices(&app, license), 0);
}

#[tokio::test]
async fn a_duration_starts_at_the_first_activation_and_a_fixed_date_stays() {
    let app = app().await;
    let (_, license, key) = licensed(&app, "DURATION").await;
    diesel::update(licenses::table.find(license))
        .set(licenses::maintenance_days.eq(Some(30)))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        app.license(license).valid_until,
        None,
        "not started before activation"
    );
    let before = keyfold::models::now();
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key("DURATION", &key, "hw-d"))
        .await;
    assert_eq!(s, 200, "{v}");
    let l = app.license(license);
    let until = l.valid_until.expect("the 365 days started");
    assert!(
        until >= before + chrono::Duration::days(365)
            && until <= keyfold::models::now() + chrono::Duration::days(365)
    );
    let maintenance = l.maintenance_until.expect("the 30 days started");
    assert!(maintenance >= before + chrono::Duration::days(30));
    // The offline answer is trusted for the product's 7 days, not the license's year.
    let offline: chrono::NaiveDateTime =
        serde_json::from_value(v["offline_valid_until"].clone()).unwrap();
    assert!(
        offline <= keyfold::models::now() + chrono::Duration::days(7)
            && offline > before + chrono::Duration::days(6)
    );
    // A second device does not restart it.
    app.api_post("/api/v1/activate", &by_key("DURATION", &key, "hw-e"))
        .await;
    assert_eq!(app.license(license).valid_until, Some(until));
    assert_eq!(
        app.license(license).first_activated_at,
        l.first_activated_at
    );
}

#[tokio::test]
async fn transfers_are_spent_by_clients_and_the_license_portal_never_by_staff() {
    use keyfold::models::audit::Actor;
    use keyfold::models::license_ops::{self, ResetBy};
    let app = app().await;
    let (_, license, key) = licensed(&app, "MOVES").await;
    diesel::update(licenses::table.find(license))
        .set((
            licenses::max_transfers.eq(Some(2)),
            licenses::max_activations.eq(10),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let device = |hw: &str| {
        let app = &app;
        let hw = hw.to_owned();
        let key = key.clone();
        async move {
            let (s, v) = app
                .api_post("/api/v1/activate", &by_key("MOVES", &key, &hw))
                .await;
            assert_eq!(s, 200, "{v}");
            keyfold::domain::DeviceId(v["device_id"].as_i64().unwrap())
        }
    };
    let id = keyfold::domain::LicenseId(license);
    let actor = Actor::system("test");
    let reset_device = |by: ResetBy, d| {
        let mut conn = app.conn();
        keyfold::db::write_tx(&mut conn, |c| {
            license_ops::reset_device(c, &actor, id, d, by)
        })
    };
    // Staff free devices without spending transfers.
    let d = device("hw-a").await;
    reset_device(ResetBy::Staff, d).unwrap();
    assert_eq!(app.license(license).transfers, 0);
    // A client deactivation and a license-portal device reset spend one each.
    device("hw-b").await;
    let (s, _) = app
        .api_post("/api/v1/deactivate", &by_key("MOVES", &key, "hw-b"))
        .await;
    assert_eq!(s, 200);
    let d = device("hw-c").await;
    reset_device(ResetBy::LicenseManager, d).unwrap();
    assert_eq!(app.license(license).transfers, 2);
    // None left: a client deactivation and a portal reset are refused, the seat stays.
    device("hw-d").await;
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_key("MOVES", &key, "hw-d"))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("max_transfers_reached")),
        "{v}"
    );
    let d = device("hw-e").await;
    let err = reset_device(ResetBy::LicenseManager, d).unwrap_err();
    assert_eq!(err.code(), "max_transfers_reached");
    assert_eq!(active_devices(&app, license), 2);
    // A portal license reset spends one per active device; staff may still reset.
    diesel::update(licenses::table.find(license))
        .set(licenses::max_transfers.eq(Some(3)))
        .execute(&mut app.conn())
        .unwrap();
    let mut conn = app.conn();
    let err = keyfold::db::write_tx(&mut conn, |c| {
        license_ops::reset(c, &actor, id, ResetBy::LicenseManager)
    })
    .unwrap_err();
    assert_eq!(
        err.code(),
        "max_transfers_reached",
        "two devices, one transfer left"
    );
    assert_eq!(active_devices(&app, license), 2, "nothing was reset");
    keyfold::db::write_tx(&mut conn, |c| {
        license_ops::reset(c, &actor, id, ResetBy::Staff)
    })
    .unwrap();
    assert_eq!(
        (
            active_devices(&app, license),
            app.license(license).transfers
        ),
        (0, 2)
    );
    // Empty means unlimited.
    diesel::update(licenses::table.find(license))
        .set(licenses::max_transfers.eq(None::<i64>))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    device("hw-f").await;
    let (s, _) = app
        .api_post("/api/v1/deactivate", &by_key("MOVES", &key, "hw-f"))
        .await;
    assert_eq!(s, 200);
}

/// A license user with a password, assigned to a license of a user-based product.
pub(crate) fn license_user(app: &TestApp, license: i64, email: &str) -> i64 {
    use keyfold::db::schema::license_users;
    let order = app.license(license).order_id.0;
    let user = app.insert_license_user(order, email);
    let hash = keyfold::auth::password::hash_blocking(PASSWORD, 4).unwrap();
    diesel::update(license_users::table.find(user))
        .set(license_users::password_hash.eq(Some(hash)))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(licenses::table.find(license))
        .set(licenses::max_license_users.eq(5))
        .execute(&mut app.conn())
        .unwrap();
    app.assign_license_user(license, user);
    user
}

pub(crate) fn by_user(code: &str, email: &str, password: &str, hw: &str) -> Value {
    json!({ "product_code": code, "email": email, "password": password, "hardware_id": hw })
}

pub(crate) fn by_token(code: &str, token: &str, hw: &str) -> Value {
    json!({ "product_code": code, "device_token": token, "hardware_id": hw })
}

#[tokio::test]
async fn a_license_user_activates_with_a_password_once_then_uses_the_device_token() {
    let app = app().await;
    let (product, license, key) = licensed(&app, "NAMED").await;
    license_user(&app, license, "lou@example.com");
    let (s, v) = app
        .api_post(
            "/api/v1/activate",
            &by_user("NAMED", "Lou@Example.com", PASSWORD, "hw-u"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let token = v["device_token"]
        .as_str()
        .expect("a device token")
        .to_owned();
    assert_eq!(token.len(), 64, "256 bits");
    assert_eq!(v["license_key"], key);
    let stored: Option<String> = devices::table
        .find(v["device_id"].as_i64().unwrap())
        .select(devices::token_hash)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        stored,
        Some(keyfold::domain::token::hash_token(&token)),
        "only the SHA-256 is kept"
    );

    let (s, v) = app
        .api_post("/api/v1/check", &by_token("NAMED", &token, "hw-u"))
        .await;
    assert_eq!((s, v["valid"].clone()), (200, json!(true)), "{v}");
    let (s, v) = app
        .api_post("/api/v1/check", &by_token("NAMED", &token, "hw-other"))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("invalid_credentials")),
        "a token is bound to its device"
    );
    let (s, v) = app
        .api_post("/api/v1/check", &by_token("NAMED", &"0".repeat(64), "hw-u"))
        .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("invalid_credentials")));

    // Wrong passwords and unknown users are the same refusal.
    for body in [
        by_user("NAMED", "lou@example.com", "not the password", "hw-u"),
        by_user("NAMED", "nobody@example.com", PASSWORD, "hw-u"),
    ] {
        let (s, v) = app.api_post("/api/v1/activate", &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (401, Some("invalid_credentials")),
            "{body}"
        );
    }

    // A second license of the product for the same person: the key decides.
    let order = app.insert_order(None, "ORD-NAMED-2");
    let second = app.issue_license(order, product);
    license_user(&app, second, "lou@example.com");
    let (s, v) = app
        .api_post(
            "/api/v1/activate",
            &by_user("NAMED", "lou@example.com", PASSWORD, "hw-v"),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("license_key_required")),
        "{v}"
    );
    let second_key = app.license(second).license_key;
    let mut body = by_user("NAMED", "lou@example.com", PASSWORD, "hw-v");
    body["license_key"] = second_key.clone().into();
    let (s, v) = app.api_post("/api/v1/activate", &body).await;
    assert_eq!(
        (s, v["license_key"].as_str()),
        (200, Some(second_key.as_str())),
        "{v}"
    );

    // Deactivating with the token frees the seat; the token then checks as not active.
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_token("NAMED", &token, "hw-u"))
        .await;
    assert_eq!((s, v["deactivated"].clone()), (200, json!(true)), "{v}");
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_token("NAMED", &token, "hw-u"))
        .await;
    assert_eq!(
        (s, v["deactivated"].clone()),
        (200, json!(false)),
        "idempotent: {v}"
    );
    let (_, v) = app
        .api_post("/api/v1/check", &by_token("NAMED", &token, "hw-u"))
        .await;
    assert_eq!(v["code"], "not_activated");
}

#[tokio::test]
async fn wrong_passwords_are_throttled_and_a_password_change_follows_the_portal_rules() {
    let app = app().await;
    let (_, license, _) = licensed(&app, "GUESS").await;
    license_user(&app, license, "guessed@example.com");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let (s, _) = app
            .api_post(
                "/api/v1/activate",
                &by_user(
                    "GUESS",
                    "guessed@example.com",
                    &format!("guess {i}"),
                    "hw-g",
                ),
            )
            .await;
        statuses.push(s);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let (s, _) = app
        .api_post(
            "/api/v1/activate",
            &by_user("GUESS", "guessed@example.com", PASSWORD, "hw-g"),
        )
        .await;
    assert_eq!(s, 429, "the right password waits too");

    // The password change (another address would be throttled separately; here the
    // counter is cleared by hand, as a minute passing would).
    diesel::delete(keyfold::db::schema::login_attempts::table)
        .execute(&mut app.conn())
        .unwrap();
    let change = |old: &str, new: &str| json!({ "email": "guessed@example.com", "password": old, "new_password": new });
    let (s, v) = app
        .api_post("/api/v1/password", &change(PASSWORD, "short"))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("password_invalid")),
        "{v}"
    );
    let (s, v) = app
        .api_post(
            "/api/v1/password",
            &change("wrong old password", "a brand new password"),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("invalid_credentials")));
    let (s, v) = app
        .api_post(
            "/api/v1/password",
            &change(PASSWORD, "a brand new password"),
        )
        .await;
    assert_eq!((s, v["changed"].clone()), (200, json!(true)), "{v}");
    let (s, _) = app
        .api_post(
            "/api/v1/activate",
            &by_user("GUESS", "guessed@example.com", PASSWORD, "hw-g"),
        )
        .await;
    assert_eq!(s, 401, "the old password no longer works");
    let (s, _) = app
        .api_post(
            "/api/v1/activate",
            &by_user(
                "GUESS",
                "guessed@example.com",
                "a brand new password",
                "hw-g",
            ),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_policy_headers() {
    let app = TestApp::spawn_with(
        |c| {
            c.secret_key = Some(keyfold::config::Secret::new(SECRET));
            c.api.failures_per_minute = 3;
            c.api.license_per_minute = 4;
        },
        None,
    )
    .await;
    let (_, _, key) = licensed(&app, "LIMITED").await;
    let post = |body: Value| {
        let app = &app;
        async move {
            reqwest::Client::new()
                .post(app.url("/api/v1/check"))
                .header("Keyfold-Nonce", "dGVzdC1ub25jZS0xMjM0NTY")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            post(by_key("LIMITED", &key, "hw-l"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 429],
        "four checks a minute for this license"
    );
    let r = post(by_key("LIMITED", &key, "hw-l")).await;
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(r.headers()["ratelimit-policy"]
        .to_str()
        .unwrap()
        .contains("q=4;w=60"));
    assert!(r.headers().contains_key("ratelimit"));
    assert!(r.headers().contains_key("signature"), "a 429 is signed too");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");

    // Unknown keys spend the address's failures; then even a good key waits.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            post(by_key("LIMITED", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "hw-l"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [404, 404, 404, 404, 429]);
}

/// Fifty clients at once: exactly the allowed number of seats, and one device for one
/// hardware id, whatever the interleaving (on PostgreSQL with two instances).
#[tokio::test]
async fn fifty_simultaneous_activations_take_exactly_the_seats_there_are() {
    let app = app().await;
    let second = if app.db.url().starts_with("postgres") {
        Some(
            crate::helpers::TestApp::spawn_on(
                crate::helpers::db::TestDb::borrowed(&app.db),
                |c| {
                    c.secret_key = Some(keyfold::config::Secret::new(SECRET));
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
    let (_, license, key) = licensed(&app, "RUSH").await;
    diesel::update(licenses::table.find(license))
        .set(licenses::max_activations.eq(5))
        .execute(&mut app.conn())
        .unwrap();
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    let rush = |bodies: Vec<Value>| {
        let instances = instances.clone();
        async move {
            let calls = bodies.into_iter().enumerate().map(|(i, b)| {
                let target = instances[i % instances.len()];
                async move { target.api_post("/api/v1/activate", &b).await }
            });
            futures_util::future::join_all(calls).await
        }
    };
    let answers = rush(
        (0..50)
            .map(|i| by_key("RUSH", &key, &format!("hw-{i}")))
            .collect(),
    )
    .await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let full = answers
        .iter()
        .filter(|(s, v)| *s == 409 && v["code"] == "max_activations_reached")
        .count();
    assert_eq!(
        (ok, full),
        (5, 45),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(
        (
            active_devices(&app, license),
            app.license(license).active_devices
        ),
        (5, 5)
    );

    // One hardware id fifty times: one device, fifty answers naming it.
    let (_, other, other_key) = licensed(&app, "RETRY").await;
    let answers = rush(
        (0..50)
            .map(|_| by_key("RETRY", &other_key, "hw-same"))
            .collect(),
    )
    .await;
    assert!(
        answers.iter().all(|(s, _)| *s == 200),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|(_, v)| v["device_id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        answers.iter().filter(|(_, v)| v["created"] == true).count(),
        1
    );
    assert_eq!(
        (
            active_devices(&app, other),
            app.license(other).active_devices
        ),
        (1, 1)
    );

    // Fifty deactivations of five devices with two transfers: exactly two go.
    diesel::update(licenses::table.find(license))
        .set(licenses::max_transfers.eq(Some(2)))
        .execute(&mut app.conn())
        .unwrap();
    let hws: Vec<String> = devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .select(devices::hardware_id.assume_not_null())
        .load(&mut app.conn())
        .unwrap();
    let calls = (0..50).map(|i| {
        let target = instances[i % instances.len()];
        let body = by_key("RUSH", &key, &hws[i % hws.len()]);
        async move { target.api_post("/api/v1/deactivate", &body).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let freed = answers
        .iter()
        .filter(|(s, v)| *s == 200 && v["deactivated"] == true)
        .count();
    assert_eq!(
        freed,
        2,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(
        (
            active_devices(&app, license),
            app.license(license).transfers
        ),
        (3, 2)
    );

    // The product's rates hold as exactly: 7 activations an hour of 50 at once, and a
    // third client deactivation in 30 days of 50 at once (transfers unlimited now).
    let (hourly_product, hourly, hourly_key) = licensed(&app, "HOURLY").await;
    diesel::update(licenses::table.find(hourly))
        .set(licenses::max_activations.eq(50))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(products::table.find(hourly_product))
        .set(products::activations_per_hour.eq(Some(7)))
        .execute(&mut app.conn())
        .unwrap();
    let answers = rush(
        (0..50)
            .map(|i| by_key("HOURLY", &hourly_key, &format!("hw-{i}")))
            .collect(),
    )
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 200).count();
    let limited = answers
        .iter()
        .filter(|(s, v)| *s == 429 && v["code"] == "activations_rate_reached")
        .count();
    assert_eq!((created, limited), (7, 43));
    assert_eq!(active_devices(&app, hourly), 7);
    let rush_product = app.license(license).product_id;
    diesel::update(products::table.find(rush_product))
        .set(products::deactivations_per_30_days.eq(Some(3)))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(licenses::table.find(license))
        .set(licenses::max_transfers.eq(None::<i64>))
        .execute(&mut app.conn())
        .unwrap();
    let calls = (0..50).map(|i| {
        let target = instances[i % instances.len()];
        let body = by_key("RUSH", &key, &hws[i % hws.len()]);
        async move { target.api_post("/api/v1/deactivate", &body).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let freed = answers
        .iter()
        .filter(|(s, v)| *s == 200 && v["deactivated"] == true)
        .count();
    assert_eq!(freed, 1, "the third deactivation in 30 days, no more");
    assert_eq!(active_devices(&app, license), 2);
}

/// The product form sets transfers and offline days; a new license copies the transfers
/// and the application is told to trust an answer for the product's offline days.
#[tokio::test]
async fn the_product_form_sets_transfers_and_offline_days_and_refuses_bad_ones() {
    let app = app().await;
    app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
        .await;
    let fields = |transfers: &'static str, offline: &'static str| {
        vec![
            ("name", "Offline"),
            ("code", "OFFLINE"),
            ("license_type", "perpetual"),
            ("max_activations", "3"),
            ("trial_days", "0"),
            ("floating_seats", "0"),
            ("borrow_limit_hours", "0"),
            ("max_transfers", transfers),
            ("offline_days", offline),
        ]
    };
    for (transfers, offline, field) in [
        ("-1", "2", "max_transfers"),
        ("3", "3651", "offline_days"),
        ("3", "99999999999999999999", "offline_days"),
        ("x", "2", "max_transfers"),
    ] {
        let r = app
            .post_form("/products", &fields(transfers, offline))
            .await;
        assert_eq!(r.status(), 422, "{transfers} {offline}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")) || html.contains(field),
            "{field}"
        );
    }
    assert_eq!(app.count("products"), 0, "nothing saved");
    let r = app.post_form("/products", &fields("3", "2")).await;
    assert_eq!(r.status(), 303);
    let product = crate::helpers::id_from_location(&r);
    let page = app.page(&format!("/products/{product}")).await;
    assert!(page.contains("3 per license"), "{page}");
    let order = app.insert_order(None, "ORD-OFFLINE");
    let license = app.issue_license(order, product);
    let l = app.license(license);
    assert_eq!((l.max_transfers, l.transfers), (Some(3), 0));
    let before = keyfold::models::now();
    let (s, v) = app
        .api_post(
            "/api/v1/activate",
            &by_key("OFFLINE", &l.license_key, "hw-o"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let offline: chrono::NaiveDateTime =
        serde_json::from_value(v["offline_valid_until"].clone()).unwrap();
    assert!(offline >= before + chrono::Duration::days(2));
    assert!(offline <= keyfold::models::now() + chrono::Duration::days(2));
    let page = app.page(&format!("/licenses/{license}")).await;
    assert!(
        page.contains("0 of 3 used"),
        "the license page shows transfers"
    );
}

/// Every code of the problem catalogue, provoked by a real request, answers with the
/// catalogue's status (and the catalogue holds every code an answer carried).
#[tokio::test]
async fn the_problem_catalogue_is_what_the_api_answers() {
    use keyfold::web::api::problem::CATALOGUE;
    let app = TestApp::spawn_with(
        |c| {
            c.secret_key = Some(keyfold::config::Secret::new(SECRET));
            c.api.license_per_minute = 6;
            c.api.failures_per_minute = 100_000;
        },
        None,
    )
    .await;
    let (product, license, key) = licensed(&app, "CATALOGUE").await;
    license_user(&app, license, "cat@example.com");
    let order = app.insert_order(None, "ORD-CATALOGUE-2");
    let second = app.issue_license(order, product);
    license_user(&app, second, "cat@example.com");
    let mut seen: std::collections::BTreeMap<String, u16> = Default::default();
    let mut note = |s: u16, v: &Value| {
        if let Some(code) = v["code"].as_str().filter(|_| s >= 400) {
            seen.insert(code.to_owned(), s);
        }
    };
    let raw = |method: reqwest::Method, path: &str, nonce: bool, body: Vec<u8>| {
        let mut r = reqwest::Client::new()
            .request(method, app.url(path))
            .body(body);
        if nonce {
            r = r.header("Keyfold-Nonce", "Y2F0YWxvZ3VlLW5vbmNlLTE");
        }
        async move {
            let r = r.send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let (s, v) = raw(reqwest::Method::POST, "/api/v1/check", true, b"{}".to_vec()).await;
    note(s, &v);
    let (s, v) = raw(
        reqwest::Method::POST,
        "/api/v1/check",
        false,
        b"{}".to_vec(),
    )
    .await;
    note(s, &v);
    let (s, v) = raw(
        reqwest::Method::POST,
        "/api/v1/check",
        true,
        vec![b' '; 70_000],
    )
    .await;
    note(s, &v);
    let (s, v) = raw(reqwest::Method::GET, "/api/v1/nothing-here", true, vec![]).await;
    note(s, &v);
    let (s, v) = raw(reqwest::Method::GET, "/api/v1/check", true, vec![]).await;
    note(s, &v);
    let (s, v) = raw(reqwest::Method::GET, "/api/v1/products/NOPE", true, vec![]).await;
    note(s, &v);
    for body in [
        by_key("CATALOGUE", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "hw"),
        by_token("CATALOGUE", "nope", "hw"),
        by_user("CATALOGUE", "cat@example.com", PASSWORD, "hw"),
        json!({ "email": "cat@example.com", "password": PASSWORD, "new_password": "short" }),
    ] {
        let path = if body.get("new_password").is_some() {
            "/api/v1/password"
        } else if body.get("email").is_some() {
            "/api/v1/activate"
        } else {
            "/api/v1/check"
        };
        let (s, v) = app.api_post(path, &body).await;
        note(s, &v);
    }
    diesel::update(licenses::table.find(license))
        .set((
            licenses::max_activations.eq(1),
            licenses::max_transfers.eq(Some(0)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    for hw in ["hw-1", "hw-2"] {
        let (s, v) = app
            .api_post("/api/v1/activate", &by_key("CATALOGUE", &key, hw))
            .await;
        note(s, &v);
    }
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_key("CATALOGUE", &key, "hw-1"))
        .await;
    note(s, &v);
    // The product's rates: one activation an hour (spent), no client deactivations.
    diesel::update(products::table.find(product))
        .set((
            products::activations_per_hour.eq(Some(1)),
            products::deactivations_per_30_days.eq(Some(0)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    for path in ["/api/v1/activate", "/api/v1/deactivate"] {
        let hw = if path.ends_with("deactivate") {
            "hw-1"
        } else {
            "hw-3"
        };
        let (s, v) = app.api_post(path, &by_key("CATALOGUE", &key, hw)).await;
        note(s, &v);
    }
    for (code, change) in LICENSE_STATES {
        change_license(&app, second, change);
        let k = app.license(second).license_key;
        let (s, v) = app
            .api_post("/api/v1/activate", &by_key("CATALOGUE", &k, "hw-x"))
            .await;
        assert_eq!(v["code"], code);
        note(s, &v);
    }
    for _ in 0..8 {
        let (s, v) = app
            .api_post("/api/v1/check", &by_key("CATALOGUE", &key, "hw-1"))
            .await;
        note(s, &v);
    }
    // Floating seats: a license without seats, a full one, a hardware id never checked
    // out, a borrow too long, a return of nothing, a license that lends no seat.
    let (s, v) = app
        .api_post("/api/v1/seats/checkout", &by_key("CATALOGUE", &key, "hw-1"))
        .await;
    note(s, &v);
    let (floating, fkey) = crate::api_seats::floating(&app, "CATSEAT", 1).await;
    let seat = |hw: &str| by_key("CATSEAT", &fkey, hw);
    let borrow = |hours: i64| {
        let mut b = seat("hw-1");
        b["borrowed_until"] = json!((keyfold::db::now() + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string());
        b
    };
    for (path, body) in [
        ("/api/v1/seats/checkout", seat("hw-1")),
        ("/api/v1/seats/checkout", seat("hw-2")),
        ("/api/v1/seats/heartbeat", seat("hw-9")),
        ("/api/v1/seats/borrow", borrow(100)),
        ("/api/v1/seats/return", seat("hw-1")),
    ] {
        let (s, v) = app.api_post(path, &body).await;
        note(s, &v);
    }
    diesel::update(licenses::table.find(floating))
        .set(licenses::borrow_limit_hours.eq(0))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app.api_post("/api/v1/seats/borrow", &borrow(1)).await;
    note(s, &v);
    // Consumption: an unknown feature, a reused event id, a feature not named.
    let consume = |id: &str, quantity: i64, feature: Option<&str>| {
        let mut b = seat("hw-1");
        b["event_id"] = json!(id);
        b["quantity"] = json!(quantity);
        if let Some(f) = feature {
            b["feature"] = json!(f);
        }
        b
    };
    for body in [
        consume("c1", 1, Some("nope")),
        consume("c1", 1, None),
        consume("c1", 2, None),
    ] {
        let (s, v) = app.api_post("/api/v1/consumption", &body).await;
        note(s, &v);
    }
    diesel::insert_into(keyfold::db::schema::license_features::table)
        .values((
            keyfold::db::schema::license_features::license_id.eq(floating),
            keyfold::db::schema::license_features::code.eq("minutes"),
            keyfold::db::schema::license_features::name.eq("Minutes"),
            keyfold::db::schema::license_features::kind.eq("consumption"),
            keyfold::db::schema::license_features::consumed.eq(0),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app
        .api_post("/api/v1/consumption", &consume("c2", 1, None))
        .await;
    note(s, &v);
    // Device variables: the 51st.
    let mut fifty = seat("hw-1");
    fifty["variables"] = json!((0..50)
        .map(|i| (format!("v{i}"), json!("1")))
        .collect::<serde_json::Map<_, _>>());
    let (s, _) = app.api_post("/api/v1/variables", &fifty).await;
    assert_eq!(s, 200);
    let mut more = seat("hw-1");
    more["variables"] = json!({ "v50": "1" });
    let (s, v) = app.api_post("/api/v1/variables", &more).await;
    note(s, &v);
    // Trials: used once (its license deleted since), capped, not offered.
    let trial = |code: &str| json!({ "product_code": code, "hardware_id": "hw-trial" });
    let (s, v) = app.api_post("/api/v1/trial", &trial("CATSEAT")).await;
    assert_eq!(s, 200, "{v}");
    diesel::delete(licenses::table.filter(licenses::key_norm.eq(
        keyfold::domain::license_key::normalize(v["license_key"].as_str().unwrap()),
    )))
    .execute(&mut app.conn())
    .unwrap();
    diesel::update(products::table.find(product))
        .set(products::trials_per_day.eq(Some(0)))
        .execute(&mut app.conn())
        .unwrap();
    for code in ["CATSEAT", "CATALOGUE"] {
        let (s, v) = app.api_post("/api/v1/trial", &trial(code)).await;
        note(s, &v);
    }
    diesel::update(products::table.filter(products::code.eq("CATSEAT")))
        .set(products::trial_days.eq(0))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app.api_post("/api/v1/trial", &trial("CATSEAT")).await;
    note(s, &v);
    // Answered by other tests: 500 (a fault, not a request) and 503 (PostgreSQL
    // without KEYFOLD_SECRET_KEY, in api_signing).
    let elsewhere = ["internal_error", "signing_unavailable"];
    for (code, status, _) in CATALOGUE {
        if elsewhere.contains(code) {
            continue;
        }
        assert_eq!(seen.get(*code), Some(status), "{code}: seen {seen:?}");
    }
    for code in seen.keys() {
        assert!(
            CATALOGUE.iter().any(|(c, _, _)| c == code),
            "{code} is not catalogued"
        );
    }
}

/// Checks write nothing on the request path: they are counted per license and day in
/// memory and written every few seconds, with the device's last check.
#[tokio::test]
async fn checks_are_counted_per_license_and_day_and_move_the_last_check() {
    use keyfold::db::schema::license_check_counts as counts;
    let app = app().await;
    let (_, license, key) = licensed(&app, "COUNTED").await;
    let (_, v) = app
        .api_post("/api/v1/activate", &by_key("COUNTED", &key, "hw-c"))
        .await;
    let device = v["device_id"].as_i64().unwrap();
    for _ in 0..3 {
        let (s, _) = app
            .api_post("/api/v1/check", &by_key("COUNTED", &key, "hw-c"))
            .await;
        assert_eq!(s, 200);
    }
    app.api_post("/api/v1/check", &by_key("COUNTED", &key, "hw-unknown"))
        .await;
    // A second license checked in the same moment is written in the same statement.
    let (_, other, other_key) = licensed(&app, "COUNTED2").await;
    app.api_post("/api/v1/check", &by_key("COUNTED2", &other_key, "hw-x"))
        .await;
    let mut stored = (0i64, None);
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let n: Option<i64> = counts::table
            .filter(counts::license_id.eq(license))
            .select(counts::checks)
            .first(&mut app.conn())
            .optional()
            .unwrap();
        let last: Option<chrono::NaiveDateTime> = devices::table
            .find(device)
            .select(devices::last_check_at)
            .first(&mut app.conn())
            .unwrap();
        stored = (n.unwrap_or(0), last);
        if stored.0 == 4 && stored.1.is_some() {
            break;
        }
    }
    assert_eq!(stored.0, 4, "four checks today (one of them not activated)");
    let other_count: i64 = counts::table
        .filter(counts::license_id.eq(other))
        .select(counts::checks)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(other_count, 1);
    assert!(stored.1.is_some(), "the device's last check was written");
}

/// A request the API refuses with 429: its `Retry-After` seconds and its problem.
async fn too_many(app: &TestApp, path: &str, body: &Value) -> (i64, Value) {
    let r = app
        .client
        .post(app.url(path))
        .header("Keyfold-Nonce", "dG9vLW1hbnktcmVxdWVzdHM")
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "{path}");
    let wait = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    (wait, r.json().await.unwrap())
}

/// The product's activations per license per hour and client deactivations per license
/// per 30 days: set on the product form (defaults 1,000 and 3 for a new product; hostile
/// values refused beside the field), and a 429 with `Retry-After` from the API once a
/// license reaches them; retries of an active hardware id, refusals and staff resets do
/// not count.
#[tokio::test]
async fn the_product_limits_api_activations_per_hour_and_deactivations_per_30_days() {
    let app = app().await;
    app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
        .await;
    let form = app.page("/products/new").await;
    assert!(
        form.contains("name=\"activations_per_hour\"") && form.contains("value=\"1000\""),
        "a new product's default"
    );
    assert!(form.contains("name=\"deactivations_per_30_days\""));
    let fields = |per_hour: &'static str, per_30: &'static str| {
        vec![
            ("name", "Rated"),
            ("code", "RATED"),
            ("license_type", "perpetual"),
            ("max_activations", "10"),
            ("trial_days", "0"),
            ("floating_seats", "0"),
            ("borrow_limit_hours", "0"),
            ("activations_per_hour", per_hour),
            ("deactivations_per_30_days", per_30),
        ]
    };
    for (per_hour, per_30, field) in [
        ("0", "3", "activations_per_hour"),
        ("-5", "3", "activations_per_hour"),
        ("99999999999999999999", "3", "activations_per_hour"),
        ("2", "-1", "deactivations_per_30_days"),
        ("2", "1e3", "deactivations_per_30_days"),
    ] {
        let r = app.post_form("/products", &fields(per_hour, per_30)).await;
        assert_eq!(r.status(), 422, "{per_hour} {per_30}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}");
        assert!(
            html.contains(&format!("value=\"{per_hour}\"")),
            "input kept"
        );
    }
    assert_eq!(app.count("products"), 0, "nothing saved");
    let r = app.post_form("/products", &fields("2", "1")).await;
    assert_eq!(r.status(), 303);
    let product = crate::helpers::id_from_location(&r);
    let page = app.page(&format!("/products/{product}")).await;
    assert!(page.contains("at most 2 per license per hour"), "{page}");
    assert!(page.contains("at most 1 per license per 30 days"));
    let order = app.insert_order(None, "ORD-RATED");
    let license = app.issue_license(order, product);
    let key = app.license(license).license_key;

    for hw in ["hw-1", "hw-2", "hw-1"] {
        let (s, v) = app
            .api_post("/api/v1/activate", &by_key("RATED", &key, hw))
            .await;
        assert_eq!(s, 200, "{hw}: {v}");
    }
    let (wait, v) = too_many(&app, "/api/v1/activate", &by_key("RATED", &key, "hw-3")).await;
    assert!((3500..=3600).contains(&wait), "about an hour: {wait}");
    assert_eq!(v["code"], "activations_rate_reached");
    assert!(v["message"].as_str().unwrap().contains("minutes"), "{v}");
    assert_eq!(active_devices(&app, license), 2);

    // Deactivations: one in 30 days; the second is refused and the device stays.
    let (s, _) = app
        .api_post("/api/v1/deactivate", &by_key("RATED", &key, "hw-1"))
        .await;
    assert_eq!(s, 200);
    let (wait, v) = too_many(&app, "/api/v1/deactivate", &by_key("RATED", &key, "hw-2")).await;
    assert!(wait > 29 * 86_400 && wait <= 30 * 86_400, "{wait}");
    assert_eq!(v["code"], "deactivations_rate_reached");
    assert_eq!(active_devices(&app, license), 1);
    // An already deactivated device is still answered (idempotent), not refused.
    let (s, v) = app
        .api_post("/api/v1/deactivate", &by_key("RATED", &key, "hw-1"))
        .await;
    assert_eq!((s, v["deactivated"].clone()), (200, json!(false)), "{v}");

    // Raising the product's limit lets the license go on at once.
    diesel::update(products::table.find(product))
        .set(products::activations_per_hour.eq(None::<i64>))
        .execute(&mut app.conn())
        .unwrap();
    let (s, v) = app
        .api_post("/api/v1/activate", &by_key("RATED", &key, "hw-3"))
        .await;
    assert_eq!(s, 200, "{v}");
}
