//! The license portal end to end in headless Chromium: staff add a manager with only
//! Reset device, the invite arrives at a real SMTP server, the manager sets a password
//! through the link, resets a device, never sees Reset license, and the vendor's audit
//! log shows the reset with the manager as actor.

use keyfold::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::smtp::SmtpServer;
use crate::helpers::{TestApp, PASSWORD};
use crate::license_managers::smtp_config;
use crate::portal_orders::order_of;

#[tokio::test]
async fn browser_a_manager_invited_by_email_resets_a_device_and_nothing_more() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(smtp_config(smtp.url()), None).await;
    app.seed_demo("seed@example.com");
    app.create_staff("ada@vendor.example", Role::StaffManager);
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let reference = app.order_reference(order);
    let key = app.license(license).license_key;
    let Some(browser) = Browser::start().await else {
        return;
    };

    // Staff: the order's License managers tab, Add license manager (Reset device only).
    browser.goto(&app.url("/login")).await;
    browser.fill("Email", "ada@vendor.example").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser
        .goto(&app.url(&format!("/orders/{order}/managers")))
        .await;
    browser.fill("Email", "sam@customer.example").await;
    browser.fill("Name", "Sam Seats").await;
    // Nothing is ticked for the vendor: every permission is a choice.
    for p in ["Reset device", "Reset license"] {
        assert!(!browser.field_by_label(p).await.is_selected().await.unwrap());
    }
    browser
        .field_by_label("Reset device")
        .await
        .click()
        .await
        .unwrap();
    browser.click_button("Add license manager").await;
    let text = browser.text().await;
    assert!(
        text.contains("invite email is queued") && text.contains("sam@customer.example"),
        "{text}"
    );
    browser.screenshot("portal-staff-added-manager").await;

    // The invite arrives; the manager follows it and chooses a password.
    let mail = smtp
        .wait_for("sam@customer.example", |m| {
            m.link("/portal/invite/").is_some()
        })
        .await;
    let link = mail.link("/portal/invite/").unwrap();
    browser.goto(&app.url(&link)).await;
    browser.fill("New password", "sam's long password").await;
    browser
        .fill("Repeat the password", "sam's long password")
        .await;
    browser.click_button("Set password and sign in").await;
    assert_eq!(browser.path().await, "/portal");
    browser.click_link(&reference).await;
    let text = browser.text().await;
    assert!(text.contains(&key), "the order's licenses are listed");
    assert!(!text.contains("Reset license"));
    browser.click_link(&key).await;
    let text = browser.text().await;
    assert!(
        text.contains("Reset device") && !text.contains("Reset license"),
        "{text}"
    );
    browser.screenshot("portal-license").await;
    let active_before = app.license(license).active_devices;
    browser.click_button("Reset device").await;
    // A short confirmation naming the device; nothing changed yet.
    let text = browser.text().await;
    assert!(
        text.contains("Reset device ") && text.contains('?'),
        "{text}"
    );
    assert_eq!(app.license(license).active_devices, active_before);
    browser.click_button("Reset device").await;
    assert!(browser.text().await.contains("was reset"));
    assert_eq!(app.license(license).active_devices, active_before - 1);
    browser.screenshot("portal-device-reset").await;

    // The vendor sees it in the audit log, by the manager.
    browser
        .goto(&app.url("/audit-log?action=license.device_reset"))
        .await;
    let text = browser.text().await;
    assert!(text.contains("sam@customer.example"), "{text}");
    browser.close().await;
}

#[tokio::test]
async fn browser_a_manager_adds_a_license_user_who_sets_a_password_through_the_emailed_link() {
    use diesel::prelude::*;
    use keyfold::db::schema::{license_users, licenses};
    use keyfold::domain::{Permission, Permissions};

    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(smtp_config(smtp.url()), None).await;
    app.seed_demo("seed@example.com");
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    diesel::update(licenses::table.find(license))
        .set(licenses::max_license_users.eq(3))
        .execute(&mut app.conn())
        .unwrap();
    let key = app.license(license).license_key;
    let m = app.create_license_manager("una@customer.example");
    crate::portal_orders::set_grant(
        &app,
        m.id.into(),
        order,
        Permissions::from_iter([
            Permission::ManageLicenseUsers,
            Permission::ManageLicenseUserCredentials,
        ]),
    );
    let Some(browser) = Browser::start().await else {
        return;
    };

    // The manager signs in and adds a license user to the order.
    browser.goto(&app.url("/portal/login")).await;
    browser.fill("Email", "una@customer.example").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser
        .goto(&app.url(&format!("/portal/orders/{order}")))
        .await;
    browser.click_link("License users").await;
    browser.fill("Email", "lou@customer.example").await;
    browser.fill("First name", "Lou").await;
    browser.fill("Last name", "User").await;
    browser.click_button("Add license user").await;
    assert!(browser
        .text()
        .await
        .contains("lou@customer.example is a license user of this order"));

    // … assigns them to a license …
    browser
        .goto(&app.url(&format!("/portal/licenses/{license}")))
        .await;
    browser
        .select("License user", "Lou User (lou@customer.example)")
        .await;
    browser.click_button("Assign license user").await;
    let text = browser.text().await;
    assert!(text.contains("is now a user of this license"), "{text}");
    assert!(text.contains("1 of 3"), "{text}");
    browser.screenshot("portal-license-user-assigned").await;

    // … and sends a set-password link.
    browser
        .goto(&app.url(&format!("/portal/orders/{order}/users")))
        .await;
    browser
        .click_button_in_row("lou@customer.example", "Send set-password link")
        .await;
    assert!(browser
        .text()
        .await
        .contains("on its way to lou@customer.example"));
    let mail = smtp
        .wait_for("lou@customer.example", |m| {
            m.subject().contains("choose your password")
        })
        .await;
    let link = mail.link("/portal/users/password/").expect("a link");
    assert!(
        !browser.text().await.contains(&link),
        "no page shows the link"
    );

    // The license user follows it and chooses a password.
    browser.goto(&app.url(&link)).await;
    browser.fill("New password", "lou's own password").await;
    browser
        .fill("Repeat the password", "lou's own password")
        .await;
    browser.click_button("Set password").await;
    assert!(browser.text().await.contains("Your password is set"));
    browser.screenshot("portal-license-user-password-set").await;
    let hash: Option<String> = license_users::table
        .filter(license_users::email_norm.eq("lou@customer.example"))
        .select(license_users::password_hash)
        .first(&mut app.conn())
        .unwrap();
    assert!(bcrypt::verify("lou's own password", &hash.unwrap()).unwrap());
    assert!(key.len() >= 16);
    browser.close().await;
}
