//! The outbox under faults: a process killed after committing and before sending, and
//! two instances polling one database. Real SMTP on loopback, real processes.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use keyfold::db::schema::outbox;

use crate::cli::keyfold;
use crate::helpers::smtp::{stalling_server, SmtpServer};
use crate::helpers::{TestApp, TestDb};
use crate::license_managers::smtp_config;

/// Waits (up to 30 s) until every email is marked sent: the mark follows the SMTP
/// server's answer, and a loaded machine may take a moment.
async fn wait_all_sent(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = outbox_rows(app);
        if rows.iter().all(|(_, s, _)| s == "sent") {
            return;
        }
        assert!(Instant::now() < deadline, "not all sent: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn outbox_rows(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    outbox::table
        .select((outbox::message_id, outbox::status, outbox::claimed_by))
        .order(outbox::id.asc())
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn an_email_claimed_by_a_killed_process_is_sent_after_a_restart() {
    let db = TestDb::fresh();
    // `keyfold demo` queues the demo managers' emails and its worker starts sending them
    // to a server that accepts the connection and never answers: mid-exchange.
    let (stall, connections) = stalling_server();
    let mut child = keyfold(&db)
        .arg("demo")
        .env("KEYFOLD_BIND", "127.0.0.1:0")
        .env("KEYFOLD_SMTP_URL", format!("smtp://127.0.0.1:{stall}"))
        .env("KEYFOLD_MAIL_LEASE_SECONDS", "1")
        .env("KEYFOLD_MAIL_RETRY_BASE_SECONDS", "0.2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while *connections.lock().unwrap() == 0 {
        assert!(Instant::now() < deadline, "the worker never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // After the restart, with a working server, every email goes out exactly once,
    // with the Message-ID it was queued with.
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_on(TestDb::borrowed(&db), smtp_config(smtp.url()), None).await;
    let queued = outbox_rows(&app);
    assert!(queued.len() >= 3, "the demo queued its managers' emails");
    assert!(
        queued
            .iter()
            .any(|(_, status, by)| status == "queued" && by.is_some()),
        "the killed process had claimed emails it never sent: {queued:?}"
    );
    smtp.wait_count(queued.len(), 30).await;
    wait_all_sent(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = smtp.mails();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in smtp.mails() {
        *seen.entry(m.message_id()).or_default() += 1;
    }
    assert_eq!(mails.len(), queued.len());
    for (id, status, _) in outbox_rows(&app) {
        assert_eq!(status, "sent", "{id}");
        assert_eq!(seen.get(&id), Some(&1), "{id} sent once");
    }
    drop(db);
}

/// Queues `n` emails in one transaction while no worker runs.
fn queue(app: &TestApp, n: usize) {
    let mut conn = app.conn();
    let config = crate::helpers::test_config(app.db.url());
    let key = keyfold::models::settings::server_secret(&mut conn, &config).unwrap();
    let mailer = keyfold::mail::Mailer::new(&key, &config);
    keyfold::db::write_tx(&mut conn, |conn| {
        for n in 0..n {
            let mut data = mailer.data(&format!("Person {n}"), &format!("p{n}@customer.example"));
            data.order_reference = format!("ORD-{n}");
            let email = keyfold::mail::emails::render(keyfold::mail::Kind::Granted, &data, None);
            keyfold::mail::outbox::enqueue(conn, &mailer, email)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_email_once() {
    let smtp = SmtpServer::start();
    let first = TestApp::spawn_with(|_| {}, None).await;
    queue(&first, 40);
    // Two instances start polling the same database at once.
    let a = TestApp::spawn_on(TestDb::borrowed(&first.db), smtp_config(smtp.url()), None).await;
    let b = TestApp::spawn_on(TestDb::borrowed(&first.db), smtp_config(smtp.url()), None).await;
    smtp.wait_count(40, 30).await;
    wait_all_sent(&a).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = smtp.mails();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &mails {
        *seen.entry(m.message_id()).or_default() += 1;
    }
    assert_eq!(
        mails.len(),
        40,
        "each of the 40 emails once, not {}",
        mails.len()
    );
    assert!(seen.values().all(|n| *n == 1));
    let rows = outbox_rows(&a);
    assert!(rows.iter().all(|(_, s, _)| s == "sent"), "{rows:#?}");
    let workers: std::collections::HashSet<_> =
        rows.iter().filter_map(|(_, _, by)| by.clone()).collect();
    assert!(!workers.is_empty());
    drop(b);
}

#[tokio::test]
async fn two_instances_and_a_slow_server_send_each_email_once() {
    // A relay that takes 0.7 s per message, and claims of 2 s: a batch of emails claimed
    // at once would outlive its lease while the first were sent, and the other instance
    // would send the rest again.
    let smtp = SmtpServer::start_slow(Duration::from_millis(700));
    let first = TestApp::spawn_with(|_| {}, None).await;
    queue(&first, 8);
    let slow = |c: &mut keyfold::config::Config| {
        smtp_config(smtp.url())(c);
        c.mail.lease = Duration::from_secs(2);
    };
    let a = TestApp::spawn_on(TestDb::borrowed(&first.db), slow, None).await;
    let b = TestApp::spawn_on(TestDb::borrowed(&first.db), slow, None).await;
    smtp.wait_count(8, 30).await;
    wait_all_sent(&a).await;
    // Time for any second copy to arrive.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mails = smtp.mails();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &mails {
        *seen.entry(m.message_id()).or_default() += 1;
    }
    assert_eq!(mails.len(), 8, "each of the 8 emails once: {seen:?}");
    drop(b);
}
