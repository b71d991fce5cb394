//! Orders: new order with license lines, bad input, the detail view's actions, export
//! and delete.

use keyfold::domain::Role;

use crate::helpers::{client, id_from_location, location, version_in, TestApp, PASSWORD};

/// Creates a product through the portal; returns its id.
pub async fn product(app: &TestApp, code: &str, bundle: bool) -> i64 {
    let mut fields = vec![
        ("name", code),
        ("code", code),
        ("license_type", "subscription"),
        ("max_activations", "2"),
        ("validity_days", "365"),
        ("maintenance_days", ""),
        ("trial_days", "14"),
        ("floating_seats", "0"),
        ("borrow_limit_hours", "0"),
    ];
    if bundle {
        fields.push(("is_bundle", "on"));
    }
    let r = app.post_form("/products", &fields).await;
    assert_eq!(r.status(), 303, "product {code}");
    let id = id_from_location(&r);
    let r = app
        .post_form(
            &format!("/products/{id}/features"),
            &[
                ("feature_code", "calls"),
                ("feature_name", "Calls"),
                ("feature_kind", "consumption"),
                ("feature_max", "100"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    id
}

/// An order with the given lines (product id, count); returns the response.
pub async fn order(
    app: &TestApp,
    reference: &str,
    customer: &str,
    lines: &[(i64, &str)],
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let ids: Vec<String> = lines.iter().map(|(p, _)| p.to_string()).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("reference", reference),
        ("customer_email", customer),
        ("customer_first_name", "Ada"),
    ];
    for (i, (_, count)) in lines.iter().enumerate() {
        form.extend([
            ("line_product", ids[i].as_str()),
            ("line_count", count),
            ("line_type", ""),
            ("line_max_activations", ""),
            ("line_validity_days", ""),
            ("line_maintenance_days", ""),
        ]);
    }
    form.extend_from_slice(extra);
    app.post_form("/orders", &form).await
}

fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("orders"),
        app.count("licenses"),
        app.count("customers"),
    )
}

#[tokio::test]
async fn a_new_order_issues_a_license_per_line_count_and_per_bundle_part() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let render = product(&app, "RENDER", false).await;
    let suite = product(&app, "SUITE", true).await;
    for part in [studio, render] {
        app.post_form(
            &format!("/products/{suite}/bundle-items"),
            &[("part_id", &part.to_string())],
        )
        .await;
    }
    let r = order(
        &app,
        "ORD-1",
        "new.buyer@example.com",
        &[(studio, "2"), (suite, "1")],
        &[("is_test", "on")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = id_from_location(&r);
    let licenses = app.license_ids(id);
    assert_eq!(licenses.len(), 4, "2 Studio + 1 Suite (Studio and Render)");
    for l in &licenses {
        let l = app.license(*l);
        let groups: Vec<&str> = l.license_key.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert_eq!(l.validity_days, Some(365), "policy from the product");
        assert_eq!(l.max_activations, 2);
        assert!(
            l.valid_until.is_none(),
            "a duration starts at first activation"
        );
    }
    assert_eq!(app.count("license_features"), 4, "features copied");
    let page = app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ORD-1") && page.contains("new.buyer@example.com") && page.contains("Test")
    );
    assert!(page.contains("Order ORD-1 created with 4 licenses."));
    assert_eq!(app.count("customers"), 1, "the new customer was created");

    // A second order for the same email links the existing customer; no reference: one is generated.
    let r = order(&app, "", "NEW.BUYER@example.com", &[(render, "1")], &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("customers"), 1);
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert!(page.contains("Order ORD-"), "generated reference");
}

#[tokio::test]
async fn bad_order_input_is_refused_with_messages_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    assert_eq!(
        order(&app, "ORD-1", "", &[(studio, "1")], &[])
            .await
            .status(),
        303
    );
    let before = counts(&app);
    type Case<'a> = (
        &'a str,
        Vec<(i64, &'a str)>,
        Vec<(&'a str, &'a str)>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "ORD-1",
            vec![(studio, "1")],
            vec![],
            "Another order has this reference.",
        ),
        (
            "ord-1",
            vec![(studio, "1")],
            vec![],
            "Another order has this reference.",
        ),
        (
            "ORD-2",
            vec![(999_999, "1")],
            vec![],
            "This product does not exist.",
        ),
        ("ORD-2", vec![(studio, "0")], vec![], "Must be at least 1."),
        (
            "ORD-2",
            vec![(studio, "100000")],
            vec![],
            "Must be at most 1000.",
        ),
        (
            "ORD-2",
            vec![(studio, "two")],
            vec![],
            "is not a whole number",
        ),
        ("ORD-2", vec![], vec![], "Add at least one license line"),
        (
            "ORD-2",
            vec![(studio, "1")],
            vec![("metadata", "[]")],
            "must be a JSON object",
        ),
        (
            "ORD-2",
            vec![(studio, "1")],
            vec![("line_max_activations", "-3")],
            "Must not be negative.",
        ),
    ];
    for (reference, lines, extra, message) in cases {
        let mut extra = extra;
        // An override given for the first line replaces that line's empty one.
        let r = if let Some(pos) = extra.iter().position(|(k, _)| *k == "line_max_activations") {
            let (_, v) = extra.remove(pos);
            let pid = lines[0].0.to_string();
            app.post_form(
                "/orders",
                &[
                    ("reference", reference),
                    ("line_product", &pid),
                    ("line_count", "1"),
                    ("line_max_activations", v),
                ],
            )
            .await
        } else {
            order(&app, reference, "buyer@example.com", &lines, &extra).await
        };
        assert_eq!(r.status(), 422, "{message}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "expected {message:?}");
        assert!(
            body.contains(&format!("value=\"{reference}\"")),
            "input kept for {message:?}"
        );
        assert_eq!(counts(&app), before, "nothing created for {message:?}");
    }
    // An unknown customer email with bad syntax.
    let r = order(&app, "ORD-3", "not-an-email", &[(studio, "1")], &[]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(counts(&app), before);
}

#[tokio::test]
async fn add_lines_shows_more_rows_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let form = app.get("/orders/new").await.text().await.unwrap();
    assert_eq!(form.matches("name=\"line_product\"").count(), 3);
    let r = order(&app, "ORD-9", "", &[(studio, "7")], &[("add_lines", "1")]).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert_eq!(
        body.matches("name=\"line_product\"").count(),
        4,
        "the filled line and three blank ones"
    );
    assert!(body.contains("value=\"7\"") && body.contains("value=\"ORD-9\""));
    // The chosen product's policy shows in the line's empty fields.
    assert!(
        body.contains("Product default (Subscription)"),
        "type default shown"
    );
    assert!(
        body.contains("placeholder=\"2\"") && body.contains("placeholder=\"365\""),
        "max activations and validity shown"
    );
    assert_eq!(app.count("orders"), 0);
}

#[tokio::test]
async fn the_order_is_edited_and_a_stale_edit_is_refused() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let id = id_from_location(&order(&app, "ORD-1", "", &[(studio, "1")], &[]).await);
    order(&app, "ORD-2", "", &[(studio, "1")], &[]).await;
    let page = app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let version = version_in(&page);
    let edit = |reference: &'static str, version: String| {
        let app = &app;
        async move {
            app.post_form(
                &format!("/orders/{id}"),
                &[
                    ("reference", reference),
                    ("campaign_params", "utm_source=mail"),
                    ("download_id", "DL-9"),
                    ("is_trial", "on"),
                    ("updated_at", &version),
                ],
            )
            .await
        }
    };
    let r = edit("ORD-2", version.clone()).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Another order has this reference."));
    assert_eq!(edit("ORD-1B", version.clone()).await.status(), 303);
    let page = app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ORD-1B")
            && page.contains("utm_source=mail")
            && page.contains("Trial")
            && page.contains("order.updated")
    );
    let r = edit("ORD-1C", version).await;
    assert_eq!(r.status(), 409);
    assert!(!app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("ORD-1C"));
}

#[tokio::test]
async fn the_order_customer_is_added_changed_and_removed() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let id = id_from_location(&order(&app, "ORD-1", "", &[(studio, "1")], &[]).await);
    assert!(app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("This order has no customer."));
    let set = |email: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                &format!("/orders/{id}/customer"),
                &[
                    ("customer_email", email),
                    ("customer_first_name", "Grace"),
                    ("customer_last_name", "Hopper"),
                ],
            )
            .await
        }
    };
    assert_eq!(set("grace@example.com").await.status(), 303);
    let page = app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Grace Hopper") && page.contains("grace@example.com"));
    let r = set("grace@").await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("not a valid email address"));
    assert_eq!(set("").await.status(), 303);
    assert!(app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("This order has no customer."));
    assert_eq!(app.count("customers"), 1, "the customer stays, unlinked");
}

#[tokio::test]
async fn more_licenses_are_issued_into_an_order() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let id = id_from_location(&order(&app, "ORD-1", "", &[(studio, "1")], &[]).await);
    assert_eq!(
        app.get(&format!("/orders/{id}/licenses/new"))
            .await
            .status(),
        200
    );
    let sid = studio.to_string();
    let r = app
        .post_form(
            &format!("/orders/{id}/licenses"),
            &[
                ("line_product", &sid),
                ("line_count", "3"),
                ("line_max_activations", "9"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let ids = app.license_ids(id);
    assert_eq!(ids.len(), 4);
    assert_eq!(
        app.license(ids[3]).max_activations,
        9,
        "the override applies"
    );
    let r = app
        .post_form(
            &format!("/orders/{id}/licenses"),
            &[("line_product", &sid), ("line_count", "-1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.license_ids(id).len(), 4);
    assert!(app
        .get(&format!("/orders/{id}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("order.licenses_issued"));
}

#[tokio::test]
async fn the_export_is_a_csv_of_order_customer_and_licenses_with_formulas_neutralised() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let r = order(
        &app,
        "ORD-1",
        "buyer@example.com",
        &[(studio, "2")],
        &[
            ("campaign_params", "=HYPERLINK(\"http://evil.example\")"),
            ("download_id", "@SUM(A1)"),
        ],
    )
    .await;
    let id = id_from_location(&r);
    let r = app.get(&format!("/orders/{id}/export.csv")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("order-ORD-1.csv"));
    let body = r.text().await.unwrap();
    assert!(body.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let keys: Vec<String> = app
        .license_ids(id)
        .iter()
        .map(|l| app.license(*l).license_key)
        .collect();
    for row in &rows {
        assert_eq!(&row[col("order_reference")], "ORD-1");
        assert_eq!(&row[col("customer_email")], "buyer@example.com");
        assert_eq!(
            &row[col("campaign_params")],
            "'=HYPERLINK(\"http://evil.example\")"
        );
        assert_eq!(&row[col("download_id")], "'@SUM(A1)");
        assert!(keys.contains(&row[col("license_key")].to_owned()));
        assert_eq!(&row[col("status")], "inactive");
    }
}

#[tokio::test]
async fn deleting_an_order_needs_its_reference_typed_and_cascades() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let id = id_from_location(&order(&app, "ORD-DEL", "", &[(studio, "2")], &[]).await);
    let keep = id_from_location(&order(&app, "ORD-KEEP", "", &[(studio, "1")], &[]).await);
    let license = app.license_ids(id)[0];
    app.insert_device(license, "HW-1", "laptop");
    let confirm = app
        .get(&format!("/orders/{id}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("2 licenses") && confirm.contains("cannot be undone"));
    let r = app
        .post_form(
            &format!("/orders/{id}/delete"),
            &[("confirm_reference", "ORD-DE")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Type ORD-DEL exactly to confirm."));
    assert_eq!(app.count("licenses"), 3);
    let r = app
        .post_form(
            &format!("/orders/{id}/delete"),
            &[("confirm_reference", "ORD-DEL")],
        )
        .await;
    assert_eq!(location(&r), "/orders");
    assert_eq!(app.get(&format!("/orders/{id}")).await.status(), 404);
    assert_eq!(app.count("licenses"), 1);
    assert_eq!(app.count("devices"), 0, "devices went with their license");
    assert_eq!(app.count("license_features"), 1);
    assert_eq!(app.license_ids(keep).len(), 1);
    let mut conn = app.conn();
    let audited = keyfold::models::audit::latest_of_action(&mut conn, "order.deleted", 1).unwrap();
    assert_eq!(audited[0].object_label, "ORD-DEL");
}

#[tokio::test]
async fn orders_are_searched_by_reference_or_customer_and_filtered() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let a = id_from_location(
        &order(
            &app,
            "ACME-100",
            "grace@navy.example",
            &[(studio, "1")],
            &[("is_test", "on")],
        )
        .await,
    );
    let b = id_from_location(
        &order(
            &app,
            "INIT-200",
            "linus@kernel.example",
            &[(studio, "1")],
            &[("is_trial", "on")],
        )
        .await,
    );
    let shows = |html: &str, id: i64| html.contains(&format!("href=\"/orders/{id}\""));
    for (q, ea, eb) in [
        ("q=acme", true, false),
        ("q=GRACE", true, false),
        ("q=Ada", true, true),
        ("q=linus%40k", false, true),
        ("test=yes", true, false),
        ("test=no", false, true),
        ("trial=yes", false, true),
    ] {
        let html = app.get(&format!("/orders?{q}")).await.text().await.unwrap();
        assert_eq!((shows(&html, a), shows(&html, b)), (ea, eb), "{q}");
    }
    let today = chrono::Utc::now().date_naive();
    let html = app
        .get(&format!("/orders?from={today}&to={today}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(shows(&html, a) && shows(&html, b));
    let html = app.get("/orders?to=2000-01-01").await.text().await.unwrap();
    assert!(!shows(&html, a) && !shows(&html, b));
    let r = app.get("/orders?from=yesterday").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("is not a date"));
}

#[tokio::test]
async fn support_and_read_only_cannot_create_or_delete_orders() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = product(&app, "STUDIO", false).await;
    let id = id_from_location(&order(&app, "ORD-1", "", &[(studio, "1")], &[]).await);
    for (email, role) in [
        ("s@example.com", Role::Support),
        ("r@example.com", Role::ReadOnly),
    ] {
        let c = client();
        app.create_staff(email, role);
        app.sign_in_with(&c, email, PASSWORD, None).await;
        let token = app.csrf_token_with(&c).await;
        let sid = studio.to_string();
        for (path, form) in [
            (
                "/orders".to_owned(),
                vec![
                    ("csrf_token", token.as_str()),
                    ("line_product", sid.as_str()),
                    ("line_count", "1"),
                ],
            ),
            (
                format!("/orders/{id}/delete"),
                vec![
                    ("csrf_token", token.as_str()),
                    ("confirm_reference", "ORD-1"),
                ],
            ),
        ] {
            let r = c.post(app.url(&path)).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 403, "{role:?} {path}");
        }
        assert_eq!(
            c.get(app.url(&format!("/orders/{id}/export.csv")))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{role:?} may export"
        );
    }
    assert_eq!((app.count("orders"), app.count("licenses")), (1, 1));
}
