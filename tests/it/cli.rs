//! The command line: `demo` (seeds once, refuses a public bind) and `create-admin`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use keyfold::db::schema::{licenses, orders, staff_users};

use crate::helpers::{client, TestApp, TestDb};

pub(crate) fn keyfold(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfold"));
    cmd.env("DATABASE_URL", db.url())
        .env("KEYFOLD_BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .env_remove("KEYFOLD_ADMIN_EMAIL")
        .env_remove("KEYFOLD_ADMIN_PASSWORD");
    cmd
}

/// Runs `keyfold demo` until it is serving, returns what it printed, then stops it.
fn run_demo(db: &TestDb) -> String {
    let mut child = keyfold(db)
        .arg("demo")
        .env("KEYFOLD_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let started = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let done = line.starts_with("Keyfold is listening");
                printed.push(line);
                if done {
                    // The banner follows the listening line; give it a moment.
                    while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
                        printed.push(line);
                    }
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "demo did not start within {:?}: {printed:?} {}",
                    started.elapsed(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    printed.join("\n")
}

fn count(db_conn: &mut keyfold::db::DbConnection) -> (i64, i64, i64) {
    (
        staff_users::table.count().get_result(db_conn).unwrap(),
        orders::table.count().get_result(db_conn).unwrap(),
        licenses::table.count().get_result(db_conn).unwrap(),
    )
}

#[tokio::test]
async fn demo_seeds_once_and_every_demo_user_can_sign_in() {
    let db = TestDb::fresh();
    let first = run_demo(&db);
    assert!(
        first.contains("admin@example.com / keyfold-demo"),
        "{first}"
    );
    assert!(first.contains("readonly@example.com"), "{first}");
    assert!(first.contains("/login"), "{first}");
    let second = run_demo(&db);
    assert!(second.contains("already has staff users"), "{second}");
    assert!(
        !second.contains("keyfold-demo"),
        "no credentials the second time: {second}"
    );

    // The license portal's demo logins: a manager with a password, and a pending invite.
    assert!(
        first.contains("/portal/login") && first.contains("it-admin@example.com / keyfold-demo"),
        "{first}"
    );
    let start = first
        .find("/portal/invite/")
        .expect("the pending invite link is printed");
    let invite: String = first[start..].chars().take(15 + 64).collect();

    // The printed license API example: a check of a demo license on its active device.
    let body: String = first
        .split("-d '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a curl line with a body is printed")
        .to_owned();

    // On SQLite the demo made the secret file beside the database and the first key with
    // it; on PostgreSQL the API signs only with KEYFOLD_SECRET_KEY.
    let postgres = db.url().starts_with("postgres");
    let app = TestApp::spawn_on(
        db,
        move |c| {
            if postgres {
                c.secret_key = Some(keyfold::config::Secret::new(
                    "a demo test secret of 32 characters or more",
                ));
            }
        },
        None,
    )
    .await;
    let r = client()
        .post(app.url("/api/v1/check"))
        .header("Keyfold-Nonce", "ZGVtby1ub25jZS0wMDAx")
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{body} → {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["valid"], true,
        "the demo's printed license checks valid: {v}"
    );
    let r = client().get(app.url(&invite)).send().await.unwrap();
    assert_eq!(r.status(), 200, "the printed invite link works");
    assert!(r.text().await.unwrap().contains("new-admin@example.com"));
    let lee = client();
    let r = app
        .portal_sign_in_with(&lee, "it-admin@example.com", "keyfold-demo")
        .await;
    assert_eq!(r.status(), 303);
    let home = lee
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(home.matches("ORD-2026-").count(), 2, "two orders: {home}");
    assert!(home.contains("Manage license users, Manage license user credentials"));
    assert!(
        home.contains("<td>Reset device</td>"),
        "only Reset device on the other"
    );

    // The demo's devices come from real activations: each has its activation event
    // from the license API at its first activation, each license's count of active
    // devices is its devices', and an activated duration runs from the first activation.
    {
        use keyfold::db::schema::{devices, license_events};
        let mut conn = app.conn();
        let devices: Vec<(i64, i64, chrono::NaiveDateTime, bool)> = devices::table
            .select((
                devices::id,
                devices::license_id,
                devices::first_activated_at,
                devices::deactivated_at.is_null(),
            ))
            .load(&mut conn)
            .unwrap();
        assert!(devices.len() >= 100, "{} devices", devices.len());
        for (id, license, at, _) in &devices {
            let activations: Vec<(chrono::NaiveDateTime, String)> = license_events::table
                .filter(license_events::device_id.eq(id))
                .filter(license_events::kind.eq("activated"))
                .select((license_events::at, license_events::source))
                .load(&mut conn)
                .unwrap();
            assert_eq!(
                activations,
                vec![(*at, "license_api".to_owned())],
                "device {id}"
            );
            let l: keyfold::models::license::License = licenses::table
                .find(license)
                .select(keyfold::models::license::License::as_select())
                .first(&mut conn)
                .unwrap();
            let active = devices
                .iter()
                .filter(|(_, lic, _, on)| lic == license && *on)
                .count() as i64;
            assert_eq!(l.active_devices, active, "license {license}");
            let first = l.first_activated_at.expect("activated");
            assert!(first <= *at);
            if let (Some(days), Some(until)) = (l.validity_days, l.valid_until) {
                assert_eq!(until, first + chrono::Duration::days(days));
            }
        }
    }

    let (staff, order_count, license_count) = count(&mut app.conn());
    assert_eq!(staff, 4);
    assert!(order_count >= 30, "{order_count} orders");
    assert!(license_count >= 150, "{license_count} licenses");
    // Licenses of every type and every derived status.
    {
        use keyfold::models::license::Status;
        let all: Vec<keyfold::models::license::License> = licenses::table
            .select(keyfold::models::license::License::as_select())
            .load(&mut app.conn())
            .unwrap();
        for t in ["perpetual", "time_limited", "subscription", "consumption"] {
            assert!(all.iter().any(|l| l.license_type == t), "a {t} license");
        }
        for s in [
            Status::Active,
            Status::Inactive,
            Status::Expired,
            Status::Disabled,
        ] {
            assert!(all.iter().any(|l| l.status() == s), "a {s:?} license");
        }
    }
    for (email, role) in [
        ("admin@example.com", "Admin"),
        ("manager@example.com", "Manager"),
        ("support@example.com", "Support"),
        ("readonly@example.com", "Read-only"),
    ] {
        let c = client();
        let r = app.sign_in_with(&c, email, "keyfold-demo", None).await;
        assert_eq!(r.status(), 303, "{email}");
        let page = c
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!(">{role}<")), "{email}");
        assert!(page.contains("ORD-2026-"), "demo orders listed for {email}");
    }
}

#[test]
fn demo_refuses_a_public_bind_without_allow_public() {
    let db = TestDb::fresh();
    let out = keyfold(&db)
        .arg("demo")
        .env("KEYFOLD_BIND", "0.0.0.0:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow-public"), "{stderr}");
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_the_admin_can_sign_in() {
    let db = TestDb::fresh();
    let mut child = keyfold(&db)
        .args(["create-admin", "--email", "Boss@Example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created admin Boss@Example.com"));

    // The same email again, and a too-short password: clear errors, nothing created.
    let again = keyfold(&db)
        .args([
            "create-admin",
            "--email",
            "boss@example.com",
            "--password",
            "another long one",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = keyfold(&db)
        .args([
            "create-admin",
            "--email",
            "other@example.com",
            "--password",
            "short",
        ])
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));

    let app = TestApp::spawn_on(db, |_| {}, None).await;
    let (staff, _, _) = count(&mut app.conn());
    assert_eq!(staff, 1);
    assert_eq!(
        app.sign_in("boss@example.com", "a long enough password")
            .await
            .status(),
        303
    );
    let page = app.get("/orders").await.text().await.unwrap();
    assert!(page.contains(">Admin<"));
}

#[tokio::test]
async fn seed_writes_data_in_the_fixed_proportions_and_can_run_again() {
    let db = TestDb::fresh();
    for round in 1..=2i64 {
        let out = keyfold(&db)
            .args(["seed", "--licenses", "2000"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Seeded 2000 licenses, 200 customers, 500 orders, 1200 devices, 4000 license events"), "{stdout}");
        assert_eq!(
            stdout.contains("Created staff admin"),
            round == 1,
            "{stdout}"
        );
        let app = TestApp::spawn_on(TestDb::borrowed(&db), |_| {}, None).await;
        assert_eq!(app.count("licenses"), 2000 * round);
        assert_eq!(app.count("customers"), 200 * round);
        assert_eq!(app.count("orders"), 500 * round);
        assert_eq!(app.count("devices"), 1200 * round);
        assert_eq!(app.count("license_events"), 4000 * round);
        // The seeded admin signs in and the pages show the data.
        assert_eq!(
            app.sign_in("admin@example.com", "keyfold-demo")
                .await
                .status(),
            303
        );
        assert!(app
            .get("/licenses")
            .await
            .text()
            .await
            .unwrap()
            .contains("Bulk"));
        assert!(app
            .get("/orders?q=blk-")
            .await
            .text()
            .await
            .unwrap()
            .contains("BLK-"));
    }
    // New rows after a seed get fresh ids (PostgreSQL's identity sequences were moved on).
    let app = TestApp::spawn_on(TestDb::borrowed(&db), |_| {}, None).await;
    app.sign_in("admin@example.com", "keyfold-demo").await;
    assert_eq!(
        app.post_form("/customers", &[("email", "after.seed@example.com")])
            .await
            .status(),
        303
    );
}

/// `keyfold backup FILE` copies an SQLite database while Keyfold serves it; the copy
/// opens with the same licenses and without the secret key. On PostgreSQL it points to
/// pg_dump.
#[tokio::test]
async fn backup_copies_a_serving_sqlite_database_and_points_postgres_to_pg_dump() {
    let db = TestDb::fresh();
    let app = TestApp::spawn_on(TestDb::borrowed(&db), |_| {}, None).await;
    let order = app.insert_order(None, "ORD-BACKUP");
    app.insert_licenses(order, 1, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.sqlite3");
    let out = keyfold(&db).arg("backup").arg(&file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if db.url().starts_with("postgres") {
        assert!(!out.status.success());
        assert!(text.contains("pg_dump"), "{text}");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(text.contains("secret key is not in it"), "{text}");
    let url = format!("sqlite://{}", file.display());
    let mut copy = keyfold::db::open_single(&url).expect("the copy opens");
    let references: Vec<String> = orders::table
        .select(orders::reference)
        .load(&mut copy)
        .unwrap();
    assert_eq!(references, ["ORD-BACKUP"]);
    let again = keyfold(&db).arg("backup").arg(&file).output().unwrap();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    drop(app);
}
