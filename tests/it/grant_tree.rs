//! The grant tree: a vendor's quota and a manager's reach hold whatever managers do.
//! Each test replays an attack found on the license portal (a customer's administrator
//! with a second mailbox), through the real forms on both sides.

use diesel::prelude::*;
use keyfold::db::schema::{grant_products, licenses, manager_grants};
use keyfold::domain::{Permission, Role};

use crate::helpers::TestApp;
use crate::portal_issue::{post, signed_in, used};
use crate::portal_orders::order_of;
use crate::role_matrix::snapshot;

/// A demo database, staff signed in, and `it-admin` holding a vendor-made grant with all
/// nine permissions on an order, with a quota of 10 licenses of the order's product.
struct Tree {
    app: TestApp,
    order: i64,
    product: i64,
    p: String,
    boss: reqwest::Client,
    boss_id: i64,
    root: i64,
}

fn all_nine() -> Vec<(&'static str, &'static str)> {
    Permission::ALL
        .iter()
        .map(|p| ("permissions", p.key()))
        .collect()
}

/// (id, parent, vendor-made) of a manager's grant on an order.
fn grant_of(app: &TestApp, manager: i64, order: i64) -> Option<(i64, Option<i64>, bool)> {
    manager_grants::table
        .filter(manager_grants::manager_id.eq(manager))
        .filter(manager_grants::order_id.eq(order))
        .select((
            manager_grants::id,
            manager_grants::parent_grant_id,
            manager_grants::vendor_made,
        ))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn quota(app: &TestApp, grant: i64, product: i64) -> Option<i64> {
    grant_products::table
        .filter(grant_products::grant_id.eq(grant))
        .filter(grant_products::product_id.eq(product))
        .select(grant_products::quota)
        .first(&mut app.conn())
        .unwrap()
}

/// Licenses that record `root` as the vendor-made grant they were created through.
fn recorded(app: &TestApp, root: i64) -> i64 {
    licenses::table
        .filter(licenses::root_grant_id.eq(root))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn tree() -> Tree {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    app.signed_in_as("ada@vendor.example", Role::Admin).await;
    let (boss_id, boss) = signed_in(&app, "it-admin@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let product = app.license(license).product_id;
    let p = product.to_string();
    let mut fields = vec![
        ("email", "it-admin@customer.example"),
        ("name", "IT Admin"),
        ("products_shown", "1"),
        ("products", p.as_str()),
        ("quota_product", p.as_str()),
        ("quota", "10"),
    ];
    fields.extend(all_nine());
    let r = app
        .post_form(&format!("/orders/{order}/managers"), &fields)
        .await;
    assert_eq!(r.status(), 303, "staff add it-admin");
    let (root, parent, vendor_made) = grant_of(&app, boss_id, order).unwrap();
    assert_eq!((parent, vendor_made), (None, true), "staff made it");
    Tree {
        app,
        order,
        product: product.into(),
        p,
        boss,
        boss_id,
        root,
    }
}

impl Tree {
    /// `c` invites `email` (who already has an account) with all nine permissions and a
    /// hand-made request without the products section; returns their grant.
    async fn invite(&self, c: &reqwest::Client, email: &str, id: i64) -> i64 {
        let mut f = vec![("email", email), ("name", "Someone")];
        f.extend(all_nine());
        let path = format!("/portal/orders/{}/managers", self.order);
        assert_eq!(post(&self.app, c, &path, &f).await, 303, "{email} invited");
        grant_of(&self.app, id, self.order).unwrap().0
    }

    async fn issue(&self, c: &reqwest::Client, order: i64, count: &str) -> u16 {
        let path = format!("/portal/orders/{order}/issue");
        post(
            &self.app,
            c,
            &path,
            &[("product", &self.p), ("count", count)],
        )
        .await
    }

    async fn create_order(&self, c: &reqwest::Client, from: i64) -> i64 {
        let path = format!("/portal/orders/{from}/create-order");
        let f = [("product", self.p.as_str()), ("count", "1")];
        assert_eq!(post(&self.app, c, &path, &f).await, 303, "order created");
        self.app.newest_id("orders")
    }

    /// A manager's edit of another grant's permissions and quota of the product.
    async fn edit(&self, c: &reqwest::Client, grant: i64, quota: &str) -> u16 {
        let path = format!("/portal/orders/{}/managers/{grant}/permissions", self.order);
        let mut f = vec![
            ("products_shown", "1"),
            ("products", self.p.as_str()),
            ("quota_product", self.p.as_str()),
            ("quota", quota),
        ];
        f.extend(all_nine());
        post(&self.app, c, &path, &f).await
    }
}

#[tokio::test]
async fn a_delegate_cannot_edit_its_delegator_and_only_staff_set_the_vendors_quota() {
    let t = tree().await;
    let app = &t.app;
    assert_eq!(t.issue(&t.boss, t.order, "2").await, 303);
    let (alt_id, alt) = signed_in(app, "alt@customer.example").await;
    let alt_grant = t.invite(&t.boss, "alt@customer.example", alt_id).await;
    assert_eq!(
        grant_of(app, alt_id, t.order),
        Some((alt_grant, Some(t.root), false)),
        "the delegate hangs below its delegator, not vendor-made"
    );
    // The attack: alt edits it-admin's grant (every product, an empty quota), and removes it.
    let before = snapshot(app);
    assert_eq!(
        t.edit(&alt, t.root, "").await,
        422,
        "refused with a message beside the row"
    );
    let remove = format!("/portal/orders/{}/managers/{}/remove", t.order, t.root);
    assert_eq!(post(app, &alt, &remove, &[]).await, 303);
    assert_eq!(snapshot(app), before, "nothing changed");
    let page = app
        .page_with(&alt, &format!("/portal/orders/{}/managers", t.order))
        .await;
    assert!(page.contains("was not invited through you"), "{page}");
    assert_eq!(
        grant_of(app, t.boss_id, t.order),
        Some((t.root, None, true)),
        "no cycle"
    );
    assert_eq!(quota(app, t.root, t.product), Some(10));
    // Inviting someone who already holds a grant on the order is refused, not an edit.
    let before = snapshot(app);
    let mut f = vec![("email", "it-admin@customer.example"), ("name", "x")];
    f.extend(all_nine());
    let invite = format!("/portal/orders/{}/managers", t.order);
    assert_eq!(post(app, &alt, &invite, &f).await, 422);
    assert_eq!(snapshot(app), before);
    // The vendor's ceiling holds for both: 8 left, shared.
    assert_eq!(t.issue(&t.boss, t.order, "9").await, 422);
    assert_eq!(t.issue(&alt, t.order, "5").await, 303);
    assert_eq!(t.issue(&t.boss, t.order, "4").await, 422);
    assert_eq!(t.issue(&t.boss, t.order, "3").await, 303);
    assert_eq!(t.issue(&alt, t.order, "1").await, 422);
    assert_eq!(used(app, t.root, t.product), 10);
    assert_eq!(
        recorded(app, t.root),
        10,
        "every license records its vendor grant"
    );
    // Staff may not lower the quota below what was created; they may lift it.
    let path = format!("/orders/{}/managers/{}/permissions", t.order, t.root);
    let mut f = vec![
        ("products_shown", "1"),
        ("products", t.p.as_str()),
        ("quota_product", t.p.as_str()),
        ("quota", "9"),
    ];
    f.extend(all_nine());
    let before = snapshot(app);
    assert_eq!(app.post_form(&path, &f).await.status(), 422);
    assert_eq!(snapshot(app), before);
    f[3].1 = "11";
    assert_eq!(app.post_form(&path, &f).await.status(), 303);
    assert_eq!(t.issue(&alt, t.order, "1").await, 303);
    assert_eq!(t.issue(&t.boss, t.order, "1").await, 422);
}

#[tokio::test]
async fn removing_a_grant_removes_what_was_derived_from_it_and_frees_nothing() {
    let t = tree().await;
    let app = &t.app;
    // it-admin creates an order (a grant below theirs there), and invites alt, who
    // creates one too.
    let mine = t.create_order(&t.boss, t.order).await;
    let (mine_grant, parent, vendor_made) = grant_of(app, t.boss_id, mine).unwrap();
    assert_eq!((parent, vendor_made), (Some(t.root), false));
    let (alt_id, alt) = signed_in(app, "alt@customer.example").await;
    let alt_grant = t.invite(&t.boss, "alt@customer.example", alt_id).await;
    let alts = t.create_order(&alt, t.order).await;
    // Ancestors gain no reach into orders their delegates create.
    for path in [
        format!("/portal/orders/{alts}"),
        format!("/portal/orders/{alts}/managers"),
    ] {
        let r = t.boss.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(t.issue(&t.boss, alts, "1").await, 404);
    // A delegate with equal permissions cannot remove its delegator.
    let before = snapshot(app);
    let remove = format!("/portal/orders/{}/managers/{}/remove", t.order, t.root);
    assert_eq!(post(app, &alt, &remove, &[]).await, 303);
    assert_eq!(snapshot(app), before);
    // Staff remove it-admin: the confirmation lists what goes with the grant.
    let confirm = app
        .page(&format!("/orders/{}/managers/{}/remove", t.order, t.root))
        .await;
    let mine_ref = app.order_reference(mine);
    let alts_ref = app.order_reference(alts);
    for shown in [
        format!("it-admin@customer.example on order {mine_ref}"),
        format!(
            "alt@customer.example on order {}",
            app.order_reference(t.order)
        ),
        format!("alt@customer.example on order {alts_ref}"),
    ] {
        assert!(confirm.contains(&shown), "{shown} listed: {confirm}");
    }
    let r = app
        .post_form(
            &format!("/orders/{}/managers/{}/remove", t.order, t.root),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    for (who, order) in [
        (t.boss_id, t.order),
        (t.boss_id, mine),
        (alt_id, t.order),
        (alt_id, alts),
    ] {
        assert_eq!(grant_of(app, who, order), None, "{who} on {order} removed");
    }
    let _ = (mine_grant, alt_grant);
    // Nothing derived is left to issue through.
    let licenses_before = app.count("licenses");
    assert_eq!(t.issue(&t.boss, mine, "150").await, 404);
    assert_eq!(t.issue(&alt, alts, "150").await, 404);
    assert_eq!(app.count("licenses"), licenses_before);
}

#[tokio::test]
async fn an_editor_gives_a_delegate_no_more_than_the_editor_has_left_and_lowering_clamps_below() {
    let t = tree().await;
    let app = &t.app;
    assert_eq!(t.issue(&t.boss, t.order, "6").await, 303);
    let (b_id, b) = signed_in(app, "b@customer.example").await;
    let b_grant = t.invite(&t.boss, "b@customer.example", b_id).await;
    let (c_id, _) = signed_in(app, "c@customer.example").await;
    let c_grant = t.invite(&b, "c@customer.example", c_id).await;
    assert_eq!(grant_of(app, c_id, t.order).unwrap().1, Some(b_grant));
    // it-admin has 4 left: c (below b, below it-admin) gets at most that.
    let before = snapshot(app);
    assert_eq!(t.edit(&t.boss, c_grant, "9").await, 422);
    assert_eq!(
        snapshot(app),
        before,
        "a quota above the editor's remainder"
    );
    assert_eq!(t.edit(&t.boss, c_grant, "4").await, 303);
    assert_eq!(quota(app, c_grant, t.product), Some(4));
    assert_eq!(
        grant_of(app, c_id, t.order).unwrap().1,
        Some(b_grant),
        "the edit keeps the tree's shape"
    );
    // Lowering b clamps c: a smaller quota, and fewer permissions.
    let path = format!("/portal/orders/{}/managers/{b_grant}/permissions", t.order);
    let f = [
        ("permissions", "issue_license"),
        ("permissions", "reset_device"),
        ("products_shown", "1"),
        ("products", t.p.as_str()),
        ("quota_product", t.p.as_str()),
        ("quota", "2"),
    ];
    assert_eq!(post(app, &t.boss, &path, &f).await, 303);
    assert_eq!(quota(app, c_grant, t.product), Some(2));
    let c_perms: keyfold::domain::Permissions = manager_grants::table
        .find(c_grant)
        .select(keyfold::domain::Permissions::as_select())
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        c_perms.held(),
        vec![Permission::ResetDevice, Permission::IssueLicense]
    );
}

#[tokio::test]
async fn deleting_an_order_removes_the_grants_derived_from_its_grants() {
    let t = tree().await;
    let app = &t.app;
    let mine = t.create_order(&t.boss, t.order).await;
    assert!(grant_of(app, t.boss_id, mine).is_some());
    // The confirmation says what goes with the order.
    let confirm = app.page(&format!("/orders/{}/delete", t.order)).await;
    let mine_ref = app.order_reference(mine);
    assert!(
        confirm.contains(&format!("it-admin@customer.example on order {mine_ref}")),
        "{confirm}"
    );
    let reference = app.order_reference(t.order);
    let r = app
        .post_form(
            &format!("/orders/{}/delete", t.order),
            &[("confirm_reference", reference.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        grant_of(app, t.boss_id, mine),
        None,
        "no orphan outlives it"
    );
    assert_eq!(t.issue(&t.boss, mine, "1").await, 404);
}

#[tokio::test]
async fn fifty_issues_at_once_through_a_grant_and_its_delegate_take_exactly_the_quota() {
    let t = tree().await;
    let app = &t.app;
    let (alt_id, alt) = signed_in(app, "alt@customer.example").await;
    t.invite(&t.boss, "alt@customer.example", alt_id).await;
    // Each request's form is fetched first, then all fifty are sent at once.
    let path = app.url(&format!("/portal/orders/{}/issue", t.order));
    let mut forms = Vec::new();
    for i in 0..50 {
        let c = if i % 2 == 0 { &t.boss } else { &alt };
        let token = crate::helpers::csrf_in(&app.page_with(c, "/portal/account").await).unwrap();
        forms.push((c.clone(), token));
    }
    let posts = forms.iter().map(|(c, token)| {
        c.post(&path).form(&[
            ("csrf_token", token.as_str()),
            ("product", t.p.as_str()),
            ("count", "1"),
        ])
    });
    let statuses = crate::helpers::statuses_at_once(posts).await;
    let ok = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 422).count();
    assert_eq!((ok, refused), (10, 40), "{statuses:?}");
    assert_eq!(recorded(app, t.root), 10);
    assert_eq!(used(app, t.root, t.product), 10);
}
