//! Orders and licenses in headless Chromium: create an order with two lines, issue
//! more, edit, export, reset a license, delete the order.

use keyfold::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn browser_runs_an_order_through_its_life() {
    let app = TestApp::spawn().await;
    app.signed_in_as("setup@example.com", Role::Admin).await;
    crate::orders::product(&app, "STUDIO", false).await;
    crate::orders::product(&app, "RENDER", false).await;
    app.create_staff("m@example.com", Role::StaffManager);
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&app.url("/login")).await;
    b.fill("Email", "m@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.click_button("Sign in").await;

    // A new order with two license lines.
    b.click_link("New order").await;
    b.fill("Order reference (empty: generated)", "ORD-BROWSER")
        .await;
    b.fill("Customer email", "buyer@example.com").await;
    b.fill("First name (new customer)", "Barbara").await;
    b.select("Product, line 1", "STUDIO (STUDIO)").await;
    b.fill("Count, line 1", "2").await;
    b.select("Product, line 2", "RENDER (RENDER)").await;
    // Enter in a field submits the form's main action (not Add lines).
    b.fill("Count, line 2", "1").await;
    b.field_by_label("Count, line 2")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = b.text().await;
    assert!(
        text.contains("Order ORD-BROWSER created with 3 licenses."),
        "{text}"
    );
    let order_path = b.path().await;
    let order_id: i64 = order_path.rsplit('/').next().unwrap().parse().unwrap();

    // Issue more licenses.
    b.click_link("Issue new licenses").await;
    b.select("Product, line 1", "STUDIO (STUDIO)").await;
    b.fill("Count, line 1", "2").await;
    b.click_button("Issue licenses").await;
    assert!(b.text().await.contains("2 licenses issued."));
    assert_eq!(app.license_ids(order_id).len(), 5);

    // Edit it.
    b.expand("Edit order").await;
    b.fill("Campaign parameters", "utm_source=browser").await;
    b.click_button("Save order").await;
    let text = b.text().await;
    assert!(text.contains("Order saved.") && text.contains("utm_source=browser"));
    b.screenshot("order").await;

    // Export its data with the browser's session cookie.
    let cookie = b.cookie("keyfold").await.expect("session cookie");
    let csv = reqwest::Client::new()
        .get(app.url(&format!("/orders/{order_id}/export.csv")))
        .header("cookie", format!("keyfold={cookie}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| &r[0] == "ORD-BROWSER" && r.iter().any(|c| c == "buyer@example.com")));

    // Open a license and reset it through the confirmation page.
    let first = app.license_ids(order_id)[0];
    app.insert_device(first, "HW-BROWSER-1", "studio-ws");
    let key = app.license(first).license_key;
    b.goto(&app.url(&order_path)).await;
    b.click_link(&key).await;
    assert!(b.text().await.contains("1 of 2 in use"));
    b.click_link("Reset license").await;
    let text = b.text().await;
    assert!(
        text.contains("HW-BROWSER-1") && text.contains("will be deactivated"),
        "{text}"
    );
    b.click_button("Reset license").await;
    let text = b.text().await;
    assert!(
        text.contains("License reset") && text.contains("0 of 2 in use"),
        "{text}"
    );
    b.screenshot("license").await;

    // Delete the order after typing its reference.
    b.goto(&app.url(&order_path)).await;
    b.click_link("Delete order").await;
    b.fill("Type the order reference to confirm", "ORD-BROWSE")
        .await;
    b.click_button("Delete order").await;
    assert!(b
        .text()
        .await
        .contains("Type ORD-BROWSER exactly to confirm."));
    b.fill("Type the order reference to confirm", "ORD-BROWSER")
        .await;
    b.click_button("Delete order").await;
    assert_eq!(b.path().await, "/orders");
    assert!(b
        .text()
        .await
        .contains("Order deleted with its 5 licenses."));
    assert_eq!(app.count("licenses"), 0);
    b.close().await;
}
