//! The browser helper itself: a page of the running app in headless Chromium.

use crate::helpers::browser::Browser;
use crate::helpers::TestApp;

#[tokio::test]
async fn browser_renders_a_styled_page_and_saves_a_screenshot() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&app.url("/no/such/page")).await;
    assert!(browser.text().await.contains("Page not found"));
    // The stylesheet loaded: the card is centred on a tinted background, not unstyled.
    let bg = browser
        .client
        .execute(
            "return getComputedStyle(document.body).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bg.as_str(), Some("rgb(246, 247, 251)"));
    let shot = browser.screenshot("not-found").await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 5_000);
    browser.close().await;
}
