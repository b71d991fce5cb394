//! `GET /api/v1/openapi.json` describes what the license API really answers: every
//! answer a client meets (successes, refusals of each kind, malformed and oversized
//! bodies, a missing nonce, a rate limit) has its status documented for its operation,
//! its body validates against the documented schema (JSON Schema 2020-12, with no
//! property the schema does not declare), it carries the documented headers, and a
//! problem's code is one the document lists for that status.

use std::collections::BTreeSet;

use diesel::prelude::*;
use keyfold::db::schema::products;
use serde_json::{json, Value};

use crate::api_activation::{app, by_key, by_token, by_user, license_user, licensed};
use crate::helpers::{TestApp, PASSWORD};

const NONCE: &str = "b3BlbmFwaS10ZXN0LW5vbmNl";

/// One answer as the client saw it.
struct Seen {
    method: &'static str,
    template: &'static str,
    status: u16,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(
    app: &TestApp,
    method: &'static str,
    template: &'static str,
    path: &str,
    body: Option<Vec<u8>>,
    nonce: bool,
) -> Seen {
    let client = reqwest::Client::new();
    let mut r = match method {
        "get" => client.get(app.url(path)),
        _ => client.post(app.url(path)),
    };
    if nonce {
        r = r.header("Keyfold-Nonce", NONCE);
    }
    if let Some(b) = body {
        r = r.header("Content-Type", "application/json").body(b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.json::<Value>().await.expect("every answer is JSON");
    Seen {
        method,
        template,
        status,
        content_type,
        headers,
        body,
    }
}

/// The schema a `$ref` names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The property names an object schema declares (through `$ref` and `allOf`), or
/// `None` for an object declared free-form (`additionalProperties: true`).
fn declared(doc: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    let schema = resolve(doc, schema);
    let mut names = BTreeSet::new();
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            names.extend(declared(doc, part)?);
        }
        return Some(names);
    }
    if schema["additionalProperties"] == true {
        return None;
    }
    names.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
    Some(names)
}

/// Checks one answer against the document.
fn matches(doc: &Value, seen: &Seen) {
    let what = format!("{} {} → {}", seen.method, seen.template, seen.status);
    let op = &doc["paths"][seen.template][seen.method];
    assert!(op.is_object(), "{what}: the operation is documented");
    let response = &op["responses"][seen.status.to_string()];
    assert!(response.is_object(), "{what}: the status is documented");
    let media = seen.content_type.split(';').next().unwrap().trim();
    let schema = &response["content"][media]["schema"];
    assert!(schema.is_object(), "{what}: {media} is documented");
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&seen.body)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{}", seen.body);
    if let (Some(names), Some(body)) = (declared(doc, schema), seen.body.as_object()) {
        for key in body.keys() {
            assert!(names.contains(key), "{what}: {key} is not documented");
        }
    }
    for (name, h) in response["headers"].as_object().into_iter().flatten() {
        if h["required"] == true && !(seen.status == 429 && name.starts_with("RateLimit")) {
            assert!(
                seen.headers.contains_key(name.as_str()),
                "{what}: header {name}"
            );
        }
    }
    if seen.status >= 400 {
        let code = seen.body["code"].as_str().unwrap();
        let listed =
            &doc["components"]["schemas"]["Problem"]["x-codes-by-status"][seen.status.to_string()];
        assert!(
            listed.as_array().unwrap().iter().any(|c| c == code),
            "{what}: {code} is listed for its status"
        );
        assert!(
            response["description"].as_str().unwrap().contains(code),
            "{what}: the response describes {code}"
        );
    }
}

#[tokio::test]
async fn real_answers_match_the_openapi_document() {
    let app = app().await;
    let (product, license, key) = licensed(&app, "SPEC").await;
    license_user(&app, license, "spec@example.com");
    let doc = send(
        &app,
        "get",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        None,
        true,
    )
    .await;
    assert_eq!(doc.status, 200);
    let spec = doc.body.clone();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["info"]["description"]
        .as_str()
        .unwrap()
        .contains("\"@path\";req"));
    // Every catalogued code is in the document's Problem schema.
    let codes = spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    for (code, _, _) in keyfold::web::api::problem::CATALOGUE {
        assert!(codes.iter().any(|c| c == code), "{code}");
    }
    // Every operation takes the nonce header.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "Keyfold-Nonce" && p["required"] == true),
                "{method} {path}"
            );
        }
    }

    let body = |v: Value| Some(serde_json::to_vec(&v).unwrap());
    let (a, c, d, p) = (
        "/api/v1/activate",
        "/api/v1/check",
        "/api/v1/deactivate",
        "/api/v1/password",
    );
    let mut seen = vec![doc];
    // POSTs of the API: (endpoint, body, whether the nonce is sent).
    let key_of = |hw: &str| body(by_key("SPEC", &key, hw));
    let unknown = body(by_key("SPEC", "NO-SUCH-KEY", "hw-1"));
    let wrong_password = body(by_user(
        "SPEC",
        "spec@example.com",
        "wrong password",
        "hw-9",
    ));
    let first: Vec<(&'static str, Option<Vec<u8>>, bool)> = vec![
        (a, key_of("hw-1"), true),
        (a, key_of("hw-1"), true),
        (
            a,
            body(by_user("SPEC", "spec@example.com", PASSWORD, "hw-2")),
            true,
        ),
    ];
    for (path, b, nonce) in first {
        seen.push(send(&app, "post", path, path, b, nonce).await);
    }
    let token = seen.last().unwrap().body["device_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let password = |new: &str| {
        body(json!({ "email": "spec@example.com", "password": PASSWORD, "new_password": new }))
    };
    let rest: Vec<(&'static str, Option<Vec<u8>>, bool)> = vec![
        (a, key_of("hw-3"), true),
        (a, unknown.clone(), true),
        (a, wrong_password, true),
        (c, key_of("hw-1"), true),
        (c, body(by_token("SPEC", &token, "hw-2")), true),
        (c, key_of("hw-unknown"), true),
        (c, unknown, true),
        (c, body(by_token("SPEC", "not-a-token", "hw-1")), true),
        (c, Some(b"{not json".to_vec()), true),
        (c, body(json!({ "product_code": "SPEC" })), true),
        (c, Some(vec![b' '; 70_000]), true),
        (c, key_of("hw-1"), false),
        (d, key_of("hw-1"), true),
        (d, key_of("hw-1"), true),
        (p, password("x"), true),
        (p, password("a new password of some length"), true),
    ];
    for (path, b, nonce) in rest {
        seen.push(send(&app, "post", path, path, b, nonce).await);
    }
    // The product's one client deactivation in 30 days is spent: a 429.
    diesel::update(products::table.find(product))
        .set(products::deactivations_per_30_days.eq(Some(1)))
        .execute(&mut app.conn())
        .unwrap();
    seen.push(
        send(
            &app,
            "post",
            d,
            d,
            body(by_token("SPEC", &token, "hw-2")),
            true,
        )
        .await,
    );
    let (k, pr) = ("/api/v1/keys", "/api/v1/products/{code}");
    for (template, path) in [
        (k, k),
        (pr, "/api/v1/products/spec"),
        (pr, "/api/v1/products/NOPE"),
    ] {
        seen.push(send(&app, "get", template, path, None, true).await);
    }

    let statuses: BTreeSet<(String, u16)> = seen
        .iter()
        .map(|s| (s.template.to_owned(), s.status))
        .collect();
    for s in &seen {
        matches(&spec, s);
    }
    // The walk met every kind of answer it set out to.
    for (template, status) in [
        (a, 200),
        (a, 401),
        (a, 404),
        (a, 409),
        (c, 200),
        (c, 400),
        (c, 401),
        (c, 404),
        (c, 413),
        (d, 200),
        (d, 429),
        (p, 200),
        (p, 422),
        (k, 200),
        (pr, 200),
        (pr, 404),
    ] {
        assert!(
            statuses.contains(&(template.to_owned(), status)),
            "{template} {status}: {statuses:?}"
        );
    }
    let invalid = seen
        .iter()
        .find(|s| s.template == c && s.body["valid"] == false)
        .expect("a check that is an answer, not an error");
    assert_eq!(invalid.body["code"], "not_activated");
}

/// The floating seats' answers (check-out, heartbeat, release, borrow with its seat
/// file, return) and their refusals match the document.
#[tokio::test]
async fn seat_answers_match_the_openapi_document() {
    let app = crate::api_seats::app().await;
    let (_, key) = crate::api_seats::floating(&app, "SPECSEAT", 1).await;
    let spec = send(
        &app,
        "get",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        None,
        true,
    )
    .await
    .body;
    let body = |v: Value| Some(serde_json::to_vec(&v).unwrap());
    let key_of = |hw: &str| by_key("SPECSEAT", &key, hw);
    let borrow = |hw: &str, hours: i64| {
        let mut b = key_of(hw);
        b["borrowed_until"] = json!((keyfold::db::now() + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string());
        b
    };
    let (co, hb, rl, bo, rt) = (
        "/api/v1/seats/checkout",
        "/api/v1/seats/heartbeat",
        "/api/v1/seats/release",
        "/api/v1/seats/borrow",
        "/api/v1/seats/return",
    );
    let (cs, cb) = ("/api/v1/consumption", "/api/v1/consumption/batch");
    let consume = |id: &str, quantity: i64, feature: Option<&str>| {
        let mut b = key_of("hw-1");
        b["event_id"] = json!(id);
        b["quantity"] = json!(quantity);
        if let Some(f) = feature {
            b["feature"] = json!(f);
        }
        b
    };
    let (va, tr) = ("/api/v1/variables", "/api/v1/trial");
    let walk: Vec<(&'static str, Value)> = vec![
        (co, key_of("hw-1")),
        (co, key_of("hw-2")),
        (hb, key_of("hw-1")),
        (hb, key_of("hw-9")),
        (bo, borrow("hw-1", 2)),
        (bo, borrow("hw-1", 200)),
        (rt, key_of("hw-1")),
        (rt, key_of("hw-1")),
        (rl, key_of("hw-1")),
        (rl, key_of("hw-1")),
        (co, by_key("SPECSEAT", "NO-SUCH-KEY", "hw-1")),
        (va, {
            let mut b = key_of("hw-1");
            b["variables"] = json!({ "a": "1", "b": null });
            b
        }),
        (va, key_of("hw-9")),
        (
            tr,
            json!({ "product_code": "SPECSEAT", "hardware_id": "hw-trial" }),
        ),
        (
            tr,
            json!({ "product_code": "SPECSEAT", "hardware_id": "hw-trial" }),
        ),
        (
            tr,
            json!({ "product_code": "NOPE", "hardware_id": "hw-trial" }),
        ),
        (cs, consume("u1", 1, None)),
        (cs, consume("u1", 1, None)),
        (cs, consume("u1", 2, None)),
        (cs, consume("u2", 1_000, None)),
        (cs, consume("u3", 1, Some("nope"))),
        (cb, {
            let mut b = key_of("hw-1");
            b["events"] = json!([{ "event_id": "u1", "quantity": 1 }, { "event_id": "u1", "quantity": 5 }, { "event_id": "u4", "quantity": 1, "feature": "nope" }]);
            b
        }),
    ];
    let mut statuses = BTreeSet::new();
    for (path, b) in walk {
        let s = send(&app, "post", path, path, body(b), true).await;
        matches(&spec, &s);
        statuses.insert((path, s.status));
    }
    for want in [
        (co, 200),
        (co, 409),
        (co, 404),
        (hb, 200),
        (hb, 409),
        (bo, 200),
        (bo, 422),
        (rt, 200),
        (rt, 409),
        (rl, 200),
        (cs, 200),
        (cs, 409),
        (cs, 404),
        (cb, 200),
        (va, 200),
        (va, 409),
        (tr, 200),
        (tr, 404),
    ] {
        assert!(statuses.contains(&want), "{want:?}: {statuses:?}");
    }
}
