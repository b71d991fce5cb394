//! License managers: added on an order's tab, invited by email through the outbox (a
//! real SMTP server on loopback), choosing a password through the link, resend/revoke/
//! expiry voiding links, the Notifications page never showing a live link, forgot
//! password, throttling across addresses and accounts, disabling.

use std::time::Duration;

use keyfold::config::{Config, Secret};
use keyfold::domain::Role;

use crate::helpers::smtp::{closed_port, Mail, SmtpServer};
use crate::helpers::{client, csrf_in, location, TestApp, PASSWORD};

/// Configures the app to send through `url`, retrying quickly.
pub fn smtp_config(url: String) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.smtp_url = Some(Secret::new(url));
        c.mail.retry_base = Duration::from_millis(200);
        c.mail.max_attempts = 40;
        c.mail.lease = Duration::from_secs(60);
    }
}

/// An app sending to a fresh SMTP server, with an admin signed in and an order.
async fn app_with_mail() -> (TestApp, SmtpServer, i64) {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(smtp_config(smtp.url()), None).await;
    app.signed_in_as("admin@vendor.example", Role::Admin).await;
    let order = app.insert_order(None, "ORD-LM-1");
    (app, smtp, order)
}

async fn add_manager(app: &TestApp, order: i64, email: &str, perms: &[&str]) -> reqwest::Response {
    let mut fields = vec![("email", email), ("name", "Lee Licenses")];
    fields.extend(perms.iter().map(|p| ("permissions", *p)));
    app.post_form(&format!("/orders/{order}/managers"), &fields)
        .await
}

async fn invite(smtp: &SmtpServer, to: &str, nth: usize) -> (Mail, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mails: Vec<Mail> = smtp
            .mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.contains(to)) && m.link("/portal/invite/").is_some())
            .collect();
        if let Some(m) = mails.get(nth) {
            let link = m.link("/portal/invite/").unwrap();
            return (m.clone(), link);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "invite #{nth} to {to} did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GETs a link with a fresh client; returns (status, body).
async fn open(app: &TestApp, c: &reqwest::Client, link: &str) -> (u16, String) {
    let r = c.get(app.url(link)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// Submits the choose-password form of a link.
async fn choose(
    app: &TestApp,
    c: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let r = c.get(app.url(link)).send().await.unwrap();
    let token = match csrf_in(&r.text().await.unwrap()) {
        Some(t) => t,
        // A dead link shows no form: take this browser's token from the sign-in page.
        None => {
            let page = c.get(app.url("/portal/login")).send().await.unwrap();
            csrf_in(&page.text().await.unwrap()).unwrap()
        }
    };
    c.post(app.url(link))
        .form(&[
            ("csrf_token", token.as_str()),
            ("new_password", password),
            ("confirm_password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invited_manager_follows_the_emailed_link_sets_a_password_and_is_signed_in() {
    let (app, smtp, order) = app_with_mail().await;
    let r = add_manager(
        &app,
        order,
        "lee@customer.example",
        &["reset_device", "reset_license"],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (mail, link) = invite(&smtp, "lee@customer.example", 0).await;
    assert!(
        mail.subject().contains("ORD-LM-1"),
        "subject names the order: {}",
        mail.subject()
    );
    assert!(
        mail.text().contains("Reset device, Reset license"),
        "the email lists the permissions"
    );
    assert!(
        mail.text().contains(&format!("{}{link}", app.address)),
        "the link is built from the public URL"
    );

    // The order's tab shows the manager, pending, with their permissions.
    let tab = app
        .get(&format!("/orders/{order}/managers"))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("lee@customer.example") && tab.contains("Pending"));

    // Opening the link (twice, as a mail scanner and the person would) uses nothing up.
    let manager = client();
    for _ in 0..2 {
        let r = manager.get(app.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(r.text().await.unwrap().contains("Choose your password"));
    }
    // A short password is refused beside the field, and the link still works.
    let r = choose(&app, &manager, &link, "short").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least"));

    let r = choose(&app, &manager, &link, "a good long password").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal");
    let home = manager.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(home.status(), 200, "signed in by setting the password");
    let home = home.text().await.unwrap();
    assert!(home.contains("ORD-LM-1") && home.contains("Reset device, Reset license"));

    // The link is used up: a clear page, no form, nobody signed in.
    let stranger = client();
    let (status, body) = open(&app, &stranger, &link).await;
    assert_eq!(status, 410);
    assert!(body.contains("already used") && !body.contains("new_password"));
    assert_eq!(
        stranger
            .get(app.url("/portal"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    // The password works at the sign-in page; the tab now says Accepted.
    let again = client();
    let r = app
        .portal_sign_in_with(&again, "lee@customer.example", "a good long password")
        .await;
    assert_eq!(r.status(), 303);
    let tab = app
        .get(&format!("/orders/{order}/managers"))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("Accepted"));

    // No page for staff ever shows the live token.
    let token = link.trim_start_matches("/portal/invite/");
    let list = app.get("/notifications").await.text().await.unwrap();
    assert!(list.contains("lee@customer.example"));
    let id = app
        .outbox(10)
        .iter()
        .find(|r| r.template == "invite")
        .unwrap()
        .id;
    let shown = app
        .get(&format!("/notifications/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("[invite link]"),
        "the link shows as a placeholder"
    );
    for page in [list, shown, tab] {
        assert!(!page.contains(token), "a page shows the live token");
    }
    // The sealed token was erased once the email was sent.
    let sealed: Vec<Option<String>> = {
        use diesel::prelude::*;
        keyfold::db::schema::outbox::table
            .select(keyfold::db::schema::outbox::sealed_token)
            .load(&mut app.conn())
            .unwrap()
    };
    assert!(
        sealed.iter().all(Option::is_none),
        "sent emails keep no token"
    );
}

#[tokio::test]
async fn resend_revoke_and_expiry_void_links() {
    let (app, smtp, order) = app_with_mail().await;
    assert_eq!(
        add_manager(&app, order, "kim@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );
    let (_, first) = invite(&smtp, "kim@customer.example", 0).await;
    let grant = newest_grant(&app);

    // Resend: a new link; the first stops working.
    let r = app
        .post_form(&format!("/orders/{order}/managers/{grant}/resend"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let (_, second) = invite(&smtp, "kim@customer.example", 1).await;
    assert_ne!(first, second);
    assert_eq!(open(&app, &client(), &first).await.0, 410);
    assert_eq!(open(&app, &client(), &second).await.0, 200);

    // Revoke: the live link stops working too, and the tab says Revoked.
    let r = app
        .post_form(&format!("/orders/{order}/managers/{grant}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let (status, body) = open(&app, &client(), &second).await;
    assert_eq!(status, 410);
    assert!(!body.contains("new_password"));
    assert!(app
        .get(&format!("/orders/{order}/managers"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Revoked"));

    // Resend after a revoke: pending again, with a working link, until it expires.
    app.post_form(&format!("/orders/{order}/managers/{grant}/resend"), &[])
        .await;
    let (_, third) = invite(&smtp, "kim@customer.example", 2).await;
    assert_eq!(open(&app, &client(), &third).await.0, 200);
    {
        use diesel::prelude::*;
        use keyfold::db::schema::tokens;
        diesel::update(tokens::table)
            .set(tokens::expires_at.eq(keyfold::models::now() - chrono::Duration::minutes(1)))
            .execute(&mut app.conn())
            .unwrap();
    }
    let (status, body) = open(&app, &client(), &third).await;
    assert_eq!(status, 410);
    assert!(body.contains("expired"), "an expired link says so");
    let r = choose(&app, &client(), &third, "a good long password").await;
    assert_eq!(r.status(), 410, "an expired link sets no password");
    assert!(app
        .get(&format!("/orders/{order}/managers"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Expired"));

    // "Copy new invite link" is for vendors without SMTP: here it is neither offered nor
    // done.
    let tab = app.page(&format!("/orders/{order}/managers")).await;
    assert!(
        !tab.contains("Copy new invite link"),
        "not offered with SMTP"
    );
    let before = crate::role_matrix::snapshot(&app);
    let r = app
        .post_form(&format!("/orders/{order}/managers/{grant}/link"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(crate::role_matrix::snapshot(&app), before, "no link issued");
    assert!(app
        .page(&format!("/orders/{order}/managers"))
        .await
        .contains("use Resend invite"));
}

fn newest_grant(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use keyfold::db::schema::manager_grants;
    manager_grants::table
        .select(diesel::dsl::max(manager_grants::id))
        .first::<Option<i64>>(&mut app.conn())
        .unwrap()
        .expect("a grant")
}

#[tokio::test]
async fn an_existing_manager_gets_a_notice_and_permissions_change_per_order() {
    let (app, smtp, order) = app_with_mail().await;
    let other = app.insert_order(None, "ORD-LM-2");
    app.create_license_manager("pat@customer.example");
    let r = add_manager(&app, order, "pat@customer.example", &["reset_device"]).await;
    assert_eq!(r.status(), 303);
    let notice = smtp
        .wait_for("pat@customer.example", |m| m.subject().contains("ORD-LM-1"))
        .await;
    assert!(
        notice.link("/portal/invite/").is_none(),
        "someone with a password gets no invite link"
    );
    assert_eq!(
        add_manager(
            &app,
            other,
            "pat@customer.example",
            &["issue_license", "create_order"]
        )
        .await
        .status(),
        303
    );

    // One account, two grants with their own permissions.
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, "pat@customer.example", PASSWORD)
            .await
            .status(),
        303
    );
    let home = c
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("ORD-LM-1") && home.contains("ORD-LM-2"));
    assert!(home.contains("Create order, Issue license"));

    // Adding the same person twice is refused beside the email field; nothing changes.
    let before = app.count("manager_grants");
    let r = add_manager(&app, order, "PAT@customer.example", &[]).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("already manages this order"));
    assert_eq!(app.count("manager_grants"), before);
    // A tampered permission is refused; a good edit is saved.
    let grant = newest_grant(&app);
    let r = app
        .post_form(
            &format!("/orders/{other}/managers/{grant}/permissions"),
            &[("permissions", "root")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_form(
            &format!("/orders/{other}/managers/{grant}/permissions"),
            &[("permissions", "borrow_license")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let home = c
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Borrow license") && !home.contains("Create order, Issue license"));
    // A grant of another order is not found through this order's URL.
    let r = app
        .post_form(
            &format!("/orders/{order}/managers/{grant}/permissions"),
            &[("permissions", "borrow_license")],
        )
        .await;
    assert_eq!(r.status(), 404);

    // Removing takes the order off the dashboard at once.
    let r = app
        .get(&format!("/orders/{other}/managers/{grant}/remove"))
        .await;
    assert!(r.text().await.unwrap().contains("Remove license manager"));
    assert_eq!(
        app.post_form(&format!("/orders/{other}/managers/{grant}/remove"), &[])
            .await
            .status(),
        303
    );
    let home = c
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("ORD-LM-1") && !home.contains("ORD-LM-2"));
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_is_sent_once_it_is_up() {
    let port = closed_port();
    let app = TestApp::spawn_with(smtp_config(format!("smtp://127.0.0.1:{port}")), None).await;
    app.signed_in_as("admin@vendor.example", Role::Admin).await;
    let order = app.insert_order(None, "ORD-LM-3");
    assert_eq!(
        add_manager(&app, order, "sky@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );

    // The worker tries, fails, and records why; the email stays queued.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let row = loop {
        let rows = app.outbox(10);
        if let Some(r) = rows.into_iter().find(|r| r.attempts >= 2) {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never tried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.status, "queued");
    assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    let page = app
        .get("/notifications?status=queued")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("sky@customer.example"));

    // The server comes up: the email is sent, once.
    let smtp = SmtpServer::start_on(port);
    let (_, link) = invite(&smtp, "sky@customer.example", 0).await;
    assert_eq!(open(&app, &client(), &link).await.0, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = keyfold::mail::outbox::find(&mut app.conn(), row.id)
            .unwrap()
            .unwrap();
        if r.status == "sent" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never marked sent: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), 1, "sent once");
}

#[tokio::test]
async fn without_smtp_mail_stays_queued_and_resend_issues_a_fresh_link() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@vendor.example", Role::Admin).await;
    let order = app.insert_order(None, "ORD-LM-4");
    assert_eq!(
        add_manager(&app, order, "ash@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );
    let grant = newest_grant(&app);
    // Without SMTP, "Copy new invite link" is offered: shown once to staff, with a copy
    // button; the link works and the manager's page records that staff handed it over.
    let tab = app.page(&format!("/orders/{order}/managers")).await;
    assert!(tab.contains("Copy new invite link"));
    let r = app
        .post_form(&format!("/orders/{order}/managers/{grant}/link"), &[])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Copy link"), "a copy button");
    let start = page.find("/portal/invite/").unwrap();
    let link: String = page[start..].chars().take(15 + 64).collect();
    assert_eq!(open(&app, &client(), &link).await.0, 200);
    let manager =
        keyfold::models::license_manager::find_by_email(&mut app.conn(), "ash@customer.example")
            .unwrap()
            .unwrap();
    let shown = app.page(&format!("/license-managers/{}", manager.id)).await;
    assert!(
        shown.contains("Staff handed over a new invite link"),
        "{shown}"
    );
    assert!(
        !shown.contains(&link[15..]),
        "the manager's page keeps no link"
    );
    let audit = app
        .page("/audit-log?action=license_manager.invite_link_issued")
        .await;
    assert!(audit.contains("ash@customer.example"), "audited");
    assert!(!audit.contains(&link[15..]), "the audit log keeps no link");

    // Resend from the Notifications page: a new queued email, the copied link voided.
    let rows = app.outbox(10);
    let invite = rows.iter().find(|r| r.template == "invite").unwrap();
    assert_eq!(
        invite.status, "failed",
        "the emailed link was replaced by the copied one"
    );
    let r = app
        .post_form(&format!("/notifications/{}/resend", invite.id), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(open(&app, &client(), &link).await.0, 410);
    let rows = app.outbox(10);
    assert_eq!(rows[0].status, "queued");
    assert_eq!(rows[0].template, "invite");
    assert!(rows[0].attempts == 0);

    // The queued email keeps its token sealed, never in the clear, until it expires.
    use diesel::prelude::*;
    use keyfold::db::schema::outbox;
    let sealed: Option<String> = outbox::table
        .find(rows[0].id)
        .select(outbox::sealed_token)
        .first(&mut app.conn())
        .unwrap();
    let sealed = sealed.expect("a queued invite keeps its sealed token");
    assert!(sealed.len() > 64 && !rows[0].body_text.contains(&sealed));
    diesel::update(outbox::table)
        .set(outbox::token_expires_at.eq(keyfold::models::now() - chrono::Duration::seconds(1)))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        keyfold::mail::outbox::erase_expired_tokens(&mut app.conn()).unwrap(),
        1
    );
    let left: i64 = outbox::table
        .filter(outbox::sealed_token.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0, "expired tokens are erased");
}

#[tokio::test]
async fn forgot_password_answers_alike_sends_once_per_five_minutes_and_ends_other_sessions() {
    let (app, smtp, order) = app_with_mail().await;
    app.create_license_manager("max@customer.example");
    assert_eq!(
        add_manager(&app, order, "max@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );
    // A session elsewhere, which the reset must end.
    let elsewhere = client();
    assert_eq!(
        app.portal_sign_in_with(&elsewhere, "max@customer.example", PASSWORD)
            .await
            .status(),
        303
    );

    let ask = |email: &'static str| {
        let app = &app;
        async move {
            let c = client();
            let page = c
                .get(app.url("/portal/forgot-password"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let token = csrf_in(&page).unwrap();
            let r = c
                .post(app.url("/portal/forgot-password"))
                .form(&[("csrf_token", token.as_str()), ("email", email)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["referrer-policy"], "no-referrer");
            (
                r.status().as_u16(),
                r.text().await.unwrap().replace(email, "EMAIL"),
            )
        }
    };
    // An account with no grant left and a disabled one get nothing either.
    app.create_license_manager("idle@customer.example");
    let off = app.create_license_manager("off@customer.example");
    add_manager(&app, order, "off@customer.example", &["reset_device"]).await;
    keyfold::models::license_manager::set_enabled(
        &mut app.conn(),
        &keyfold::models::audit::Actor::system("test"),
        off.id,
        false,
    )
    .unwrap();
    let known = ask("max@customer.example").await;
    let unknown = ask("nobody@customer.example").await;
    assert_eq!(ask("idle@customer.example").await.1, known.1);
    assert_eq!(ask("off@customer.example").await.1, known.1);
    assert_eq!(known.0, 200);
    assert_eq!(
        known, unknown,
        "the same answer whether the address has an account"
    );
    let mail = smtp
        .wait_for("max@customer.example", |m| {
            m.link("/portal/reset-password/").is_some()
        })
        .await;
    let link = mail.link("/portal/reset-password/").unwrap();

    // Asking again within five minutes sends nothing more.
    assert_eq!(ask("max@customer.example").await, known);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let resets = smtp
        .mails()
        .iter()
        .filter(|m| m.link("/portal/reset-password/").is_some())
        .count();
    assert_eq!(resets, 1);
    for nobody in ["nobody@", "idle@", "off@"] {
        assert!(
            smtp.mails()
                .iter()
                .filter(|m| m.to.iter().any(|t| t.contains(nobody)))
                .all(|m| m.link("/portal/reset-password/").is_none()),
            "no reset link to {nobody}"
        );
    }

    // The link sets a new password once, ends the other session and sends a notice.
    let me = client();
    let r = choose(&app, &me, &link, "my brand new password").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        me.get(app.url("/portal")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        elsewhere
            .get(app.url("/portal"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other session ended"
    );
    assert_eq!(
        open(&app, &client(), &link).await.0,
        410,
        "the link works once"
    );
    smtp.wait_for("max@customer.example", |m| {
        m.subject().contains("password was changed")
    })
    .await;
    assert_eq!(
        app.portal_sign_in_with(&client(), "max@customer.example", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.portal_sign_in_with(&client(), "max@customer.example", "my brand new password")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn disabling_a_manager_ends_their_sessions_and_voids_their_links() {
    let (app, smtp, order) = app_with_mail().await;
    assert_eq!(
        add_manager(&app, order, "dee@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );
    let (_, link) = invite(&smtp, "dee@customer.example", 0).await;
    let me = client();
    assert_eq!(
        choose(&app, &me, &link, "a good long password")
            .await
            .status(),
        303
    );
    assert_eq!(
        add_manager(
            &app,
            app.insert_order(None, "ORD-LM-5"),
            "eve@customer.example",
            &[]
        )
        .await
        .status(),
        303
    );
    let (_, eve_link) = invite(&smtp, "eve@customer.example", 0).await;

    let id_of = |email: &str| {
        keyfold::models::license_manager::find_by_email(&mut app.conn(), email)
            .unwrap()
            .unwrap()
            .id
    };
    let (dee, eve) = (id_of("dee@customer.example"), id_of("eve@customer.example"));
    let page = app
        .get(&format!("/license-managers/{dee}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ORD-LM-1") && page.contains("license_manager.invite_accepted"),
        "grants and portal activity"
    );
    assert_eq!(
        app.post_form(&format!("/license-managers/{dee}/disable"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        me.get(app.url("/portal")).send().await.unwrap().status(),
        303,
        "their session ended"
    );
    assert_eq!(
        app.post_form(&format!("/license-managers/{eve}/disable"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        open(&app, &client(), &eve_link).await.0,
        410,
        "their invite link no longer works"
    );
    // The list finds them by name or email prefix and by state.
    app.get("/license-managers").await; // shows (and clears) the flash naming eve
    let list = app
        .get("/license-managers?q=de&state=disabled")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("dee@customer.example") && !list.contains("eve@customer.example"),
        "{list}"
    );
    let list = app
        .get("/license-managers?q=EVE")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("eve@customer.example") && !list.contains("dee@customer.example"));
}

#[tokio::test]
async fn support_and_read_only_staff_cannot_manage_license_managers() {
    let app = TestApp::spawn().await;
    let order = app.insert_order(None, "ORD-LM-6");
    for role in [Role::Support, Role::ReadOnly] {
        let c = client();
        let email = format!("{}@vendor.example", role.as_str());
        app.create_staff(&email, role);
        assert_eq!(
            app.sign_in_with(&c, &email, PASSWORD, None).await.status(),
            303
        );
        let page = c
            .get(app.url(&format!("/orders/{order}/managers")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{role:?} sees the tab");
        let page = page.text().await.unwrap();
        assert!(
            !page.contains("Add license manager"),
            "{role:?} gets no add form"
        );
        let token = csrf_in(&page).unwrap();
        let r = c
            .post(app.url(&format!("/orders/{order}/managers")))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "x@y.example"),
                ("name", "X"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{role:?} is refused");
    }
    assert_eq!(app.count("license_managers"), 0);
}

#[tokio::test]
async fn a_manager_changes_their_password_and_signs_out_everywhere_from_the_account_page() {
    let (app, smtp, order) = app_with_mail().await;
    app.create_license_manager("rio@customer.example");
    assert_eq!(
        add_manager(&app, order, "rio@customer.example", &["reset_device"])
            .await
            .status(),
        303
    );
    let (me, other) = (client(), client());
    for c in [&me, &other] {
        assert_eq!(
            app.portal_sign_in_with(c, "rio@customer.example", PASSWORD)
                .await
                .status(),
            303
        );
    }
    let page = me
        .get(app.url("/portal/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&page).unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let (me, token, app) = (&me, token.clone(), &app);
        async move {
            let mut form = vec![("csrf_token", token)];
            form.extend(fields);
            me.post(app.url("/portal/account/password"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // A wrong current password is refused beside its field.
    let r = post(vec![
        ("current_password", "not my password".into()),
        ("new_password", "a fresh long password".into()),
        ("confirm_password", "a fresh long password".into()),
    ])
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("This is not your current password."));
    let r = post(vec![
        ("current_password", PASSWORD.into()),
        ("new_password", "a fresh long password".into()),
        ("confirm_password", "a fresh long password".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        me.get(app.url("/portal")).send().await.unwrap().status(),
        200,
        "this session stays"
    );
    assert_eq!(
        other.get(app.url("/portal")).send().await.unwrap().status(),
        303,
        "the other ends"
    );
    smtp.wait_for("rio@customer.example", |m| {
        m.subject().contains("password was changed")
    })
    .await;

    // Sign out everywhere ends this session too.
    let page = me
        .get(app.url("/portal/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&page).unwrap();
    let r = me
        .post(app.url("/portal/account/sign-out-everywhere"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        me.get(app.url("/portal")).send().await.unwrap().status(),
        303
    );
    let live: i64 = {
        use diesel::prelude::*;
        use keyfold::db::schema::sessions;
        sessions::table
            .filter(sessions::kind.eq("manager"))
            .filter(sessions::revoked_at.is_null())
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(live, 0);
}

#[tokio::test]
async fn accepting_an_invite_gives_up_the_invite_still_waiting_in_the_outbox() {
    let app = TestApp::spawn().await;
    let demo = app.seed_demo("admin@example.com");
    let link = demo.invite_link.replace(&app.mailer().public_url, "");
    let queued = |app: &TestApp| {
        app.outbox(10)
            .into_iter()
            .find(|r| r.template == "invite")
            .unwrap()
    };
    assert_eq!(queued(&app).status, "queued", "no SMTP: the invite waits");
    let r = choose(&app, &client(), &link, "a good long password").await;
    assert_eq!(r.status(), 303);
    let row = queued(&app);
    assert_eq!(
        row.status, "failed",
        "a later SMTP server must not send a used link"
    );
    assert!(row.last_error.unwrap_or_default().contains("voided"));
}

/// Asks for a reset link for `email` from a fresh client; returns the status.
async fn forgot(app: &TestApp, email: &str) -> u16 {
    let c = client();
    let token = csrf_in(&app.page_with(&c, "/portal/forgot-password").await).unwrap();
    c.post(app.url("/portal/forgot-password"))
        .form(&[("csrf_token", token.as_str()), ("email", email)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_password_change_or_signing_out_everywhere_voids_outstanding_reset_links() {
    let (app, smtp, order) = app_with_mail().await;
    for email in ["max@customer.example", "mia@customer.example"] {
        app.create_license_manager(email);
        add_manager(&app, order, email, &["reset_device"]).await;
        assert_eq!(forgot(&app, email).await, 200);
    }
    let link_of = |to: &'static str| {
        let smtp = &smtp;
        async move {
            smtp.wait_for(to, |m| m.link("/portal/reset-password/").is_some())
                .await
                .link("/portal/reset-password/")
                .unwrap()
        }
    };
    let (max_link, mia_link) = (
        link_of("max@customer.example").await,
        link_of("mia@customer.example").await,
    );
    // Max remembers the password after all and changes it; Mia signs out everywhere.
    let max = client();
    app.portal_sign_in_with(&max, "max@customer.example", PASSWORD)
        .await;
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", "another good password"),
        ("confirm_password", "another good password"),
    ];
    assert_eq!(
        app.portal_post(&max, "/portal/account/password", &fields)
            .await,
        303
    );
    let mia = client();
    app.portal_sign_in_with(&mia, "mia@customer.example", PASSWORD)
        .await;
    assert_eq!(
        app.portal_post(&mia, "/portal/account/sign-out-everywhere", &[])
            .await,
        303
    );
    for link in [&max_link, &mia_link] {
        assert_eq!(open(&app, &client(), link).await.0, 410, "{link} voided");
        let r = choose(&app, &client(), link, "a password from the link").await;
        assert_ne!(r.status(), 303, "the old link sets no password");
    }
    assert_eq!(
        app.portal_sign_in_with(&client(), "max@customer.example", "another good password")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.portal_sign_in_with(&client(), "mia@customer.example", PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn forgot_password_is_limited_per_address_whatever_the_accounts() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@vendor.example", Role::Admin).await;
    let order = app.insert_order(None, "ORD-LM-9");
    let limit = keyfold::models::login_attempt::MAX_RESET_REQUESTS as usize;
    let mut statuses = Vec::new();
    for i in 0..limit + 5 {
        let email = format!("m{i}@customer.example");
        app.create_license_manager(&email);
        add_manager(&app, order, &email, &["reset_device"]).await;
        statuses.push(forgot(&app, &email).await);
    }
    let resets: i64 = {
        use diesel::prelude::*;
        use keyfold::db::schema::outbox;
        outbox::table
            .filter(outbox::link_kind.eq("reset"))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(resets as usize, limit, "one address sends at most {limit}");
    assert_eq!(statuses[..limit], vec![200; limit]);
    assert_eq!(statuses[limit..], vec![429; 5]);
    // An unknown address is answered alike, and counted alike.
    assert_eq!(forgot(&app, "nobody@customer.example").await, 429);
}

#[tokio::test]
async fn flash_messages_never_overflow_the_session_cookie() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@vendor.example", Role::Admin).await;
    let order = app.insert_order(None, "ORD-LM-8");
    let long = format!("{}@customer.example", "a".repeat(60));
    app.create_license_manager(&long);
    add_manager(&app, order, &long, &["reset_device"]).await;
    let grant = newest_grant(&app);
    // A client that never follows its redirects (nor opens any page): each refusal
    // queues a flash.
    let revoke = app.url(&format!("/orders/{order}/managers/{grant}/revoke"));
    let token = app.csrf_token().await;
    for i in 0..40 {
        let r = app
            .client
            .post(&revoke)
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "request {i}");
    }
    // The next page shows only the newest few messages, and the client can still act
    // (the session cookie did not outgrow 4 KB).
    let page = app.page(&format!("/orders/{order}/managers")).await;
    let shown = page.matches("Only a pending invite can be revoked").count();
    assert_eq!(shown, keyfold::auth::cookie::MAX_FLASHES, "{page}");
    let r = app
        .post_form(
            &format!("/orders/{order}/managers/{grant}/permissions"),
            &[("permissions", "reset_license")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = app.page(&format!("/orders/{order}/managers")).await;
    assert!(page.contains(&format!("Permissions of {long} saved.")));
}
