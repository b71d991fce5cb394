//! License users in the admin portal: an order's License users tab and a license's
//! assignments, with the same rules as the license portal (the maximum per license, one
//! email once per order, links by email that staff never see) and the staff roles
//! (support may handle credentials, only managers and admins change the people).

use diesel::prelude::*;
use keyfold::db::schema::{license_user_assignments, license_users, licenses, outbox};
use keyfold::domain::Role;

use crate::helpers::smtp::SmtpServer;
use crate::helpers::TestApp;
use crate::license_managers::smtp_config;
use crate::role_matrix::snapshot;

fn user_id(app: &TestApp, order: i64, email: &str) -> Option<i64> {
    license_users::table
        .filter(license_users::order_id.eq(order))
        .filter(license_users::email_norm.eq(email))
        .select(license_users::id)
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

/// Every table but the outbox, whose rows the mail worker marks sent meanwhile.
fn settled(app: &TestApp) -> Vec<(String, u64)> {
    let mut s = snapshot(app);
    s.retain(|(t, _)| !t.starts_with("outbox "));
    s
}

fn users_of(app: &TestApp, license: i64) -> Vec<i64> {
    license_user_assignments::table
        .filter(license_user_assignments::license_id.eq(license))
        .select(license_user_assignments::license_user_id)
        .order(license_user_assignments::license_user_id.asc())
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn staff_manage_an_orders_license_users_within_the_licenses_maximum() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(smtp_config(smtp.url()), None).await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    // Order 2's newest user-based license: its first demo user is on it, the other not.
    let (license, on_it, free) = app.user_based_license_on(2);
    let tab = app.get("/orders/2/users").await;
    assert_eq!(tab.status(), 200);
    let html = tab.text().await.unwrap();
    assert!(html.contains("License users"), "{html}");
    assert!(html.contains("Add license user"));

    // Add: a bad email comes back beside the field with the input kept; a good one adds.
    let r = app
        .post_form(
            "/orders/2/users",
            &[("email", "not an email"), ("first_name", "Kim")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("not an email") && body.contains("Kim"),
        "input kept"
    );
    let r = app
        .post_form(
            "/orders/2/users",
            &[("email", "Kim@Users.example"), ("first_name", "Kim")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let kim = user_id(&app, 2, "kim@users.example").expect("Kim was added");
    // The same email again (any case): refused, nothing added.
    let before = settled(&app);
    let r = app
        .post_form("/orders/2/users", &[("email", "KIM@users.example")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("already has a license user with this email"));
    assert_eq!(settled(&app), before);

    // Assign up to the maximum: with a maximum of 2 and one user on it, one more fits.
    diesel::update(licenses::table.find(license))
        .set(licenses::max_license_users.eq(2))
        .execute(&mut app.conn())
        .unwrap();
    let assign = format!("/licenses/{license}/users");
    let r = app
        .post_form(&assign, &[("license_user_id", &free.to_string())])
        .await;
    assert_eq!(r.status(), 303);
    let mut expected = vec![on_it, free];
    expected.sort();
    assert_eq!(users_of(&app, license), expected);
    let before = settled(&app);
    app.post_form(&assign, &[("license_user_id", &kim.to_string())])
        .await;
    let page = app
        .get(&format!("/licenses/{license}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("already has its maximum of 2 license users"),
        "{page}"
    );
    assert_eq!(settled(&app), before, "nothing changed past the maximum");
    // The assigned person was emailed, with a link to choose a password (they have none).
    let mail = smtp
        .wait_for(&app_user_email(&app, free), |m| {
            m.link("/portal/users/password/").is_some()
        })
        .await;
    assert!(mail.text().contains(&app.license(license).license_key));
    // The license page lists them, and nowhere shows the link.
    let link = mail.link("/portal/users/password/").unwrap();
    assert!(!page.contains(&link));
    let outbox_page = app.get("/notifications").await.text().await.unwrap();
    assert!(!outbox_page.contains(&link));

    // Unassign, then remove Kim after the confirmation page.
    let r = app
        .post_form(
            &format!("{assign}/remove"),
            &[("license_user_id", &free.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(users_of(&app, license), vec![on_it]);
    let confirm = app.get(&format!("/orders/2/users/{kim}/remove")).await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm
        .text()
        .await
        .unwrap()
        .contains("Remove license user"));
    let r = app
        .post_form(&format!("/orders/2/users/{kim}/remove"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(user_id(&app, 2, "kim@users.example"), None);
    // Every change is in the audit log with staff as the actor.
    let audit = app.get("/audit-log").await.text().await.unwrap();
    for action in [
        "license_user.added",
        "license_user.assigned",
        "license_user.unassigned",
        "license_user.removed",
    ] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

fn app_user_email(app: &TestApp, id: i64) -> String {
    license_users::table
        .find(id)
        .select(license_users::email)
        .first(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn support_handles_credentials_but_not_the_people_and_other_orders_users_are_not_found() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("sam@example.com", Role::Support).await;
    let (license, on_it, _) = app.user_based_license_on(2);
    // Support: no add form, and adding is refused with nothing changed.
    let html = app.get("/orders/2/users").await.text().await.unwrap();
    assert!(!html.contains("Add license user"));
    assert!(html.contains("Send set-password link"));
    let before = snapshot(&app);
    let r = app
        .post_form("/orders/2/users", &[("email", "new@users.example")])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(snapshot(&app), before);
    // A set-password link goes to the outbox; the page shows only its placeholder.
    let r = app
        .post_form(&format!("/orders/2/users/{on_it}/password-link"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let (mail, to): (i64, String) = outbox::table
        .order(outbox::id.desc())
        .select((outbox::id, outbox::to_email))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(to, app_user_email(&app, on_it));
    let shown = app
        .get(&format!("/notifications/{mail}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains("[set-password link]"), "{shown}");
    assert!(!shown.contains("/portal/users/password/"), "{shown}");
    // A typed password: too short → 422 beside the field, nothing stored; long → stored.
    let path = format!("/orders/2/users/{on_it}/password");
    let r = app
        .post_form(
            &path,
            &[("new_password", "short"), ("confirm_password", "short")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let stored = |app: &TestApp| -> Option<String> {
        license_users::table
            .find(on_it)
            .select(license_users::password_hash)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(stored(&app), None);
    let r = app
        .post_form(
            &path,
            &[
                ("new_password", "a password typed by support"),
                ("confirm_password", "a password typed by support"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let hash = stored(&app).expect("stored");
    assert!(bcrypt::verify("a password typed by support", &hash).unwrap());
    let page = app.get("/orders/2/users").await.text().await.unwrap();
    assert!(!page.contains("a password typed by support") && !page.contains(&hash));

    // Another order's user through this order's URLs, or posted to this license: 404.
    let (_, theirs, _) = app.user_based_license_on(3);
    let before = snapshot(&app);
    let pw = "a long enough password";
    for path in [
        format!("/orders/2/users/{theirs}/password-link"),
        format!("/orders/2/users/{theirs}/password"),
    ] {
        let fields = [("new_password", pw), ("confirm_password", pw)];
        assert_eq!(app.post_form(&path, &fields).await.status(), 404, "{path}");
    }
    assert_eq!(snapshot(&app), before);
    // Support cannot assign (Manage licenses); a manager posting another order's user
    // to this license gets 404.
    let assign = format!("/licenses/{license}/users");
    assert_eq!(
        app.post_form(&assign, &[("license_user_id", &theirs.to_string())])
            .await
            .status(),
        403
    );
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    app.signed_in_as("mo@example.com", Role::StaffManager).await;
    let before = snapshot(&app);
    for path in [
        format!("/orders/2/users/{theirs}"),
        format!("/orders/2/users/{theirs}/remove"),
    ] {
        let fields = [("email", "moved@users.example")];
        assert_eq!(app.post_form(&path, &fields).await.status(), 404, "{path}");
    }
    assert_eq!(
        app.get(&format!("/orders/2/users/{theirs}/remove"))
            .await
            .status(),
        404
    );
    for user in [theirs.to_string(), "-1".to_owned(), "x".repeat(10_000)] {
        assert_eq!(
            app.post_form(&assign, &[("license_user_id", &user)])
                .await
                .status(),
            404
        );
    }
    assert_eq!(snapshot(&app), before);
}
