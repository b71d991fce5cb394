//! Issuing and ordering in the license portal: quotas never passed (also by two requests
//! at once, through a delegate and through Create order), and a bundle order giving one
//! license per product in the bundle on a new order of the same customer.

use diesel::prelude::*;
use keyfold::db::schema::{grant_products, licenses, manager_grants, orders};
use keyfold::domain::Permissions;

use crate::helpers::{client, csrf_in, TestApp, PASSWORD};
use crate::portal_orders::{a_bundle, order_of, set_delegate, set_grant};
use crate::role_matrix::snapshot;

pub async fn signed_in(app: &TestApp, email: &str) -> (i64, reqwest::Client) {
    let m = app.create_license_manager(email);
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, email, PASSWORD).await.status(),
        303
    );
    (m.id.into(), c)
}

pub async fn post(app: &TestApp, c: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> u16 {
    app.portal_post(c, path, fields).await
}

fn allow(app: &TestApp, grant: i64, product: i64, quota: Option<i64>) {
    diesel::insert_into(grant_products::table)
        .values((
            grant_products::grant_id.eq(grant),
            grant_products::product_id.eq(product),
            grant_products::quota.eq(quota),
            grant_products::used.eq(0),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

pub fn used(app: &TestApp, grant: i64, product: i64) -> i64 {
    grant_products::table
        .filter(grant_products::grant_id.eq(grant))
        .filter(grant_products::product_id.eq(product))
        .select(grant_products::used)
        .first(&mut app.conn())
        .unwrap()
}

fn licenses_of_product(app: &TestApp, product: i64) -> i64 {
    licenses::table
        .filter(licenses::product_id.eq(product))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_quota_is_never_passed_not_by_two_requests_at_once_nor_through_a_delegate_or_create_order(
) {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let (boss, c) = signed_in(&app, "boss@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let product = app.license(license).product_id;
    let root = set_grant(&app, boss, order, Permissions::all());
    allow(&app, root, product.into(), Some(4));
    let p = product.to_string();
    let issue = format!("/portal/orders/{order}/issue");
    let start = licenses_of_product(&app, product.into());
    // The product's maximum of license users is copied to what is issued.
    diesel::update(keyfold::db::schema::products::table.find(product))
        .set(keyfold::db::schema::products::max_license_users.eq(4))
        .execute(&mut app.conn())
        .unwrap();

    assert_eq!(
        post(&app, &c, &issue, &[("product", &p), ("count", "2")]).await,
        303
    );
    assert_eq!(licenses_of_product(&app, product.into()), start + 2);
    let newest: i64 = licenses::table
        .order(licenses::id.desc())
        .select(licenses::max_license_users)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(newest, 4, "the product's default is copied");
    // Past the quota: a message beside the line, nothing created or counted.
    let before = snapshot(&app);
    assert_eq!(
        post(&app, &c, &issue, &[("product", &p), ("count", "3")]).await,
        422
    );
    assert_eq!(snapshot(&app), before);
    let page = c
        .get(app.url(&issue))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("2 left"), "the quota is shown");

    // A delegate carved from this grant (no quota of its own): counted here too.
    let (helper, hc) = signed_in(&app, "helper@customer.example").await;
    let delegate = set_delegate(&app, helper, order, Permissions::all(), root);
    allow(&app, delegate, product.into(), None);
    assert_eq!(
        post(&app, &hc, &issue, &[("product", &p), ("count", "1")]).await,
        303
    );
    assert_eq!(used(&app, root, product.into()), 3);
    assert_eq!(used(&app, delegate, product.into()), 1);
    // Through Create order, the delegate may not pass what is left above them.
    let create = format!("/portal/orders/{order}/create-order");
    assert_eq!(
        post(&app, &hc, &create, &[("product", &p), ("count", "2")]).await,
        422
    );
    assert_eq!(used(&app, root, product.into()), 3);

    // The last one, asked for by both managers at once: exactly one gets it.
    let form = |c: reqwest::Client, path: String| {
        let app_url = app.url(&path);
        let account = app.url("/portal/account");
        let p = p.clone();
        async move {
            let page = c.get(account).send().await.unwrap();
            let t = csrf_in(&page.text().await.unwrap()).unwrap();
            c.post(app_url)
                .form(&[("csrf_token", t.as_str()), ("product", &p), ("count", "1")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let (a, b) = tokio::join!(
        form(c.clone(), issue.clone()),
        form(hc.clone(), create.clone())
    );
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "one wins, one is refused");
    assert_eq!(used(&app, root, product.into()), 4);
    assert_eq!(licenses_of_product(&app, product.into()), start + 4);
}

#[tokio::test]
async fn a_bundle_order_is_a_new_order_of_the_same_customer_with_one_license_per_product() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let (boss, c) = signed_in(&app, "boss@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let bundle = a_bundle(&app);
    let root = set_grant(&app, boss, order, Permissions::all());
    allow(&app, root, bundle, None);
    let parts: i64 = keyfold::db::schema::bundle_items::table
        .filter(keyfold::db::schema::bundle_items::bundle_id.eq(bundle))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(parts >= 2, "the demo bundle has parts");
    let orders_before: i64 = orders::table.count().get_result(&mut app.conn()).unwrap();
    // A plain product through Create bundle order is refused.
    let product = app.license(license).product_id.to_string();
    let path = format!("/portal/orders/{order}/create-bundle-order");
    assert_eq!(
        post(&app, &c, &path, &[("product", &product), ("count", "1")]).await,
        422
    );
    assert_eq!(
        post(
            &app,
            &c,
            &path,
            &[("product", &bundle.to_string()), ("count", "2")]
        )
        .await,
        303
    );
    let new_order: (i64, Option<i64>) = orders::table
        .order(orders::id.desc())
        .select((orders::id, orders::customer_id))
        .first(&mut app.conn())
        .unwrap();
    let customer: Option<i64> = orders::table
        .find(order)
        .select(orders::customer_id)
        .first(&mut app.conn())
        .unwrap();
    let orders_after: i64 = orders::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(orders_after, orders_before + 1);
    assert_eq!(new_order.1, customer, "the same customer");
    assert_eq!(
        app.license_ids(new_order.0).len() as i64,
        2 * parts,
        "one license per product in the bundle, per bundle"
    );
    assert_eq!(used(&app, root, bundle), 2 * parts);
    // The manager manages the new order with the same permissions.
    let r = c
        .get(app.url(&format!("/portal/orders/{}", new_order.0)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_invited_delegate_gets_at_most_the_inviters_products_and_quota() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let (boss, c) = signed_in(&app, "boss@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let product = app.license(license).product_id;
    let root = set_grant(&app, boss, order, Permissions::all());
    allow(&app, root, product.into(), Some(5));
    let invite = format!("/portal/orders/{order}/managers");
    let p = product.to_string();
    // A quota above what is left of the inviter's: refused, nothing changes.
    let before = snapshot(&app);
    let fields = |email: &'static str, quota: &'static str| {
        vec![
            ("email", email),
            ("name", "Del"),
            ("permissions", "issue_license"),
            ("products_shown", "1"),
            ("quota_product", ""),
            ("quota", quota),
        ]
    };
    let mut f = fields("del@customer.example", "6");
    f.push(("products", p.as_str()));
    f[4].1 = p.as_str();
    assert_eq!(post(&app, &c, &invite, &f).await, 422);
    assert_eq!(snapshot(&app), before);
    // Another order's product: refused.
    let mut f = fields("del@customer.example", "");
    f.push(("products", "999999"));
    assert_eq!(post(&app, &c, &invite, &f).await, 422);
    assert_eq!(snapshot(&app), before);
    // Within it: the delegate's grant hangs from the inviter's.
    let mut f = fields("del@customer.example", "2");
    f.push(("products", p.as_str()));
    f[4].1 = p.as_str();
    assert_eq!(post(&app, &c, &invite, &f).await, 303);
    let (delegate, parent): (i64, Option<i64>) = manager_grants::table
        .order(manager_grants::id.desc())
        .select((manager_grants::id, manager_grants::parent_grant_id))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(parent, Some(root));
    let quota: Option<i64> = grant_products::table
        .filter(grant_products::grant_id.eq(delegate))
        .select(grant_products::quota)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(quota, Some(2));
    // The invite form offers the inviter's products with what is left of each.
    let page = c
        .get(app.url(&invite))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Products they may issue or order"), "{page}");
    assert!(page.contains("(5 left)"), "{page}");
    // Later, the inviter changes the delegate's quota: within what is left (5), saved and
    // still hanging from the inviter's grant; above it, refused with nothing changed.
    let edit = format!("/portal/orders/{order}/managers/{delegate}/permissions");
    let form = |quota: &'static str| {
        vec![
            ("permissions", "issue_license"),
            ("products_shown", "1"),
            ("products", p.as_str()),
            ("quota_product", p.as_str()),
            ("quota", quota),
        ]
    };
    let before = snapshot(&app);
    assert_eq!(post(&app, &c, &edit, &form("6")).await, 422);
    assert_eq!(
        snapshot(&app),
        before,
        "a quota above the inviter's remainder"
    );
    assert_eq!(post(&app, &c, &edit, &form("4")).await, 303);
    let (quota, parent): (Option<i64>, Option<i64>) = grant_products::table
        .inner_join(manager_grants::table)
        .filter(grant_products::grant_id.eq(delegate))
        .select((grant_products::quota, manager_grants::parent_grant_id))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((quota, parent), (Some(4), Some(root)));
}

#[tokio::test]
async fn the_vendor_chooses_the_products_and_quotas_of_a_grant() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    app.signed_in_as("ada@vendor.example", keyfold::domain::Role::Admin)
        .await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let product = app.license(license).product_id.to_string();
    let path = format!("/orders/{order}/managers");
    // The tab offers the products, the order's own ticked.
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("Products they may issue or order"));
    assert!(page.contains(&format!("name=\"products\" value=\"{product}\" checked")));
    let base = |quota: &'static str| {
        vec![
            ("email", "q@customer.example"),
            ("name", "Quota Person"),
            ("permissions", "issue_license"),
            ("products_shown", "1"),
            ("quota", quota),
        ]
    };
    // A forged product or a bad quota: 422, nothing changed.
    for (products, quota) in [("999999", ""), ("abc", ""), (product.as_str(), "-1")] {
        let before = snapshot(&app);
        let mut f = base(quota);
        f.push(("products", products));
        f.push(("quota_product", products));
        let r = app.post_form(&path, &f).await;
        assert_eq!(r.status(), 422, "{products} {quota}");
        assert_eq!(snapshot(&app), before, "{products} {quota}");
    }
    let mut f = base("2");
    f.push(("products", product.as_str()));
    f.push(("quota_product", product.as_str()));
    assert_eq!(app.post_form(&path, &f).await.status(), 303);
    let grant: i64 = app.newest_id("manager_grants");
    let rows: Vec<(keyfold::domain::ProductId, Option<i64>)> = grant_products::table
        .filter(grant_products::grant_id.eq(grant))
        .select((grant_products::product_id, grant_products::quota))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows, vec![(app.license(license).product_id, Some(2))]);
    // Changing it on the row: no products at all.
    let r = app
        .post_form(
            &format!("/orders/{order}/managers/{grant}/permissions"),
            &[("permissions", "issue_license"), ("products_shown", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let left: i64 = grant_products::table
        .filter(grant_products::grant_id.eq(grant))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
}
