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

#[tokio::test]
async fn the_filtered_orders_list_and_audit_log_export_as_csv_and_are_audited() {
    use crate::csv_export::{column, download};
    use diesel::prelude::*;
    use keyfold::db::schema::audit_log;
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    order(&app, "ORD-1", "ada@acme.example", &[(studio, "2")], &[]).await;
    order(&app, "ORD-2", "bob@other.example", &[(studio, "1")], &[]).await;
    order(
        &app,
        "TEST-1",
        "ada@acme.example",
        &[(studio, "1")],
        &[("is_test", "on")],
    )
    .await;
    // The list links its export with the same filters.
    let page = app.page("/orders?q=%40acme.example&test=no").await;
    assert!(
        page.contains("href=\"/orders/export.csv?q=%40acme.example&#38;test=no"),
        "{}",
        &page[page.find("export.csv").unwrap_or(0)..][..200]
    );
    let (header, rows) = download(&app, "/orders/export.csv?q=%40acme.example&test=no").await;
    let (reference, email, licenses) = (
        column(&header, "order_reference"),
        column(&header, "customer_email"),
        column(&header, "licenses"),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0][reference].as_str(),
            rows[0][email].as_str(),
            rows[0][licenses].as_str()
        ),
        ("ORD-1", "ada@acme.example", "2")
    );
    let (_, all) = download(&app, "/orders/export.csv").await;
    let refs: Vec<&str> = all.iter().map(|r| r[reference].as_str()).collect();
    assert_eq!(refs, ["ORD-1", "ORD-2", "TEST-1"], "oldest first");
    // A bad date is refused, not ignored.
    assert_eq!(
        app.get("/orders/export.csv?from=2026-02-30").await.status(),
        422
    );
    // The audit log: only order creations, in the page's words.
    let log = app.page("/audit-log?action=order.created").await;
    assert!(log
        .contains("href=\"/audit-log/export.csv?actor=&#38;object_type=&#38;action=order.created"));
    let (header, rows) = download(&app, "/audit-log/export.csv?action=order.created").await;
    let (action, code, label) = (
        column(&header, "action"),
        column(&header, "action_code"),
        column(&header, "object_label"),
    );
    let mut labels: Vec<&str> = rows.iter().map(|r| r[label].as_str()).collect();
    labels.sort_unstable();
    assert_eq!(labels, ["ORD-1", "ORD-2", "TEST-1"]);
    assert!(rows
        .iter()
        .all(|r| r[action] == "Created the order" && r[code] == "order.created"));
    let changes = column(&header, "changes");
    assert!(
        rows[0][changes].contains("Reference: ORD-1"),
        "{:?}",
        rows[0]
    );
    // Both exports are recorded with their filters.
    let exports: Vec<(String, Option<String>)> = audit_log::table
        .filter(audit_log::action.eq_any(["orders.exported", "audit.exported"]))
        .order(audit_log::id.asc())
        .select((audit_log::action, audit_log::after_json))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(exports.len(), 3, "{exports:?}");
    assert!(exports[0].1.as_deref().unwrap().contains("acme.example"));
    assert!(exports[2].0 == "audit.exported");
    // Read-only staff see the lists but may not export them.
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    app.signed_in_as("ro@example.com", Role::ReadOnly).await;
    assert!(!app.page("/orders").await.contains("/orders/export.csv"));
    assert_eq!(app.get("/orders/export.csv").await.status(), 403);
    assert_eq!(app.get("/audit-log/export.csv").await.status(), 403);
}

#[tokio::test]
async fn the_audit_log_counts_its_entries_with_previous_and_next_pages() {
    use diesel::prelude::*;
    use keyfold::db::schema::audit_log;
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    for i in 0..60 {
        let r = order(&app, &format!("ORD-{i}"), "", &[(studio, "1")], &[]).await;
        assert_eq!(r.status(), 303);
    }
    let n: i64 = audit_log::table
        .filter(audit_log::action.eq("order.created"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(n, 60);
    let page = app.page("/audit-log?action=order.created").await;
    assert!(page.contains("1–50 of 60"), "exact count");
    assert!(page.contains("page=2") && !page.contains("← Previous"));
    let page = app.page("/audit-log?action=order.created&page=2").await;
    assert!(page.contains("51–60 of 60") && page.contains("← Previous"));
    assert_eq!(page.matches("Created the order").count(), 10);
    // A page past the end shows the last one.
    let page = app
        .page("/audit-log?action=order.created&page=999999999999")
        .await;
    assert!(page.contains("51–60 of 60"), "the last page");
    // The same on the other counted lists.
    let page = app.page("/orders?page=7").await;
    assert!(
        page.contains("51–60 of 60") && page.contains("ORD-0<"),
        "the oldest order last"
    );
    let page = app.page("/licenses?page=7").await;
    assert!(page.contains("51–60 of 60"));
}

#[tokio::test]
async fn the_license_managers_list_counts_and_pages_both_ways() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    for i in 0..51 {
        app.create_license_manager(&format!("m{i:02}@customer.example"));
    }
    let page = app.page("/license-managers").await;
    assert!(page.contains("1–50 of 51"), "counted");
    assert!(!page.contains("← Previous") && page.contains("page=2"));
    let page = app.page("/license-managers?page=2").await;
    assert!(page.contains("of 51") && page.contains("← Previous"));
    assert!(page.contains("m00@customer.example"), "the oldest last");
    // Filtered, the count follows the filter, and so does the export.
    let page = app.page("/license-managers?q=m1").await;
    assert!(page.contains("1–10 of 10"), "m10 … m19");
    assert!(page.contains("href=\"/license-managers/export.csv?q=m1"));
    let (header, rows) =
        crate::csv_export::download(&app, "/license-managers/export.csv?q=m1").await;
    let email = crate::csv_export::column(&header, "email");
    let emails: Vec<&str> = rows.iter().map(|r| r[email].as_str()).collect();
    let expected: Vec<String> = (10..20).map(|i| format!("m{i}@customer.example")).collect();
    assert_eq!(emails, expected, "oldest first, only the filter's");
    let state = crate::csv_export::column(&header, "state");
    assert!(rows.iter().all(|r| !r[state].is_empty()));
    // The imports, notifications and customer accounts lists count the same way.
    for path in ["/imports", "/notifications", "/customer-accounts"] {
        let r = app.get(&format!("{path}?page=x")).await;
        assert_eq!(r.status(), 200, "{path}");
    }
}
