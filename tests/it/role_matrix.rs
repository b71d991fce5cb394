//! The role matrix, generated from the route table: for every POST route and every
//! role, the action is either allowed (anything but 403) or refused with 403 and the
//! database unchanged — exactly as the one permission table says.

use keyfold::domain::{EmailAddress, Role};
use keyfold::web::routes::{self, Access};

use crate::auth::fill_params;
use crate::helpers::{client, TestApp, PASSWORD};

/// POST routes anyone may call (they check their own credentials).
const PUBLIC_POSTS: [&str; 2] = ["/login", "/account/setup/{token}"];

/// Row counts of every table, and the newest `updated_at` where there is one.
fn snapshot(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        latest: Option<String>,
    }
    let with_updated_at = [
        "staff_users",
        "customer_accounts",
        "labels",
        "customers",
        "products",
        "orders",
        "licenses",
        "license_users",
        "settings",
    ];
    let others = [
        "sessions",
        "login_attempts",
        "tokens",
        "audit_log",
        "customer_labels",
        "product_features",
        "product_custom_fields",
        "bundle_items",
        "license_features",
        "license_custom_fields",
        "devices",
        "license_events",
        "license_user_assignments",
    ];
    let mut conn = app.conn();
    let mut out = Vec::new();
    for t in with_updated_at {
        let r: Row = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n, CAST(MAX(updated_at) AS TEXT) AS latest FROM {t}"
        ))
        .get_result(&mut conn)
        .unwrap();
        out.push((t.to_owned(), r.n, r.latest));
    }
    for t in others {
        let r: Row = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n, CAST(NULL AS TEXT) AS latest FROM {t}"
        ))
        .get_result(&mut conn)
        .unwrap();
        out.push((t.to_owned(), r.n, r.latest));
    }
    out
}

async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    assert_eq!(
        app.sign_in_with(&c, email, PASSWORD, None).await.status(),
        303,
        "{email}"
    );
    c
}

#[tokio::test]
async fn every_post_route_follows_the_permission_table_for_every_role() {
    let app = TestApp::spawn().await;
    // Something to act on: the demo company (ids 1, 2, … exist in every table).
    {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let email = EmailAddress::parse("seed@example.com").unwrap();
        let mut conn = app.conn();
        keyfold::db::write_tx(&mut conn, |c| keyfold::seed::demo::seed(c, &email, &hash)).unwrap();
    }
    let roles = [Role::ReadOnly, Role::Support, Role::Manager, Role::Admin];
    let mut clients = Vec::new();
    for role in roles {
        let email = format!("matrix-{}@example.com", role.as_str());
        app.create_staff(&email, role);
        clients.push((role, email.clone(), signed_in(&app, &email).await));
    }
    let posts: Vec<_> = routes::table()
        .into_iter()
        .filter(|r| r.method == actix_web::http::Method::POST)
        .collect();
    assert!(posts.len() > 40, "{} POST routes", posts.len());
    let mut checked = 0;
    for route in posts {
        let action = match route.access {
            Access::Public => {
                assert!(
                    PUBLIC_POSTS.contains(&route.path),
                    "POST {} has no staff permission declared",
                    route.path
                );
                continue;
            }
            Access::Staff(action) => action,
        };
        let path = fill_params(route.path);
        for (role, email, c) in clients.iter_mut() {
            let token = app.csrf_token_with(c).await;
            let before = snapshot(&app);
            let r = c
                .post(app.url(&path))
                .form(&[("csrf_token", token.as_str())])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            if role.can(action) {
                assert_ne!(status, 403, "{role:?} may {action:?}: POST {path}");
                // Some allowed actions end the session (sign-out): start a new one.
                if c.get(app.url("/account/password"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    != 200
                {
                    *c = signed_in(&app, email).await;
                }
            } else {
                assert_eq!(status, 403, "{role:?} may not {action:?}: POST {path}");
                assert_eq!(
                    snapshot(&app),
                    before,
                    "{role:?} POST {path} changed the database"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 160, "{checked} checks");
}
