//! CSV exports of licenses and customers: the lists' filters, every row across pages,
//! RFC 4180 with the import's columns first, formula-like cells neutralised (and restored
//! by exactly one quote), an audit row with the filters and the count, and the roles that
//! may export (read-only staff may not).

use diesel::prelude::*;
use keyfold::csv_io;
use keyfold::db::schema::{audit_log, licenses};
use keyfold::domain::Role;

use crate::helpers::TestApp;

/// The parsed file: header and rows.
pub(crate) async fn download(app: &TestApp, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let body = r.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

pub(crate) fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

fn exports_audited(app: &TestApp, action: &str) -> Vec<String> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.asc())
        .select(audit_log::after_json)
        .load::<Option<String>>(&mut app.conn())
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test]
async fn licenses_export_with_the_lists_filters_across_pages_neutralised_and_audited() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("sam@example.com", Role::Support).await;
    // More than one page (5,000 rows) of one product on one order.
    let order = app.insert_order(None, "BIG-EXPORT");
    app.insert_licenses(order, 2, 5_050);
    let first = app.license_ids(order)[0];
    diesel::update(licenses::table.find(first))
        .set(licenses::note.eq("=HYPERLINK(\"http://evil.example\")"))
        .execute(&mut app.conn())
        .unwrap();
    let second = app.license_ids(order)[1];
    diesel::update(licenses::table.find(second))
        .set(licenses::note.eq("'already quoted, \"and\" a comma"))
        .execute(&mut app.conn())
        .unwrap();

    // Everything: every license, once.
    let (header, rows) = download(&app, "/licenses/export.csv").await;
    let expected: Vec<&str> = csv_io::licenses::COLUMNS
        .iter()
        .chain(csv_io::licenses::READ_ONLY.iter())
        .copied()
        .collect();
    assert_eq!(header, expected);
    let total: i64 = licenses::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(rows.len() as i64, total);
    let keys = column(&header, "license_key");
    let mut seen: Vec<&String> = rows.iter().map(|r| &r[keys]).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as i64, total, "no license twice");

    // Filtered by order and product, like the list.
    let (_, rows) = download(
        &app,
        &format!("/licenses/export.csv?order={order}&product=2"),
    )
    .await;
    assert_eq!(rows.len(), 5_050);
    let reference = column(&header, "order_reference");
    assert!(rows.iter().all(|r| r[reference] == "BIG-EXPORT"));
    let note = column(&header, "note");
    let by_key = |id: i64| {
        let key = app.license(id).license_key;
        rows.iter().find(|r| r[keys] == key).unwrap().clone()
    };
    assert_eq!(by_key(first)[note], "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(by_key(second)[note], "''already quoted, \"and\" a comma");
    assert_eq!(
        csv_io::restore(&by_key(second)[note]),
        "'already quoted, \"and\" a comma"
    );
    let status = column(&header, "status");
    let (_, inactive) = download(
        &app,
        &format!("/licenses/export.csv?order={order}&status=disabled"),
    )
    .await;
    assert!(inactive.is_empty(), "the new licenses are enabled");
    assert!(rows.iter().all(|r| r[status] == "inactive"));
    // Created today: all of them; created before 2000: none. A bad date: 422.
    let (_, none) = download(&app, "/licenses/export.csv?to=1999-12-31").await;
    assert!(none.is_empty());
    assert_eq!(
        app.get("/licenses/export.csv?from=2026-02-30")
            .await
            .status(),
        422
    );

    // The order page's export streams through the same machinery: every license of the
    // order across pages, and an order without licenses as one row.
    let (h, rows) = download(&app, &format!("/orders/{order}/export.csv")).await;
    assert_eq!(rows.len(), 5_050);
    assert_eq!(
        rows[0][column(&h, "note")],
        "'=HYPERLINK(\"http://evil.example\")"
    );
    let empty = app.insert_order(None, "=EMPTY-ORDER");
    let (h, rows) = download(&app, &format!("/orders/{empty}/export.csv")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column(&h, "order_reference")], "'=EMPTY-ORDER");
    assert_eq!(rows[0][column(&h, "license_key")], "");

    // Each export is audited with its filters and its row count.
    let audited = exports_audited(&app, "licenses.exported");
    assert_eq!(audited.len(), 4, "{audited:?}");
    assert!(
        audited[1].contains(&format!("order={order}")),
        "{}",
        audited[1]
    );
    assert!(audited[1].contains("\"rows\":5050"), "{}", audited[1]);
    // The list links to the export with its filters.
    let list = app
        .get(&format!("/licenses?order={order}"))
        .await
        .text()
        .await
        .unwrap();
    let link = format!("/licenses/export.csv?key=&#38;product=&#38;status=&#38;license_type=&#38;order={order}&#38;");
    assert!(list.contains(&link), "{list}");
}

#[tokio::test]
async fn customers_export_with_labels_and_accounts_and_read_only_staff_cannot_export() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("sam@example.com", Role::Support).await;
    let (header, rows) = download(&app, "/customers/export.csv").await;
    let expected: Vec<&str> = csv_io::customers::COLUMNS
        .iter()
        .chain(csv_io::customers::READ_ONLY.iter())
        .copied()
        .collect();
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 24, "every demo customer");
    let labels = column(&header, "labels");
    let account = column(&header, "customer_account");
    assert!(
        rows.iter().any(|r| r[labels].contains(';')),
        "several labels joined by ;"
    );
    assert!(rows.iter().any(|r| r[account] == "NORTHWIND"));
    // The label filter of the list: only customers with that label.
    let (_, labelled) = download(&app, "/customers/export.csv?label=1").await;
    assert!(!labelled.is_empty() && labelled.len() < rows.len());
    assert_eq!(exports_audited(&app, "customers.exported").len(), 2);

    // Read-only staff: neither export, and no audit row.
    app.post_form("/logout", &[]).await;
    app.signed_in_as("robin@example.com", Role::ReadOnly).await;
    for path in ["/licenses/export.csv", "/customers/export.csv"] {
        assert_eq!(app.get(path).await.status(), 403, "{path}");
    }
    let list = app.get("/customers").await.text().await.unwrap();
    assert!(!list.contains("Export customers"));
    assert_eq!(exports_audited(&app, "customers.exported").len(), 2);
    assert_eq!(exports_audited(&app, "licenses.exported").len(), 0);
}
