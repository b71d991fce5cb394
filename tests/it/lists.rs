//! Lists as support staff work with them: the license list's columns chosen once and
//! remembered per user, CSV exports of the filtered orders list and audit log, and the
//! counted pages of the lists that used to page by cursor.

use keyfold::domain::Role;

use crate::helpers::{location, TestApp, PASSWORD};
use crate::orders::{order, product};

/// The header cells of the page's first table.
fn headers(page: &str) -> Vec<String> {
    let head = page
        .split("<thead>")
        .nth(1)
        .and_then(|t| t.split("</thead>").next())
        .unwrap_or_default();
    head.split("<th scope=\"col\">")
        .skip(1)
        .map(|c| c.split("</th>").next().unwrap_or_default().to_owned())
        .filter(|c| !c.contains("kf-sr"))
        .collect()
}

#[tokio::test]
async fn the_license_list_shows_the_columns_each_user_chose() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    order(&app, "ORD-1", "", &[(studio, "2")], &[]).await;
    let page = app.page("/licenses").await;
    assert_eq!(
        headers(&page),
        [
            "Key",
            "Product",
            "Order",
            "Customer",
            "Status",
            "Devices",
            "Valid until"
        ]
    );
    assert!(page.contains("name=\"columns\" value=\"created\"") && page.contains("Save columns"));
    // Choose: no customer or devices, the type and the creation date.
    let back = "/licenses?key=&order=ORD-1";
    let r = app
        .post_form(
            "/licenses/columns",
            &[
                ("columns", "product"),
                ("columns", "order"),
                ("columns", "type"),
                ("columns", "status"),
                ("columns", "created"),
                ("columns", "bogus"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), back, "back to the list as it was filtered");
    let page = app.page(back).await;
    assert!(page.contains("Columns saved for your account."));
    assert_eq!(
        headers(&page),
        ["Key", "Product", "Order", "Type", "Status", "Created"]
    );
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(
        page.contains(&format!("<td>{today}</td>")),
        "the created date"
    );
    // Remembered: a new session of the same user sees the same columns.
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    let r = app.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        headers(&app.page("/licenses").await),
        ["Key", "Product", "Order", "Type", "Status", "Created"]
    );
    // Another user keeps the default, and nothing ticked means the default again.
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    app.signed_in_as("ro@example.com", Role::ReadOnly).await;
    assert_eq!(headers(&app.page("/licenses").await).len(), 7);
    let r = app
        .post_form(
            "/licenses/columns",
            &[("back", "https://evil.example/licenses")],
        )
        .await;
    assert_eq!(location(&r), "/licenses", "never another site");
    assert_eq!(headers(&app.page("/licenses").await).len(), 7);
}
