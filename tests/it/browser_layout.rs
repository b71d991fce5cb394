//! Both portals on a laptop screen: every page reached by following links, at 900 px,
//! never scrolls sideways (wide tables scroll inside their panel), and the keyboard's
//! focus ring stands out from what is behind it (3:1 at least) on a link and a button.

use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, PASSWORD};
use keyfold::domain::Role;

const WIDTH: u32 = 900;

/// Reads `[scrollWidth, clientWidth]` of the document and the widest element that sticks
/// out past the right edge (for the failure message).
const MEASURE: &str = r#"
const d = document.documentElement;
let worst = '';
let right = d.clientWidth;
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.right > right + 1) {
    let inScroller = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') { inScroller = true; break; }
    }
    if (!inScroller) { right = r.right; worst = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + (el.textContent || '').trim().slice(0, 40); }
  }
}
return [d.scrollWidth, d.clientWidth, worst];
"#;

/// The links on the page that stay in the area.
const LINKS: &str = r#"
return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
"#;

/// A path with its numbers and query left out: one visit per kind of page.
fn shape(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/')
        .map(|part| {
            if part.chars().any(|c| c.is_ascii_digit()) {
                "N"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Follows the area's links from `start` (one page of each shape, at most `limit`) and
/// returns the pages that scroll sideways, with what sticks out.
async fn crawl(
    browser: &Browser,
    app: &TestApp,
    start: &str,
    keep: impl Fn(&str) -> bool,
    limit: usize,
) -> (usize, Vec<String>) {
    let mut queue = vec![start.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    let mut visited = 0;
    let mut wide = Vec::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(shape(&path)) || visited >= limit {
            continue;
        }
        browser.goto(&app.url(&path)).await;
        visited += 1;
        let m = browser.client.execute(MEASURE, vec![]).await.unwrap();
        let (scroll, client) = (m[0].as_i64().unwrap(), m[1].as_i64().unwrap());
        assert!(
            client > 850 && client <= WIDTH as i64,
            "the window is {client} px wide"
        );
        if scroll > client {
            wide.push(format!("{path}: {scroll} px > {client} px ({})", m[2]));
            let name = format!("wide-{}", shape(&path).replace('/', "_"));
            browser.screenshot(&name).await;
        }
        let links = browser.client.execute(LINKS, vec![]).await.unwrap();
        for href in links.as_array().unwrap() {
            let href = href.as_str().unwrap_or("");
            if href.starts_with('/') && !href.starts_with("//") && keep(href) {
                queue.insert(0, href.to_owned());
            }
        }
    }
    (visited, wide)
}

/// The contrast of the focused element's outline against the background behind it.
const FOCUS_CONTRAST: &str = r#"
const el = document.activeElement;
const s = getComputedStyle(el);
if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) return [el.tagName, 0, s.outlineStyle + ' ' + s.outlineWidth];
const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
let bg = [255, 255, 255];
for (let p = el.parentElement; p; p = p.parentElement) {
  const c = rgb(getComputedStyle(p).backgroundColor);
  if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) { bg = c.slice(0, 3); break; }
}
const a = lum(rgb(s.outlineColor)), b = lum(bg);
return [el.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), s.outlineColor + ' on ' + bg];
"#;

/// Presses Tab until the focus is on an element named `tag` (at most 80 times).
async fn tab_to(browser: &Browser, tag: &str) -> serde_json::Value {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    use fantoccini::key::Key;
    for _ in 0..80 {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        browser.client.perform_actions(keys).await.unwrap();
        let found = browser
            .client
            .execute(FOCUS_CONTRAST, vec![])
            .await
            .unwrap();
        if found[0].as_str() == Some(tag) {
            return found;
        }
    }
    panic!("no {tag} reached with the Tab key");
}

#[tokio::test]
async fn browser_both_portals_fit_a_900_px_screen_and_show_the_focus() {
    let app = TestApp::spawn().await;
    let managers = app.seed_demo("seed@example.com");
    app.create_staff("ada@vendor.example", Role::Admin);
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.client.set_window_size(WIDTH, 900).await.unwrap();
    // The admin portal.
    browser.goto(&app.url("/login")).await;
    browser.fill("Email", "ada@vendor.example").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    let admin_keep = |h: &str| {
        !h.starts_with("/portal")
            && !h.starts_with("/static")
            && !h.starts_with("/api")
            && !h.contains(".csv")
            && !h.contains(".css")
    };
    let (visited, wide) = crawl(&browser, &app, "/orders", admin_keep, 120).await;
    eprintln!("admin pages crawled at 900 px: {visited}");
    assert!(visited >= 25, "the admin crawl reached {visited} pages");
    assert!(
        wide.is_empty(),
        "admin pages scroll sideways at 900 px:\n{}",
        wide.join("\n")
    );
    // The focus ring, on a link (the skip link comes first) and on a button.
    browser.goto(&app.url("/licenses")).await;
    let link = tab_to(&browser, "A").await;
    assert!(
        link[1].as_f64().unwrap() >= 3.0,
        "focus ring on a link: {link}"
    );
    let button = tab_to(&browser, "BUTTON").await;
    assert!(
        button[1].as_f64().unwrap() >= 3.0,
        "focus ring on a button: {button}"
    );
    browser.click_button("Sign out").await;
    // The license portal, as the demo's license manager.
    browser.goto(&app.url("/portal/login")).await;
    browser.fill("Email", &managers.login_email).await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    let portal_keep = |h: &str| h.starts_with("/portal") && !h.contains(".csv");
    let (visited, wide) = crawl(&browser, &app, "/portal", portal_keep, 80).await;
    eprintln!("portal pages crawled at 900 px: {visited}");
    assert!(visited >= 8, "the portal crawl reached {visited} pages");
    assert!(
        wide.is_empty(),
        "portal pages scroll sideways at 900 px:\n{}",
        wide.join("\n")
    );
    browser.goto(&app.url("/portal")).await;
    let link = tab_to(&browser, "A").await;
    assert!(
        link[1].as_f64().unwrap() >= 3.0,
        "portal focus ring on a link: {link}"
    );
    let button = tab_to(&browser, "BUTTON").await;
    assert!(
        button[1].as_f64().unwrap() >= 3.0,
        "portal focus ring on a button: {button}"
    );
    browser.close().await;
}
