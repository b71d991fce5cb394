//! Signing in through the real page in headless Chromium.

use keyfold::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn browser_signs_in_through_the_page_and_reaches_orders() {
    let app = TestApp::spawn().await;
    app.create_staff("ada@example.com", Role::StaffManager);
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&app.url("/orders")).await;
    assert_eq!(browser.path().await, "/login");
    browser.screenshot("sign-in").await;
    browser.fill("Email", "ada@example.com").await;
    browser.fill("Password", "wrong password").await;
    browser.click_button("Sign in").await;
    assert!(browser
        .text()
        .await
        .contains("Email or password is incorrect."));
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    assert_eq!(
        browser.path().await,
        "/orders",
        "back where the visitor was going"
    );
    let text = browser.text().await;
    assert!(
        text.contains("Orders") && text.contains("Test User"),
        "{text}"
    );
    browser.screenshot("orders").await;
    browser.click_button("Sign out").await;
    assert_eq!(browser.path().await, "/login");
    assert!(browser.text().await.contains("You have signed out."));
    browser.close().await;
}
