//! Importing licenses in headless Chromium: a file with two bad rows shows both problems
//! and cannot be imported; the fixed file is checked, imported, and its licenses found.

use keyfold::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn browser_imports_licenses_after_fixing_two_bad_rows() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.create_staff("mia@example.com", Role::StaffManager);
    let dir = tempfile::tempdir().unwrap();
    let header = "license_key,product_short_code,order_reference,customer_email,valid_duration\n";
    let bad = dir.path().join("licenses.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}BRWS-0001-AAAA,STUDIO,BROWSER-IMPORT,browser@customer.example,1y\n\
             BRWS-0002-AAAA,NO-SUCH-PRODUCT,BROWSER-IMPORT,browser@customer.example,1y\n\
             BRWS-0003-AAAA,STUDIO,BROWSER-IMPORT,browser@customer.example,forever\n"
        ),
    )
    .unwrap();
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&app.url("/login")).await;
    b.fill("Email", "mia@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.click_button("Sign in").await;

    b.goto(&app.url("/imports")).await;
    b.click_link("Import licenses").await;
    b.choose_file("CSV file", &bad).await;
    b.click_button("Upload and check").await;
    let text = b.text().await;
    assert!(text.contains("Has problems"), "{text}");
    assert!(text.contains("No product has the short code"), "{text}");
    assert!(text.contains("Write a duration like 30d"), "{text}");
    assert!(!text.contains("Import 3 rows"), "{text}");
    b.screenshot("import-problems").await;

    // Fix both rows and upload again.
    let good = dir.path().join("licenses-fixed.csv");
    std::fs::write(
        &good,
        format!(
            "{header}BRWS-0001-AAAA,STUDIO,BROWSER-IMPORT,browser@customer.example,1y\n\
             BRWS-0002-AAAA,FIELD,BROWSER-IMPORT,browser@customer.example,1y\n\
             BRWS-0003-AAAA,STUDIO,BROWSER-IMPORT,browser@customer.example,30d\n"
        ),
    )
    .unwrap();
    b.click_link("upload it again").await;
    b.choose_file("CSV file", &good).await;
    b.click_button("Upload and check").await;
    assert!(b.text().await.contains("Ready to import"));
    b.click_button("Import 3 rows").await;
    let text = b.text().await;
    assert!(text.contains("3 created"), "{text}");

    // The licenses are there: found by key prefix on the licenses list.
    b.goto(&app.url("/licenses?key=brws")).await;
    let text = b.text().await;
    for key in ["BRWS-0001-AAAA", "BRWS-0002-AAAA", "BRWS-0003-AAAA"] {
        assert!(text.contains(key), "{key}: {text}");
    }
    b.screenshot("import-found").await;
    b.close().await;
}
