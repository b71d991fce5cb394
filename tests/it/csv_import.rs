//! Importing customers from CSV: every bad file named and nothing changed, row problems
//! with their line and column, update versus skip, a commit that fails half-way leaving
//! nothing, the export → import round trip, formula quotes taken off, imported customers
//! found by the list's search, and the roles (read-only staff can neither import nor
//! commit).

use diesel::prelude::*;
use keyfold::db::schema::{customer_labels, customers, imports};
use keyfold::domain::Role;

use crate::helpers::{location, TestApp};
use crate::role_matrix::snapshot;

/// Uploads `bytes` as a customers CSV; returns the response.
pub async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>, update: bool) -> reqwest::Response {
    upload_to(app, "/imports/customers/new", name, bytes, update).await
}

/// Uploads `bytes` to an import's upload route.
pub async fn upload_to(
    app: &TestApp,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    update: bool,
) -> reqwest::Response {
    let token = app.csrf_token().await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    if update {
        form = form.text("update_existing", "1");
    }
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads and follows to the preview page: (import id, page text).
async fn preview(app: &TestApp, bytes: &[u8], update: bool) -> (i64, String) {
    preview_at(
        app,
        "/imports/customers/new",
        "customers.csv",
        bytes,
        update,
    )
    .await
}

/// Uploads to `path` and follows to the preview page: (import id, page text).
pub async fn preview_at(
    app: &TestApp,
    path: &str,
    name: &str,
    bytes: &[u8],
    update: bool,
) -> (i64, String) {
    let r = upload_to(app, path, name, bytes.to_vec(), update).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = location(&r);
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    (id, app.page(&to).await)
}

/// Commits an import and returns its page.
pub async fn commit(app: &TestApp, id: i64) -> String {
    let r = app.post_form(&format!("/imports/{id}/commit"), &[]).await;
    assert_eq!(r.status(), 303);
    app.page(&format!("/imports/{id}")).await
}

/// Every table but the imports' own (an upload stores its file and preview there).
fn data(app: &TestApp) -> Vec<(String, u64)> {
    let mut s = snapshot(app);
    s.retain(|(t, _)| {
        !t.starts_with("imports ")
            && !t.starts_with("import_files ")
            && !t.starts_with("import_problems ")
            && !t.starts_with("audit_log ")
            && !t.starts_with("sessions ")
    });
    s
}

fn status(app: &TestApp, id: i64) -> String {
    imports::table
        .find(id)
        .select(imports::status)
        .first(&mut app.conn())
        .unwrap()
}

const HEADER: &str = "email,first_name,last_name,company_name,customer_account,labels,metadata";

#[tokio::test]
async fn every_bad_file_is_named_and_changes_nothing() {
    let app = TestApp::spawn_with(|c| c.upload_limit = 64 * 1024, None).await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    let wide = (0..101)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", b"".to_vec(), "The file is empty."),
        (
            "header only",
            b"email,first_name\r\n".to_vec(),
            "header but no rows",
        ),
        (
            "no email column",
            b"first_name\nAda\n".to_vec(),
            "required column “email” is missing",
        ),
        (
            "semicolons",
            b"email;first_name\na@x.example;Ada\n".to_vec(),
            "separated by semicolons",
        ),
        (
            "tabs",
            b"email\tfirst_name\na@x.example\tAda\n".to_vec(),
            "separated by tabs",
        ),
        (
            "open quote",
            b"email,first_name\na@x.example,\"Ada\nb@x.example,Bo\n".to_vec(),
            "starts on line 2 is never closed",
        ),
        (
            "latin-1",
            b"email,first_name\na@x.example,Jos\xe9\n".to_vec(),
            "not UTF-8 text (line 2)",
        ),
        (
            "binary",
            vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2],
            "binary data",
        ),
        (
            "too wide",
            format!("{wide}\n1\n").into_bytes(),
            "at most 100 are read",
        ),
        (
            "unknown column",
            b"email,favourite_colour\na@x.example,red\n".to_vec(),
            "Unknown column “favourite_colour”",
        ),
    ];
    for (what, bytes, message) in cases {
        let before = data(&app);
        let (id, page) = preview(&app, &bytes, false).await;
        assert!(page.contains(message), "{what}: {page}");
        assert_eq!(status(&app, id), "failed", "{what}");
        assert!(!page.contains("Import 0 rows"), "{what}: no import button");
        let r = app.post_form(&format!("/imports/{id}/commit"), &[]).await;
        assert_eq!(r.status(), 303, "{what}");
        assert_eq!(data(&app), before, "{what}: nothing changed");
    }
    // A byte-order mark is fine.
    let (_, page) = preview(&app, "\u{feff}email\nbom@x.example\n".as_bytes(), false).await;
    assert!(page.contains("Ready to import"), "{page}");
    // Over the upload limit: a clear page, not a bare 400, and nothing stored.
    let before = snapshot(&app);
    let big = format!("email\n{}", "a@x.example\n".repeat(10_000)).into_bytes();
    let r = upload(&app, "big.csv", big, false).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("larger than the upload limit"), "{page}");
    assert_eq!(snapshot(&app), before);
    // No file chosen: a message beside the field.
    let r = upload(&app, "", Vec::new(), false).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Choose a CSV file"));
}

#[tokio::test]
async fn row_problems_have_their_line_and_column_and_block_the_commit() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    let file = format!(
        "{HEADER}\n\
         good@x.example,Good,One,,NORTHWIND,,\n\
         not-an-email,Bad,Email,,,,\n\
         json@x.example,Bad,Json,,,,{{broken\n\
         account@x.example,Bad,Account,,NO-SUCH-CODE,,\n\
         GOOD@x.example,Twice,Here,,,,\n\
         short@x.example,Short,Row\n"
    );
    let before = data(&app);
    let (id, page) = preview(&app, file.as_bytes(), false).await;
    for (line, column) in [
        (3, "email"),
        (4, "metadata"),
        (5, "customer_account"),
        (6, "email"),
        (7, ""),
    ] {
        let cell = if column.is_empty() {
            "<td>—</td>".to_owned()
        } else {
            format!("<td><code>{column}</code></td>")
        };
        assert!(
            page.contains(&format!("<tr><td>{line}</td>{cell}")),
            "line {line} {column}: {page}"
        );
    }
    assert!(page.contains("also on line 2"), "{page}");
    assert!(page.contains("No customer account has the code “NO-SUCH-CODE”"));
    assert!(page.contains("duplicate in file: 1"));
    assert!(
        !page.contains("Import 6 rows"),
        "no import button with problems"
    );
    // The problems as CSV, every one.
    let csv = app.page(&format!("/imports/{id}/problems.csv")).await;
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.starts_with("line,column,kind,message"));
    // Committing anyway is refused; nothing changes.
    let page = commit(&app, id).await;
    assert!(page.contains("Only a file without problems"), "{page}");
    assert_eq!(data(&app), before);
    assert_eq!(status(&app, id), "previewed");
}

fn customer(app: &TestApp, email: &str) -> Option<(String, String, String)> {
    customers::table
        .filter(customers::email_norm.eq(email))
        .filter(customers::status.ne("deleted"))
        .select((
            customers::first_name,
            customers::company,
            customers::metadata,
        ))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

#[tokio::test]
async fn new_customers_are_created_existing_ones_updated_or_skipped_and_found_by_search() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    let existing: String = customers::table
        .order(customers::id.asc())
        .select(customers::email)
        .first(&mut app.conn())
        .unwrap();
    let file = format!(
        "{HEADER}\n\
         zelda.quill@imported.example,Zelda,Quill,'=Formula Ltd,CONTOSO,Imported;VIP,\"{{\"\"tier\"\":\"\"gold\"\"}}\"\n\
         {existing},Renamed,Person,Renamed Co,,,\n"
    );
    // Without "update": the existing customer is skipped.
    let (id, page) = preview(&app, file.as_bytes(), false).await;
    assert!(page.contains("Ready to import"), "{page}");
    let page = commit(&app, id).await;
    assert!(page.contains("Imported"), "{page}");
    let (first, company, metadata) = customer(&app, "zelda.quill@imported.example").unwrap();
    assert_eq!(first, "Zelda");
    assert_eq!(company, "=Formula Ltd", "one leading quote taken off");
    assert!(metadata.contains("gold"));
    assert_ne!(
        customer(&app, &existing.to_lowercase()).unwrap().0,
        "Renamed"
    );
    let counts: (i64, i64, i64) = imports::table
        .find(id)
        .select((
            imports::create_count,
            imports::update_count,
            imports::skip_count,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(counts, (1, 0, 1));
    // Labels: the new one created, both linked.
    let zelda: i64 = customers::table
        .filter(customers::email_norm.eq("zelda.quill@imported.example"))
        .select(customers::id)
        .first(&mut app.conn())
        .unwrap();
    let linked: i64 = customer_labels::table
        .filter(customer_labels::customer_id.eq(zelda))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(linked, 2);
    // The list's searches find the imported customer by any indexed prefix.
    for q in ["zelda", "quill", "=formula", "ZELDA.QUILL@imp"] {
        let list = app.page(&format!("/customers?q={}", urlencode(q))).await;
        assert!(list.contains("zelda.quill@imported.example"), "{q}");
    }
    // With "update": the existing customer takes the file's values; the same file twice
    // creates nobody twice.
    let (id, _) = preview(&app, file.as_bytes(), true).await;
    commit(&app, id).await;
    assert_eq!(
        customer(&app, &existing.to_lowercase()).unwrap().0,
        "Renamed"
    );
    let zeldas: i64 = customers::table
        .filter(customers::email_norm.eq("zelda.quill@imported.example"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(zeldas, 1);
    // A committed import cannot be committed again.
    let before = data(&app);
    let page = commit(&app, id).await;
    assert!(page.contains("imported already"), "{page}");
    assert_eq!(data(&app), before);
    // The Imports page lists both with their counts.
    let list = app.page("/imports").await;
    assert_eq!(list.matches("customers.csv").count(), 2, "{list}");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_commit_that_fails_half_way_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    // 1,200 rows (three staging chunks); the database refuses the last one when it is
    // made visible.
    let mut file = String::from("email,first_name\n");
    for i in 0..1_199 {
        file.push_str(&format!("bulk-{i}@imported.example,Bulk\n"));
    }
    file.push_str("boom@imported.example,Boom\n");
    let (id, page) = preview(&app, file.as_bytes(), false).await;
    assert!(page.contains("Ready to import"), "{page}");
    let refuse = if app.db.sqlite_path().is_some() {
        vec![
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON customers \
              WHEN NEW.email_norm = 'boom@imported.example' \
              BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ]
    } else {
        vec![
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN \
             IF NEW.email_norm = 'boom@imported.example' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON customers \
             FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
        ]
    };
    for sql in refuse {
        diesel::sql_query(sql).execute(&mut app.conn()).unwrap();
    }
    let before = data(&app);
    let page = commit(&app, id).await;
    assert!(page.contains("nothing of it was kept"), "{page}");
    assert_eq!(status(&app, id), "failed");
    assert_eq!(
        data(&app),
        before,
        "no customer, label or staging row is left"
    );
    let bulk: i64 = customers::table
        .filter(customers::email_norm.like("bulk-%"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(bulk, 0);
}

#[tokio::test]
async fn exported_customers_import_into_another_database_unchanged() {
    let source = TestApp::spawn().await;
    source.seed_demo("seed@example.com");
    source.signed_in_as("eve@example.com", Role::Support).await;
    let exported = source
        .get("/customers/export.csv")
        .await
        .text()
        .await
        .unwrap();
    // Another database with the same customer accounts (imports name them by code).
    let target = TestApp::spawn().await;
    target
        .signed_in_as("mia@example.com", Role::StaffManager)
        .await;
    for (code, name) in [
        ("NORTHWIND", "Northwind Group"),
        ("CONTOSO", "Contoso Ltd"),
        ("INITECH", "Initech"),
    ] {
        let r = target
            .post_form("/customer-accounts", &[("name", name), ("code", code)])
            .await;
        assert_eq!(r.status(), 303, "{code}");
    }
    let (id, page) = preview(&target, exported.as_bytes(), false).await;
    assert!(page.contains("Ready to import"), "{page}");
    commit(&target, id).await;
    let again = target
        .get("/customers/export.csv")
        .await
        .text()
        .await
        .unwrap();
    // Every import column is the same (status and created_at are the target's own).
    let columns = keyfold::csv_io::customers::COLUMNS.len();
    let cut = |csv: &str| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let mut rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().take(columns).map(str::to_owned).collect())
            .collect();
        rows.sort();
        rows
    };
    let (a, b) = (cut(&exported), cut(&again));
    assert_eq!(a.len(), 24);
    assert_eq!(a, b);
}

#[tokio::test]
async fn read_only_staff_can_neither_upload_nor_commit() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    let (id, _) = preview(&app, b"email\nro@x.example\n", false).await;
    app.post_form("/logout", &[]).await;
    app.signed_in_as("robin@example.com", Role::ReadOnly).await;
    let before = snapshot(&app);
    let r = upload(&app, "x.csv", b"email\nro2@x.example\n".to_vec(), false).await;
    assert_eq!(r.status(), 403);
    let r = app.post_form(&format!("/imports/{id}/commit"), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(snapshot(&app), before);
    // They see the Imports page and the preview, without the import button.
    let page = app.page(&format!("/imports/{id}")).await;
    assert!(page.contains("Ready to import") && !page.contains("Import 1 rows"));
}

#[tokio::test]
async fn the_command_line_imports_with_the_same_checks_and_exports_to_standard_output() {
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "email,first_name\nnot-an-email,X\ncli@x.example,Cli\n",
    )
    .unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "email,first_name\ncli@x.example,Cli\n").unwrap();
    let run = |args: &[&std::path::Path]| {
        let mut cmd = crate::cli::keyfold(&app.db);
        for a in args {
            cmd.arg(a);
        }
        cmd.output().unwrap()
    };
    let p = std::path::Path::new;
    // Problems: each with its line, nothing imported, a failing exit.
    let out = run(&[p("import"), p("customers"), &bad]);
    assert!(!out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("line 2, column email"), "{printed}");
    assert!(customer(&app, "cli@x.example").is_none());
    // A dry run imports nothing; then the import does.
    let out = run(&[p("import"), p("customers"), &good, p("--dry-run")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 to create"));
    assert!(customer(&app, "cli@x.example").is_none());
    let out = run(&[p("import"), p("customers"), &good]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(customer(&app, "cli@x.example").unwrap().0, "Cli");
    // A file that is not a CSV: one clear line, a failing exit.
    let binary = dir.path().join("logo.png");
    std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0, 0]).unwrap();
    let out = run(&[p("import"), p("customers"), &binary]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary data"));
    // Export to standard output, with a filter.
    let out = run(&[p("export"), p("licenses"), p("--order"), p("2")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("license_key,product_short_code,order_reference"));
    assert_eq!(csv.lines().count(), 1 + app.license_ids(2).len());
    let out = run(&[p("export"), p("customers")]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("cli@x.example"));
    let out = run(&[p("export"), p("licenses"), p("--from"), p("2026-02-30")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}

#[tokio::test]
async fn an_import_whose_process_died_shows_as_interrupted_and_leaves_nothing() {
    use keyfold::db::schema::import_customer_rows;
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("eve@example.com", Role::Support).await;
    let (id, _) = preview(&app, b"email\ndied@x.example\nalso@x.example\n", false).await;
    let before = data(&app);
    // A commit that staged a chunk and then died: its lease is left to lapse.
    {
        let mut conn = app.conn();
        let import = keyfold::models::import::start(&mut conn, id).unwrap();
        diesel::insert_into(import_customer_rows::table)
            .values((
                import_customer_rows::import_id.eq(import.id),
                import_customer_rows::line.eq(2),
                import_customer_rows::email.eq("died@x.example"),
                import_customer_rows::email_norm.eq("died@x.example"),
                import_customer_rows::first_name.eq(""),
                import_customer_rows::last_name.eq(""),
                import_customer_rows::first_name_norm.eq(""),
                import_customer_rows::last_name_norm.eq(""),
                import_customer_rows::company.eq(""),
                import_customer_rows::company_norm.eq(""),
                import_customer_rows::phone.eq(""),
                import_customer_rows::reference.eq(""),
                import_customer_rows::reference_norm.eq(""),
                import_customer_rows::external_id.eq(""),
                import_customer_rows::address_line1.eq(""),
                import_customer_rows::address_line2.eq(""),
                import_customer_rows::postcode.eq(""),
                import_customer_rows::city.eq(""),
                import_customer_rows::state.eq(""),
                import_customer_rows::country.eq(""),
                import_customer_rows::metadata.eq("{}"),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    // While the lease runs, it is importing; nobody else can commit it.
    let page = app.page(&format!("/imports/{id}")).await;
    assert!(page.contains("Importing"), "{page}");
    let page = commit(&app, id).await;
    assert!(page.contains("being imported"), "{page}");
    // Once the lease lapses: interrupted, its staging rows gone, no customer visible.
    diesel::update(imports::table.find(id))
        .set(imports::lease_until.eq(Some(keyfold::models::now() - chrono::Duration::minutes(1))))
        .execute(&mut app.conn())
        .unwrap();
    let page = app.page(&format!("/imports/{id}")).await;
    assert!(page.contains("Interrupted"), "{page}");
    assert!(page.contains("stopped before it finished"), "{page}");
    assert_eq!(status(&app, id), "interrupted");
    let staged: i64 = import_customer_rows::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(staged, 0);
    assert!(customer(&app, "died@x.example").is_none());
    let mut after = data(&app);
    after.retain(|(t, _)| !t.starts_with("import_customer_rows"));
    let mut b = before;
    b.retain(|(t, _)| !t.starts_with("import_customer_rows"));
    assert_eq!(after, b);
}
