//! Customers: create, bad input, search and filters, pagination, edit and conflicts,
//! labels, disable/enable, soft delete and restore, roles.

use keyfold::domain::Role;

use crate::helpers::{client, id_from_location, location, version_in, TestApp, PASSWORD};

/// The new-customer form's fields (also used by other modules' tests).
pub fn customer<'a>(
    email: &'a str,
    first: &'a str,
    last: &'a str,
    company: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("first_name", first),
        ("last_name", last),
        ("company", company),
        ("phone", "+44 20 7946 0000"),
        ("reference", "CRM-1"),
        ("external_id", ""),
        ("address_line1", "1 Main Street"),
        ("address_line2", ""),
        ("postcode", "LS1"),
        ("city", "Leeds"),
        ("state", ""),
        ("country", "GB"),
        ("customer_account_id", ""),
        ("metadata", "{\"plan\": \"pro\"}"),
        ("status", "active"),
    ]
}

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> i64 {
    let r = app.post_form("/customers", fields).await;
    assert_eq!(r.status(), 303, "create customer");
    id_from_location(&r)
}

async fn create_account(app: &TestApp, name: &str, code: &str) -> i64 {
    let r = app
        .post_form(
            "/customer-accounts",
            &[("name", name), ("code", code), ("description", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    id_from_location(&r)
}

#[tokio::test]
async fn support_creates_a_customer_and_the_detail_view_shows_everything() {
    let app = TestApp::spawn().await;
    app.create_staff("admin@example.com", Role::Admin);
    app.signed_in_as("sup@example.com", Role::Support).await;
    let id = create(
        &app,
        &customer("Ada@Example.com", "Ada", "Lovelace", "Analytical Engines"),
    )
    .await;
    let page = app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap();
    for expected in [
        "Ada Lovelace",
        "Ada@Example.com",
        "Analytical Engines",
        "Leeds",
        "plan",
        "customer.created",
        "No orders.",
    ] {
        assert!(page.contains(expected), "detail view lacks {expected}");
    }
}

#[tokio::test]
async fn bad_customer_input_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    create(&app, &customer("taken@example.com", "T", "T", "")).await;
    let long = "x".repeat(201);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("email", "not-an-email", "is not a valid email address"),
        (
            "email",
            "TAKEN@example.com",
            "Another customer has this email address.",
        ),
        ("metadata", "[1, 2]", "must be a JSON object"),
        ("metadata", "{oops", "Not valid JSON"),
        (
            "customer_account_id",
            "99999",
            "Choose an account from the list.",
        ),
        (
            "customer_account_id",
            "abc",
            "Choose an account from the list.",
        ),
        ("first_name", &long, "At most 200 characters."),
        ("status", "deleted", "Choose active or disabled."),
    ];
    for (field, value, message) in cases {
        let mut fields = customer("new@example.com", "New", "Person", "Co");
        for f in fields.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let r = app.post_form("/customers", &fields).await;
        assert_eq!(r.status(), 422, "{field}={value:?}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(message),
            "{field}={value:?}: expected {message:?}"
        );
        assert!(body.contains("value=\"Person\""), "the input is kept");
        assert_eq!(app.count("customers"), 1, "{field}={value:?} saved nothing");
    }
}

#[tokio::test]
async fn search_by_prefix_and_filter_by_label_account_and_status() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let north = create_account(&app, "Northwind", "NW").await;
    let north_s = north.to_string();
    let mut a = customer("grace.hopper@navy.example", "Grace", "Hopper", "US Navy");
    a[13].1 = &north_s;
    a[5].1 = "REF-777";
    let grace = create(&app, &a).await;
    let linus = create(
        &app,
        &customer("linus@kernel.example", "Linus", "Torvalds", "Kernel Org"),
    )
    .await;
    let list = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.get(&format!("/customers?{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let shows = |html: &str, id: i64| html.contains(&format!("href=\"/customers/{id}\""));
    for (query, g, l) in [
        ("q=GRACE.HOP", true, false),
        ("q=hop", true, false),
        ("q=kernel", false, true),
        ("q=ref-7", true, false),
        ("q=torv", false, true),
        ("q=navy.example", true, false),
        ("q=%40navy", true, false),
        ("q=navy", true, false),
        (&format!("account={north}") as &str, true, false),
    ] {
        let html = list(query).await;
        assert_eq!(
            (shows(&html, grace), shows(&html, linus)),
            (g, l),
            "{query}"
        );
    }
    // Labels.
    let r = app
        .post_form("/labels", &[("name", "Enterprise"), ("colour", "#4f46e5")])
        .await;
    assert_eq!(r.status(), 303);
    let label_id: i64 = {
        use diesel::prelude::*;
        keyfold::db::schema::labels::table
            .select(keyfold::db::schema::labels::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let r = app
        .post_form(
            &format!("/customers/{linus}/labels"),
            &[("label_id", &label_id.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = list(&format!("label={label_id}")).await;
    assert!(!shows(&html, grace) && shows(&html, linus));
    // Status.
    assert_eq!(
        app.post_form(&format!("/customers/{grace}/disable"), &[])
            .await
            .status(),
        303
    );
    let html = list("status=disabled").await;
    assert!(shows(&html, grace) && !shows(&html, linus));
    let html = list("status=active").await;
    assert!(!shows(&html, grace) && shows(&html, linus));
    assert!(app
        .get(&format!("/customers/{grace}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Enable customer"));
    assert_eq!(
        app.post_form(&format!("/customers/{grace}/enable"), &[])
            .await
            .status(),
        303
    );
    assert!(shows(&list("status=active").await, grace));
}

#[tokio::test]
async fn the_list_is_newest_first_and_paginated() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let email = format!("c{i:02}@example.com");
        ids.push(create(&app, &customer(&email, "C", &format!("N{i}"), "")).await);
    }
    let first = app.get("/customers").await.text().await.unwrap();
    assert!(first.contains("c29@example.com") && first.contains("c05@example.com"));
    assert!(!first.contains("c04@example.com"));
    assert!(
        first.find("c29@").unwrap() < first.find("c28@").unwrap(),
        "newest first"
    );
    let _ = &ids;
    assert!(first.contains("1–25 of 30"), "the count");
    let next = "page=2";
    assert!(first.contains(next), "a link to the next page");
    let second = app
        .get(&format!("/customers?q=&label=&account=&status=&{next}"))
        .await
        .text()
        .await
        .unwrap();
    for i in 0..5 {
        assert!(second.contains(&format!("c{i:02}@example.com")));
    }
    assert!(!second.contains("c05@example.com") && !second.contains("Next →"));
    assert!(second.contains("26–30 of 30") && second.contains("← Previous"));
}

#[tokio::test]
async fn editing_a_customer_is_audited_and_a_stale_edit_is_refused() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let id = create(&app, &customer("ada@example.com", "Ada", "Lovelace", "")).await;
    let form = app
        .get(&format!("/customers/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let version = version_in(&form);
    let mut fields = customer("ada@example.com", "Ada", "King", "Engines Ltd");
    fields.push(("updated_at", &version));
    assert_eq!(
        app.post_form(&format!("/customers/{id}"), &fields)
            .await
            .status(),
        303
    );
    let page = app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ada King") && page.contains("customer.updated"));
    assert!(
        page.contains("<del>Lovelace</del>") && page.contains("<ins>King</ins>"),
        "before/after shown"
    );

    let mut stale = customer("ada@example.com", "Ada", "Byron", "");
    stale.push(("updated_at", &version));
    let r = app.post_form(&format!("/customers/{id}"), &stale).await;
    assert_eq!(r.status(), 409);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Someone else changed this customer"));
    assert!(!app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Byron"));
    // Bad input on edit: 422, nothing changed.
    let form = app
        .get(&format!("/customers/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let version = version_in(&form);
    let mut bad = customer("ada@", "Ada", "Nope", "");
    bad.push(("updated_at", &version));
    assert_eq!(
        app.post_form(&format!("/customers/{id}"), &bad)
            .await
            .status(),
        422
    );
    assert!(!app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Nope"));
}

#[tokio::test]
async fn a_customer_with_orders_is_soft_deleted_and_restored_one_without_is_removed() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let with_orders = create(&app, &customer("buyer@example.com", "B", "Buyer", "")).await;
    let without = create(&app, &customer("lurker@example.com", "L", "Lurker", "")).await;
    app.insert_order(Some(with_orders), "ORD-1");

    let confirm = app
        .get(&format!("/customers/{with_orders}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("has 1 order") && confirm.contains("restore"));
    let r = app
        .post_form(&format!("/customers/{with_orders}/delete"), &[])
        .await;
    assert_eq!(location(&r), format!("/customers/{with_orders}"));
    let page = app
        .get(&format!("/customers/{with_orders}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Restore customer") && page.contains("deleted"));
    let list = app.get("/customers").await.text().await.unwrap();
    assert!(!list.contains("buyer@example.com"), "hidden from the list");
    assert!(app
        .get("/customers?status=deleted")
        .await
        .text()
        .await
        .unwrap()
        .contains("buyer@example.com"));
    assert_eq!(app.count("customers"), 2);
    assert_eq!(app.count("orders"), 1, "orders stay");

    // While deleted, the email is free for a new customer…
    let newcomer = create(&app, &customer("BUYER@example.com", "N", "New", "")).await;
    let r = app
        .post_form(&format!("/customers/{with_orders}/restore"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .get(&format!("/customers/{with_orders}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Another live customer now has this email"));
    // …and once that one is gone, the old customer comes back.
    assert_eq!(
        app.post_form(&format!("/customers/{newcomer}/delete"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.post_form(&format!("/customers/{with_orders}/restore"), &[])
            .await
            .status(),
        303
    );
    assert!(app
        .get("/customers")
        .await
        .text()
        .await
        .unwrap()
        .contains("buyer@example.com"));

    let r = app
        .post_form(&format!("/customers/{without}/delete"), &[])
        .await;
    assert_eq!(location(&r), "/customers");
    assert_eq!(
        app.get(&format!("/customers/{without}")).await.status(),
        404
    );
    assert_eq!(app.count("customers"), 1);
}

#[tokio::test]
async fn labels_are_added_and_removed_on_the_detail_view() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let id = create(&app, &customer("ada@example.com", "Ada", "L", "")).await;
    app.post_form("/labels", &[("name", "Partner"), ("colour", "#d97706")])
        .await;
    let label: i64 = {
        use diesel::prelude::*;
        keyfold::db::schema::labels::table
            .select(keyfold::db::schema::labels::id)
            .first(&mut app.conn())
            .unwrap()
    };
    app.post_form(
        &format!("/customers/{id}/labels"),
        &[("label_id", &label.to_string())],
    )
    .await;
    let page = app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Remove Partner"));
    assert_eq!(app.count("customer_labels"), 1);
    let css = app.get("/labels.css").await.text().await.unwrap();
    assert!(css.contains(&format!(".kf-label-{label} {{ background: #d97706; }}")));
    let r = app
        .post_form(&format!("/customers/{id}/labels/{label}/remove"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("customer_labels"), 0);
    assert!(app
        .get(&format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("customer.label_removed"));
}

#[tokio::test]
async fn read_only_staff_cannot_change_customers() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let id = create(&app, &customer("ada@example.com", "Ada", "L", "")).await;
    let ro = client();
    app.create_staff("ro@example.com", Role::ReadOnly);
    app.sign_in_with(&ro, "ro@example.com", PASSWORD, None)
        .await;
    let token = app.csrf_token_with(&ro).await;
    for path in [
        "/customers".to_owned(),
        format!("/customers/{id}/disable"),
        format!("/customers/{id}/delete"),
    ] {
        let mut form = customer("x@example.com", "X", "Y", "");
        form.push(("csrf_token", &token));
        let r = ro.post(app.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    assert_eq!(app.count("customers"), 1);
    let page = ro
        .get(app.url(&format!("/customers/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Edit customer") && !page.contains("Delete customer"),
        "no buttons it may not use"
    );
    assert!(
        page.contains(">Active</span>"),
        "the status badge in sentence case"
    );
}
