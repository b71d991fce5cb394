//! Search that finds what people type: customers by a word of the name or company and by
//! email domain, the license list's order filter by reference (or a message beside it),
//! the header search's jumps and grouped results, and the lists' bounded counts.

use diesel::prelude::*;
use keyfold::db::schema::{licenses, orders};
use keyfold::domain::Role;

use crate::helpers::{id_from_location, location, TestApp};
use crate::orders::{order, product};

async fn customer(app: &TestApp, email: &str, first: &str, last: &str, company: &str) -> i64 {
    let fields = crate::catalogue_customers::customer(email, first, last, company);
    let r = app.post_form("/customers", &fields).await;
    assert_eq!(r.status(), 303, "create {email}");
    id_from_location(&r)
}

async fn html(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

#[tokio::test]
async fn customers_are_found_by_email_domain_and_any_word_of_name_or_company() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let priya = customer(
        &app,
        "priya@acme-robotics.example",
        "Priya",
        "Raman",
        "Acme Robotics Ltd",
    )
    .await;
    let gavin = customer(&app, "gavin@hooli.example", "Gavin", "Belson", "Hooli").await;
    let other = customer(&app, "sam@example.org", "Sam", "Hooper", "Pied Piper").await;
    let shows = |page: &str, id: i64| page.contains(&format!("href=\"/customers/{id}\""));
    for (q, expected) in [
        ("acme-robotics", vec![priya]),
        ("@hooli.example", vec![gavin]),
        ("hooli.example", vec![gavin]),
        ("%40hooli", vec![gavin]),
        ("robotics", vec![priya]),
        ("Robotics%20Acme", vec![priya]),
        ("piper", vec![other]),
        ("raman", vec![priya]),
        ("hoo", vec![gavin, other]),
        ("@example", vec![other]),
        ("robotics%20hooli", vec![]),
    ] {
        let page = html(&app, &format!("/customers?q={q}")).await;
        let found: Vec<i64> = [priya, gavin, other]
            .into_iter()
            .filter(|id| shows(&page, *id))
            .collect();
        assert_eq!(found, expected, "customers?q={q}");
        if expected.is_empty() {
            assert!(
                page.contains("Clear filters"),
                "an empty result offers to clear"
            );
        }
    }
    // The search box says what it matches.
    let page = html(&app, "/customers").await;
    assert!(page.contains("an email domain"), "the hint");
    // An edit re-indexes: the old company's words no longer find the customer.
    let c = customer(&app, "kim@initech.example", "Kim", "Lee", "Initech").await;
    assert!(shows(&html(&app, "/customers?q=initech").await, c));
    let version = crate::helpers::version_in(&html(&app, &format!("/customers/{c}/edit")).await);
    let mut edit = crate::catalogue_customers::customer(
        "kim@globex.example",
        "Kim",
        "Lee",
        "Globex Corporation",
    );
    edit.push(("updated_at", &version));
    assert_eq!(
        app.post_form(&format!("/customers/{c}"), &edit)
            .await
            .status(),
        303
    );
    assert!(
        !shows(&html(&app, "/customers?q=initech").await, c),
        "old words gone"
    );
    assert!(shows(&html(&app, "/customers?q=corporation").await, c));
    assert!(shows(
        &html(&app, "/customers?q=%40globex.example").await,
        c
    ));
    // A database from before the words existed gets them at its next start.
    {
        use keyfold::db::schema::{customer_words, settings};
        let mut conn = app.conn();
        diesel::delete(customer_words::table)
            .execute(&mut conn)
            .unwrap();
        diesel::delete(settings::table.filter(settings::key.eq("customer_words_version")))
            .execute(&mut conn)
            .unwrap();
        assert!(!shows(&html(&app, "/customers?q=robotics").await, priya));
        keyfold::db::run_migrations(&mut conn).unwrap();
        assert!(shows(&html(&app, "/customers?q=robotics").await, priya));
    }
    // Orders are found through their customer the same way.
    let studio = product(&app, "STUDIO", false).await;
    let r = order(
        &app,
        "ORD-2026-1001",
        "priya@acme-robotics.example",
        &[(studio, "1")],
        &[],
    )
    .await;
    let ord = id_from_location(&r);
    for q in [
        "acme-robotics",
        "robotics",
        "%40acme-robotics.example",
        "ord-2026",
    ] {
        let page = html(&app, &format!("/orders?q={q}")).await;
        assert!(
            page.contains(&format!("href=\"/orders/{ord}\"")),
            "orders?q={q}"
        );
    }
    assert!(!html(&app, "/orders?q=hooli")
        .await
        .contains(&format!("href=\"/orders/{ord}\"")));
}

#[tokio::test]
async fn the_license_filters_take_an_order_reference_or_say_none_has_it() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    let a = id_from_location(
        &order(
            &app,
            "ORD-2026-1001",
            "ada@acme.example",
            &[(studio, "2")],
            &[],
        )
        .await,
    );
    let b = id_from_location(&order(&app, "ORD-2026-2002", "", &[(studio, "1")], &[]).await);
    let (in_a, in_b) = (app.license_ids(a), app.license_ids(b));
    let shows = |page: &str, id: i64| page.contains(&format!("href=\"/licenses/{id}\""));
    // The reference people copy from a page, in any case.
    for q in [
        "order=ORD-2026-1001",
        "order=ord-2026-1001",
        &format!("order={a}"),
    ] {
        let page = html(&app, &format!("/licenses?{q}")).await;
        assert!(in_a.iter().all(|id| shows(&page, *id)), "{q}");
        assert!(!in_b.iter().any(|id| shows(&page, *id)), "{q} applies");
        assert!(page.contains("1–2 of 2"), "{q}: the count");
    }
    // A reference nobody has: a message beside the field, and nothing listed.
    let r = app.get("/licenses?order=ORD-9999").await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains("No order has the reference “ORD-9999”."),
        "{page}"
    );
    assert!(page.contains("id=\"order-error\""));
    assert!(!in_a.iter().chain(&in_b).any(|id| shows(&page, *id)));
    // The search box: a key's start or an order reference's start.
    let page = html(&app, "/licenses?key=ORD-2026-2").await;
    assert!(shows(&page, in_b[0]) && !shows(&page, in_a[0]));
    // The customer column links to the order's customer, by company, else by name (this
    // one has no company), else by email.
    let page = html(&app, "/licenses").await;
    assert!(page.contains("<th scope=\"col\">Customer</th>"));
    assert!(page.contains(">Ada</a>") && !page.contains(">ada@acme.example</a>"));
    // A bad date on the audit log is a message too, not ignored.
    let page = html(&app, "/audit-log?from=2026-02-30").await;
    assert!(page.contains("kf-field-error"), "the audit log's date");
}

#[tokio::test]
async fn the_header_search_goes_straight_to_an_exact_match_and_groups_the_rest() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    let ord = id_from_location(
        &order(
            &app,
            "ORD-2026-1001",
            "priya@acme-robotics.example",
            &[(studio, "1")],
            &[],
        )
        .await,
    );
    let lic = app.license_ids(ord)[0];
    let key: String = licenses::table
        .find(lic)
        .select(licenses::license_key)
        .first(&mut app.conn())
        .unwrap();
    let cust: i64 = orders::table
        .find(ord)
        .select(orders::customer_id)
        .first::<Option<i64>>(&mut app.conn())
        .unwrap()
        .unwrap();
    let header = html(&app, "/orders").await;
    assert!(
        header.contains("action=\"/search\""),
        "a search box in the header"
    );
    let jump = |q: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("/search?q={}", urlencoding(&q))).await;
            assert_eq!(r.status(), 303, "{q} jumps");
            location(&r)
        }
    };
    assert_eq!(jump(key.clone()).await, format!("/licenses/{lic}"));
    assert_eq!(
        jump(key.replace('-', "").to_lowercase()).await,
        format!("/licenses/{lic}")
    );
    assert_eq!(jump(format!("  {key} ")).await, format!("/licenses/{lic}"));
    assert_eq!(jump("ORD-2026-1001".into()).await, format!("/orders/{ord}"));
    assert_eq!(
        jump("Priya@Acme-Robotics.example".into()).await,
        format!("/customers/{cust}")
    );
    // Anything else: the matches of each kind.
    let page = html(&app, "/search?q=acme").await;
    assert!(
        page.contains("id=\"found-customers\"") && page.contains(&format!("/customers/{cust}"))
    );
    assert!(page.contains("id=\"found-orders\"") && page.contains(&format!("/orders/{ord}")));
    let page = html(&app, &format!("/search?q={}", &key[..9])).await;
    assert!(page.contains("id=\"found-licenses\"") && page.contains(&format!("/licenses/{lic}")));
    let page = html(&app, "/search?q=zzz-nothing").await;
    assert!(page.contains("Nothing matches"));
    let r = app.get("/search?q=%00%00").await;
    assert_eq!(r.status(), 200, "control characters are no error");
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn lists_count_exactly_up_to_ten_thousand_and_then_say_so() {
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    keyfold::seed::bulk::seed(&mut app.conn(), 10_001).unwrap();
    let total: i64 = licenses::table.count().get_result(&mut app.conn()).unwrap();
    assert!(total > 10_000);
    let page = html(&app, "/licenses").await;
    assert!(page.contains("1–50 of 10,000+"), "past the bound");
    assert!(page.contains("page=2") && !page.contains("← Previous"));
    let page = html(&app, "/licenses?page=200").await;
    assert!(page.contains("9,951–10,000 of 10,000+"));
    assert!(page.contains("narrow the filters") && !page.contains("page=201"));
    // Under the bound the count is exact: one product's licenses.
    let (product, n): (i64, i64) = licenses::table
        .group_by(licenses::product_id)
        .select((licenses::product_id, diesel::dsl::count_star()))
        .first(&mut app.conn())
        .unwrap();
    assert!(n < 10_000 && n > 50);
    let page = html(&app, &format!("/licenses?product={product}&page=2")).await;
    let expected = format!("51–100 of {}", keyfold::db::thousands(n));
    assert!(page.contains(&expected), "{expected}");
    assert!(page.contains("← Previous") && page.contains("page=1"));
    // The customers list counts the same way (1,000 seeded customers: exact).
    let page = html(&app, "/customers").await;
    assert!(page.contains("1–25 of 1,000"));
}

#[tokio::test]
async fn ticked_licenses_are_disabled_after_a_confirmation_with_an_audit_row_each() {
    use keyfold::db::schema::audit_log;
    let app = TestApp::spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    let studio = product(&app, "STUDIO", false).await;
    let ord = id_from_location(&order(&app, "ORD-1", "", &[(studio, "4")], &[]).await);
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    app.signed_in_as("sup@example.com", Role::Support).await;
    let ids = app.license_ids(ord);
    let list = html(&app, "/licenses?order=ORD-1").await;
    assert!(list.contains("form=\"bulk\"") && list.contains("Disable selected"));
    let picked = [ids[0].to_string(), ids[1].to_string(), ids[2].to_string()];
    let back = "/licenses?order=ORD-1";
    let mut form: Vec<(&str, &str)> = picked.iter().map(|id| ("ids", id.as_str())).collect();
    form.extend([("action", "disable"), ("back", back)]);
    // First the confirmation page, naming the licenses; nothing changes yet.
    let r = app.post_form("/licenses/bulk", &form).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Disable 3 licenses?"), "{page}");
    for id in &picked {
        assert!(page.contains(&format!("name=\"ids\" value=\"{id}\"")));
    }
    let enabled = |app: &TestApp| -> Vec<bool> {
        ids.iter()
            .map(|id| {
                licenses::table
                    .find(id)
                    .select(licenses::enabled)
                    .first(&mut app.conn())
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(enabled(&app), [true; 4]);
    // Confirmed: one transaction, an audit row each, back to the filtered list.
    form.push(("confirmed", "yes"));
    let r = app.post_form("/licenses/bulk", &form).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), back);
    assert_eq!(enabled(&app), [false, false, false, true]);
    let rows: i64 = audit_log::table
        .filter(audit_log::action.eq("license.disabled"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(rows, 3);
    assert!(html(&app, back).await.contains("Disabled 3 licenses."));
    // Again, with one more: only the one that changes is written.
    let all: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut again: Vec<(&str, &str)> = all.iter().map(|id| ("ids", id.as_str())).collect();
    again.extend([
        ("action", "disable"),
        ("confirmed", "yes"),
        ("back", "https://evil.example/"),
    ]);
    let r = app.post_form("/licenses/bulk", &again).await;
    assert_eq!(location(&r), "/licenses", "only a local list to return to");
    assert!(html(&app, "/licenses")
        .await
        .contains("Disabled 1 license. 3 were already disabled."));
    // Nothing ticked, or a bad id: a message, nothing changes.
    let r = app
        .post_form("/licenses/bulk", &[("action", "enable"), ("ids", "x")])
        .await;
    assert_eq!(r.status(), 303);
    assert!(html(&app, "/licenses")
        .await
        .contains("Tick the licenses to change first"));
    assert_eq!(enabled(&app), [false; 4]);
    // Read-only staff cannot.
    assert_eq!(app.post_form("/logout", &[]).await.status(), 303);
    app.signed_in_as("ro@example.com", Role::ReadOnly).await;
    assert!(!html(&app, "/licenses").await.contains("form=\"bulk\""));
    assert_eq!(app.post_form("/licenses/bulk", &form).await.status(), 403);
    assert_eq!(enabled(&app), [false; 4]);
}
