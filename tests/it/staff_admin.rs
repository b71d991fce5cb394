//! Staff administration: invite through a one-time link (reuse and expiry refused),
//! role changes, disable, last-admin protection; the audit log page and its filters.

use diesel::prelude::*;
use keyfold::db::schema::tokens;
use keyfold::domain::Role;

use crate::helpers::{client, csrf_in, location, TestApp, PASSWORD};

/// The one-time link shown on the page after creating a user.
fn link_in(html: &str) -> String {
    let start = html
        .find("/account/setup/")
        .expect("a one-time link on the page");
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

async fn setup(
    app: &TestApp,
    c: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let page = c.get(app.url(link)).send().await.unwrap();
    let token = match csrf_in(&page.text().await.unwrap()) {
        Some(t) => t,
        None => app.csrf_token_with(c).await,
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
async fn an_admin_invites_a_user_who_sets_a_password_once_through_the_link() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let r = app
        .post_form(
            "/staff",
            &[
                ("email", "New.Person@example.com"),
                ("name", "New Person"),
                ("role", "support"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("shown <strong>only now</strong>"));
    let link = link_in(&html);
    let raw = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(raw.len(), 64, "256 bits, hex");
    let stored: String = tokens::table
        .select(tokens::token_hash)
        .first(&mut app.conn())
        .unwrap();
    assert_ne!(stored, raw, "only a hash is kept");
    // Before the password is set, nobody can sign in as the new user.
    assert_eq!(
        app.sign_in_with(&client(), "new.person@example.com", "", None)
            .await
            .status(),
        422
    );

    let newcomer = client();
    let r = setup(&app, &newcomer, &link, "short").await;
    assert_eq!(
        r.status(),
        422,
        "a too-short password is refused, the link still works"
    );
    let r = setup(&app, &newcomer, &link, "a good new password").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
    assert_eq!(
        app.sign_in_with(
            &newcomer,
            "new.person@example.com",
            "a good new password",
            None
        )
        .await
        .status(),
        303
    );
    let page = newcomer
        .get(app.url("/orders"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(">Support<"));

    // The link works once.
    let again = client();
    let r = again.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("already used"));
    let r = setup(&app, &again, &link, "another password!").await;
    assert_eq!(r.status(), 410);
    assert_eq!(
        app.sign_in_with(
            &client(),
            "new.person@example.com",
            "another password!",
            None
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        client()
            .get(app.url("/account/setup/nonsense"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn an_expired_link_is_refused_and_a_new_link_replaces_the_old() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let html = app
        .post_form(
            "/staff",
            &[
                ("email", "late@example.com"),
                ("name", "Late"),
                ("role", "read_only"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let first = link_in(&html);
    diesel::update(tokens::table)
        .set(tokens::expires_at.eq(keyfold::models::now() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();
    let r = client().get(app.url(&first)).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("expired"));
    assert_eq!(
        setup(&app, &client(), &first, "a good new password")
            .await
            .status(),
        410
    );

    let user: i64 = keyfold::models::staff::find_by_email(&mut app.conn(), "late@example.com")
        .unwrap()
        .unwrap()
        .id
        .into();
    let html = app
        .post_form(&format!("/staff/{user}/link"), &[])
        .await
        .text()
        .await
        .unwrap();
    let second = link_in(&html);
    assert_ne!(first, second);
    assert_eq!(
        setup(&app, &client(), &second, "a good new password")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn roles_change_at_once_nobody_changes_their_own_and_the_last_admin_stays() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let other = client();
    let user = app.create_staff("sam@example.com", Role::StaffManager);
    app.sign_in_with(&other, "sam@example.com", PASSWORD, None)
        .await;
    assert_eq!(
        other
            .get(app.url("/products/new"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let r = app
        .post_form(
            &format!("/staff/{}/role", user.id),
            &[("role", "read_only")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        other
            .get(app.url("/products/new"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "applies on the next request"
    );
    assert!(app
        .get(&format!("/staff/{}", user.id))
        .await
        .text()
        .await
        .unwrap()
        .contains("staff.role_changed"));

    // Own role: refused. Last admin: cannot be disabled or demoted (here: by themself).
    app.post_form(&format!("/staff/{}/role", admin.id), &[("role", "support")])
        .await;
    assert!(app
        .get(&format!("/staff/{}", admin.id))
        .await
        .text()
        .await
        .unwrap()
        .contains("Nobody can change their own role."));
    let me = keyfold::models::staff::find(&mut app.conn(), admin.staff_id())
        .unwrap()
        .unwrap();
    assert_eq!(me.role(), Role::Admin);
    // A second admin tries to demote the first while the first is the only other admin: allowed,
    // then the second cannot disable themselves as the last admin.
    app.post_form(&format!("/staff/{}/role", user.id), &[("role", "admin")])
        .await;
    let as_sam = client();
    app.sign_in_with(&as_sam, "sam@example.com", PASSWORD, None)
        .await;
    let token = app.csrf_token_with(&as_sam).await;
    let r = as_sam
        .post(app.url(&format!("/staff/{}/role", admin.id)))
        .form(&[("csrf_token", token.as_str()), ("role", "manager")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(&format!("/staff/{}/disable", user.id), &[])
        .await;
    assert_eq!(
        r.status(),
        403,
        "the demoted first admin may no longer administer staff"
    );
    let r = as_sam
        .post(app.url(&format!("/staff/{}/disable", user.id)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = as_sam
        .get(app.url(&format!("/staff/{}", user.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Disable user"),
        "no disable button on one's own page"
    );
    let sam = keyfold::models::staff::find(&mut app.conn(), user.staff_id())
        .unwrap()
        .unwrap();
    assert!(
        sam.active && sam.role() == Role::Admin,
        "the last active admin stays"
    );
}

#[tokio::test]
async fn disabling_a_user_from_the_admin_page_ends_their_sessions() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let victim = client();
    let user = app.create_staff("gone@example.com", Role::Support);
    app.sign_in_with(&victim, "gone@example.com", PASSWORD, None)
        .await;
    assert_eq!(
        victim
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.post_form(&format!("/staff/{}/disable", user.id), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        victim
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        app.sign_in_with(&client(), "gone@example.com", PASSWORD, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_form(&format!("/staff/{}/enable", user.id), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.sign_in_with(&client(), "gone@example.com", PASSWORD, None)
            .await
            .status(),
        303
    );
    let list = app.get("/staff").await.text().await.unwrap();
    assert!(list.contains("gone@example.com") && list.contains("Support"));
}

#[tokio::test]
async fn only_admins_reach_staff_administration() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    assert_eq!(app.get("/staff").await.status(), 403);
    let r = app
        .post_form(
            "/staff",
            &[("email", "x@example.com"), ("name", "X"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("staff_users"), 1);
    assert!(!app
        .get("/orders")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/staff\""));
}

#[tokio::test]
async fn the_audit_log_is_filtered_by_actor_object_action_and_date() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    app.post_form("/labels", &[("name", "VIP"), ("colour", "#dc2626")])
        .await;
    app.post_form("/customers", &[("email", "a@example.com")])
        .await;
    let other = client();
    let sup = app.create_staff("sup@example.com", Role::Support);
    app.sign_in_with(&other, "sup@example.com", PASSWORD, None)
        .await;
    let token = app.csrf_token_with(&other).await;
    other
        .post(app.url("/customers"))
        .form(&[("csrf_token", token.as_str()), ("email", "b@example.com")])
        .send()
        .await
        .unwrap();

    let page = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.get(&format!("/audit-log?{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    page("").await; // shows (and clears) the flash messages of the changes above
    let all = page("").await;
    for action in ["label.created", "customer.created", "staff.signed_in"] {
        assert!(all.contains(action), "{action}");
    }
    let (b_at, a_at) = (
        all.find("b@example.com").unwrap(),
        all.find("a@example.com").unwrap(),
    );
    assert!(b_at < a_at, "newest first");
    let by_sup = page(&format!("actor=staff%3A{}", sup.id)).await;
    assert!(
        by_sup.contains("b@example.com")
            && !by_sup.contains("a@example.com")
            && !by_sup.contains("label.created")
    );
    let by_admin = page(&format!("actor=staff%3A{}", admin.id)).await;
    assert!(by_admin.contains("a@example.com") && !by_admin.contains("b@example.com"));
    let labels = page("object_type=label").await;
    assert!(labels.contains("label.created") && !labels.contains("customer.created"));
    let customers = page("action=customer.").await;
    assert!(
        customers.contains("a@example.com")
            && customers.contains("b@example.com")
            && !customers.contains("label.created")
    );
    let today = chrono::Utc::now().date_naive();
    assert!(page(&format!("from={today}&to={today}"))
        .await
        .contains("customer.created"));
    assert!(page("to=2001-01-01").await.contains("No entries match."));
    let r = app.get("/audit-log?from=soon").await;
    assert_eq!(r.status(), 422);
    // Each entry says from where, and shows the whitelisted fields only.
    assert!(all.contains("127.0.0.1"));
    assert!(!all.contains("password_hash") && !all.contains("$2b$"));
}

#[test]
fn no_route_can_change_or_delete_audit_entries() {
    for route in keyfold::web::routes::table() {
        if route.path.starts_with("/audit-log") {
            assert_eq!(route.method, actix_web::http::Method::GET, "{}", route.path);
        }
    }
}
