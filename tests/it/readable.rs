//! History people can read, and tabs a grant allows: actions as sentences, fields by
//! their form labels, one date format, empty fields left out, objects linked; a license
//! manager sees only the order tabs their permissions use.

use keyfold::domain::{Permission, Permissions, Role};

use crate::helpers::{client, id_from_location, version_in, TestApp, PASSWORD};
use crate::portal_orders::set_grant;

fn customer_form<'a>(last: &'a str, version: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut f =
        crate::catalogue_customers::customer("ada@example.com", "Ada", last, "Analytical Engines");
    if let Some(v) = version {
        f.push(("updated_at", v));
    }
    f
}

#[tokio::test]
async fn history_reads_as_sentences_with_labels_and_links() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let r = app
        .post_form("/customers", &customer_form("Lovelace", None))
        .await;
    let id = id_from_location(&r);
    let version = version_in(&app.page(&format!("/customers/{id}/edit")).await);
    let r = app
        .post_form(
            &format!("/customers/{id}"),
            &customer_form("King", Some(&version)),
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = app.page(&format!("/customers/{id}")).await;
    assert!(page.contains("Created the customer") && page.contains("Changed the customer"));
    assert!(
        page.contains("<strong>Last name</strong>: <del>Lovelace</del> → <ins>King</ins>"),
        "{page}"
    );
    // A creation lists what was filled in, not every empty field.
    assert!(!page.contains("<strong>Address line 2</strong>") && !page.contains("address_line2"));
    assert!(!page.contains("customer_account_id") && !page.contains("<code>customer."));
    // One date format: minutes, no seconds or fractions, no ISO "T".
    let iso = regex_free_iso(&page);
    assert!(!iso, "an ISO timestamp is shown");
    // The audit log links each object.
    let log = app.page("/audit-log").await;
    assert!(
        log.contains(&format!("href=\"/customers/{id}\"")) && log.contains("Changed the customer")
    );
}

/// Whether `html` shows a timestamp like `2027-11-08T11:32:58`.
fn regex_free_iso(html: &str) -> bool {
    let b = html.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        let s = &b[i..i + 19];
        s[4] == b'-'
            && s[7] == b'-'
            && s[10] == b'T'
            && s[13] == b':'
            && s[16] == b':'
            && s[..4].iter().all(u8::is_ascii_digit)
    })
}

#[tokio::test]
async fn a_manager_sees_only_the_tabs_their_grant_uses() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let m = app.create_license_manager("tabs@customer.example");
    set_grant(
        &app,
        m.id.into(),
        1,
        Permissions::from_iter([Permission::ResetDevice]),
    );
    let c = client();
    app.portal_sign_in_with(&c, "tabs@customer.example", PASSWORD)
        .await;
    let page = app.page_with(&c, "/portal/orders/1").await;
    assert!(page.contains(">Licenses</a>") && page.contains(">Activity</a>"));
    assert!(!page.contains(">Issue and order</a>") && !page.contains(">License users</a>"));
    set_grant(
        &app,
        m.id.into(),
        1,
        Permissions::from_iter([Permission::IssueLicense, Permission::ManageLicenseUsers]),
    );
    let page = app.page_with(&c, "/portal/orders/1").await;
    assert!(page.contains(">Issue and order</a>") && page.contains(">License users</a>"));
}

#[tokio::test]
async fn a_revoked_invite_reads_the_same_everywhere_and_sign_ins_fold_away() {
    use diesel::prelude::*;
    use keyfold::db::schema::manager_grants;
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let r = app
        .post_form(
            "/orders/2/managers",
            &[
                ("email", "gone@customer.example"),
                ("name", "Gone Soon"),
                ("permissions", "reset_device"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (grant, manager): (i64, i64) = manager_grants::table
        .order(manager_grants::id.desc())
        .select((manager_grants::id, manager_grants::manager_id))
        .first(&mut app.conn())
        .unwrap();
    let r = app
        .post_form(&format!("/orders/2/managers/{grant}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let list = app.page("/license-managers?q=gone").await;
    assert!(
        list.contains("<span class=\"kf-badge\">Invite revoked</span>")
            && !list.contains("<span class=\"kf-badge\">Invite expired</span>"),
        "{list}"
    );
    let page = app.page(&format!("/license-managers/{manager}")).await;
    assert!(
        page.contains("Invite revoked") && !page.contains("Invite expired"),
        "{page}"
    );
    assert!(app
        .page("/license-managers?state=revoked")
        .await
        .contains("gone@customer.example"));
    assert!(!app
        .page("/license-managers?state=expired")
        .await
        .contains("gone@customer.example"));
    // A manager's page lists their changes, not every sign-in.
    let lee = app.create_license_manager("lee@customer.example");
    for _ in 0..3 {
        let c = client();
        app.portal_sign_in_with(&c, "lee@customer.example", PASSWORD)
            .await;
    }
    let page = app
        .page(&format!("/license-managers/{}", i64::from(lee.id)))
        .await;
    assert!(
        !page.contains("Signed in") && !page.contains("signed_in"),
        "{page}"
    );
}

#[tokio::test]
async fn the_demo_manager_can_show_borrowing_on_their_all_permissions_order() {
    use diesel::prelude::*;
    use keyfold::db::schema::{license_managers, licenses, manager_grants};
    let app = TestApp::spawn().await;
    app.seed_demo("seed@example.com");
    let email = keyfold::seed::demo::DEMO_MANAGER.0;
    let orders: Vec<i64> = manager_grants::table
        .inner_join(license_managers::table)
        .filter(license_managers::email_norm.eq(email))
        .select(manager_grants::order_id)
        .load(&mut app.conn())
        .unwrap();
    let borrowable: i64 = licenses::table
        .filter(licenses::order_id.eq_any(&orders))
        .filter(licenses::floating_seats.gt(0))
        .filter(licenses::borrow_limit_hours.gt(0))
        .filter(licenses::active_devices.gt(0))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(
        borrowable > 0,
        "a floating license with an active device to borrow"
    );
}

#[tokio::test]
async fn a_licenses_history_is_one_timeline_naming_devices_by_hostname() {
    use serde_json::json;
    let app = crate::api_activation::app().await;
    let (_, license, key) = crate::api_activation::licensed(&app, "TIMELINE").await;
    let (s, v) = app
        .api_post(
            "/api/v1/activate",
            &json!({ "product_code": "TIMELINE", "license_key": key, "hardware_id": "hw-1",
                     "hostname": "design-laptop-07" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let device = v["device_id"].as_i64().unwrap();
    // Staff reset the device: one entry naming who, not a second "deactivated" event.
    let r = app
        .post_form(&format!("/licenses/{license}/devices/{device}/reset"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(&format!("/licenses/{license}/disable"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let page = app.page(&format!("/licenses/{license}")).await;
    let history = page.split("<h2>History</h2>").nth(1).unwrap();
    let history = history.split("</section>").next().unwrap();
    let rows: Vec<&str> = history.split("<tr>").skip(2).collect();
    let said = |row: &str, words: &[&str]| words.iter().all(|w| row.contains(w));
    assert_eq!(rows.len(), 3, "{history}");
    // Newest first: the disable, the device reset (by staff), the activation (by the
    // application, on its device by hostname).
    assert!(
        said(rows[0], &["admin@example.com", "Disabled the license"]),
        "{}",
        rows[0]
    );
    assert!(
        said(
            rows[1],
            &["admin@example.com", "Reset device", "design-laptop-07"]
        ),
        "{}",
        rows[1]
    );
    assert!(
        said(
            rows[2],
            &["Application", ">Activated<", "<td>design-laptop-07</td>"]
        ),
        "{}",
        rows[2]
    );
    assert!(
        !history.contains(&format!("#{device}")),
        "no device numbers"
    );
    assert!(
        !history.contains(">activated<") && !history.contains(">disabled<"),
        "no codes"
    );
    // The license portal shows the same timeline in its own words (the vendor's name
    // for staff), without the changed fields.
    let email = "lm@example.com";
    let order = app.license(license).order_id;
    let m = app.create_license_manager(email);
    set_grant(
        &app,
        m.id.into(),
        i64::from(order),
        Permissions::from_iter([Permission::ResetDevice]),
    );
    let c = client();
    app.portal_sign_in_with(&c, email, PASSWORD).await;
    let page = app
        .page_with(&c, &format!("/portal/licenses/{license}"))
        .await;
    let history = page.split("<h2>History</h2>").nth(1).unwrap();
    assert!(history.contains("Disabled the license") && history.contains("design-laptop-07"));
    assert!(
        !history.contains("admin@example.com"),
        "staff are the vendor"
    );
    assert!(!history.contains("<del>") && !history.contains("<ins>"));
}

#[tokio::test]
async fn required_fields_are_marked_and_every_failed_form_has_a_banner_and_field_messages() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    // Marked: a star beside the label and aria-required on the input.
    for (path, fields) in [
        ("/customers/new", &["email"][..]),
        ("/products/new", &["name", "code"][..]),
        ("/staff/new", &["email", "name"][..]),
    ] {
        let page = app.page(path).await;
        assert!(page.contains("kf-required-note"), "{path}");
        for f in fields {
            assert!(
                page.contains(&format!("id=\"{f}\" name=\"{f}\""))
                    && page
                        .split(&format!("id=\"{f}\" name=\"{f}\""))
                        .nth(1)
                        .unwrap()
                        .split('>')
                        .next()
                        .unwrap()
                        .contains("aria-required=\"true\""),
                "{path}: {f} is marked required"
            );
        }
        assert!(
            !page.contains("id=\"phone\" name=\"phone\" type=\"text\" value=\"\" aria-required"),
            "optional fields are not"
        );
    }
    // Failed: the same banner above, each message beside its field, the input kept.
    for (path, form, field) in [
        (
            "/customers",
            vec![("first_name", "Ada"), ("email", "")],
            "email",
        ),
        (
            "/staff",
            vec![("email", "not-an-email"), ("name", "")],
            "email",
        ),
        ("/products", vec![("name", ""), ("code", "X Y")], "name"),
        (
            "/orders",
            vec![("reference", &"r".repeat(300))],
            "reference",
        ),
    ] {
        let r = app.post_form(path, &form).await;
        assert_eq!(r.status(), 422, "{path}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Nothing was saved: check the"),
            "{path}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{path}: {field}"
        );
        for (_, v) in &form {
            if !v.is_empty() {
                assert!(page.contains(&format!("value=\"{v}\"")), "{path} keeps {v}");
            }
        }
    }
}
