//! "Your licenses" in the license portal: every license of the orders a manager manages,
//! searched by key or order reference, and exported as CSV — only those orders, audited.

use diesel::prelude::*;
use keyfold::db::schema::{audit_log, licenses, orders};
use keyfold::domain::Permissions;

use crate::helpers::{client, TestApp, PASSWORD};
use crate::portal_orders::set_grant;

/// The demo's orders with their license ids, most licenses first.
fn orders_with_licenses(app: &TestApp) -> Vec<(i64, String, Vec<i64>)> {
    let rows: Vec<(i64, String, i64)> = licenses::table
        .inner_join(orders::table)
        .select((orders::id, orders::reference, licenses::id))
        .order((orders::id.asc(), licenses::id.asc()))
        .load(&mut app.conn())
        .unwrap();
    let mut out: Vec<(i64, String, Vec<i64>)> = Vec::new();
    for (o, r, l) in rows {
        match out.last_mut() {
            Some(last) if last.0 == o => last.2.push(l),
            _ => out.push((o, r, vec![l])),
        }
    }
    out.sort_by_key(|(_, _, l)| std::cmp::Reverse(l.len()));
    out
}

fn key_of(app: &TestApp, id: i64) -> String {
    licenses::table
        .find(id)
        .select(licenses::license_key)
        .first(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_manager_finds_and_exports_the_licenses_of_their_orders_only() {
    let app = TestApp::spawn().await;
    app.seed_demo("admin@example.com");
    let m = app.create_license_manager("finder@customer.example");
    let all = orders_with_licenses(&app);
    let (a, b, other) = (&all[0], &all[1], &all[2]);
    set_grant(&app, m.id.into(), a.0, Permissions::default());
    set_grant(&app, m.id.into(), b.0, Permissions::default());
    let c = client();
    assert_eq!(
        app.portal_sign_in_with(&c, "finder@customer.example", PASSWORD)
            .await
            .status(),
        303
    );
    let page = |path: String| {
        let (app, c) = (&app, &c);
        async move {
            c.get(app.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let shows = |html: &str, id: i64| html.contains(&format!("href=\"/portal/licenses/{id}\""));
    let mine = a.2.len() + b.2.len();
    let html = page("/portal/licenses".into()).await;
    assert!(html.contains("Your licenses") && html.contains("2 orders"));
    assert!(
        html.contains(&format!("of {mine}")),
        "the count is of their orders' licenses ({mine})"
    );
    assert!(!other.2.iter().any(|id| shows(&html, *id)));
    // By a key's start, dashes optional; another order's key finds nothing.
    let key = key_of(&app, b.2[0]);
    let html = page(format!("/portal/licenses?key={}", &key[..7])).await;
    assert!(shows(&html, b.2[0]));
    let theirs = key_of(&app, other.2[0]);
    let html = page(format!("/portal/licenses?key={}", theirs.replace('-', ""))).await;
    assert!(!shows(&html, other.2[0]) && html.contains("No licenses match"));
    // By an order's reference.
    let html = page(format!("/portal/licenses?key={}", a.1)).await;
    assert!(a.2.iter().all(|id| shows(&html, *id)));
    assert!(!b.2.iter().any(|id| shows(&html, *id)));
    let html = page(format!("/portal/licenses?key={}", other.1)).await;
    assert!(html.contains("No licenses match"));
    // License users by the start of their email, where the grant manages them.
    app.insert_license_user(a.0, "zed@customer.example");
    app.insert_license_user(other.0, "zoe@customer.example");
    let html = page("/portal/licenses?key=z".into()).await;
    assert!(
        !html.contains("zed@customer.example"),
        "not without Manage license users"
    );
    set_grant(
        &app,
        m.id.into(),
        a.0,
        Permissions::from_iter([keyfold::domain::Permission::ManageLicenseUsers]),
    );
    let html = page("/portal/licenses?key=ZE".into()).await;
    assert!(
        html.contains("zed@customer.example")
            && html.contains(&format!("/portal/orders/{}/users", a.0))
    );
    let html = page("/portal/licenses?key=zo".into()).await;
    assert!(
        !html.contains("zoe@customer.example"),
        "another order's users stay hidden"
    );
    // The export: every license of their orders, no other, audited as theirs.
    let r = c.get(app.url("/portal/licenses.csv")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "license_key,product,order_reference,license_type,status,active_devices,max_activations,start_date,valid_until,maintenance_until,is_trial"
    );
    let keys: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(keys.len(), mine);
    for id in a.2.iter().chain(&b.2) {
        assert!(keys.contains(&key_of(&app, *id).as_str()));
    }
    for id in &other.2 {
        assert!(!keys.contains(&key_of(&app, *id).as_str()));
    }
    let (kind, actor, after): (String, Option<i64>, Option<String>) = audit_log::table
        .filter(audit_log::action.eq("licenses.exported"))
        .select((
            audit_log::actor_kind,
            audit_log::actor_id,
            audit_log::after_json,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((kind.as_str(), actor), ("manager", Some(m.id.into())));
    assert!(after.unwrap().contains(&format!("\"rows\":{mine}")));
    // A manager with no orders exports a header only.
    app.create_license_manager("nobody@customer.example");
    let c2 = client();
    app.portal_sign_in_with(&c2, "nobody@customer.example", PASSWORD)
        .await;
    let csv = c2
        .get(app.url("/portal/licenses.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1);
}
