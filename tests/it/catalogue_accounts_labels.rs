//! Customer accounts and labels.

use keyfold::domain::Role;

use crate::helpers::{id_from_location, version_in, TestApp};

#[tokio::test]
async fn accounts_are_created_edited_and_list_their_customers() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let r = app
        .post_form(
            "/customer-accounts",
            &[
                ("name", "Contoso"),
                ("code", "CONTOSO"),
                ("description", "HQ"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let id = id_from_location(&r);
    // A duplicate code (any case) and a bad code are field errors.
    for (code, message) in [
        ("contoso", "Another customer account has this code."),
        ("with space", "Use up to 32"),
    ] {
        let r = app
            .post_form(
                "/customer-accounts",
                &[("name", "Other"), ("code", code), ("description", "")],
            )
            .await;
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{code}");
        assert!(body.contains("value=\"Other\""));
    }
    assert_eq!(app.count("customer_accounts"), 1);

    let customer = app
        .post_form(
            "/customers",
            &[
                ("email", "unit@contoso.example"),
                ("first_name", "Unit"),
                ("customer_account_id", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(customer.status(), 303);
    let page = app
        .get(&format!("/customer-accounts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("unit@contoso.example"));
    let list = app.get("/customer-accounts").await.text().await.unwrap();
    assert!(list.contains("Contoso") && list.contains("<td>1</td>"));

    let version = version_in(&page);
    let r = app
        .post_form(
            &format!("/customer-accounts/{id}"),
            &[
                ("name", "Contoso Group"),
                ("code", "CONTOSO"),
                ("description", "HQ"),
                ("updated_at", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &format!("/customer-accounts/{id}"),
            &[
                ("name", "Stale"),
                ("code", "CONTOSO"),
                ("description", ""),
                ("updated_at", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let page = app
        .get(&format!("/customer-accounts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Contoso Group") && !page.contains(">Stale<"));
    assert!(page.contains("customer_account.updated"));
}

#[tokio::test]
async fn labels_are_created_renamed_recoloured_and_deleted_with_their_assignments() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    assert_eq!(
        app.post_form("/labels", &[("name", "VIP"), ("colour", "#dc2626")])
            .await
            .status(),
        303
    );
    for (name, colour, message) in [
        ("vip", "#000000", "already exists"),
        ("", "#000000", "required"),
        ("Gold", "gold", "Use a colour like"),
    ] {
        let r = app
            .post_form("/labels", &[("name", name), ("colour", colour)])
            .await;
        assert_eq!(r.status(), 422, "{name} {colour}");
        assert!(r.text().await.unwrap().contains(message));
    }
    assert_eq!(app.count("labels"), 1);
    let id: i64 = {
        use diesel::prelude::*;
        keyfold::db::schema::labels::table
            .select(keyfold::db::schema::labels::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let r = app
        .post_form(
            &format!("/labels/{id}"),
            &[("name", "Very important"), ("colour", "#059669")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &format!("/labels/{id}"),
            &[("name", "Very important"), ("colour", "green")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text().await.unwrap().contains("value=\"green\""),
        "the failed input is shown"
    );
    let page = app.get("/labels").await.text().await.unwrap();
    assert!(page.contains("Very important") && page.contains("#059669"));

    let c = app
        .post_form("/customers", &[("email", "a@example.com")])
        .await;
    let customer = id_from_location(&c);
    app.post_form(
        &format!("/customers/{customer}/labels"),
        &[("label_id", &id.to_string())],
    )
    .await;
    assert_eq!(app.count("customer_labels"), 1);
    let confirm = app
        .get(&format!("/labels/{id}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("removed from 1 customer"));
    assert_eq!(
        app.post_form(&format!("/labels/{id}/delete"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(app.count("labels"), 0);
    assert_eq!(app.count("customer_labels"), 0);
    assert_eq!(app.count("customers"), 1);
}
