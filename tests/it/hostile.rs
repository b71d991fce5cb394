//! The hostile-input tests, generated from the route table: every numeric path segment,
//! every list filter (the GET forms and links of every page) and every field of every
//! form found on the pages is sent hostile values (in parts that run in parallel, each on
//! its own application and database) — huge and negative numbers, 10,000
//! characters, NUL bytes, impossible dates, SQL and HTML fragments, broken JSON,
//! duplicated and unknown fields. No answer may be a 500; a submitted `<script>` never
//! comes back unescaped (re-rendered form, the object's page, the audit log); and after
//! each form a sign-in and a change still work with several pool connections in use.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::Method;
use keyfold::domain::Role;
use keyfold::web::routes::{self, Access};

use crate::helpers::forms::{forms_on, Form};
use crate::helpers::{client, csrf_in, location, TestApp, PASSWORD};

const SCRIPT: &str = "<script>alert(1)</script>";

fn hostile_values() -> Vec<String> {
    vec![
        String::new(),
        "-1".into(),
        "0".into(),
        "99999999999999999999999".into(),
        "1000000000".into(),
        "-9223372036854775808".into(),
        "1e309".into(),
        "x".repeat(10_000),
        "a\0b".into(),
        "2026-02-30".into(),
        "+275760-09-13".into(),
        "0000-00-00".into(),
        "'; DROP TABLE licenses; --".into(),
        SCRIPT.into(),
        "{\"broken\": ".into(),
        "１２３".into(),
    ]
}

fn fill(path: &str) -> String {
    crate::auth::fill_params(path)
}

struct Run {
    app: TestApp,
    email: String,
    client: reqwest::Client,
    token: String,
    requests: usize,
}

impl Run {
    async fn sign_in(&mut self) {
        self.client = client();
        let r = self
            .app
            .sign_in_with(&self.client, &self.email, PASSWORD, None)
            .await;
        assert_eq!(r.status(), 303, "sign-in of the hostile user");
        // The same browser is the demo's license manager too (every permission on
        // order 1), so the portal's pages and forms are crawled as well.
        // (Best effort: a staff form crawled later may disable that account.)
        let r = self
            .app
            .portal_sign_in_with(&self.client, PORTAL_MANAGER, PASSWORD)
            .await;
        assert_ne!(r.status(), 500, "portal sign-in of the hostile user");
        self.token = self.app.csrf_token_with(&self.client).await;
    }

    /// Signs in again when a form ended the session (sign-out, password change).
    async fn keep_signed_in(&mut self) {
        let r = self
            .client
            .get(self.app.url("/account/password"))
            .send()
            .await
            .unwrap();
        let portal = self
            .client
            .get(self.app.url("/portal/account"))
            .send()
            .await
            .unwrap();
        let manager_enabled =
            keyfold::models::license_manager::find_by_email(&mut self.app.conn(), PORTAL_MANAGER)
                .unwrap()
                .is_some_and(|m| m.enabled);
        if r.status() != 200 || (manager_enabled && portal.status() != 200) {
            self.sign_in().await;
        }
    }

    async fn check(&mut self, what: &str, r: reqwest::Response) {
        self.requests += 1;
        let status = r.status().as_u16();
        let loc = location(&r);
        // A CSV download is not a page: it holds what was stored, as text.
        let csv = r
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/csv"));
        let body = r.text().await.unwrap_or_default();
        assert_ne!(
            status,
            500,
            "{what} answered 500: {}",
            &body[..body.len().min(400)]
        );
        assert!(
            csv || !body.contains(SCRIPT),
            "{what} reflected a script unescaped"
        );
        if status == 303 && loc.starts_with('/') && !loc.starts_with("/login") {
            // The object's page after a successful change.
            let r = self.client.get(self.app.url(&loc)).send().await.unwrap();
            let s = r.status().as_u16();
            let page = r.text().await.unwrap_or_default();
            assert_ne!(s, 500, "{what} → {loc} answered 500");
            assert!(
                !page.contains(SCRIPT),
                "{what} → {loc} shows a script unescaped"
            );
        }
    }

    async fn get(&mut self, what: &str, path: &str, query: &[(String, String)]) {
        let r = self
            .client
            .get(self.app.url(path))
            .query(query)
            .send()
            .await
            .unwrap();
        self.check(what, r).await;
    }

    async fn post(&mut self, what: &str, path: &str, fields: &[(String, String)]) {
        let mut body = vec![("csrf_token".to_owned(), self.token.clone())];
        body.extend(fields.iter().filter(|(k, _)| k != "csrf_token").cloned());
        let r = self
            .client
            .post(self.app.url(path))
            .form(&body)
            .send()
            .await
            .unwrap();
        self.check(what, r).await;
    }

    /// With several connections of the pool busy, sign-ins and changes still work.
    async fn still_works(&self, after: &str) {
        let mut tasks = Vec::new();
        for i in 0..4 {
            let (url, email) = (self.app.address.clone(), self.email.clone());
            tasks.push(tokio::spawn(async move {
                let c = client();
                let page = c.get(format!("{url}/login")).send().await.unwrap();
                let token = csrf_in(&page.text().await.unwrap()).unwrap();
                let r = c
                    .post(format!("{url}/login"))
                    .form(&[
                        ("csrf_token", token.as_str()),
                        ("email", &email),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "sign-in {i}");
                let page = c
                    .get(format!("{url}/account/password"))
                    .send()
                    .await
                    .unwrap();
                let token = csrf_in(&page.text().await.unwrap()).unwrap();
                let name = format!("check {}", rand_suffix());
                let r = c
                    .post(format!("{url}/labels"))
                    .form(&[
                        ("csrf_token", token.as_str()),
                        ("name", name.as_str()),
                        ("colour", "#112233"),
                    ])
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            }));
        }
        for t in tasks {
            let status = t.await.unwrap();
            assert_eq!(status, 303, "a change after {after}");
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Forms whose submission ends what the rest of the run needs: done last.
fn is_destructive(action: &str) -> bool {
    action.ends_with("/delete") || action == "/logout"
}

const PORTAL_MANAGER: &str = "it-admin@example.com";

/// A demo database, the hostile staff user and license manager signed in on one client;
/// and the live invite link of the demo.
async fn start() -> (Run, String) {
    let app = TestApp::spawn().await;
    let demo = app.seed_demo("admin@example.com");
    let invite = demo.invite_link.replace(&app.mailer().public_url, "");
    let email = "hostile@example.com".to_owned();
    app.create_staff(&email, Role::Admin);
    let mut run = Run {
        app,
        email,
        client: client(),
        token: String::new(),
        requests: 0,
    };
    run.sign_in().await;
    (run, invite)
}

/// The list parameters and the forms of every page of the route table.
type Crawl = (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<(String, String), Form>,
);

async fn crawl(run: &Run) -> Crawl {
    let table = routes::table();
    let mut get_params: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut forms: BTreeMap<(String, String), Form> = BTreeMap::new();
    for route in table.iter().filter(|r| r.method == Method::GET) {
        if route.path.starts_with("/static")
            || route.path.ends_with(".csv")
            || route.path.ends_with(".css")
        {
            continue;
        }
        let path = fill(route.path);
        let r = run.client.get(run.app.url(&path)).send().await.unwrap();
        assert_ne!(r.status(), 500, "GET {path}");
        let html = r.text().await.unwrap();
        let (found, params) = forms_on(&path, &html);
        get_params.entry(path.clone()).or_default().extend(params);
        for f in found {
            if f.method == "get" {
                get_params
                    .entry(f.action.clone())
                    .or_default()
                    .extend(f.fields.iter().map(|(k, _)| k.clone()));
            } else {
                forms
                    .entry((
                        f.action.clone(),
                        f.fields
                            .iter()
                            .map(|(k, _)| k.clone())
                            .collect::<Vec<_>>()
                            .join(","),
                    ))
                    .or_insert(f);
            }
        }
    }
    assert!(forms.len() > 30, "{} forms found", forms.len());
    assert!(
        forms
            .keys()
            .any(|(action, _)| action.starts_with("/portal/licenses/1/devices/reset")),
        "the portal's forms are crawled too"
    );

    (get_params, forms)
}

#[tokio::test]
async fn hostile_path_segments_never_break_a_page() {
    let (mut run, _) = start().await;
    let table = routes::table();
    for route in table
        .iter()
        .filter(|r| r.path.contains('{') && r.access != Access::Public)
    {
        for bad in [
            "-1",
            "0",
            "99999999999999999999",
            "abc",
            "1%00",
            "1.5",
            "%20",
        ] {
            let path = route
                .path
                .split('/')
                .map(|seg| if seg.starts_with('{') { bad } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let what = format!("{} {path}", route.method);
            if route.method == Method::POST {
                run.post(&what, &path, &[]).await;
            } else {
                run.get(&what, &path, &[]).await;
            }
        }
    }
}

#[tokio::test]
async fn hostile_list_filters_never_break_a_page() {
    let (mut run, _) = start().await;
    let (get_params, _) = crawl(&run).await;
    for (path, params) in &get_params {
        let mut params = params.clone();
        params.insert("before".to_owned());
        params.insert("page".to_owned());
        // A list's CSV export takes the list's filters.
        let export = match path.as_str() {
            "/licenses" | "/orders" | "/customers" | "/audit-log" => {
                Some(format!("{path}/export.csv"))
            }
            _ => None,
        };
        for p in &params {
            for v in hostile_values() {
                let what = format!("GET {path}?{p}=…{}", v.len());
                run.get(&what, path, &[(p.clone(), v.clone())]).await;
                // The export parses the same filters: the bounds are what can differ
                // (huge, 10,000 characters, NUL, an impossible date).
                let bound = v.len() > 20 || v.contains('\0') || v == "2026-02-30";
                if let Some(export) = export.as_ref().filter(|_| bound && p != "page") {
                    let what = format!("GET {export}?{p}=…{}", v.len());
                    run.get(&what, export, &[(p.clone(), v)]).await;
                }
            }
        }
        let dup: Vec<(String, String)> = params
            .iter()
            .flat_map(|p| [(p.clone(), "1".to_owned()), (p.clone(), "x".to_owned())])
            .chain([("unknown_field".to_owned(), "x".to_owned())])
            .collect();
        run.get(&format!("GET {path} duplicated"), path, &dup).await;
    }
    run.still_works("the list filters").await;
}

/// Every field of every form whose action `pick` accepts, destructive ones last; then the
/// audit log shows what was submitted, escaped.
async fn hostile_forms(pick: fn(&str) -> bool) {
    let started = std::time::Instant::now();
    let (mut run, _) = start().await;
    let table = routes::table();
    let (_, forms) = crawl(&run).await;
    let forms: BTreeMap<(String, String), Form> = forms
        .into_iter()
        .filter(|((action, _), _)| pick(action))
        .collect();
    let mut ordered: Vec<Form> = forms.into_values().collect();
    ordered.sort_by_key(|f| is_destructive(&f.action));
    let posts_seen: BTreeSet<String> = ordered.iter().map(|f| f.action.clone()).collect();
    for form in &ordered {
        run.keep_signed_in().await;
        let names: Vec<String> = form
            .fields
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k != "csrf_token")
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let once = !is_destructive(&form.action);
        for name in &names {
            for v in hostile_values() {
                let fields: Vec<(String, String)> = form
                    .fields
                    .iter()
                    .map(|(k, d)| (k.clone(), if k == name { v.clone() } else { d.clone() }))
                    .collect();
                run.post(
                    &format!("POST {} {name}=…{}", form.action, v.len()),
                    &form.action,
                    &fields,
                )
                .await;
                if !once {
                    break;
                }
            }
            run.keep_signed_in().await;
        }
        // Every field duplicated, and an unknown field.
        let mut dup = form.fields.clone();
        dup.extend(
            form.fields
                .iter()
                .filter(|(k, _)| k != "csrf_token")
                .map(|(k, _)| (k.clone(), SCRIPT.to_owned())),
        );
        dup.push(("unknown_field".to_owned(), SCRIPT.to_owned()));
        run.post(
            &format!("POST {} duplicated", form.action),
            &form.action,
            &dup,
        )
        .await;
        run.keep_signed_in().await;
        run.still_works(&format!("POST {}", form.action)).await;
    }
    let posts = table
        .iter()
        .filter(|r| r.method == Method::POST && pick(r.path))
        .count();
    assert!(
        posts_seen.len() * 2 > posts,
        "forms for {} of {posts} POST routes",
        posts_seen.len()
    );

    run.keep_signed_in().await;
    let r = run
        .client
        .get(run.app.url("/audit-log"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        !r.text().await.unwrap().contains(SCRIPT),
        "the audit log shows a script unescaped"
    );
    eprintln!(
        "hostile input: {} requests, {} forms in {:.1}s",
        run.requests,
        ordered.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn hostile_admin_forms_never_break_a_page_or_the_server() {
    hostile_forms(|action| !action.starts_with("/portal")).await;
}

#[tokio::test]
async fn hostile_portal_forms_never_break_a_page_or_the_server() {
    hostile_forms(|action| action.starts_with("/portal")).await;
}

#[tokio::test]
async fn hostile_public_forms_never_break_a_page() {
    let (mut run, invite) = start().await;
    // A live invite link too: a hostile value that is a valid password uses it up, and
    // the rest meet the "link used" page.
    for path in [
        "/login",
        "/portal/login",
        "/account/setup/1",
        "/portal/forgot-password",
        invite.as_str(),
    ] {
        run.client = client();
        let html = run
            .client
            .get(run.app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        run.token = csrf_in(&html).unwrap_or_default();
        let (found, _) = forms_on(path, &html);
        for form in found.iter().filter(|f| f.method == "post") {
            for (name, _) in form.fields.iter().filter(|(k, _)| k != "csrf_token") {
                for v in hostile_values() {
                    let fields: Vec<(String, String)> = form
                        .fields
                        .iter()
                        .map(|(k, d)| (k.clone(), if k == name { v.clone() } else { d.clone() }))
                        .collect();
                    run.post(
                        &format!("anonymous POST {} {name}=…{}", form.action, v.len()),
                        &form.action,
                        &fields,
                    )
                    .await;
                }
            }
        }
    }
    run.sign_in().await;
}

/// The license API, from its route table: every POST gets broken JSON, bodies that are
/// not objects, duplicated and unknown fields, and each field of a real request replaced
/// by each hostile value and by every wrong JSON type; every GET path segment gets the
/// hostile values. Every answer is signed JSON (a problem for a refusal), never a 500
/// and never an HTML page.
#[tokio::test]
async fn hostile_api_requests_never_answer_500_or_html() {
    use serde_json::{json, Value};
    let app = crate::api_activation::app().await;
    let (_, license, key) = crate::api_activation::licensed(&app, "HOSTILE").await;
    {
        use diesel::prelude::*;
        use keyfold::db::schema::licenses;
        diesel::update(licenses::table.find(license))
            .set((
                licenses::floating_seats.eq(2),
                licenses::borrow_limit_hours.eq(24),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    let seat = json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h" });
    let until = (keyfold::db::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let bodies: BTreeMap<&str, Value> = BTreeMap::from([
        (
            "/api/v1/activate",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "hostname": "h", "os": "o", "app_version": "1", "sdk_version": "1" }),
        ),
        (
            "/api/v1/check",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h" }),
        ),
        (
            "/api/v1/deactivate",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h" }),
        ),
        (
            "/api/v1/seats/checkout",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "hostname": "h", "os": "o", "app_version": "1", "sdk_version": "1" }),
        ),
        ("/api/v1/seats/heartbeat", seat.clone()),
        ("/api/v1/seats/release", seat.clone()),
        (
            "/api/v1/seats/borrow",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "borrowed_until": until }),
        ),
        ("/api/v1/seats/return", seat.clone()),
        (
            "/api/v1/trial",
            json!({ "product_code": "HOSTILE", "hardware_id": "hw-trial",
            "hostname": "h", "os": "o", "app_version": "1", "sdk_version": "1" }),
        ),
        (
            "/api/v1/variables",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "variables": { "seat": "A-1", "gone": null } }),
        ),
        (
            "/api/v1/consumption",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "feature": "calls", "event_id": "ev-1", "quantity": 1 }),
        ),
        (
            "/api/v1/consumption/batch",
            json!({ "product_code": "HOSTILE", "license_key": key, "hardware_id": "hw-h",
            "events": [{ "feature": "calls", "event_id": "ev-2", "quantity": 2 }] }),
        ),
        (
            "/api/v1/password",
            json!({ "email": "lou@example.com", "password": PASSWORD, "new_password": "a long new password" }),
        ),
    ]);
    let table = routes::table();
    let api: Vec<_> = table
        .iter()
        .filter(|r| r.area == keyfold::domain::Area::Api)
        .collect();
    let posts: BTreeSet<&str> = api
        .iter()
        .filter(|r| r.method == Method::POST)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        posts,
        bodies.keys().copied().collect::<BTreeSet<_>>(),
        "every API POST has a real body here"
    );
    let http = reqwest::Client::new();
    let mut sent = 0;
    let send = |path: String, body: Vec<u8>| {
        let http = http.clone();
        let url = app.url(&path);
        async move {
            let r = http
                .post(url)
                .header("Keyfold-Nonce", "aG9zdGlsZS1ub25jZS0xMjM")
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (path, r)
        }
    };
    let assert_api = |what: &str, r: &reqwest::Response| {
        let status = r.status().as_u16();
        assert_ne!(status, 500, "{what}");
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        assert!(
            ct.starts_with("application/json") || ct.starts_with("application/problem+json"),
            "{what}: {ct}"
        );
        assert!(r.headers().contains_key("signature"), "{what} is signed");
        assert!(
            !r.headers().contains_key("set-cookie"),
            "{what} sets no cookie"
        );
    };
    let wrong_types = [
        json!(null),
        json!(12),
        json!(-1.5e308),
        json!(true),
        json!([]),
        json!({ "a": 1 }),
        json!([key.clone()]),
    ];
    for (path, base) in &bodies {
        let mut cases: Vec<(String, Vec<u8>)> = vec![
            ("empty".into(), Vec::new()),
            ("broken".into(), b"{\"broken\": ".to_vec()),
            ("array".into(), b"[1,2]".to_vec()),
            ("string".into(), b"\"x\"".to_vec()),
            ("nul".into(), b"{\"a\0\": 1}".to_vec()),
            (
                "deep".into(),
                format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            ),
            ("not utf-8".into(), vec![0xff, 0xfe, b'{', b'}']),
        ];
        let mut unknown = base.clone();
        unknown["admin"] = json!(true);
        cases.push(("unknown field".into(), unknown.to_string().into_bytes()));
        let text = base.to_string();
        cases.push((
            "duplicated field".into(),
            format!("{},{}", &text[..text.len() - 1], &text[1..]).into_bytes(),
        ));
        for field in base.as_object().unwrap().keys() {
            for v in hostile_values() {
                let mut b = base.clone();
                b[field] = json!(v);
                cases.push((format!("{field}={:.20}", v), b.to_string().into_bytes()));
            }
            for v in &wrong_types {
                let mut b = base.clone();
                b[field] = v.clone();
                cases.push((format!("{field}:{v}"), b.to_string().into_bytes()));
            }
            let mut b = base.clone();
            b.as_object_mut().unwrap().remove(field);
            cases.push((format!("without {field}"), b.to_string().into_bytes()));
        }
        for chunk in cases.chunks(8) {
            let answers = futures_util::future::join_all(
                chunk
                    .iter()
                    .map(|(_, body)| send(path.to_string(), body.clone())),
            )
            .await;
            for ((what, _), (_, r)) in chunk.iter().zip(answers) {
                assert_api(&format!("POST {path} {what}"), &r);
                sent += 1;
            }
        }
    }
    for route in api.iter().filter(|r| r.method == Method::GET) {
        for v in hostile_values() {
            let path = route.path.replace(
                "{code}",
                &url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>(),
            );
            if path.contains('{') {
                continue;
            }
            let r = http
                .get(app.url(&path))
                .header("Keyfold-Nonce", "aG9zdGlsZS1ub25jZS0xMjM")
                .send()
                .await
                .unwrap();
            assert_api(&format!("GET {path:.60}"), &r);
            sent += 1;
        }
    }
    assert!(sent > 300, "{sent} requests");
    // The server still activates after all of it.
    let (s, v) = app
        .api_post("/api/v1/activate", &bodies["/api/v1/activate"])
        .await;
    assert_eq!(s, 200, "{v}");
}
