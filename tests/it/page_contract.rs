//! The page contract every later browser test relies on, checked on every page of the
//! route table (both areas) with the demo company loaded: each visible `<input>`, `<select>` and
//! `<textarea>` has a `<label for>`; each button has visible text; each table has `<th>`;
//! no inline script or style (the Content-Security-Policy forbids them).

use scraper::{Html, Selector};

use actix_web::http::Method;
use keyfold::web::routes::{self, Access};

use crate::auth::fill_params;
use crate::helpers::{client, TestApp, PASSWORD};

fn check(path: &str, html: &str) {
    let doc = Html::parse_document(html);
    let sel = |s: &str| Selector::parse(s).unwrap();
    let labels: Vec<String> = doc
        .select(&sel("label[for]"))
        .filter_map(|l| l.value().attr("for").map(str::to_owned))
        .collect();
    for control in doc.select(&sel("input, select, textarea")) {
        if control.value().attr("type") == Some("hidden") {
            continue;
        }
        let id = control
            .value()
            .attr("id")
            .unwrap_or_else(|| panic!("{path}: a control without id: {}", control.html()));
        assert!(
            labels.iter().any(|l| l == id),
            "{path}: no <label for=\"{id}\">"
        );
    }
    for button in doc.select(&sel("button")) {
        let text: String = button.text().collect::<String>().trim().to_owned();
        let labelled = button.value().attr("aria-label").is_some();
        assert!(
            !text.is_empty(),
            "{path}: a button without visible text: {}",
            button.html()
        );
        assert!(labelled || text != "×", "{path}");
    }
    for table in doc.select(&sel("table")) {
        assert!(
            table.select(&sel("th")).next().is_some(),
            "{path}: a table without <th>"
        );
    }
    for script in doc.select(&sel("script")) {
        assert!(
            script.value().attr("src").is_some() && script.text().next().is_none(),
            "{path}: inline script"
        );
    }
    assert!(
        doc.select(&sel("[style], style")).next().is_none(),
        "{path}: inline style"
    );
    assert!(
        doc.select(&sel("[onclick], [onsubmit], [onchange]"))
            .next()
            .is_none(),
        "{path}: inline handler"
    );
}

#[tokio::test]
async fn every_page_of_the_route_table_labels_its_controls_and_has_no_inline_code() {
    let app = TestApp::spawn().await;
    let demo = app.seed_demo("admin@example.com");
    let anonymous = client();
    let invite = demo.invite_link.replace(&app.mailer().public_url, "");
    // The demo's license users of order 1 are 1 and 2 (for the license-user pages).
    assert_eq!(app.user_based_license_on(1).1, 1);
    for path in [
        "/login",
        "/portal/login",
        "/portal/forgot-password",
        &invite,
    ] {
        let page = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        check(path, &page.text().await.unwrap());
    }
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        303
    );
    // An import (id 1) with a problem, for the import pages.
    let r =
        crate::csv_import::upload(&app, "page.csv", b"email\nnot-an-email\n".to_vec(), false).await;
    assert_eq!(r.status(), 303);
    // The demo's license manager: every permission on order 1 (licenses 1–4).
    assert_eq!(
        app.portal_sign_in_with(&app.client, "it-admin@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    // Every page of the route table (ids of the demo company), and a bundle product.
    let mut pages: Vec<String> = routes::table()
        .into_iter()
        .filter(|r| r.method == Method::GET)
        .filter(|r| !matches!(r.access, Access::Public))
        .filter(|r| !r.path.ends_with(".csv") && !r.path.ends_with(".css"))
        // A portal manager cannot remove their own grant: the demo's other manager of
        // order 1 (grant 3) is the one within reach.
        .map(|r| {
            fill_params(&r.path.replace(
                "/portal/orders/{id}/managers/{grant}",
                "/portal/orders/1/managers/3",
            ))
        })
        .collect();
    assert!(pages.len() > 25, "{} pages", pages.len());
    pages.push("/products/5".to_owned());
    for path in &pages {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        check(path, &r.text().await.unwrap());
    }
    for path in ["/no/such/page", "/portal/no/such/page"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        check(path, &r.text().await.unwrap());
    }
}

#[test]
fn the_check_catches_what_it_is_for() {
    let bad = [
        "<form><input id=\"a\" name=\"a\"></form>",
        "<form><select name=\"s\"></select></form>",
        "<button></button>",
        "<table><tr><td>1</td></tr></table>",
        "<script>alert(1)</script>",
        "<p style=\"color:red\">x</p>",
    ];
    for html in bad {
        assert!(
            std::panic::catch_unwind(|| check("test", html)).is_err(),
            "{html} passed the check"
        );
    }
    check("test", "<label for=\"a\">A</label><input id=\"a\"><input type=\"hidden\" name=\"t\"><button>Go</button>");
}

/// Every route's area comes from the table that declares it (its error page, the sign-in
/// page a signed-out request is sent to); the URL prefix is only the fallback for a URL
/// no route matches, so the two must agree, and license-manager routes are the license
/// portal's.
#[test]
fn every_route_is_in_the_area_its_table_declares() {
    use keyfold::domain::Area;
    for r in routes::table() {
        assert_eq!(Area::of(r.path), r.area, "{} {}", r.method, r.path);
        if matches!(r.access, Access::LicenseManager | Access::Grant(_)) {
            assert_eq!(r.area, Area::Portal, "{} {}", r.method, r.path);
        }
        if matches!(r.access, Access::Staff(_)) {
            assert_eq!(r.area, Area::Admin, "{} {}", r.method, r.path);
        }
    }
}

/// A signed-out request to a license-portal page is sent to the license portal's
/// sign-in, an admin page to the admin portal's (the area of the matched route).
#[tokio::test]
async fn a_signed_out_request_goes_to_the_sign_in_of_its_routes_area() {
    let app = TestApp::spawn().await;
    let c = client();
    for (path, login) in [("/portal/account", "/portal/login"), ("/orders", "/login")] {
        let r = c.get(app.url(path)).send().await.unwrap();
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(to.starts_with(login), "{path} → {to}");
    }
}
