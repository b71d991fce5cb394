//! The license usage report: after a random workload over several days (activations,
//! deactivations, consumption, check-outs and heartbeats, refused check-outs and
//! borrows, checks), the daily counts equal the sums of the recorded events, the report
//! page, its CSV and the per-product totals agree with them, and a bad range is a
//! message beside the field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use keyfold::db::schema::{license_events, license_usage_days, licenses, product_usage_days};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::api_activation::by_key;
use crate::api_seats::{app, floating, set_clock};

type Sums = BTreeMap<(i64, NaiveDate), [i64; 5]>;

/// Per license and day from the events: activations, deactivations, consumption,
/// refused check-outs, refused borrows.
fn from_events(app: &crate::helpers::TestApp) -> Sums {
    let rows: Vec<(i64, String, i64, chrono::NaiveDateTime, Option<String>)> =
        license_events::table
            .select((
                license_events::license_id,
                license_events::kind,
                license_events::amount,
                license_events::at,
                license_events::code,
            ))
            .load(&mut app.conn())
            .unwrap();
    let mut sums = Sums::new();
    for (license, kind, amount, at, code) in rows {
        let e = sums.entry((license, at.date())).or_default();
        match (kind.as_str(), code.as_deref()) {
            ("activated", _) => e[0] += 1,
            ("deactivated", _) => e[1] += 1,
            ("consumed", _) => e[2] += amount,
            ("refused", Some("no_seat_available")) => e[3] += 1,
            ("refused", Some("borrow_refused")) => e[4] += 1,
            _ => {}
        }
    }
    sums.retain(|_, v| v.iter().any(|n| *n != 0));
    sums
}

fn from_counters(app: &crate::helpers::TestApp) -> Sums {
    let rows: Vec<(i64, NaiveDate, i64, i64, i64, i64, i64)> = license_usage_days::table
        .select((
            license_usage_days::license_id,
            license_usage_days::day,
            license_usage_days::activations,
            license_usage_days::deactivations,
            license_usage_days::consumption,
            license_usage_days::refused_checkouts,
            license_usage_days::refused_borrows,
        ))
        .load(&mut app.conn())
        .unwrap();
    let mut sums = Sums::new();
    for (l, d, a, de, c, rc, rb) in rows {
        sums.insert((l, d), [a, de, c, rc, rb]);
    }
    sums.retain(|_, v| v.iter().any(|n| *n != 0));
    sums
}

#[tokio::test]
async fn the_daily_counts_equal_the_events_after_a_random_workload_and_the_report_shows_them() {
    let app = app().await;
    let (seats, seat_key) = floating(&app, "USEFLOAT", 3).await;
    let (_, plain, plain_key) = crate::api_activation::licensed(&app, "USEPLAIN").await;
    diesel::update(licenses::table.filter(licenses::id.eq_any([seats, plain])))
        .set(licenses::max_activations.eq(6))
        .execute(&mut app.conn())
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261206);
    let mut event = 0;
    for day in 0..4i64 {
        set_clock(&app, day * 86_400 - 3 * 86_400);
        for _ in 0..25 {
            let hw = format!("hw-{}", rng.random_range(0..8));
            let (path, mut body) = match rng.random_range(0..7) {
                0 => ("/api/v1/activate", by_key("USEPLAIN", &plain_key, &hw)),
                1 => ("/api/v1/deactivate", by_key("USEPLAIN", &plain_key, &hw)),
                2 => ("/api/v1/consumption", by_key("USEPLAIN", &plain_key, &hw)),
                3 | 4 => ("/api/v1/seats/checkout", by_key("USEFLOAT", &seat_key, &hw)),
                5 => (
                    "/api/v1/seats/heartbeat",
                    by_key("USEFLOAT", &seat_key, &hw),
                ),
                _ => ("/api/v1/seats/borrow", by_key("USEFLOAT", &seat_key, &hw)),
            };
            if path.ends_with("consumption") {
                event += 1;
                body["event_id"] = json!(format!("e{event}"));
                body["quantity"] = json!(rng.random_range(1..4));
            }
            if path.ends_with("borrow") {
                body["borrowed_until"] = json!((keyfold::db::now()
                    + chrono::Duration::days(day - 3)
                    + chrono::Duration::hours(2))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string());
            }
            let (s, v) = app.api_post(path, &body).await;
            assert_ne!(s, 500, "{path}: {v}");
        }
    }
    let events = from_events(&app);
    assert!(
        events.values().any(|v| v[3] > 0),
        "the workload met a full license: {events:?}"
    );
    assert_eq!(
        from_counters(&app),
        events,
        "the counters are the events' sums"
    );
    // Each product's days are its licenses' days summed (peaks: the largest).
    let by_product: Vec<(i64, NaiveDate, i64, i64, i64)> = product_usage_days::table
        .select((
            product_usage_days::product_id,
            product_usage_days::day,
            product_usage_days::activations,
            product_usage_days::consumption,
            product_usage_days::peak_seats,
        ))
        .load(&mut app.conn())
        .unwrap();
    let peak: Option<i64> = license_usage_days::table
        .filter(license_usage_days::license_id.eq(seats))
        .select(diesel::dsl::max(license_usage_days::peak_seats))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(peak, Some(3), "three seats were all held on some day");
    let float_product = app.license(seats).product_id;
    assert_eq!(
        by_product
            .iter()
            .filter(|r| r.0 == i64::from(float_product))
            .map(|r| r.4)
            .max(),
        Some(3)
    );
    let total_activations: i64 = events.values().map(|v| v[0]).sum();
    assert_eq!(
        by_product.iter().map(|r| r.2).sum::<i64>(),
        total_activations
    );

    // The report over the four days: its total row and CSV agree with the events.
    let today = keyfold::db::now().date();
    let (from, to) = (today - chrono::Duration::days(3), today);
    let page = app
        .page(&format!("/reports/usage?from={from}&to={to}"))
        .await;
    assert!(
        page.contains("<svg") && page.contains("Per product") && page.contains("USEFLOAT"),
        "{page:.300}"
    );
    assert!(
        page.contains(&format!(
            "<th scope=\"row\">Total</th><td>{total_activations}</td>"
        )),
        "{page}"
    );
    let csv = app
        .get(&format!("/reports/usage.csv?from={from}&to={to}"))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("day,activations,deactivations,checks,consumption,peak_seats,refused_checkouts,refused_borrows"));
    let consumed: i64 = lines
        .map(|l| l.split(',').nth(4).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(consumed, events.values().map(|v| v[2]).sum::<i64>());
    // One product's report; the license page's.
    let page = app
        .page(&format!(
            "/reports/usage?from={from}&to={to}&product={}",
            i64::from(float_product)
        ))
        .await;
    assert!(page.contains("<h2>USEFLOAT</h2>"), "{page:.2000}");
    let page = app.page(&format!("/licenses/{seats}")).await;
    assert!(page.contains("Usage, last 30 days") && page.contains("<svg"));

    // A bad range: a message beside the field, no report.
    for (q, message) in [
        (
            format!("from={to}&to={from}"),
            "The start is after the end.",
        ),
        (
            "from=2020-01-01&to=2026-01-01".to_owned(),
            "at most 366 days",
        ),
        ("from=2026-13-40".to_owned(), "is not a date"),
        (format!("from={}", "9".repeat(10_000)), "is not a date"),
    ] {
        let r = app.get(&format!("/reports/usage?{q}")).await;
        assert_eq!(r.status(), 422, "{q:.40}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(message) && body.contains("id=\"from-error\""),
            "{message}"
        );
        assert_eq!(
            app.get(&format!("/reports/usage.csv?{q}")).await.status(),
            422
        );
    }
}
