//! Device variables through the license API: set, read back, remove, bounded (name 64
//! characters, value 4 KiB, 50 per device — over the cap nothing changes), and shown on
//! the admin license page and the license portal's license page.

use diesel::prelude::*;
use keyfold::db::schema::device_variables;
use keyfold::domain::Permissions;
use serde_json::{json, Value};

use crate::api_activation::{by_key, licensed};
use crate::api_seats::app;
use crate::helpers::{TestApp, PASSWORD};

fn vars(code: &str, key: &str, set: Option<Value>) -> Value {
    let mut b = by_key(code, key, "hw-1");
    if let Some(v) = set {
        b["variables"] = v;
    }
    b
}

fn stored(app: &TestApp) -> i64 {
    device_variables::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_client_stores_reads_and_removes_its_device_variables_within_bounds() {
    let app = app().await;
    let (_, license, key) = licensed(&app, "VARS").await;
    let (s, v) = app
        .api_post("/api/v1/variables", &vars("VARS", &key, None))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("not_activated")));
    app.api_post("/api/v1/activate", &by_key("VARS", &key, "hw-1"))
        .await;
    let big = "é".repeat(2048);
    let (s, v) = app
        .api_post(
            "/api/v1/variables",
            &vars(
                "VARS",
                &key,
                Some(json!({ "seat": "A-12", "profile": big, "note": "<b>x</b>" })),
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["variables"]["seat"], "A-12");
    assert_eq!(v["variables"]["profile"].as_str().map(str::len), Some(4096));
    let (_, v) = app
        .api_post("/api/v1/variables", &vars("VARS", &key, None))
        .await;
    assert_eq!(v["variables"].as_object().unwrap().len(), 3, "read back");
    let (_, v) = app
        .api_post(
            "/api/v1/variables",
            &vars("VARS", &key, Some(json!({ "seat": null, "note": "y" }))),
        )
        .await;
    assert_eq!(v["variables"], json!({ "profile": big, "note": "y" }));

    // Shown on the admin license page and the license portal's, escaped.
    let page = app.page(&format!("/licenses/{license}")).await;
    assert!(
        page.contains("Device variables") && page.contains("profile") && !page.contains("<b>x</b>")
    );
    let manager = app.create_license_manager("vars@customer.example");
    crate::portal_orders::set_grant(
        &app,
        manager.id.into(),
        app.license(license).order_id.into(),
        Permissions::default(),
    );
    let portal = crate::helpers::client();
    app.portal_sign_in_with(&portal, "vars@customer.example", PASSWORD)
        .await;
    let page = app
        .page_with(&portal, &format!("/portal/licenses/{license}"))
        .await;
    assert!(
        page.contains("Device variables") && page.contains("<code>note</code>"),
        "{page:.300}"
    );
    assert!(
        page.contains("Features") && page.contains("calls"),
        "the portal shows the features"
    );

    // Bounds: a clear 400 and nothing stored.
    let before = stored(&app);
    for bad in [
        json!({ "x".repeat(65): "1" }),
        json!({ "": "1" }),
        json!({ "a\u{1}": "1" }),
        json!({ "long": "x".repeat(4097) }),
        json!({ "nul": "a\u{0}b" }),
        json!({ "n": 12 }),
        json!(["a"]),
        json!((0..51)
            .map(|i| (format!("v{i}"), json!("1")))
            .collect::<serde_json::Map<_, _>>()),
    ] {
        let (s, v) = app
            .api_post("/api/v1/variables", &vars("VARS", &key, Some(bad.clone())))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("body_invalid")),
            "{bad:.80}"
        );
    }
    assert_eq!(stored(&app), before);
    // At most 50 per device: the 51st is refused and the whole request changes nothing.
    let fill: serde_json::Map<String, Value> =
        (0..48).map(|i| (format!("v{i}"), json!("1"))).collect();
    let (s, v) = app
        .api_post(
            "/api/v1/variables",
            &vars("VARS", &key, Some(Value::Object(fill))),
        )
        .await;
    assert_eq!((s, v["variables"].as_object().unwrap().len()), (200, 50));
    let (s, v) = app
        .api_post(
            "/api/v1/variables",
            &vars(
                "VARS",
                &key,
                Some(json!({ "v0": "changed", "one-more": "1" })),
            ),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("variables_limit_reached"))
    );
    let (_, v) = app
        .api_post("/api/v1/variables", &vars("VARS", &key, None))
        .await;
    assert_eq!(
        (
            v["variables"]["v0"].as_str(),
            v["variables"].as_object().unwrap().len()
        ),
        (Some("1"), 50)
    );
    let (s, _) = app
        .api_post(
            "/api/v1/variables",
            &vars(
                "VARS",
                &key,
                Some(json!({ "v0": "changed", "v1": null, "one-more": "1" })),
            ),
        )
        .await;
    assert_eq!(s, 200, "replacing one within the cap is fine");
}
