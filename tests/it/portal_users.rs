//! License users and floating seats in the license portal: the maximum per license, the
//! same email on two orders being two license users, set-password links by email (a
//! real SMTP server), passwords typed by a manager, borrowing within the limit and the
//! seat count, two concurrent borrows of the last seat, and 404 for another order's.

use diesel::prelude::*;
use keyfold::db::schema::{devices, license_events, license_user_assignments, license_users};
use keyfold::domain::Permissions;

use crate::helpers::smtp::SmtpServer;
use crate::helpers::{client, csrf_in, TestApp, PASSWORD};
use crate::license_managers::smtp_config;
use crate::portal_orders::{order_of, set_grant};
use crate::role_matrix::snapshot;

/// An app (sending to `smtp` when given) with demo data and a manager holding every
/// permission on the order of a license with an active device.
async fn setup(smtp: Option<&SmtpServer>) -> (TestApp, reqwest::Client, i64, i64, i64) {
    let app = match smtp {
        Some(s) => TestApp::spawn_with(smtp_config(s.url()), None).await,
        None => TestApp::spawn().await,
    };
    app.seed_demo("admin@example.com");
    let m = app.create_license_manager("boss@customer.example");
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, "boss@customer.example", PASSWORD)
            .await
            .status(),
        303
    );
    let (license, device) = app.an_active_device();
    let order = order_of(&app, license);
    set_grant(&app, m.id.into(), order, Permissions::all());
    (app, c, license, device, order)
}

async fn token(app: &TestApp, c: &reqwest::Client) -> String {
    csrf_in(&app.page_with(c, "/portal/account").await).unwrap()
}

async fn post(app: &TestApp, c: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> u16 {
    app.portal_post(c, path, fields).await
}

async fn flash_after(app: &TestApp, c: &reqwest::Client, path: &str) -> String {
    app.page_with(c, path).await
}

fn users_with(app: &TestApp, email: &str) -> Vec<(i64, i64)> {
    license_users::table
        .filter(license_users::email_norm.eq(email))
        .select((license_users::id, license_users::order_id))
        .order(license_users::id.asc())
        .load(&mut app.conn())
        .unwrap()
}

fn assigned(app: &TestApp, license: i64) -> i64 {
    license_user_assignments::table
        .filter(license_user_assignments::license_id.eq(license))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn set_license(app: &TestApp, license: i64, max_users: i64, seats: i64, borrow_hours: i64) {
    use keyfold::db::schema::licenses;
    diesel::update(licenses::table.find(license))
        .set((
            licenses::max_license_users.eq(max_users),
            licenses::floating_seats.eq(seats),
            licenses::borrow_limit_hours.eq(borrow_hours),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn a_license_takes_at_most_its_maximum_of_users_and_one_email_on_two_orders_is_two_users() {
    let (app, c, license, _, order) = setup(None).await;
    set_license(&app, license, 1, 0, 0);
    let users_page = format!("/portal/orders/{order}/users");
    for email in ["ann@customer.example", "bob@customer.example"] {
        let s = post(
            &app,
            &c,
            &users_page,
            &[("email", email), ("first_name", "A")],
        )
        .await;
        assert_eq!(s, 303, "add {email}");
    }
    // The same email twice on one order: a message beside the field, nothing added.
    let r = c
        .post(app.url(&users_page))
        .form(&[
            ("csrf_token", token(&app, &c).await.as_str()),
            ("email", "ANN@customer.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("already has a license user with this email"),
        "{body}"
    );
    assert!(body.contains("ANN@customer.example"), "the input is kept");
    let ann = users_with(&app, "ann@customer.example")[0].0;
    let bob = users_with(&app, "bob@customer.example")[0].0;
    let assign = format!("/portal/licenses/{license}/users");
    assert_eq!(
        post(&app, &c, &assign, &[("license_user_id", &ann.to_string())]).await,
        303
    );
    assert_eq!(assigned(&app, license), 1);
    let before = snapshot(&app);
    assert_eq!(
        post(&app, &c, &assign, &[("license_user_id", &bob.to_string())]).await,
        303
    );
    let page = flash_after(&app, &c, &format!("/portal/licenses/{license}")).await;
    assert!(
        page.contains("already has its maximum of 1 license users"),
        "{page}"
    );
    assert_eq!(
        snapshot(&app),
        before,
        "a refused assignment changes nothing"
    );
    // Not user-based: refused.
    set_license(&app, license, 0, 0, 0);
    diesel::delete(license_user_assignments::table)
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        post(&app, &c, &assign, &[("license_user_id", &bob.to_string())]).await,
        303
    );
    assert_eq!(
        assigned(&app, license),
        0,
        "a license that is not user-based"
    );

    // The same email on another order the manager manages: another license user.
    let other = app.insert_order(None, "ORD-OTHER-USERS");
    let m: i64 = app.newest_id("license_managers");
    set_grant(&app, m, other, Permissions::all());
    let s = post(
        &app,
        &c,
        &format!("/portal/orders/{other}/users"),
        &[("email", "ann@customer.example")],
    )
    .await;
    assert_eq!(s, 303);
    let anns = users_with(&app, "ann@customer.example");
    assert_eq!(anns.len(), 2, "two license users");
    assert_ne!(anns[0].1, anns[1].1, "on two orders");
    // Removing one leaves the other.
    assert_eq!(
        post(
            &app,
            &c,
            &format!("/portal/orders/{other}/users/{}/remove", anns[1].0),
            &[]
        )
        .await,
        303
    );
    assert_eq!(users_with(&app, "ann@customer.example"), vec![anns[0]]);
}

#[tokio::test]
async fn a_set_password_link_arrives_by_email_works_once_and_a_typed_password_is_never_shown() {
    let smtp = SmtpServer::start();
    let (app, c, _, _, order) = setup(Some(&smtp)).await;
    let user = app.insert_license_user(order, "lou@customer.example");
    let base = format!("/portal/orders/{order}/users/{user}");
    assert_eq!(
        post(&app, &c, &format!("{base}/password-link"), &[]).await,
        303
    );
    let mail = smtp
        .wait_for("lou@customer.example", |m| {
            m.link("/portal/users/password/").is_some()
        })
        .await;
    let link = mail.link("/portal/users/password/").unwrap();
    // The outbox page and the portal never show the live link.
    let users_page = flash_after(&app, &c, &format!("/portal/orders/{order}/users")).await;
    assert!(!users_page.contains(&link));
    // Opening it does not use it up; a short password is refused beside the field.
    let stranger = client();
    for _ in 0..2 {
        let r = stranger.get(app.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let page = stranger.get(app.url(&link)).send().await.unwrap();
    let t = csrf_in(&page.text().await.unwrap()).unwrap();
    let r = stranger
        .post(app.url(&link))
        .form(&[
            ("csrf_token", t.as_str()),
            ("new_password", "short"),
            ("confirm_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = stranger
        .post(app.url(&link))
        .form(&[
            ("csrf_token", t.as_str()),
            ("new_password", "lou's own password"),
            ("confirm_password", "lou's own password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let hash: Option<String> = license_users::table
        .find(user)
        .select(license_users::password_hash)
        .first(&mut app.conn())
        .unwrap();
    let hash = hash.expect("the password is set");
    assert!(bcrypt::verify("lou's own password", &hash).unwrap());
    // Used once: gone.
    assert_eq!(
        stranger.get(app.url(&link)).send().await.unwrap().status(),
        410
    );
    // The link signed nobody in to the portal.
    assert_eq!(
        stranger
            .get(app.url("/portal"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    // A password typed by the manager: stored hashed, never shown back.
    let typed = "typed by the manager";
    assert_eq!(
        post(
            &app,
            &c,
            &format!("{base}/password"),
            &[("new_password", typed), ("confirm_password", typed)]
        )
        .await,
        303
    );
    let hash: String = license_users::table
        .find(user)
        .select(license_users::password_hash.assume_not_null())
        .first(&mut app.conn())
        .unwrap();
    assert!(bcrypt::verify(typed, &hash).unwrap());
    let page = flash_after(&app, &c, &format!("/portal/orders/{order}/users")).await;
    assert!(!page.contains(typed) && !page.contains(&hash));
    // Mismatched: 422, nothing changed.
    let before = snapshot(&app);
    let r = c
        .post(app.url(&format!("{base}/password")))
        .form(&[
            ("csrf_token", token(&app, &c).await.as_str()),
            ("new_password", "one long password"),
            ("confirm_password", "another long one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("The two passwords differ."));
    assert_eq!(snapshot(&app), before);
}

fn borrowed_until(app: &TestApp, device: i64) -> Option<chrono::NaiveDateTime> {
    devices::table
        .find(device)
        .select(devices::borrowed_until)
        .first(&mut app.conn())
        .unwrap()
}

fn events(app: &TestApp, license: i64, kind: &str) -> i64 {
    license_events::table
        .filter(license_events::license_id.eq(license))
        .filter(license_events::kind.eq(kind))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn at(hours: i64) -> String {
    (keyfold::models::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn borrowing_keeps_to_the_limit_and_the_seats_and_two_borrows_of_the_last_seat_have_one_winner(
) {
    let (app, c, license, device, _) = setup(None).await;
    // One seat, borrowable for 24 hours; three active devices.
    set_license(&app, license, 0, 1, 24);
    let d2 = app.insert_device(license, "HW-SEAT-2", "second-host");
    let d3 = app.insert_device(license, "HW-SEAT-3", "third-host");
    let borrow = format!("/portal/licenses/{license}/devices/borrow");
    let page = format!("/portal/licenses/{license}");
    // Past the limit, in the past, or an impossible date: refused, nothing changes.
    for until in [
        at(25),
        at(-1),
        "2026-02-30T10:00".to_owned(),
        "x".repeat(10_000),
    ] {
        let before = snapshot(&app);
        assert_eq!(
            post(
                &app,
                &c,
                &borrow,
                &[("device_id", &device.to_string()), ("until", &until)]
            )
            .await,
            303
        );
        let shown = flash_after(&app, &c, &page).await;
        assert!(shown.contains("kf-error"), "refused: {until:.40}");
        assert_eq!(snapshot(&app), before, "{until:.40}");
    }
    // Within the limit: the seat is held.
    assert_eq!(
        post(
            &app,
            &c,
            &borrow,
            &[("device_id", &device.to_string()), ("until", &at(23))]
        )
        .await,
        303
    );
    assert!(borrowed_until(&app, device).is_some());
    assert_eq!(events(&app, license, "borrowed"), 1);
    // No seat left for another device.
    assert_eq!(
        post(
            &app,
            &c,
            &borrow,
            &[("device_id", &d2.to_string()), ("until", &at(2))]
        )
        .await,
        303
    );
    assert!(flash_after(&app, &c, &page)
        .await
        .contains("seats of license"));
    assert!(borrowed_until(&app, d2).is_none());
    // Returned early: the seat is free again.
    assert_eq!(
        post(
            &app,
            &c,
            &format!("/portal/licenses/{license}/devices/return"),
            &[("device_id", &device.to_string())]
        )
        .await,
        303
    );
    assert!(borrowed_until(&app, device).is_none());
    assert_eq!(events(&app, license, "returned"), 1);

    // Two borrows of the last seat at once: exactly one wins.
    let (t2, t3) = (token(&app, &c).await, token(&app, &c).await);
    let (u2, u3) = (at(3), at(3));
    let (s2, s3) = (d2.to_string(), d3.to_string());
    let f2 = [
        ("csrf_token", t2.as_str()),
        ("device_id", s2.as_str()),
        ("until", u2.as_str()),
    ];
    let f3 = [
        ("csrf_token", t3.as_str()),
        ("device_id", s3.as_str()),
        ("until", u3.as_str()),
    ];
    let (c2, c3) = (c.clone(), c.clone());
    let (r2, r3) = tokio::join!(
        c2.post(app.url(&borrow)).form(&f2).send(),
        c3.post(app.url(&borrow)).form(&f3).send()
    );
    assert_eq!(r2.unwrap().status(), 303);
    assert_eq!(r3.unwrap().status(), 303);
    let held = [d2, d3]
        .iter()
        .filter(|d| borrowed_until(&app, **d).is_some())
        .count();
    assert_eq!(held, 1, "one seat, one borrower");
}

#[tokio::test]
async fn another_orders_license_users_and_devices_are_not_found() {
    let (app, c, mine, _, order_a) = setup(None).await;
    set_license(&app, mine, 5, 2, 24);
    let (theirs, their_device): (i64, i64) = {
        use keyfold::db::schema::licenses;
        devices::table
            .inner_join(licenses::table)
            .filter(devices::deactivated_at.is_null())
            .filter(licenses::order_id.ne(order_a))
            .select((devices::license_id, devices::id))
            .first(&mut app.conn())
            .unwrap()
    };
    let order_b = order_of(&app, theirs);
    set_license(&app, theirs, 5, 2, 24);
    let their_user = app.insert_license_user(order_b, "them@other.example");
    let before = snapshot(&app);
    let u = their_user.to_string();
    let d = their_device.to_string();
    let until = at(2);
    for (path, fields) in [
        (
            format!("/portal/orders/{order_b}/users"),
            vec![("email", "x@y.example")],
        ),
        (
            format!("/portal/orders/{order_a}/users/{u}"),
            vec![("email", "x@y.example")],
        ),
        (format!("/portal/orders/{order_a}/users/{u}/remove"), vec![]),
        (
            format!("/portal/orders/{order_a}/users/{u}/password-link"),
            vec![],
        ),
        (
            format!("/portal/orders/{order_a}/users/{u}/password"),
            vec![
                ("new_password", "long enough pw"),
                ("confirm_password", "long enough pw"),
            ],
        ),
        (
            format!("/portal/licenses/{mine}/users"),
            vec![("license_user_id", u.as_str())],
        ),
        (
            format!("/portal/licenses/{theirs}/users"),
            vec![("license_user_id", u.as_str())],
        ),
        (
            format!("/portal/licenses/{mine}/devices/borrow"),
            vec![("device_id", d.as_str()), ("until", until.as_str())],
        ),
        (
            format!("/portal/licenses/{mine}/devices/return"),
            vec![("device_id", d.as_str())],
        ),
    ] {
        let status = post(&app, &c, &path, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    for path in [
        format!("/portal/orders/{order_b}/users"),
        format!("/portal/orders/{order_a}/users/{u}/remove"),
    ] {
        let r = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(snapshot(&app), before, "nothing of the other order changed");
}

/// A manager with "Manage license users" only cannot take over a license user's password:
/// an email change voids the user's links and, once they have a password, needs the
/// credentials permission; an assignment's email carries a link only when the assigner
/// may set credentials, and otherwise says whom to ask.
#[tokio::test]
async fn manage_license_users_alone_cannot_take_over_a_license_users_password() {
    let smtp = SmtpServer::start();
    let (app, boss, license, _, order) = setup(Some(&smtp)).await;
    set_license(&app, license, 5, 0, 0);
    let user = app.insert_license_user(order, "lou@customer.example");
    // A set-password link sent to Lou before any change (by the boss, who holds every
    // permission).
    let base = format!("/portal/orders/{order}/users/{user}");
    assert_eq!(
        post(&app, &boss, &format!("{base}/password-link"), &[]).await,
        303
    );
    let early = smtp
        .wait_for("lou@customer.example", |m| {
            m.link("/portal/users/password/").is_some()
        })
        .await
        .link("/portal/users/password/")
        .unwrap();
    // Mallory holds only "Manage license users".
    let mallory = app.create_license_manager("mallory@customer.example");
    set_grant(
        &app,
        mallory.id.into(),
        order,
        Permissions::from_iter([keyfold::domain::Permission::ManageLicenseUsers]),
    );
    let mc = client();
    app.portal_sign_in_with(&mc, "mallory@customer.example", PASSWORD)
        .await;
    let to_mallory = [
        ("email", "mallory@customer.example"),
        ("first_name", "Lou"),
        ("last_name", ""),
    ];
    assert_eq!(post(&app, &mc, &base, &to_mallory).await, 303);
    // The link sent to the old address stopped working.
    let r = client().get(app.url(&early)).send().await.unwrap();
    assert_eq!(
        r.status(),
        410,
        "a link sent before the email change is void"
    );
    // Assigning Lou (now at Mallory's address) emails no link, only whom to ask.
    let assign = format!("/portal/licenses/{license}/users");
    let u = user.to_string();
    assert_eq!(
        post(&app, &mc, &assign, &[("license_user_id", u.as_str())]).await,
        303
    );
    let mail = smtp
        .wait_for("mallory@customer.example", |m| {
            m.subject().contains("you can now use")
        })
        .await;
    assert!(mail.link("/portal/users/password/").is_none(), "no link");
    assert!(
        mail.text().contains("ask boss@customer.example"),
        "whom to ask: {}",
        mail.text()
    );
    // Mallory cannot set the password herself.
    let set = [
        ("new_password", "mallory's own password"),
        ("confirm_password", "mallory's own password"),
    ];
    assert_eq!(
        post(&app, &mc, &format!("{base}/password"), &set).await,
        403
    );
    // Once Lou has a password (set by the boss), Mallory cannot change the email again.
    let lou_pw = [
        ("new_password", "lou's good password"),
        ("confirm_password", "lou's good password"),
    ];
    assert_eq!(
        post(&app, &boss, &format!("{base}/password"), &lou_pw).await,
        303
    );
    let before = snapshot(&app);
    let back = [
        ("email", "lou@customer.example"),
        ("first_name", "Lou"),
        ("last_name", ""),
    ];
    assert_eq!(post(&app, &mc, &base, &back).await, 422);
    assert_eq!(snapshot(&app), before, "refused with nothing changed");
    // The boss, who holds the credentials permission, may.
    assert_eq!(post(&app, &boss, &base, &back).await, 303);
}
