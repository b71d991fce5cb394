//! The license portal's order and license pages: the permission matrix generated from
//! the portal route table, 404 for anything of another order (by URL and by forged form
//! fields), resets that keep end dates, the order's activity, and grants that change
//! mid-session.

use actix_web::http::Method;
use diesel::prelude::*;
use keyfold::db::schema::{licenses, manager_grants};
use keyfold::domain::{OnOrder, Permission, Permissions, Role};
use keyfold::web::routes::{self, Access};

use crate::helpers::{client, csrf_in, TestApp, PASSWORD};
use crate::role_matrix::snapshot;

/// Gives `manager` exactly `perms` on `order` (an accepted grant), replacing any other.
pub fn set_grant(app: &TestApp, manager: i64, order: i64, perms: Permissions) -> i64 {
    let mut conn = app.conn();
    diesel::delete(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager))
            .filter(manager_grants::order_id.eq(order)),
    )
    .execute(&mut conn)
    .unwrap();
    let now = keyfold::models::now();
    diesel::insert_into(manager_grants::table)
        .values((
            manager_grants::manager_id.eq(manager),
            manager_grants::order_id.eq(order),
            keyfold::models::grant_flags::Flags::from(perms),
            manager_grants::invite_state.eq("accepted"),
            manager_grants::created_by_kind.eq("system"),
            manager_grants::vendor_made.eq(true),
            manager_grants::created_at.eq(now),
            manager_grants::updated_at.eq(now),
        ))
        .returning(manager_grants::id)
        .get_result(&mut conn)
        .unwrap()
}

/// Gives `manager` `perms` on `order` as a delegate hanging from grant `parent` (what
/// "Manage managers" makes), replacing any other grant of theirs on the order.
pub fn set_delegate(
    app: &TestApp,
    manager: i64,
    order: i64,
    perms: Permissions,
    parent: i64,
) -> i64 {
    let id = set_grant(app, manager, order, perms);
    diesel::update(manager_grants::table.find(id))
        .set((
            manager_grants::vendor_made.eq(false),
            manager_grants::created_by_kind.eq("manager"),
            manager_grants::parent_grant_id.eq(Some(parent)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    id
}

pub fn order_of(app: &TestApp, license: i64) -> i64 {
    licenses::table
        .find(license)
        .select(licenses::order_id)
        .first(&mut app.conn())
        .unwrap()
}

/// A demo company, and a license manager signed in on a client of their own.
async fn portal_app(email: &str) -> (TestApp, i64, reqwest::Client) {
    // A secret on both backends: offline activation answers signed files.
    let app = TestApp::spawn_with(
        |c| c.secret_key = Some(keyfold::config::Secret::new(crate::api_seats::SECRET)),
        None,
    )
    .await;
    app.seed_demo("admin@example.com");
    let m = app.create_license_manager(email);
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, email, PASSWORD).await.status(),
        303
    );
    (app, m.id.into(), c)
}

async fn portal_token(app: &TestApp, c: &reqwest::Client) -> String {
    let page = c.get(app.url("/portal/account")).send().await.unwrap();
    csrf_in(&page.text().await.unwrap()).expect("the account page has a form")
}

async fn send(
    app: &TestApp,
    c: &reqwest::Client,
    method: &Method,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String) {
    let (status, _, body) = send_to(app, c, method, path, fields).await;
    (status, body)
}

/// [`send`], with where a redirect leads.
async fn send_to(
    app: &TestApp,
    c: &reqwest::Client,
    method: &Method,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String, String) {
    let r = if *method == Method::GET {
        c.get(app.url(path)).send().await.unwrap()
    } else {
        let mut form = vec![("csrf_token", portal_token(app, c).await)];
        form.extend(fields.iter().map(|(k, v)| (*k, v.clone())));
        let owned: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        // Offline activation is an upload: a request file for the page's license.
        let hw = format!("hw-matrix-{}", owned.len() + path.len() + rand_suffix());
        match crate::offline::offline_upload(app, path, &owned, &hw) {
            Some(upload) => c
                .post(app.url(path))
                .multipart(upload)
                .send()
                .await
                .unwrap(),
            None => c.post(app.url(path)).form(&form).send().await.unwrap(),
        }
    };
    let status = r.status().as_u16();
    let to = crate::helpers::location(&r);
    (status, to, r.text().await.unwrap_or_default())
}

/// A number that differs between calls (a fresh hardware id per upload).
fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Lets a grant issue every product, without quotas.
pub fn allow_every_product(app: &TestApp, grant: i64) {
    use keyfold::db::schema::{grant_products, products};
    let ids: Vec<i64> = products::table
        .select(products::id)
        .load(&mut app.conn())
        .unwrap();
    for id in ids {
        diesel::insert_into(grant_products::table)
            .values((
                grant_products::grant_id.eq(grant),
                grant_products::product_id.eq(id),
                grant_products::used.eq(0),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
}

/// A bundle product with parts (the demo has one).
pub fn a_bundle(app: &TestApp) -> i64 {
    use keyfold::db::schema::{bundle_items, products};
    products::table
        .filter(products::is_bundle.eq(true))
        .filter(diesel::dsl::exists(
            bundle_items::table.filter(bundle_items::bundle_id.eq(products::id)),
        ))
        .select(products::id)
        .first(&mut app.conn())
        .expect("a bundle with parts")
}

/// Makes a license floating (2 seats, borrowable for 48 hours) and user-based (up to 5
/// users), and gives its order a license user; returns the user's id.
pub fn prepare_license(app: &TestApp, license: i64, order: i64, n: usize) -> i64 {
    diesel::update(licenses::table.find(license))
        .set((
            licenses::floating_seats.eq(2),
            licenses::borrow_limit_hours.eq(48),
            licenses::max_license_users.eq(5),
        ))
        .execute(&mut app.conn())
        .unwrap();
    app.insert_license_user(order, &format!("user-{n}@customer.example"))
}

#[tokio::test]
async fn the_portal_permission_matrix_follows_the_route_table() {
    let (app, manager, c) = portal_app("matrix@customer.example").await;
    let mut checked = Vec::new();
    let mut golden: Vec<String> = Vec::new();
    for route in routes::table() {
        let Access::Grant(on) = route.access else {
            continue;
        };
        assert!(
            route.path.starts_with("/portal/"),
            "{} is a portal route",
            route.path
        );
        let need = match on {
            OnOrder::Needs(p) => p,
            OnOrder::AnyGrant => {
                // Pages: any grant, even one with no permission, sees them.
                let (license, _) = app.an_active_device();
                let order = order_of(&app, license);
                set_grant(&app, manager, order, Permissions::default());
                let path = route.path.replace(
                    "{id}",
                    &if route.path.starts_with("/portal/orders/") {
                        order
                    } else {
                        license
                    }
                    .to_string(),
                );
                let (status, _) = send(&app, &c, &route.method, &path, &[]).await;
                assert_eq!(status, 200, "GET {path} with a grant");
                continue;
            }
        };
        for allowed in [false, true] {
            // A license of an order with an active device: grant exactly the permission,
            // or all the other eight.
            let (license, device) = app.an_active_device();
            let order = order_of(&app, license);
            let perms = if allowed {
                Permissions::from_iter([need])
            } else {
                Permission::ALL.into_iter().filter(|p| *p != need).collect()
            };
            let mine = set_grant(&app, manager, order, perms);
            allow_every_product(&app, mine);
            // Another manager of the order with no permissions, for routes on a grant.
            let n = checked.len();
            let other = app.create_license_manager(&format!("other-{n}@customer.example"));
            let other_grant =
                set_delegate(&app, other.id.into(), order, Permissions::default(), mine);
            let id = if route.path.starts_with("/portal/orders/") {
                order
            } else {
                license
            };
            // A floating, user-based license with a license user of the order, so that
            // every action has something to act on.
            let user = prepare_license(&app, license, order, n);
            if route.path.ends_with("/users/remove") {
                app.assign_license_user(license, user);
            }
            if route.path.ends_with("/devices/return") {
                app.borrow_seat(device);
            }
            let path = route
                .path
                .replace("{id}", &id.to_string())
                .replace("{grant}", &other_grant.to_string())
                .replace("{user}", &user.to_string());
            // What the route's form would carry (each route reads only its own fields).
            let until = (keyfold::models::now() + chrono::Duration::hours(2))
                .format("%Y-%m-%dT%H:%M")
                .to_string();
            let fields = [
                ("device_id", device.to_string()),
                ("confirmed", "yes".to_owned()),
                ("email", format!("invitee-{n}@customer.example")),
                ("name", format!("Invitee {n}")),
                ("permissions", need.key().to_owned()),
                ("license_user_id", user.to_string()),
                ("until", until),
                ("new_password", "a new password 123".to_owned()),
                (
                    "product",
                    if route.path.ends_with("create-bundle-order") {
                        a_bundle(&app)
                    } else {
                        app.license(license).product_id.into()
                    }
                    .to_string(),
                ),
                ("count", "1".to_owned()),
                ("confirm_password", "a new password 123".to_owned()),
            ];
            let before = snapshot(&app);
            let (status, to, body) = send_to(&app, &c, &route.method, &path, &fields).await;
            let after = snapshot(&app);
            // The golden master: what the manager sees of it.
            golden.push(crate::role_matrix::golden_line(
                &format!(
                    "{} {} {}",
                    route.method,
                    route.path,
                    if allowed { "with" } else { "without" }
                ),
                &format!("{need:?}"),
                status,
                &to,
                &if status == 303 && to.starts_with('/') {
                    app.page_with(&c, &to).await
                } else {
                    body.clone()
                },
            ));
            if allowed {
                assert!(
                    status < 400,
                    "{need:?} allows {} {path}: {status} {body}",
                    route.method
                );
                if route.method == Method::POST {
                    assert_ne!(before, after, "{need:?} {path}: allowed, nothing changed");
                }
            } else {
                assert_eq!(status, 403, "without {need:?}: {} {path}", route.method);
                assert_eq!(
                    before, after,
                    "without {need:?}: {path} changed the database"
                );
            }
            checked.push((need, route.method.clone(), route.path));
        }
    }
    // Every permission that has routes was checked both ways; the next issue's routes
    // join automatically.
    for p in [
        Permission::ResetDevice,
        Permission::ResetLicense,
        Permission::ManageManagers,
        Permission::ManageLicenseUsers,
        Permission::ManageLicenseUserCredentials,
        Permission::BorrowLicense,
        Permission::IssueLicense,
        Permission::CreateOrder,
        Permission::CreateBundleOrder,
    ] {
        assert!(checked.iter().any(|(n, _, _)| *n == p), "{p:?} has routes");
    }
    assert!(checked.len() >= 14, "{checked:?}");
    insta::assert_snapshot!("portal_permission_matrix", golden.join("\n"));
}

#[tokio::test]
async fn a_manager_of_one_order_learns_nothing_about_another() {
    let (app, manager, c) = portal_app("nosy@customer.example").await;
    let (mine, _) = app.an_active_device();
    let order_a = order_of(&app, mine);
    set_grant(&app, manager, order_a, Permissions::all());
    // Another order's license with an active device.
    let (theirs, their_device): (i64, i64) = {
        use keyfold::db::schema::devices;
        devices::table
            .inner_join(licenses::table)
            .filter(devices::deactivated_at.is_null())
            .filter(licenses::order_id.ne(order_a))
            .select((devices::license_id, devices::id))
            .first(&mut app.conn())
            .unwrap()
    };
    let order_b = order_of(&app, theirs);
    let stranger = app.create_license_manager("stranger@other.example");
    let their_grant = set_grant(&app, stranger.id.into(), order_b, Permissions::default());
    let (_, missing_page) = send(&app, &c, &Method::GET, "/portal/orders/99999999", &[]).await;
    let before = snapshot(&app);
    for (method, path, fields) in [
        (Method::GET, format!("/portal/orders/{order_b}"), vec![]),
        (
            Method::GET,
            format!("/portal/orders/{order_b}/activity"),
            vec![],
        ),
        (Method::GET, format!("/portal/licenses/{theirs}"), vec![]),
        (
            Method::GET,
            format!("/portal/licenses/{theirs}/reset"),
            vec![],
        ),
        (
            Method::POST,
            format!("/portal/licenses/{theirs}/reset"),
            vec![],
        ),
        (
            Method::POST,
            format!("/portal/licenses/{theirs}/devices/reset"),
            vec![("device_id", their_device.to_string())],
        ),
        // Forged form: the other order's device posted to this order's license.
        (
            Method::POST,
            format!("/portal/licenses/{mine}/devices/reset"),
            vec![("device_id", their_device.to_string())],
        ),
        (
            Method::GET,
            "/portal/licenses/not-a-number".to_owned(),
            vec![],
        ),
        (
            Method::GET,
            format!("/portal/orders/{order_b}/managers"),
            vec![],
        ),
        // Forged: the other order's grant through this order's routes.
        (
            Method::GET,
            format!("/portal/orders/{order_a}/managers/{their_grant}/remove"),
            vec![],
        ),
        (
            Method::POST,
            format!("/portal/orders/{order_a}/managers/{their_grant}/remove"),
            vec![],
        ),
        (
            Method::POST,
            format!("/portal/orders/{order_a}/managers/{their_grant}/permissions"),
            vec![("permissions", "reset_device".to_owned())],
        ),
    ] {
        let (status, body) = send(&app, &c, &method, &path, &fields).await;
        assert_eq!(status, 404, "{method} {path}");
        if method == Method::GET {
            assert_eq!(body, missing_page, "{path}: the same page as a missing id");
        }
    }
    assert_eq!(snapshot(&app), before, "nothing of the other order changed");
    let home = c
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains(&app.order_reference(order_b)));
    // Their own order answers.
    assert_eq!(
        send(
            &app,
            &c,
            &Method::GET,
            &format!("/portal/orders/{order_a}"),
            &[]
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn a_portal_reset_keeps_computed_end_dates_and_a_staff_reset_restarts_them() {
    let (app, manager, c) = portal_app("keeper@customer.example").await;
    let order = app.insert_order(None, "ORD-KEEP");
    let license = app.insert_license(order, 1);
    let now = keyfold::models::now();
    let first = now - chrono::Duration::days(10);
    let valid_until = first + chrono::Duration::days(30);
    let maintenance_until = first + chrono::Duration::days(365);
    diesel::update(licenses::table.find(license))
        .set((
            licenses::license_type.eq("time_limited"),
            licenses::validity_days.eq(Some(30)),
            licenses::valid_until.eq(Some(valid_until)),
            licenses::maintenance_days.eq(Some(365)),
            licenses::maintenance_until.eq(Some(maintenance_until)),
            licenses::first_activated_at.eq(Some(first)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    app.insert_device(license, "hw-keep-1", "keep-1");
    app.insert_device(license, "hw-keep-2", "keep-2");
    set_grant(
        &app,
        manager,
        order,
        Permissions::from_iter([Permission::ResetLicense]),
    );

    let (status, page) = send(
        &app,
        &c,
        &Method::GET,
        &format!("/portal/licenses/{license}/reset"),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("keep-1") && page.contains("keep-2"),
        "the devices that will go"
    );
    assert!(
        page.contains(&format!("{} stays", valid_until.format("%Y-%m-%d"))),
        "{page}"
    );
    assert!(
        page.contains("this reset spends 2 (transfers so far: 0 used (no limit))"),
        "the transfers it spends: {page}"
    );
    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &format!("/portal/licenses/{license}/reset"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let after = app.license(license);
    assert_eq!(after.active_devices, 0);
    assert_eq!(
        after.valid_until,
        Some(valid_until),
        "a portal reset keeps the end date"
    );
    assert_eq!(after.maintenance_until, Some(maintenance_until));
    assert_eq!(after.first_activated_at, Some(first));
    let sources: Vec<keyfold::domain::Source> = keyfold::models::license_event::for_license(
        &mut app.conn(),
        keyfold::domain::LicenseId(license),
        5,
    )
    .unwrap()
    .into_iter()
    .map(|e| e.source)
    .collect();
    assert_eq!(sources[0], keyfold::domain::Source::LicensePortal);

    // A staff reset restarts the durations.
    app.insert_device(license, "hw-keep-3", "keep-3");
    app.signed_in_as("boss@vendor.example", Role::StaffManager)
        .await;
    let r = app
        .post_form(&format!("/licenses/{license}/reset"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let after = app.license(license);
    assert_eq!(
        after.valid_until, None,
        "a staff reset restarts the validity period"
    );
    assert_eq!(after.first_activated_at, None);
}

#[tokio::test]
async fn the_activity_page_lists_the_portal_changes_of_its_order_only() {
    let (app, manager, c) = portal_app("actor@customer.example").await;
    let (license, device) = app.an_active_device();
    let order_a = order_of(&app, license);
    let order_b = order_of(&app, app.a_license_outside_order(order_a));
    set_grant(
        &app,
        manager,
        order_a,
        Permissions::from_iter([Permission::ResetDevice]),
    );
    set_grant(
        &app,
        manager,
        order_b,
        Permissions::from_iter([Permission::ResetDevice]),
    );

    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &format!("/portal/licenses/{license}/devices/reset"),
        &[
            ("device_id", device.to_string()),
            ("confirmed", "yes".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let page = c
        .get(app.url(&format!("/portal/licenses/{license}")))
        .send()
        .await
        .unwrap();
    assert!(
        page.text().await.unwrap().contains("was reset"),
        "the flash says so"
    );
    // Staff disable the same license: not a portal change.
    app.signed_in_as("boss@vendor.example", Role::StaffManager)
        .await;
    assert_eq!(
        app.post_form(&format!("/licenses/{license}/disable"), &[])
            .await
            .status(),
        303
    );

    let a = c
        .get(app.url(&format!("/portal/orders/{order_a}/activity")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        a.contains("Reset device") && a.contains("actor@customer.example"),
        "{a}"
    );
    assert!(
        !a.contains("Disabled the license"),
        "staff changes are not portal activity"
    );
    let b = c
        .get(app.url(&format!("/portal/orders/{order_b}/activity")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !b.contains("Reset device"),
        "another order's activity stays there"
    );

    // The admin sees the reset in the audit log (actor: the manager) and on the license.
    let log = app
        .get("/audit-log?action=license.device_reset")
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains("actor@customer.example"), "{log}");
    let history = app
        .get(&format!("/licenses/{license}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("actor@customer.example"));
    let order_page = app
        .get(&format!("/orders/{order_a}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        order_page.contains("actor@customer.example")
            && order_page.contains(r#"<span class="kf-badge">license portal</span>"#),
        "the order's history includes its licenses' portal changes"
    );
    let source: String = {
        use keyfold::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("license.device_reset"))
            .select(audit_log::source)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(source, "license portal");
}

#[tokio::test]
async fn a_grant_removed_or_reduced_mid_session_applies_on_the_next_request() {
    let (app, manager, c) = portal_app("fleeting@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let grant = set_grant(&app, manager, order, Permissions::all());
    let page = format!("/portal/licenses/{license}/reset");
    assert_eq!(send(&app, &c, &Method::GET, &page, &[]).await.0, 200);
    // Reduced: the action is refused, the pages stay.
    set_grant(
        &app,
        manager,
        order,
        Permissions::from_iter([Permission::ResetDevice]),
    );
    assert_eq!(send(&app, &c, &Method::GET, &page, &[]).await.0, 403);
    let show = send(
        &app,
        &c,
        &Method::GET,
        &format!("/portal/licenses/{license}"),
        &[],
    )
    .await;
    assert_eq!(show.0, 200);
    assert!(
        !show.1.contains("Reset license"),
        "no button without the permission"
    );
    assert!(show.1.contains("Reset device"));
    // Removed by staff: the order is gone from the portal at once.
    let grant = newest(&app).max(grant);
    app.signed_in_as("boss@vendor.example", Role::Admin).await;
    let r = app
        .post_form(&format!("/orders/{order}/managers/{grant}/remove"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        send(
            &app,
            &c,
            &Method::GET,
            &format!("/portal/orders/{order}"),
            &[]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        send(
            &app,
            &c,
            &Method::GET,
            &format!("/portal/licenses/{license}"),
            &[]
        )
        .await
        .0,
        404
    );
}

fn newest(app: &TestApp) -> i64 {
    manager_grants::table
        .select(diesel::dsl::max(manager_grants::id))
        .first::<Option<i64>>(&mut app.conn())
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn delegation_never_exceeds_the_delegators_own_permissions() {
    let (app, manager, c) = portal_app("lead@customer.example").await;
    let (license, _) = app.an_active_device();
    let order = order_of(&app, license);
    let mine = Permissions::from_iter([Permission::ManageManagers, Permission::ResetDevice]);
    let own = set_grant(&app, manager, order, mine);
    let base = format!("/portal/orders/{order}/managers");
    let page = c
        .get(app.url(&base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Invite manager") && !page.contains("value=\"reset_license\""),
        "only my permissions are offered"
    );
    let invite = |email: &str, perm: &str| {
        vec![
            ("email", email.to_owned()),
            ("name", "Deputy".to_owned()),
            ("permissions", perm.to_owned()),
        ]
    };

    // Inviting above oneself is refused beside the field; nothing is created.
    let before = snapshot(&app);
    let (status, body) = send(
        &app,
        &c,
        &Method::POST,
        &base,
        &invite("deputy@customer.example", "reset_license"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("only permissions you hold") && body.contains("deputy@customer.example"));
    assert_eq!(snapshot(&app), before);
    // Within one's own: invited, with the same invite email as from the vendor.
    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &base,
        &invite("deputy@customer.example", "reset_device"),
    )
    .await;
    assert_eq!(status, 303);
    let deputy = newest(&app);
    let outbox = app.outbox(5);
    assert_eq!(outbox[0].to_email, "deputy@customer.example");
    assert_eq!(outbox[0].template, "invite");
    // The invite names who invited them, not the vendor alone.
    assert!(
        outbox[0]
            .body_text
            .contains("Test Manager (lead@customer.example), through Keyfold's license portal, has made you a license manager"),
        "{}",
        outbox[0].body_text
    );

    // Nobody raises anyone above themselves, nor changes their own grant.
    let before = snapshot(&app);
    for (path, fields) in [
        (
            format!("{base}/{deputy}/permissions"),
            vec![("permissions", "reset_license".to_owned())],
        ),
        (
            format!("{base}/{own}/permissions"),
            vec![("permissions", "reset_device".to_owned())],
        ),
        (format!("{base}/{own}/remove"), vec![]),
    ] {
        let (status, body) = send(&app, &c, &Method::POST, &path, &fields).await;
        if path.ends_with("/permissions") {
            assert_eq!(status, 422, "{path}: refused with a message beside the row");
            assert!(
                body.contains("You cannot change or remove your own permissions.")
                    || body.contains("You can give only permissions you hold on this order."),
                "{path}: {body}"
            );
        } else {
            assert_eq!(status, 303, "{path}: refused with a message");
        }
    }
    assert_eq!(snapshot(&app), before, "refusals changed nothing");
    // A manager holding more than me is out of my reach.
    let senior = app.create_license_manager("senior@customer.example");
    let senior_grant = set_grant(&app, senior.id.into(), order, Permissions::all());
    let before = snapshot(&app);
    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &format!("{base}/{senior_grant}/remove"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(snapshot(&app), before);
    let page = c
        .get(app.url(&base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("was not invited through you"),
        "the refusal is explained"
    );
    // Within reach: change, then remove.
    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &format!("{base}/{deputy}/permissions"),
        &[("permissions", "manage_managers".to_owned())],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = send(
        &app,
        &c,
        &Method::POST,
        &format!("{base}/{deputy}/remove"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let left: i64 = manager_grants::table
        .filter(manager_grants::id.eq(deputy))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
    let activity = c
        .get(app.url(&format!("/portal/orders/{order}/activity")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        activity.contains("lead@customer.example")
            && activity.contains("Removed the license manager"),
        "{activity}"
    );
}
