//! Staff sign-in, sessions, CSRF, throttling, cookie flags and passwords.

use diesel::prelude::*;
use keyfold::db::schema::{login_attempts, sessions, staff_users};
use keyfold::domain::Role;
use keyfold::models::audit::{self, Actor};
use keyfold::models::staff;

use crate::helpers::{client, csrf_in, extra_routes, location, TestApp, PASSWORD};

#[tokio::test]
async fn sign_in_reaches_the_orders_page_and_is_audited() {
    let app = TestApp::spawn().await;
    let user = app.create_staff("Ada@Example.com", Role::StaffManager);
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/orders");
    let page = app.get("/orders").await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("Test User") && body.contains("Sign out"),
        "{body}"
    );
    let mut conn = app.conn();
    let audited = audit::latest_of_action(&mut conn, "staff.signed_in", 5).unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor_id, Some(user.id.into()));
    let after = staff::find(&mut conn, user.id).unwrap().unwrap();
    assert!(after.last_sign_in_at.is_some());
}

#[tokio::test]
async fn pages_need_a_signed_in_user_and_remember_where_they_were_going() {
    let app = TestApp::spawn().await;
    let r = app.get("/orders?before=5").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Forders%3Fbefore%3D5");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    let wrong = app.sign_in("ada@example.com", "not the password").await;
    let (s1, b1) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = app.sign_in("nobody@example.com", "not the password").await;
    let (s2, b2) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(s1, 401);
    assert_eq!(s1, s2);
    let normalise = |b: &str, email: &str| {
        let token = csrf_in(b).unwrap();
        b.replace(&token, "TOKEN").replace(email, "EMAIL")
    };
    assert_eq!(
        normalise(&b1, "ada@example.com"),
        normalise(&b2, "nobody@example.com")
    );
    assert!(b1.contains("Email or password is incorrect."));
    // Still signed out.
    assert_eq!(app.get("/orders").await.status(), 303);
}

#[tokio::test]
async fn a_password_over_72_bytes_is_refused_with_a_message() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    let long = format!("{PASSWORD}{}", "x".repeat(80));
    let r = app.sign_in("ada@example.com", &long).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("at most 72 bytes"), "{body}");
    assert!(
        body.contains("value=\"ada@example.com\""),
        "the email is kept"
    );
}

#[tokio::test]
async fn five_failures_in_a_minute_throttle_that_email_and_address_for_a_minute() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("ada@example.com", "wrong password")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused now.
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    // Another email from the same address is not affected.
    app.create_staff("grace@example.com", Role::Admin);
    let other = client();
    assert_eq!(
        app.sign_in_with(&other, "grace@example.com", PASSWORD, None)
            .await
            .status(),
        303
    );
    // A minute later the door opens again.
    {
        let mut conn = app.conn();
        let past = keyfold::models::now() - chrono::Duration::seconds(61);
        diesel::update(login_attempts::table)
            .set(login_attempts::attempted_at.eq(past))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = TestApp::spawn().await;
    app.create_staff("admin@example.com", Role::Admin);
    let user = app.create_staff("sam@example.com", Role::Support);
    staff::set_active(&mut app.conn(), &Actor::system("test"), user.id, false).unwrap();
    let r = app.sign_in("sam@example.com", PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("disabled"));
    assert_eq!(app.get("/orders").await.status(), 303);
}

/// The raw `Cookie` header value this client would send.
fn cookie_header(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn after_sign_out_a_copied_cookie_is_refused() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    let copied = cookie_header(&r);
    assert_eq!(
        get_with_cookie(&app, "/orders", &copied).await.status(),
        200
    );
    let out = app.post_form("/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/login");
    assert!(app
        .get("/login")
        .await
        .text()
        .await
        .unwrap()
        .contains("You have signed out."));
    let again = get_with_cookie(&app, "/orders", &copied).await;
    assert_eq!(again.status(), 303);
    assert!(location(&again).starts_with("/login"));
    assert_eq!(
        audit::latest_of_action(&mut app.conn(), "staff.signed_out", 5)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.create_staff("admin@example.com", Role::Admin);
    let sam = app.signed_in_as("sam@example.com", Role::Support).await;
    assert_eq!(app.get("/orders").await.status(), 200);
    staff::set_active(
        &mut app.conn(),
        &Actor::staff(admin.id, &admin.email, None),
        sam.id,
        false,
    )
    .unwrap();
    let r = app.get("/orders").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login"));
}

#[tokio::test]
async fn an_idle_session_and_an_old_session_expire() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ada@example.com", Role::Admin).await;
    assert_eq!(app.get("/orders").await.status(), 200);
    let backdate = |column: &str| {
        let mut conn = app.conn();
        let past = keyfold::models::now() - chrono::Duration::hours(3);
        match column {
            "last_seen_at" => diesel::update(sessions::table)
                .set(sessions::last_seen_at.eq(past))
                .execute(&mut conn),
            _ => diesel::update(sessions::table)
                .set(sessions::expires_at.eq(past))
                .execute(&mut conn),
        }
        .unwrap();
    };
    backdate("last_seen_at");
    assert_eq!(
        app.get("/orders").await.status(),
        303,
        "idle for 3 h (limit 2 h)"
    );

    let other = TestApp::spawn().await;
    other.signed_in_as("ada@example.com", Role::Admin).await;
    {
        let mut conn = other.conn();
        let past = keyfold::models::now() - chrono::Duration::minutes(1);
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(past))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(
        other.get("/orders").await.status(),
        303,
        "past the absolute limit"
    );
}

#[tokio::test]
async fn next_is_followed_only_to_local_paths() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let c = client();
        let r = app
            .sign_in_with(&c, "ada@example.com", PASSWORD, Some(evil))
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/orders", "{evil}");
    }
    let c = client();
    let r = app
        .sign_in_with(&c, "ada@example.com", PASSWORD, Some("/account/password"))
        .await;
    assert_eq!(location(&r), "/account/password");
    // The sign-in page carries next= into its form, but only a local one.
    let page = client()
        .get(app.url("/login?next=https://evil.example"))
        .send()
        .await
        .unwrap();
    assert!(!page.text().await.unwrap().contains("evil.example"));
}

fn password_hash(app: &TestApp, email: &str) -> Option<String> {
    staff_users::table
        .filter(staff_users::email_norm.eq(email))
        .select(staff_users::password_hash)
        .first(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_form_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ada@example.com", Role::Admin).await;
    let before = password_hash(&app, "ada@example.com");
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new password"),
        ("confirm_password", "a brand new password"),
    ];
    for token in [None, Some("forged"), Some("")] {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let r = app
            .client
            .post(app.url("/account/password"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "token {token:?}");
        assert!(r.text().await.unwrap().contains("Not allowed"));
    }
    assert_eq!(password_hash(&app, "ada@example.com"), before);
    // With the token it works.
    assert_eq!(
        app.post_form("/account/password", &fields).await.status(),
        303
    );
    assert_ne!(password_hash(&app, "ada@example.com"), before);
}

#[derive(actix_multipart::form::MultipartForm)]
struct Upload {
    csrf_token: Option<actix_multipart::form::text::Text<String>>,
    #[multipart(limit = "1MiB")]
    file: actix_multipart::form::tempfile::TempFile,
}

impl keyfold::auth::HasCsrfToken for Upload {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

/// A multipart route mounted by the test: stores the uploaded file's size in settings.
async fn upload(
    state: keyfold::web::State,
    keyfold::auth::CsrfMultipart(form): keyfold::auth::CsrfMultipart<Upload>,
) -> Result<actix_web::HttpResponse, keyfold::error::AppError> {
    let size = form.file.size.to_string();
    state
        .db(move |conn| {
            diesel::insert_into(keyfold::db::schema::settings::table)
                .values((
                    keyfold::db::schema::settings::key.eq("test_upload"),
                    keyfold::db::schema::settings::value.eq(size),
                    keyfold::db::schema::settings::updated_at.eq(keyfold::models::now()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(actix_web::HttpResponse::Ok().body("stored"))
}

#[tokio::test]
async fn a_multipart_form_needs_the_csrf_token_too() {
    let extra = extra_routes(|cfg| {
        cfg.route("/test/upload", actix_web::web::post().to(upload));
    });
    let app = TestApp::spawn_with(|_| {}, extra).await;
    app.signed_in_as("ada@example.com", Role::Admin).await;
    let file = || reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("x.csv");
    let stored =
        |app: &TestApp| keyfold::models::settings::get(&mut app.conn(), "test_upload").unwrap();

    let forged = reqwest::multipart::Form::new()
        .text("csrf_token", "forged")
        .part("file", file());
    let r = app
        .client
        .post(app.url("/test/upload"))
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let missing = reqwest::multipart::Form::new().part("file", file());
    let r = app
        .client
        .post(app.url("/test/upload"))
        .multipart(missing)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(stored(&app), None, "nothing changed");

    let token = app.csrf_token().await;
    let good = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part("file", file());
    let r = app
        .client
        .post(app.url("/test/upload"))
        .multipart(good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(stored(&app), Some("8".to_owned()));
}

#[tokio::test]
async fn every_registered_post_route_refuses_a_missing_token() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("ada@example.com", Role::Admin).await;
    // The same browser is also the demo's license manager (every permission on order 1,
    // whose licenses include 1), so portal routes pass their grant check and reach the
    // token check.
    let r = app
        .portal_sign_in_with(
            &app.client,
            "it-admin@example.com",
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(r.status(), 303);
    // The license API takes no session or cookie, so it has no CSRF token to check
    // (its requests carry a nonce instead; `api_signing` tests that).
    let posts: Vec<_> = keyfold::web::routes::table()
        .into_iter()
        .filter(|r| r.method == actix_web::http::Method::POST)
        .filter(|r| r.area != keyfold::domain::Area::Api)
        .collect();
    assert!(posts.len() >= 3, "{posts:?}");
    for route in posts {
        let path = fill_params(route.path);
        let r = app
            .client
            .post(app.url(&path))
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "POST {path} without a token");
    }
    // Still signed in, in both areas: the refusals changed nothing.
    assert_eq!(app.get("/orders").await.status(), 200);
    assert_eq!(app.get("/portal").await.status(), 200);
}

/// A route path with every `{param}` replaced by 1.
pub fn fill_params(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_post_after_the_session_expired_leads_to_the_sign_in_page() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ada@example.com", Role::Admin).await;
    let token = app.csrf_token().await;
    diesel::update(sessions::table)
        .set(sessions::revoked_at.eq(keyfold::models::now()))
        .execute(&mut app.conn())
        .unwrap();
    let r = app
        .client
        .post(app.url("/account/password"))
        .header("referer", app.url("/account/password"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("current_password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Faccount%2Fpassword");
    // A browser whose cookie is gone entirely gets the same.
    let fresh = client();
    let r = fresh
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_lax_and_secure_when_configured() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::Admin);
    let r = app.sign_in("ada@example.com", PASSWORD).await;
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("keyfold="), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(!set.contains("Secure"), "plain http test server: {set}");
    // The cookie holds no readable session data.
    assert!(!set.contains("sid") && !set.contains("csrf"), "{set}");

    let secure = TestApp::spawn_with(|c| c.secure_cookies = true, None).await;
    let r = secure.get("/login").await;
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");
}

#[tokio::test]
async fn visiting_the_sign_in_page_writes_nothing_to_the_database() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/login").await.status(), 200);
    let n: i64 = sessions::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ada@example.com", Role::ReadOnly).await;
    let laptop = client();
    assert_eq!(
        app.sign_in_with(&laptop, "ada@example.com", PASSWORD, None)
            .await
            .status(),
        303
    );
    assert_eq!(
        laptop
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Wrong current password, then a mismatch: 422, nothing changed.
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "another password"),
                ("confirm_password", "another password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("This is not your current password."));
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another password"),
                ("confirm_password", "different one!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        laptop
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let r = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another password"),
                ("confirm_password", "another password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .get("/account/password")
        .await
        .text()
        .await
        .unwrap()
        .contains("Your password was changed"));
    assert_eq!(app.get("/orders").await.status(), 200, "this session stays");
    assert_eq!(
        laptop
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other one ends"
    );
    assert_eq!(
        app.sign_in_with(&client(), "ada@example.com", PASSWORD, None)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.sign_in_with(&client(), "ada@example.com", "another password", None)
            .await
            .status(),
        303
    );
    assert_eq!(
        audit::latest_of_action(&mut app.conn(), "staff.password_changed", 5)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_disabled() {
    let app = TestApp::spawn().await;
    let first = app.create_staff("first@example.com", Role::Admin);
    let manager = app.create_staff("manager@example.com", Role::StaffManager);
    let system = Actor::system("test");
    let mut conn = app.conn();
    let id = first.id;
    assert!(staff::set_role(&mut conn, &system, id, Role::StaffManager).is_err());
    assert!(staff::set_active(&mut conn, &system, id, false).is_err());
    assert_eq!(
        staff::find(&mut conn, id).unwrap().unwrap().role(),
        Role::Admin
    );
    // Nobody changes their own role.
    let as_first = Actor::staff(first.id, &first.email, None);
    assert!(staff::set_role(&mut conn, &as_first, manager.id, Role::Admin).is_ok());
    assert!(staff::set_role(&mut conn, &as_first, id, Role::Support).is_err());
    // With a second admin, the first may be demoted by someone else.
    assert_eq!(
        staff::set_role(&mut conn, &system, id, Role::Support)
            .unwrap()
            .role(),
        Role::Support
    );
    // Now the former manager is the last admin.
    assert!(staff::set_active(&mut conn, &system, manager.id, false).is_err());
}

#[tokio::test]
async fn a_role_change_applies_on_the_next_request() {
    let extra = extra_routes(|_| {});
    let app = TestApp::spawn_with(|_| {}, extra).await;
    app.create_staff("admin@example.com", Role::Admin);
    let user = app
        .signed_in_as("sam@example.com", Role::StaffManager)
        .await;
    let body = app.get("/orders").await.text().await.unwrap();
    assert!(body.contains(">Manager<"), "{body}");
    staff::set_role(
        &mut app.conn(),
        &Actor::system("test"),
        user.id,
        Role::ReadOnly,
    )
    .unwrap();
    let body = app.get("/orders").await.text().await.unwrap();
    assert!(body.contains(">Read-only<"));
}
