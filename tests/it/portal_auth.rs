//! Signing in to the license portal: the same authentication service as staff, with
//! its own sign-in page, its own session in the cookie, its own throttling, and a guard
//! that lets no staff session into `/portal` and no manager session out of it.

use diesel::prelude::*;
use keyfold::db::schema::{audit_log, sessions};
use keyfold::domain::Role;

use crate::helpers::{client, location, TestApp, PASSWORD};

#[tokio::test]
async fn a_license_manager_signs_in_to_the_portal_and_out_again() {
    let app = TestApp::spawn().await;
    let m = app.create_license_manager("Lena@Example.com");
    // Anonymous: the portal sends to its own sign-in page, and back afterwards.
    let r = app.get("/portal").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal/login?next=%2Fportal");
    let page = app.get("/portal/login").await.text().await.unwrap();
    assert!(page.contains("Sign in to manage your licenses"), "{page}");
    assert!(page.contains("action=\"/portal/login\""));

    let r = app
        .portal_sign_in_with(&app.client, "lena@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal");
    let home = app.get("/portal").await;
    assert_eq!(home.status(), 200);
    let body = home.text().await.unwrap();
    assert!(
        body.contains("Your orders") && body.contains("Test Manager"),
        "{body}"
    );
    let reloaded = keyfold::models::license_manager::find(&mut app.conn(), m.id)
        .unwrap()
        .unwrap();
    assert!(reloaded.last_sign_in_at.is_some());
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("license_manager.signed_in"))
        .filter(audit_log::actor_kind.eq("manager"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);

    // Sign out: the session ends on the server, not only in this browser.
    let token = crate::helpers::csrf_in(&body).unwrap();
    let r = app
        .client
        .post(app.url("/portal/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal/login");
    let revoked: i64 = sessions::table
        .filter(sessions::kind.eq("manager"))
        .filter(sessions::revoked_at.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(revoked, 1);
    assert_eq!(app.get("/portal").await.status(), 303);
}

#[tokio::test]
async fn a_staff_session_grants_nothing_in_the_portal_and_a_manager_session_nothing_outside() {
    let app = TestApp::spawn().await;
    app.create_license_manager("lena@example.com");
    // The same email as staff and as manager: still two accounts, two sessions.
    app.signed_in_as("lena@example.com", Role::Admin).await;
    let r = app.get("/portal").await;
    assert_eq!(r.status(), 303, "a staff session does not open the portal");
    assert!(location(&r).starts_with("/portal/login"));

    let manager = client();
    let r = app
        .portal_sign_in_with(&manager, "lena@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let r = manager.get(app.url("/orders")).send().await.unwrap();
    assert_eq!(
        r.status(),
        303,
        "a manager session does not open the admin portal"
    );
    assert!(location(&r).starts_with("/login"));

    // One browser signed in to both: signing out of the portal keeps the staff session.
    let r = app
        .portal_sign_in_with(&app.client, "lena@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get("/portal").await.status(), 200);
    assert_eq!(app.get("/orders").await.status(), 200);
    let token = crate::helpers::csrf_in(&app.get("/portal").await.text().await.unwrap()).unwrap();
    let r = app
        .client
        .post(app.url("/portal/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get("/portal").await.status(), 303);
    assert_eq!(
        app.get("/orders").await.status(),
        200,
        "the staff session stays"
    );
}

#[tokio::test]
async fn wrong_passwords_are_throttled_and_a_disabled_manager_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let m = app.create_license_manager("lena@example.com");
    let page = app
        .portal_sign_in_with(&app.client, "lena@example.com", "wrong password!")
        .await;
    assert_eq!(page.status(), 401);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Email or password is incorrect."));
    let r = app.portal_sign_in_with(&app.client, "", "").await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Enter your email address."));
    for _ in 0..5 {
        app.portal_sign_in_with(&client(), "lena@example.com", "wrong password!")
            .await;
    }
    let r = app
        .portal_sign_in_with(&client(), "lena@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 429, "throttled after repeated failures");
    // Throttling is per area: staff sign-in for the same email is not affected.
    app.create_staff("lena@example.com", Role::ReadOnly);
    assert_eq!(
        app.sign_in("lena@example.com", PASSWORD).await.status(),
        303
    );

    // A disabled account is refused, and its live sessions end at once.
    diesel::delete(keyfold::db::schema::login_attempts::table)
        .execute(&mut app.conn())
        .unwrap();
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, "lena@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(
        c.get(app.url("/portal")).send().await.unwrap().status(),
        200
    );
    keyfold::models::license_manager::set_enabled(
        &mut app.conn(),
        &keyfold::models::audit::Actor::system("test"),
        m.id,
        false,
    )
    .unwrap();
    assert_eq!(
        c.get(app.url("/portal")).send().await.unwrap().status(),
        303
    );
    let r = app
        .portal_sign_in_with(&client(), "lena@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Ask your software vendor"));
}

/// One portal sign-in attempt from `ip` (the app believes X-Forwarded-For from
/// loopback); returns the status.
async fn attempt_from(app: &TestApp, ip: &str, email: &str, password: &str) -> u16 {
    let c = client();
    let page = c
        .get(app.url("/portal/login"))
        .header("X-Forwarded-For", ip)
        .send()
        .await
        .unwrap();
    let token = crate::helpers::csrf_in(&page.text().await.unwrap()).unwrap();
    c.post(app.url("/portal/login"))
        .header("X-Forwarded-For", ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn failures_are_limited_per_account_across_addresses_and_per_address_across_accounts() {
    use keyfold::models::login_attempt::{MAX_ACCOUNT_FAILURES, MAX_ADDRESS_FAILURES};
    let app = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        None,
    )
    .await;
    app.create_license_manager("spread@example.com");
    app.create_license_manager("other@example.com");

    // One account guessed from many addresses, a few tries each: refused everywhere.
    for n in 0..MAX_ACCOUNT_FAILURES {
        let ip = format!("10.0.{}.{}", n / 4, n % 4 + 1);
        assert_eq!(
            attempt_from(&app, &ip, "spread@example.com", "wrong password!").await,
            401
        );
    }
    assert_eq!(
        attempt_from(&app, "10.1.1.1", "spread@example.com", PASSWORD).await,
        429,
        "the account is refused from a new address, even with its password"
    );
    assert_eq!(
        attempt_from(&app, "10.1.1.1", "other@example.com", PASSWORD).await,
        303,
        "other accounts from that address are not"
    );

    // One address trying many accounts: that address is refused, others are not.
    for n in 0..MAX_ADDRESS_FAILURES {
        let email = format!("guess{n}@example.com");
        assert_eq!(
            attempt_from(&app, "10.9.9.9", &email, "wrong password!").await,
            401
        );
    }
    assert_eq!(
        attempt_from(&app, "10.9.9.9", "other@example.com", PASSWORD).await,
        429
    );
    assert_eq!(
        attempt_from(&app, "10.9.9.8", "other@example.com", PASSWORD).await,
        303
    );
}

/// Posts 40 wrong passwords for one account at once (each from its own prepared form);
/// returns how many were checked (401) and how many throttled (429).
async fn forty_at_once(app: &TestApp, login: &str, email: &str) -> (usize, usize) {
    let mut forms = Vec::new();
    for _ in 0..40 {
        let c = client();
        let page = app.page_with(&c, login).await;
        forms.push((c, crate::helpers::csrf_in(&page).unwrap()));
    }
    let posts = forms.iter().map(|(c, token)| {
        c.post(app.url(login)).form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", "a wrong password"),
        ])
    });
    let statuses = crate::helpers::statuses_at_once(posts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    (checked, throttled)
}

#[tokio::test]
async fn simultaneous_wrong_passwords_are_checked_no_more_often_than_the_limit() {
    let app = TestApp::spawn().await;
    app.create_license_manager("lena@example.com");
    app.create_staff("sam@vendor.example", Role::ReadOnly);
    let limit = keyfold::models::login_attempt::MAX_FAILURES as usize;
    for (login, email) in [
        ("/portal/login", "lena@example.com"),
        ("/login", "sam@vendor.example"),
    ] {
        let (checked, throttled) = forty_at_once(&app, login, email).await;
        assert_eq!((checked, throttled), (limit, 40 - limit), "{login}");
    }
}
