//! The license API's answers are signed (RFC 9421, Ed25519), errors included, and never
//! an HTML page or a cookie. The signature base is rebuilt here by hand from the answer
//! (not with the server's code) and verified with the published key; a changed body,
//! status, nonce, path or query fails.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

const NONCE: &str = "bm9uY2Utb2YtdGhlLXRlc3Q";
const SECRET: &str = "an API test secret of more than thirty-two characters";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

async fn get(app: &TestApp, path: &str, nonce: Option<&str>) -> Answer {
    let mut req = reqwest::Client::new().get(app.url(path));
    if let Some(n) = nonce {
        req = req.header("Keyfold-Nonce", n);
    }
    let r = req
        .header("Cookie", "keyfold_session=anything")
        .send()
        .await
        .unwrap();
    answer(r).await
}

async fn answer(r: reqwest::Response) -> Answer {
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().await.unwrap().to_vec(),
    }
}

/// The `keyid` parameter of a `Signature-Input` value.
fn kid_in(input: &str) -> String {
    input
        .split("keyid=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

fn header(a: &Answer, name: &str) -> String {
    a.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The published key of `kid`, from `GET /api/v1/keys`.
async fn public_key(app: &TestApp, kid: &str) -> VerifyingKey {
    let keys = get(app, "/api/v1/keys", Some(NONCE)).await;
    let v: serde_json::Value = serde_json::from_slice(&keys.body).unwrap();
    let b64 = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap()["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    VerifyingKey::from_bytes(&STANDARD.decode(b64).unwrap().try_into().unwrap()).unwrap()
}

/// The signature base of an answer to a GET, written out by hand: the answer's status
/// and digest, the request's method, path and query, and the `Signature-Input`'s
/// parameters as sent.
fn base(status: u16, body: &[u8], path: &str, query: &str, input: &str) -> String {
    let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)));
    let params = input.split_once('=').unwrap().1;
    format!(
        "\"@status\": {status}\n\"content-digest\": {digest}\n\"@method\";req: GET\n\"@path\";req: {path}\n\"@query\";req: ?{query}\n\"@signature-params\": {params}"
    )
}

fn verifies(key: &VerifyingKey, a: &Answer, base: &str) -> bool {
    let sig = header(a, "signature");
    let b64 = sig
        .split_once("=:")
        .and_then(|(_, s)| s.strip_suffix(':'))
        .unwrap();
    let sig = Signature::from_slice(&STANDARD.decode(b64).unwrap()).unwrap();
    key.verify(base.as_bytes(), &sig).is_ok()
}

#[tokio::test]
async fn answers_are_signed_over_the_fixed_components_and_tampering_fails() {
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(SECRET)),
        None,
    )
    .await;
    let a = get(&app, "/api/v1/keys?x=1", Some(NONCE)).await;
    assert_eq!(a.status, 200);
    assert!(header(&a, "content-type").starts_with("application/json"));
    assert_eq!(header(&a, "cache-control"), "no-store, no-transform");
    assert!(
        header(&a, "set-cookie").is_empty(),
        "no cookie from the API"
    );
    let input = header(&a, "signature-input");
    let (label, rest) = input.split_once('=').unwrap();
    assert_eq!(label, "sig1");
    assert!(
        rest.starts_with("(\"@status\" \"content-digest\" \"@method\";req \"@path\";req \"@query\";req);created="),
        "{input}"
    );
    assert!(
        rest.contains(";alg=\"ed25519\"") && rest.ends_with(&format!(";nonce=\"{NONCE}\"")),
        "{input}"
    );
    let kid = kid_in(rest);
    let key = public_key(&app, &kid).await;
    assert_eq!(
        header(&a, "content-digest"),
        format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(&a.body)))
    );
    assert!(verifies(
        &key,
        &a,
        &base(200, &a.body, "/api/v1/keys", "x=1", &input)
    ));

    // Any change to what is covered fails.
    let mut changed = a.body.clone();
    changed[0] ^= 1;
    assert!(
        !verifies(
            &key,
            &a,
            &base(200, &changed, "/api/v1/keys", "x=1", &input)
        ),
        "body"
    );
    assert!(
        !verifies(&key, &a, &base(201, &a.body, "/api/v1/keys", "x=1", &input)),
        "status"
    );
    assert!(
        !verifies(&key, &a, &base(200, &a.body, "/api/v1/key", "x=1", &input)),
        "path"
    );
    assert!(
        !verifies(&key, &a, &base(200, &a.body, "/api/v1/keys", "x=2", &input)),
        "query"
    );
    let other_nonce = input.replace(NONCE, "b3RoZXItbm9uY2UtaGVyZQ");
    assert!(
        !verifies(
            &key,
            &a,
            &base(200, &a.body, "/api/v1/keys", "x=1", &other_nonce)
        ),
        "nonce"
    );
}

#[tokio::test]
async fn errors_are_signed_problems_never_pages() {
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(SECRET)),
        None,
    )
    .await;
    for (path, nonce, status, code) in [
        ("/api/v1/keys", None, 400, "nonce_invalid"),
        ("/api/v1/keys", Some("short"), 400, "nonce_invalid"),
        (
            "/api/v1/keys",
            Some("has spaces and more than sixteen"),
            400,
            "nonce_invalid",
        ),
        ("/api/v1/no-such-thing", Some(NONCE), 404, "not_found"),
    ] {
        let a = get(&app, path, nonce).await;
        assert_eq!(a.status, status, "{path} {nonce:?}");
        assert_eq!(
            header(&a, "content-type"),
            "application/problem+json",
            "{path}"
        );
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(v["code"], code, "{path}");
        assert_eq!(v["status"], status);
        assert!(v["request_id"].is_string(), "{path}: {v}");
        assert!(
            !header(&a, "signature").is_empty(),
            "{path}: errors are signed too"
        );
        let input = header(&a, "signature-input");
        let kid = kid_in(&input);
        let key = public_key(&app, &kid).await;
        assert!(
            verifies(&key, &a, &base(status, &a.body, path, "", &input)),
            "{path}"
        );
    }
}

/// On PostgreSQL no secret file is made: without KEYFOLD_SECRET_KEY the API refuses to
/// answer unsigned. On SQLite the secret file beside the database signs.
#[tokio::test]
async fn without_a_secret_from_outside_the_database_nothing_is_signed() {
    let app = TestApp::spawn().await;
    let a = get(&app, "/api/v1/keys", Some(NONCE)).await;
    if app.db.url().starts_with("postgres") {
        assert_eq!(a.status, 503);
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(v["code"], "signing_unavailable");
        assert!(header(&a, "signature").is_empty());
    } else {
        assert_eq!(a.status, 200);
        assert!(!header(&a, "signature").is_empty());
    }
}

/// The answers verify with code nobody here wrote (Python's `cryptography`, the base
/// rebuilt by a short script from the request and the answer); a changed body, status,
/// path, query or nonce fails. `.ci/run` installs the package; elsewhere the test says
/// it is missing and fails.
#[tokio::test]
async fn answers_verify_with_an_independent_implementation() {
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(SECRET)),
        None,
    )
    .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/scripts/verify_answer.py"
    );
    let base = app.url("");
    let run = move |target: &'static str, tamper: Option<&'static str>| {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(script).arg(&base).arg(target).arg(NONCE);
        if let Some(t) = tamper {
            cmd.args(["--tamper", t]);
        }
        cmd.output().unwrap()
    };
    let ok = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("/api/v1/keys?a=b", None)
    });
    let out = ok.await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (target, tamper) in [
        ("/api/v1/keys?a=b", "body"),
        ("/api/v1/keys?a=b", "status"),
        ("/api/v1/keys?a=b", "path"),
        ("/api/v1/keys?a=b", "query"),
        ("/api/v1/keys?a=b", "nonce"),
    ] {
        let run = run.clone();
        let out = tokio::task::spawn_blocking(move || run(target, Some(tamper)))
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{tamper}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // An error answer verifies too.
    let run2 = run.clone();
    let out = tokio::task::spawn_blocking(move || run2("/api/v1/nothing-here", None))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `GET /api/v1/products/{code}`: what an application learns of its product (its code
/// without case); an unknown or bundle product is `product_not_found`, a problem.
#[tokio::test]
async fn product_details_describe_the_product_and_unknown_codes_are_problems() {
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(SECRET)),
        None,
    )
    .await;
    app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
        .await;
    crate::orders::product(&app, "STUDIO-PRO", false).await;
    crate::orders::product(&app, "SUITE", true).await;
    let a = get(&app, "/api/v1/products/studio-pro", Some(NONCE)).await;
    assert_eq!(a.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(v["code"], "STUDIO-PRO");
    assert_eq!(v["license_type"], "subscription");
    assert_eq!(
        (v["trials"].clone(), v["trial_days"].clone()),
        (true.into(), 14.into())
    );
    assert_eq!(v["user_based"], false);
    assert_eq!(v["features"][0]["code"], "calls");
    assert_eq!(v["features"][0]["kind"], "consumption");
    assert!(!header(&a, "signature").is_empty());
    for path in [
        "/api/v1/products/NOPE",
        "/api/v1/products/SUITE",
        "/api/v1/products/%00%01",
    ] {
        let a = get(&app, path, Some(NONCE)).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(header(&a, "content-type"), "application/problem+json");
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(v["code"], "product_not_found", "{path}");
        assert!(v["request_id"].is_string());
    }
    let long = format!("/api/v1/products/{}", "x".repeat(10_000));
    let a = get(&app, &long, Some(NONCE)).await;
    assert_eq!(a.status, 404);
}

async fn post(app: &TestApp, path: &str, body: &str) -> (u16, serde_json::Value, Answer) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .header("Keyfold-Nonce", NONCE)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let a = answer(r).await;
    let v = serde_json::from_slice(&a.body).unwrap_or_default();
    (a.status, v, a)
}

/// `POST /api/v1/check`: valid only for an enabled, started, unexpired license active on
/// this very hardware id; never takes a seat; unknown keys and another product's key are
/// `license_not_found`; bad bodies `body_invalid`; the answer covers the request body's
/// digest too.
#[tokio::test]
async fn a_check_answers_whether_the_license_may_be_used_on_this_device() {
    use diesel::prelude::*;
    use keyfold::db::schema::licenses;
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(SECRET)),
        None,
    )
    .await;
    app.signed_in_as("admin@example.com", keyfold::domain::Role::Admin)
        .await;
    let product = crate::orders::product(&app, "CHECKED", false).await;
    crate::orders::product(&app, "OTHER", false).await;
    let order = app.insert_order(None, "ORD-CHECK");
    let license = app.issue_license(order, product);
    let key = app.license(license).license_key;
    let device = app.insert_device(license, "hw-1", "laptop");
    let body = |code: &str, key: &str, hw: &str| {
        serde_json::json!({ "product_code": code, "license_key": key, "hardware_id": hw })
            .to_string()
    };
    let devices_before = app.license(license).active_devices;

    let (s, v, a) = post(
        &app,
        "/api/v1/check",
        &body("checked", &key.to_lowercase(), "hw-1"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["code"].is_null());
    assert_eq!(
        (
            v["license_key"].as_str(),
            v["product_code"].as_str(),
            v["hardware_id"].as_str()
        ),
        (Some(key.as_str()), Some("CHECKED"), Some("hw-1"))
    );
    assert_eq!(v["device_id"], device);
    assert!(v["offline_valid_until"].is_string());
    assert_eq!(v["features"][0]["code"], "calls");
    let input = header(&a, "signature-input");
    assert!(
        input.contains("\"content-digest\";req"),
        "the request body is covered: {input}"
    );

    for (b, code) in [
        (body("CHECKED", &key, "hw-2"), "not_activated"),
        (body("CHECKED", &key, "HW-1"), "not_activated"),
    ] {
        let (s, v, _) = post(&app, "/api/v1/check", &b).await;
        assert_eq!(
            (s, v["valid"].clone(), v["code"].clone()),
            (200, false.into(), code.into()),
            "{b}"
        );
        assert!(v["offline_valid_until"].is_null());
    }
    for b in [
        body("OTHER", &key, "hw-1"),
        body("CHECKED", "AAAA-BBBB-CCCC-DDDD", "hw-1"),
    ] {
        let (s, v, _) = post(&app, "/api/v1/check", &b).await;
        assert_eq!(
            (s, v["code"].clone()),
            (404, "license_not_found".into()),
            "{b}"
        );
    }
    let set = |enabled: bool,
               valid_until: Option<chrono::NaiveDateTime>,
               start: Option<chrono::NaiveDate>| {
        diesel::update(licenses::table.find(license))
            .set((
                licenses::enabled.eq(enabled),
                licenses::valid_until.eq(valid_until),
                licenses::start_date.eq(start),
            ))
            .execute(&mut app.conn())
            .unwrap();
    };
    let now = chrono::Utc::now().naive_utc();
    for (enabled, until, start, code) in [
        (false, None, None, "license_disabled"),
        (
            true,
            Some(now - chrono::Duration::days(1)),
            None,
            "license_expired",
        ),
        (
            true,
            None,
            Some((now + chrono::Duration::days(3)).date()),
            "license_not_started",
        ),
    ] {
        set(enabled, until, start);
        let (s, v, _) = post(&app, "/api/v1/check", &body("CHECKED", &key, "hw-1")).await;
        assert_eq!(
            (s, v["valid"].clone(), v["code"].clone()),
            (200, false.into(), code.into())
        );
    }
    // A license ending in two days is trusted offline no longer than that.
    let end = now + chrono::Duration::days(2);
    set(true, Some(end), None);
    let (_, v, _) = post(&app, "/api/v1/check", &body("CHECKED", &key, "hw-1")).await;
    assert_eq!(v["valid"], true);
    let offline = chrono::NaiveDateTime::parse_from_str(
        v["offline_valid_until"].as_str().unwrap(),
        "%Y-%m-%dT%H:%M:%S%.f",
    )
    .unwrap();
    assert!(
        offline <= end + chrono::Duration::seconds(1),
        "{offline} > {end}"
    );

    for bad in [
        "{not json".to_owned(),
        "[]".to_owned(),
        r#"{"product_code": "CHECKED", "license_key": 5, "hardware_id": "hw-1"}"#.to_owned(),
        r#"{"product_code": "CHECKED", "hardware_id": "hw-1"}"#.to_owned(),
        format!(
            r#"{{"product_code": "CHECKED", "license_key": "{key}", "hardware_id": "hw-1", "extra": 1}}"#
        ),
        body("CHECKED", &key, &"h".repeat(257)),
        body("CHECKED", &key, "hw\u{0}1"),
        body("CHECKED", &key, ""),
    ] {
        let (s, v, _) = post(&app, "/api/v1/check", &bad).await;
        assert_eq!(
            (s, v["code"].clone()),
            (400, "body_invalid".into()),
            "{bad}"
        );
    }
    let (s, v, _) = post(&app, "/api/v1/check", &"x".repeat(70_000)).await;
    assert_eq!((s, v["code"].clone()), (413, "body_too_large".into()));
    assert_eq!(
        app.license(license).active_devices,
        devices_before,
        "a check takes no seat"
    );
}

/// Each signature of an answer: its `Signature-Input` member (label and parameters) and
/// whether it verifies with the published key its `keyid` names.
async fn signatures(app: &TestApp, a: &Answer, path: &str) -> Vec<(String, String, bool)> {
    let inputs = header(a, "signature-input");
    let sigs = header(a, "signature");
    let mut out = Vec::new();
    for (input, sig) in inputs.split(", sig").zip(sigs.split(", sig")) {
        let input = if input.starts_with("sig") {
            input.to_owned()
        } else {
            format!("sig{input}")
        };
        let sig = if sig.starts_with("sig") {
            sig.to_owned()
        } else {
            format!("sig{sig}")
        };
        let (label, _) = input.split_once('=').unwrap();
        let kid = kid_in(&input);
        let key = public_key(app, &kid).await;
        let b64 = sig
            .split_once("=:")
            .and_then(|(_, s)| s.strip_suffix(':'))
            .unwrap();
        let signature = Signature::from_slice(&STANDARD.decode(b64).unwrap()).unwrap();
        let base = base(a.status, &a.body, path, "", &input);
        let ok = key.verify(base.as_bytes(), &signature).is_ok();
        out.push((label.to_owned(), kid, ok));
    }
    out
}

/// The key ids of each state in `GET /api/v1/keys`.
async fn published(app: &TestApp) -> Vec<(String, String)> {
    let keys = get(app, "/api/v1/keys", Some(NONCE)).await;
    let v: serde_json::Value = serde_json::from_slice(&keys.body).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_rotation_reaches_every_instance_with_an_overlap_signed_by_both_keys() {
    use keyfold::models::signing_key::{self, KeySealer};
    let reload = std::time::Duration::from_millis(300);
    let setup = move |c: &mut keyfold::config::Config| {
        c.secret_key = Some(keyfold::config::Secret::new(SECRET));
        c.api.key_reload = reload;
    };
    let a = TestApp::spawn_with(setup, None).await;
    let b = TestApp::spawn_on(crate::helpers::TestDb::borrowed(&a.db), setup, None).await;
    let path = "/api/v1/keys";
    let old = published(&a).await;
    assert_eq!(old.len(), 1);
    let old_kid = old[0].0.clone();
    let settle = || tokio::time::sleep(reload * 2);
    let change =
        |f: &dyn Fn(&mut keyfold::db::DbConnection) -> Result<(), keyfold::models::ModelError>| {
            let mut conn = a.conn();
            keyfold::db::write_tx(&mut conn, f).unwrap();
        };
    // Each instance signs once before the change, so each has the keys cached.
    for app in [&a, &b] {
        let s = signatures(app, &get(app, path, Some(NONCE)).await, path).await;
        assert_eq!(s, vec![("sig1".to_owned(), old_kid.clone(), true)]);
    }

    // rotate: a next key is published on both instances, but does not sign.
    let sealer = KeySealer::new(SECRET.as_bytes());
    change(&|c| signing_key::rotate(c, &sealer).map(|_| ()));
    settle().await;
    for app in [&a, &b] {
        let keys = published(app).await;
        let new_kid = keys
            .iter()
            .find(|(_, s)| s == "next")
            .expect("published next")
            .0
            .clone();
        assert_ne!(new_kid, old_kid);
        let s = signatures(app, &get(app, path, Some(NONCE)).await, path).await;
        assert_eq!(s, vec![("sig1".to_owned(), old_kid.clone(), true)]);
    }
    let new_kid = published(&a)
        .await
        .into_iter()
        .find(|(_, s)| s == "next")
        .unwrap()
        .0;

    // promote: during the overlap every answer of either instance carries both, sig1 by
    // the outgoing key and sig2 by the active one, each verifying with its key.
    change(&|c| signing_key::promote(c).map(|_| ()));
    settle().await;
    for app in [&a, &b] {
        let s = signatures(app, &get(app, path, Some(NONCE)).await, path).await;
        assert_eq!(
            s,
            vec![
                ("sig1".to_owned(), old_kid.clone(), true),
                ("sig2".to_owned(), new_kid.clone(), true)
            ]
        );
    }

    // retire: only the new key signs; the old one stays published to verify with.
    change(&|c| signing_key::retire(c).map(|_| ()));
    settle().await;
    for app in [&a, &b] {
        let s = signatures(app, &get(app, path, Some(NONCE)).await, path).await;
        assert_eq!(s, vec![("sig1".to_owned(), new_kid.clone(), true)]);
        let keys = published(app).await;
        assert!(
            keys.contains(&(old_kid.clone(), "retired".to_owned())),
            "{keys:?}"
        );
        assert!(
            keys.contains(&(new_kid.clone(), "active".to_owned())),
            "{keys:?}"
        );
    }
}
