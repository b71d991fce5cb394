//! No input breaks the server: a panic inside a write transaction answers the 500 page
//! with its request id, the pool discards the connection that saw it, and every later
//! sign-in and change works — on SQLite and on PostgreSQL.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use keyfold::domain::Role;
use keyfold::web::AppState;

use crate::helpers::{extra_routes, TestApp};

/// A route only the test mounts: writes a label inside a write transaction, then panics
/// before the transaction ends.
async fn panic_in_transaction(
    state: web::Data<AppState>,
) -> Result<HttpResponse, keyfold::error::AppError> {
    state
        .db(|conn| {
            keyfold::db::write_tx(conn, |conn| {
                use keyfold::db::schema::labels;
                let now = keyfold::models::now();
                diesel::insert_into(labels::table)
                    .values((
                        labels::name.eq("half-done"),
                        labels::name_norm.eq("half-done"),
                        labels::colour.eq("#000000"),
                        labels::created_at.eq(now),
                        labels::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if now.and_utc().timestamp() > 0 {
                    panic!("a bug inside a write transaction");
                }
                Ok::<_, keyfold::error::AppError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().finish())
}

/// A route that panics in the handler itself, outside any database work.
async fn panic_in_handler() -> HttpResponse {
    let n: Vec<u8> = Vec::new();
    HttpResponse::Ok().body(format!("{}", n[n.len() + 1]))
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(
        // The API signs its answers only with a secret from outside the database (on
        // PostgreSQL there is no secret file).
        |c| {
            c.secret_key = Some(keyfold::config::Secret::new(
                "a resilience secret of 32 characters or more",
            ))
        },
        extra_routes(|cfg| {
            cfg.route("/test/panic-in-tx", web::get().to(panic_in_transaction));
            cfg.route("/portal/test/panic", web::get().to(panic_in_handler));
            cfg.route("/api/v1/test/panic", web::get().to(panic_in_handler));
        }),
    )
    .await
}

#[tokio::test]
async fn a_panic_inside_a_write_transaction_leaves_no_connection_behind() {
    let app = spawn().await;
    app.signed_in_as("admin@example.com", Role::Admin).await;
    // More panics than the pool has connections, several at once.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let url = app.url("/test/panic-in-tx");
        tasks.push(tokio::spawn(
            async move { reqwest::get(url).await.unwrap() },
        ));
    }
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status(), 500);
        let body = r.text().await.unwrap();
        assert!(body.contains("Something went wrong"), "{body}");
        assert!(
            body.contains("Request id"),
            "the 500 page shows the request id"
        );
    }
    assert_eq!(
        app.count("labels"),
        0,
        "nothing of the panicked transaction is kept"
    );
    // Every later sign-in and change works, on every connection of the pool.
    for i in 0..20 {
        let c = crate::helpers::client();
        let r = app
            .sign_in_with(&c, "admin@example.com", crate::helpers::PASSWORD, None)
            .await;
        assert_eq!(r.status(), 303, "sign-in {i} after the panics");
        let token = app.csrf_token_with(&c).await;
        let name = format!("Label {i}");
        let r = c
            .post(app.url("/labels"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("name", name.as_str()),
                ("colour", "#4f46e5"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "change {i} after the panics");
    }
    assert_eq!(app.count("labels"), 20, "every change was committed");
}

#[tokio::test]
async fn a_panic_in_a_handler_answers_the_page_of_its_area_and_the_server_goes_on() {
    let app = spawn().await;
    let r = app.get("/portal/test/panic").await;
    assert_eq!(r.status(), 500);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Back to your orders"),
        "a portal page: {body}"
    );
    assert!(body.contains("Request id"), "{body}");

    let r = app.api_get("/api/v1/test/panic").await;
    assert_eq!(r.status(), 500);
    assert!(
        r.headers().contains_key("signature"),
        "a 500 of the API is signed too"
    );
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["code"], "internal_error");
    assert!(json["request_id"].as_str().is_some_and(|s| !s.is_empty()));

    // The same worker threads still answer.
    for _ in 0..4 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    app.signed_in_as("admin@example.com", Role::Admin).await;
    assert_eq!(app.get("/orders").await.status(), 200);
}

#[tokio::test]
async fn errors_are_rendered_for_their_area() {
    let app = spawn().await;
    let r = app.get("/no-such-page").await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Back to orders"));
    let r = app.get("/portal/no-such-page").await;
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("Back to your orders") && !body.contains("Back to orders"));
    let r = app.api_get("/api/v1/no-such-thing").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["code"], "not_found");
}
