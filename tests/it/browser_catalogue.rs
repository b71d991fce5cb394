//! The catalogue in headless Chromium: a product with a feature, a customer in an
//! account with a label, found by an email prefix.

use keyfold::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn browser_builds_a_product_and_finds_a_labelled_customer() {
    let app = TestApp::spawn().await;
    app.create_staff("admin@example.com", Role::Admin);
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&app.url("/login")).await;
    b.fill("Email", "admin@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.click_button("Sign in").await;
    assert_eq!(b.path().await, "/orders");

    // A product with a feature.
    b.click_link("Products").await;
    b.click_link("New product").await;
    b.fill("Name", "Keyfold Studio").await;
    b.fill("Short code", "STUDIO").await;
    b.select("License type", "Subscription").await;
    b.fill("Validity in days (empty: no end)", "365").await;
    b.click_button("Create product").await;
    assert!(b.text().await.contains("Product Keyfold Studio created."));
    b.fill("Feature code", "export-pdf").await;
    b.fill("Feature name", "PDF export").await;
    b.click_button("Add feature").await;
    let text = b.text().await;
    assert!(
        text.contains("Feature added.")
            && text.contains("export-pdf")
            && text.contains("PDF export")
    );
    b.screenshot("product").await;

    // An account and a label.
    b.goto(&app.url("/customer-accounts")).await;
    b.fill("Name", "Northwind Group").await;
    b.fill("Code", "NORTHWIND").await;
    b.click_button("Create account").await;
    b.goto(&app.url("/labels")).await;
    b.fill("Name", "Enterprise").await;
    b.click_button("Create label").await;
    assert!(b.text().await.contains("Label Enterprise created."));

    // A customer in that account, labelled.
    b.click_link("Customers").await;
    b.click_link("New customer").await;
    b.fill("Email", "Grace.Hopper@northwind.example").await;
    b.fill("First name", "Grace").await;
    b.fill("Last name", "Hopper").await;
    b.select("Customer account", "Northwind Group").await;
    b.click_button("Create customer").await;
    b.select("Add a label", "Enterprise").await;
    b.click_button("Add label").await;
    assert!(b.text().await.contains("Label added."));

    // Found again by a prefix of the email, in another case.
    b.click_link("Customers").await;
    b.fill("Search", "grace.hop").await;
    b.click_button("Filter").await;
    b.click_link("Grace.Hopper@northwind.example").await;
    let text = b.text().await;
    assert!(text.contains("Grace Hopper"), "{text}");
    assert!(
        text.contains("Northwind Group") && text.contains("Enterprise"),
        "{text}"
    );
    assert!(b.path().await.starts_with("/customers/"));
    b.screenshot("customer").await;
    b.close().await;
}
