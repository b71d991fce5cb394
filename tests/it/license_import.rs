//! Importing licenses from CSV: the export → import round trip reproduces every exported
//! column, row problems name their line and column (unknown or bundle product, bad or
//! repeated key, a key already in the database, impossible dates and durations, a new
//! order given two customers), new orders and customers are created, product features
//! and custom fields copied as issuing does, and only managers and admins may import
//! licenses.

use diesel::prelude::*;
use keyfold::db::schema::{customers, license_custom_fields, license_features, licenses, orders};
use keyfold::domain::Role;

use crate::csv_import::{commit, preview_at, upload_to};
use crate::helpers::TestApp;
use crate::role_matrix::snapshot;

async fn preview(app: &TestApp, bytes: &[u8]) -> (i64, String) {
    preview_at(app, "/imports/licenses/new", "licenses.csv", bytes, false).await
}

fn rows_by_key(csv: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let columns = keyfold::csv_io::licenses::COLUMNS.len();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    r.records()
        .map(|x| {
            let x = x.unwrap();
            let cells: Vec<String> = x.iter().take(columns).map(str::to_owned).collect();
            (cells[0].clone(), cells)
        })
        .collect()
}

#[tokio::test]
async fn exported_licenses_import_into_another_database_with_every_column_unchanged() {
    let source = TestApp::spawn().await;
    source.seed_demo("seed@example.com");
    source
        .signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    // A note that looks like a formula, and a license of a new order and customer.
    let first = source.license_ids(1)[0];
    diesel::update(licenses::table.find(first))
        .set(licenses::note.eq("=cmd|' /C calc'!A0"))
        .execute(&mut source.conn())
        .unwrap();
    let exported = source
        .get("/licenses/export.csv")
        .await
        .text()
        .await
        .unwrap();
    // The same catalogue and orders elsewhere (the demo is deterministic but for keys).
    let target = TestApp::spawn().await;
    target.seed_demo("seed@example.com");
    target
        .signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    let before: i64 = licenses::table
        .count()
        .get_result(&mut target.conn())
        .unwrap();
    let (id, page) = preview(&target, exported.as_bytes()).await;
    assert!(page.contains("Ready to import"), "{page}");
    assert!(
        page.contains(&format!("<dt>Will be created</dt><dd>{before}</dd>")),
        "{page}"
    );
    let page = commit(&target, id).await;
    assert!(page.contains("Imported"), "{page}");
    let again = target
        .get("/licenses/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let (a, b) = (rows_by_key(&exported), rows_by_key(&again));
    assert_eq!(a.len() as i64, before);
    for (key, row) in &a {
        assert_eq!(Some(row), b.get(key), "license {key}");
    }
    // Features and custom fields came from the products, as issuing gives them.
    let key = licenses::table
        .find(first)
        .select(licenses::key_norm)
        .first::<String>(&mut source.conn())
        .unwrap();
    let imported: i64 = licenses::table
        .filter(licenses::key_norm.eq(&key))
        .select(licenses::id)
        .first(&mut target.conn())
        .unwrap();
    let count = |t: &TestApp, l: i64| -> (i64, i64) {
        (
            license_features::table
                .filter(license_features::license_id.eq(l))
                .count()
                .get_result(&mut t.conn())
                .unwrap(),
            license_custom_fields::table
                .filter(license_custom_fields::license_id.eq(l))
                .count()
                .get_result(&mut t.conn())
                .unwrap(),
        )
    };
    assert_eq!(count(&target, imported), count(&source, first));
    // The same file again: every key is already there, and nothing but the import's own
    // record changes.
    let before = data(&target);
    let (_, page) = preview(&target, exported.as_bytes()).await;
    assert!(page.contains("is already in the database"), "{page}");
    assert_eq!(data(&target), before);
}

/// Every table but the imports' own, the audit log and sessions.
fn data(app: &TestApp) -> Vec<(String, u64)> {
    let mut s = snapshot(app);
    s.retain(|(t, _)| {
        !t.starts_with("import") && !t.starts_with("audit_log") && !t.starts_with("sessions")
    });
    s
}

#[tokio::test]
async fn license_rows_are_checked_and_new_orders_and_customers_created() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    let taken: String = licenses::table
        .select(licenses::license_key)
        .first(&mut app.conn())
        .unwrap();
    let file = format!(
        "license_key,product_short_code,order_reference,customer_email,valid_duration,validity_period,license_type,metadata\n\
         IMPT-0001-AAAA,STUDIO,MIGRATED-1,newco@customer.example,1y,,perpetual,\n\
         IMPT-0002-AAAA,NOPE,MIGRATED-1,newco@customer.example,,,,\n\
         IMPT-0003-AAAA,SUITE,MIGRATED-1,newco@customer.example,,,,\n\
         bad key!,STUDIO,MIGRATED-1,newco@customer.example,,,,\n\
         impt-0001-aaaa,STUDIO,MIGRATED-1,newco@customer.example,,,,\n\
         {taken},STUDIO,MIGRATED-1,newco@customer.example,,,,\n\
         IMPT-0007-AAAA,STUDIO,MIGRATED-1,newco@customer.example,,2026-02-30,,\n\
         IMPT-0008-AAAA,STUDIO,MIGRATED-1,newco@customer.example,1000000000y,,,\n\
         IMPT-0009-AAAA,STUDIO,MIGRATED-1,other@customer.example,,,,\n\
         IMPT-0010-AAAA,STUDIO,MIGRATED-1,newco@customer.example,,,forever,\n\
         IMPT-0011-AAAA,STUDIO,MIGRATED-1,newco@customer.example,,,,[1]\n"
    );
    let before = data(&app);
    let (id, page) = preview(&app, file.as_bytes()).await;
    for (line, column) in [
        (3, "product_short_code"),
        (4, "product_short_code"),
        (5, "license_key"),
        (6, "license_key"),
        (7, "license_key"),
        (8, "validity_period"),
        (9, "valid_duration"),
        (10, "customer_email"),
        (11, "license_type"),
        (12, "metadata"),
    ] {
        assert!(
            page.contains(&format!(
                "<tr><td>{line}</td><td><code>{column}</code></td>"
            )),
            "line {line} {column}: {page}"
        );
    }
    assert!(page.contains("also on line 2"));
    assert!(page.contains("already in the database"));
    // A bad date quotes the value and says what is wrong with it.
    assert!(page.contains("“2026-02-30” is not a date: February 2026 has 28 days."));
    // A file with problems shows no "would create" (nothing can be imported).
    assert!(!page.contains("New orders ("));
    let list = app.page("/imports").await;
    assert!(
        list.contains("Nothing imported") && !list.contains("Would create"),
        "{list}"
    );
    assert!(page.contains("A bundle is not"));
    let page = commit(&app, id).await;
    assert!(page.contains("Only a file without problems"), "{page}");
    assert_eq!(data(&app), before, "nothing changed");

    // The good row alone: a new order for a new customer, the license inactive, with
    // its product's max transfers (as issuing copies them).
    diesel::sql_query("UPDATE products SET max_transfers = 4 WHERE code = 'STUDIO'")
        .execute(&mut app.conn())
        .unwrap();
    let good = "license_key,product_short_code,order_reference,customer_email,customer_first_name,valid_duration\n\
                IMPT-0001-AAAA,STUDIO,MIGRATED-1,newco@customer.example,Nia,1y\n\
                IMPT-0012-AAAA,FIELD,MIGRATED-1,newco@customer.example,Nia,\n";
    let (id, page) = preview(&app, good.as_bytes()).await;
    assert!(page.contains("Ready to import"), "{page}");
    // The preview names the new order and the new customer.
    assert!(
        page.contains("New orders (1)") && page.contains("MIGRATED-1"),
        "{page}"
    );
    assert!(page.contains("New customers (1)") && page.contains("<li>newco@customer.example</li>"));
    assert!(app.page("/imports").await.contains("Would create 2"));
    let done = commit(&app, id).await;
    // Once imported: a link to the licenses it created.
    let list = app.page("/imports").await;
    assert!(
        list.contains("Created 2") && list.contains(&format!("/licenses?import={id}")),
        "{list}"
    );
    let _ = done;
    let created = app.page(&format!("/licenses?import={id}")).await;
    assert!(created.contains("IMPT-0001-AAAA") && created.contains("IMPT-0012-AAAA"));
    assert!(created.contains("1–2 of 2"), "only this import's licenses");
    let (order, customer): (i64, Option<i64>) = orders::table
        .filter(orders::reference_norm.eq("migrated-1"))
        .select((orders::id, orders::customer_id))
        .first(&mut app.conn())
        .unwrap();
    let (email, first): (String, String) = customers::table
        .find(customer.expect("the new order has the new customer"))
        .select((customers::email, customers::first_name))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        (email.as_str(), first.as_str()),
        ("newco@customer.example", "Nia")
    );
    let imported: Vec<(String, Option<i64>, Option<i64>)> = licenses::table
        .filter(licenses::order_id.eq(order))
        .order(licenses::id.asc())
        .select((
            licenses::key_norm,
            licenses::validity_days,
            licenses::max_transfers,
        ))
        .load(&mut app.conn())
        .unwrap();
    // Keys compare without dashes or case; an empty duration column means none.
    assert_eq!(
        imported,
        vec![
            ("IMPT0001AAAA".to_owned(), Some(365), Some(4)),
            ("IMPT0012AAAA".to_owned(), None, None)
        ]
    );
    // The license list finds it by key prefix, and shows it inactive.
    let list = app.page("/licenses?key=impt-0001&status=inactive").await;
    assert!(list.contains("IMPT-0001-AAAA"), "{list}");
}

#[tokio::test]
async fn support_staff_cannot_import_licenses() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("sam@example.com", Role::Support).await;
    let before = snapshot(&app);
    let r = upload_to(
        &app,
        "/imports/licenses/new",
        "l.csv",
        b"license_key,product_short_code,order_reference\nIMPT-0001-AAAA,STUDIO,X-1\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(snapshot(&app), before);
    let page = app.page("/imports").await;
    assert!(!page.contains("Import licenses") && page.contains("Import customers"));
}

/// Holds the database's write lock (SQLite) or the staging table's (PostgreSQL) until
/// dropped, so that a background commit waits at its first chunk.
fn hold_staging(app: &TestApp) -> impl Drop {
    struct Held(keyfold::db::PooledConn);
    impl Drop for Held {
        fn drop(&mut self) {
            let _ = diesel::connection::SimpleConnection::batch_execute(&mut *self.0, "COMMIT");
        }
    }
    let mut conn = app.conn();
    let sql = if app.db.is_postgres() {
        "BEGIN; LOCK TABLE import_license_rows IN EXCLUSIVE MODE"
    } else {
        "BEGIN IMMEDIATE"
    };
    diesel::connection::SimpleConnection::batch_execute(&mut *conn, sql).unwrap();
    Held(conn)
}

#[tokio::test]
async fn a_big_import_commits_in_the_background_with_its_progress_on_the_page() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    let rows = keyfold::csv_io::run::BACKGROUND_ROWS + 2_000;
    let mut file = String::from("license_key,product_short_code,order_reference,customer_email\n");
    for i in 0..rows {
        file.push_str(&format!(
            "BACK-{i:08},STUDIO,BACKGROUND-{},bg{}@customer.example\n",
            i % 50,
            i % 50
        ));
    }
    let (id, page) = preview(&app, file.as_bytes()).await;
    assert!(page.contains(&format!("Import {rows} rows")), "{page}");

    // The commit answers at once (checking the file again comes first in the background);
    // while a chunk waits for the database, the page shows a progress bar and the rest of
    // the portal answers.
    let r = app.post_form(&format!("/imports/{id}/commit"), &[]).await;
    assert_eq!(r.status(), 303);
    let held = hold_staging(&app);
    let page = app.page(&format!("/imports/{id}")).await;
    assert!(page.contains("Importing"), "{page}");
    assert!(
        page.contains(&format!("max=\"{rows}\"")),
        "a progress bar: {page}"
    );
    assert!(page.contains(&format!("{rows} rows")), "{page}");
    assert!(
        page.contains(&format!("Importing {rows} rows in the background")),
        "{page}"
    );
    let progress: serde_json::Value = app
        .get(&format!("/imports/{id}/progress"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["status"], "committing");
    assert_eq!(progress["total"], rows);
    let list = app.get("/licenses").await;
    assert_eq!(list.status(), 200);
    let visible: i64 = licenses::table
        .filter(licenses::key_norm.like("BACK%"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(visible, 0, "nothing is visible before the end");
    drop(held);

    // Other writers get their turn while it runs: a customer is created meanwhile.
    let r = app
        .post_form(
            "/customers",
            &[("email", "during@import.example"), ("first_name", "Dora")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        let p: serde_json::Value = app
            .get(&format!("/imports/{id}/progress"))
            .await
            .json()
            .await
            .unwrap();
        if p["status"] != "committing" {
            assert_eq!(p["status"], "committed", "{p}");
            break;
        }
        seen.push(p["done"].as_i64().unwrap());
        assert!(started.elapsed().as_secs() < 120, "still importing: {p}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {seen:?}"
    );
    let imported: i64 = licenses::table
        .filter(licenses::key_norm.like("BACK%"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(imported, rows);
    let page = app.page(&format!("/imports/{id}")).await;
    assert!(page.contains("Imported"), "{page}");
    assert!(page.contains("Import took"), "{page}");
    assert!(!page.contains("<progress"), "{page}");
}
