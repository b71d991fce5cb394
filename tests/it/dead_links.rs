//! A one-time link that no longer works says which of its ends happened (used, replaced
//! by a newer link, withdrawn, superseded by a password set another way, expired) and
//! whom to ask, in words for the one who got it: a license manager is offered sign-in,
//! a license user is sent to their license manager.

use chrono::Duration;
use diesel::prelude::*;
use keyfold::db::schema::tokens;
use keyfold::models::token::{self, Ended, Purpose};

use crate::helpers::{client, TestApp};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = client().get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn each_dead_link_says_what_happened_to_it_and_whom_to_ask() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let manager = app.create_license_manager("dead@customer.example");
    let user = app.insert_license_user(1, "user@customer.example");
    let issue = |purpose: Purpose, kind: &str, id: i64| {
        token::issue(&mut app.conn(), purpose, kind, id, Duration::days(7)).unwrap()
    };
    let (m, u): (i64, i64) = (manager.id.into(), user);
    let invite = |raw: &str| format!("/portal/invite/{raw}");
    let user_link = |raw: &str| format!("/portal/users/password/{raw}");

    // Replaced by a newer link.
    let old = issue(Purpose::ManagerInvite, "manager", m);
    let _newer = issue(Purpose::ManagerInvite, "manager", m);
    let (status, body) = page(&app, &invite(&old)).await;
    assert_eq!(status, 410);
    assert!(
        body.contains("A newer link was sent after this one"),
        "{body}"
    );
    assert!(body.contains(">Sign in</a>"), "a manager may sign in");
    let old = issue(Purpose::LicenseUserPassword, "license_user", u);
    let _newer = issue(Purpose::LicenseUserPassword, "license_user", u);
    let (_, body) = page(&app, &user_link(&old)).await;
    assert!(body.contains("A newer link was sent") && body.contains("ask your license manager"));
    assert!(
        !body.contains(">Sign in</a>"),
        "a license user is not offered sign-in: {body}"
    );

    // Withdrawn.
    let raw = issue(Purpose::ManagerInvite, "manager", m);
    token::void(&mut app.conn(), None, "manager", m, Ended::Revoked).unwrap();
    let (_, body) = page(&app, &invite(&raw)).await;
    assert!(body.contains("This invitation was withdrawn"), "{body}");
    let raw = issue(Purpose::LicenseUserPassword, "license_user", u);
    token::void(&mut app.conn(), None, "license_user", u, Ended::Revoked).unwrap();
    let (_, body) = page(&app, &user_link(&raw)).await;
    assert!(body.contains("you were removed as a license user or your email address changed"));

    // A password typed by the manager since the link was sent.
    let raw = issue(Purpose::LicenseUserPassword, "license_user", u);
    token::void(&mut app.conn(), None, "license_user", u, Ended::PasswordSet).unwrap();
    let (_, body) = page(&app, &user_link(&raw)).await;
    assert!(body.contains("Your license manager has set your password since this link was sent"));

    // Used.
    let raw = issue(Purpose::LicenseUserPassword, "license_user", u);
    let id: i64 = tokens::table
        .select(tokens::id)
        .order(tokens::id.desc())
        .first(&mut app.conn())
        .unwrap();
    token::consume(&mut app.conn(), id).unwrap();
    let (_, body) = page(&app, &user_link(&raw)).await;
    assert!(body.contains("This link was already used: the password is set"));

    // Expired: the day it expired.
    let raw = issue(Purpose::ManagerInvite, "manager", m);
    let past = keyfold::models::now() - Duration::days(3);
    diesel::update(tokens::table.filter(tokens::used_at.is_null()))
        .set(tokens::expires_at.eq(past))
        .execute(&mut app.conn())
        .unwrap();
    let (status, body) = page(&app, &invite(&raw)).await;
    assert_eq!(status, 410);
    let on = past.format("%Y-%m-%d").to_string();
    assert!(body.contains(&format!(
        "This invitation expired on {on}. Ask whoever invited you"
    )));
    // A link nobody issued: not found, no hint about anyone.
    let (status, _) = page(&app, &invite("nonsense")).await;
    assert_eq!(status, 404);
}
