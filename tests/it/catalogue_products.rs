//! Products: create, edit, features, custom fields, bundles, archive, delete, bad input.

use keyfold::domain::Role;

use crate::helpers::{id_from_location, location, version_in, TestApp};

fn product_fields<'a>(name: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("code", code),
        ("description", "A product"),
        ("license_type", "perpetual"),
        ("max_activations", "3"),
        ("validity_days", ""),
        ("maintenance_days", "365"),
        ("trial_days", "14"),
        ("floating_seats", "0"),
        ("borrow_limit_hours", "0"),
    ]
}

async fn create_product(app: &TestApp, name: &str, code: &str) -> i64 {
    let r = app
        .post_form("/products", &product_fields(name, code))
        .await;
    assert_eq!(r.status(), 303, "create {code}");
    id_from_location(&r)
}

#[tokio::test]
async fn a_manager_creates_a_product_and_sees_it_listed_and_audited() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = create_product(&app, "Keyfold Studio", "STUDIO").await;
    let page = app
        .get(&format!("/products/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Keyfold Studio") && page.contains("STUDIO"));
    assert!(page.contains("365 days"));
    assert!(
        page.contains("product.created"),
        "the history shows the creation"
    );
    let list = app.get("/products").await.text().await.unwrap();
    assert!(list.contains(&format!("/products/{id}")));
}

#[tokio::test]
async fn bad_product_input_is_refused_field_by_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::Admin).await;
    create_product(&app, "Existing", "TAKEN").await;
    let cases: Vec<(&str, &str, &str)> = vec![
        ("name", "", "This field is required."),
        ("code", "has spaces", "Use up to 32 letters"),
        ("code", "taken", "Another product has this code."),
        ("max_activations", "-1", "Must not be negative."),
        ("max_activations", "three", "is not a whole number"),
        (
            "trial_days",
            "99999999999999999999",
            "Must be at most 3650.",
        ),
        (
            "validity_days",
            "1000000000",
            "At most 36525 days (100 years).",
        ),
        ("max_activations", "1000001", "Must be at most 1000000."),
        (
            "license_type",
            "forever",
            "Choose one of the license types.",
        ),
        ("validity_days", "0", "Must be at least 1."),
    ];
    for (field, value, message) in cases {
        let mut fields = product_fields("New product", "NEW");
        for f in fields.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let r = app.post_form("/products", &fields).await;
        assert_eq!(r.status(), 422, "{field}={value:?}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(message),
            "{field}={value:?}: expected {message:?}"
        );
        assert!(
            body.contains("value=\"New product\"") || field == "name",
            "input kept"
        );
        assert_eq!(app.count("products"), 1, "{field}={value:?} saved nothing");
    }
    // A subscription needs a validity.
    let mut fields = product_fields("Sub", "SUB");
    fields[3].1 = "subscription";
    let r = app.post_form("/products", &fields).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("need a validity"));
    assert_eq!(app.count("products"), 1);
}

#[tokio::test]
async fn editing_a_product_saves_and_a_stale_form_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = create_product(&app, "Studio", "STUDIO").await;
    let form = app
        .get(&format!("/products/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let version = version_in(&form);
    let mut fields = product_fields("Studio Pro", "STUDIO");
    fields.push(("updated_at", &version));
    let r = app.post_form(&format!("/products/{id}"), &fields).await;
    assert_eq!(r.status(), 303);
    // The same old version again: someone (we) saved in between.
    let mut fields = product_fields("Studio Ultimate", "STUDIO");
    fields.push(("updated_at", &version));
    let r = app.post_form(&format!("/products/{id}"), &fields).await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("Someone else changed this product"));
    assert!(
        body.contains("value=\"Studio Pro\""),
        "the form shows the saved version"
    );
    let page = app
        .get(&format!("/products/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Studio Pro") && !page.contains("Studio Ultimate"));
}

#[tokio::test]
async fn features_and_custom_fields_are_added_and_removed_on_the_product_page() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = create_product(&app, "Analytics", "ANALYTICS").await;
    let add = |code: &'static str, kind: &'static str, max: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                &format!("/products/{id}/features"),
                &[
                    ("feature_code", code),
                    ("feature_name", "A feature"),
                    ("feature_kind", kind),
                    ("feature_max", max),
                ],
            )
            .await
        }
    };
    assert_eq!(add("api-calls", "consumption", "10000").await.status(), 303);
    assert_eq!(add("export", "activation", "").await.status(), 303);
    let r = add("api-calls", "activation", "").await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("already has a feature with this code"));
    let r = add("tokens", "consumption", "").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Enter a number.") && body.contains("value=\"tokens\""),
        "input kept"
    );
    assert_eq!(app.count("product_features"), 2);

    let page = app
        .get(&format!("/products/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("10000"));
    let feature_id: i64 = {
        use diesel::prelude::*;
        use keyfold::db::schema::product_features as pf;
        pf::table
            .filter(pf::code.eq("export"))
            .select(pf::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let r = app
        .post_form(&format!("/products/{id}/features/{feature_id}/remove"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("product_features"), 1);

    let r = app
        .post_form(
            &format!("/products/{id}/custom-fields"),
            &[("field_name", "tier"), ("field_default", "gold")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &format!("/products/{id}/custom-fields"),
            &[("field_name", "bad name"), ("field_default", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.count("product_custom_fields"), 1);
    let page = app
        .get(&format!("/products/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("gold") && page.contains("product.feature_removed"));
}

#[tokio::test]
async fn a_bundle_is_made_of_ordinary_products() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let studio = create_product(&app, "Studio", "STUDIO").await;
    let render = create_product(&app, "Render", "RENDER").await;
    let mut fields = product_fields("Suite", "SUITE");
    fields.push(("is_bundle", "on"));
    let r = app.post_form("/products", &fields).await;
    let suite = id_from_location(&r);
    for part in [studio, render] {
        let r = app
            .post_form(
                &format!("/products/{suite}/bundle-items"),
                &[("part_id", &part.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    assert_eq!(app.count("bundle_items"), 2);
    // Not itself, not twice, and not into a product that is no bundle.
    for (target, part) in [(suite, suite), (suite, studio)] {
        let r = app
            .post_form(
                &format!("/products/{target}/bundle-items"),
                &[("part_id", &part.to_string())],
            )
            .await;
        assert_eq!(r.status(), 422, "{target} <- {part}");
    }
    let r = app
        .post_form(
            &format!("/products/{studio}/bundle-items"),
            &[("part_id", &render.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .get(&format!("/products/{studio}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Only a bundle"));
    assert_eq!(app.count("bundle_items"), 2);
    let page = app
        .get(&format!("/products/{suite}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Bundle contents") && page.contains("STUDIO") && page.contains("RENDER"));
}

#[tokio::test]
async fn a_product_with_licenses_is_archived_not_deleted() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let used = create_product(&app, "Used", "USED").await;
    let unused = create_product(&app, "Unused", "UNUSED").await;
    let order = app.insert_order(None, "ORD-1");
    app.insert_license(order, used);

    let r = app
        .post_form(&format!("/products/{used}/delete"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .get(&format!("/products/{used}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("archive it instead"));
    assert_eq!(app.count("products"), 2);

    assert_eq!(
        app.post_form(&format!("/products/{used}/archive"), &[])
            .await
            .status(),
        303
    );
    let page = app
        .get(&format!("/products/{used}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Archived") && page.contains("Restore from archive"));
    assert_eq!(
        app.post_form(&format!("/products/{used}/unarchive"), &[])
            .await
            .status(),
        303
    );

    let confirm = app.get(&format!("/products/{unused}/delete")).await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm.text().await.unwrap().contains("removed for good"));
    let r = app
        .post_form(&format!("/products/{unused}/delete"), &[])
        .await;
    assert_eq!(location(&r), "/products");
    assert_eq!(app.count("products"), 1);
    assert_eq!(app.get(&format!("/products/{unused}")).await.status(), 404);
}

#[tokio::test]
async fn read_only_and_support_cannot_change_products() {
    let app = TestApp::spawn().await;
    let admin_client = crate::helpers::client();
    app.create_staff("admin@example.com", Role::Admin);
    app.sign_in_with(
        &admin_client,
        "admin@example.com",
        crate::helpers::PASSWORD,
        None,
    )
    .await;
    for (email, role) in [
        ("ro@example.com", Role::ReadOnly),
        ("sup@example.com", Role::Support),
    ] {
        let c = crate::helpers::client();
        app.create_staff(email, role);
        app.sign_in_with(&c, email, crate::helpers::PASSWORD, None)
            .await;
        let token = app.csrf_token_with(&c).await;
        let mut form = product_fields("Nope", "NOPE");
        form.push(("csrf_token", &token));
        let r = c
            .post(app.url("/products"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{role:?}");
        assert_eq!(
            c.get(app.url("/products/new"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            c.get(app.url("/products")).send().await.unwrap().status(),
            200,
            "{role:?} may look"
        );
        assert_eq!(app.count("products"), 0);
    }
}

#[tokio::test]
async fn unknown_and_malformed_product_ids_are_404_pages() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    for path in [
        "/products/999999",
        "/products/abc",
        "/products/999999/edit",
        "/customers/12x",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.text().await.unwrap().contains("Page not found"), "{path}");
    }
    let r = app.post_form("/products/999999/archive", &[]).await;
    assert_eq!(r.status(), 404);
}
