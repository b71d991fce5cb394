//! Licenses: key search and filters, the derived status, disable/enable, reset (fixed
//! dates stay, durations restart), device reset, edit with bad input, delete, roles.

use diesel::prelude::*;
use keyfold::db::schema::{devices, license_events, licenses};
use keyfold::domain::Role;

use crate::helpers::{client, id_from_location, location, version_in, TestApp, PASSWORD};
use crate::orders::{order, product};

/// An order of `n` STUDIO licenses; returns the license ids.
async fn licenses(app: &TestApp, n: &str) -> Vec<i64> {
    let studio = product(app, "STUDIO", false).await;
    let r = order(app, "ORD-1", "", &[(studio, n)], &[]).await;
    app.license_ids(id_from_location(&r))
}

fn set_valid_until(app: &TestApp, id: i64, days_from_now: i64, duration: Option<i64>) {
    let at = keyfold::models::now() + chrono::Duration::days(days_from_now);
    diesel::update(licenses::table.find(id))
        .set((
            licenses::valid_until.eq(Some(at)),
            licenses::validity_days.eq(duration),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn the_status_is_derived_in_each_of_its_four_cases_and_filters_match() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let ids = licenses(&app, "4").await;
    let (disabled, expired, active, inactive) = (ids[0], ids[1], ids[2], ids[3]);
    assert_eq!(
        app.post_form(&format!("/licenses/{disabled}/disable"), &[])
            .await
            .status(),
        303
    );
    set_valid_until(&app, expired, -1, None);
    app.insert_device(active, "HW-A", "ws-1");
    for (id, label) in [
        (disabled, "Disabled"),
        (expired, "Expired"),
        (active, "Active"),
        (inactive, "Inactive"),
    ] {
        let page = app
            .get(&format!("/licenses/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("\">{label}</span></h1>")),
            "license {id} should be {label}"
        );
    }
    // A disabled license with devices and a past date is still just disabled.
    app.insert_device(disabled, "HW-D", "ws-2");
    set_valid_until(&app, disabled, -1, None);
    assert!(app
        .get(&format!("/licenses/{disabled}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("\">Disabled</span></h1>"));
    for (status, id) in [
        ("disabled", disabled),
        ("expired", expired),
        ("active", active),
        ("inactive", inactive),
    ] {
        let html = app
            .get(&format!("/licenses?status={status}"))
            .await
            .text()
            .await
            .unwrap();
        for other in &ids {
            assert_eq!(
                html.contains(&format!("href=\"/licenses/{other}\"")),
                *other == id,
                "status={status}, license {other}"
            );
        }
    }
    // Enabling derives the status again: it has a past end date, so expired.
    assert_eq!(
        app.post_form(&format!("/licenses/{disabled}/enable"), &[])
            .await
            .status(),
        303
    );
    assert!(app
        .get(&format!("/licenses/{disabled}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("\">Expired</span></h1>"));
    let kinds: Vec<String> = license_events::table
        .filter(license_events::license_id.eq(disabled))
        .order(license_events::id.asc())
        .select(license_events::kind)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(kinds, ["disabled", "enabled"]);
}

#[tokio::test]
async fn licenses_are_found_by_any_form_of_their_key_and_filtered() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let ids = licenses(&app, "3").await;
    let render = product(&app, "RENDER", false).await;
    let other_order = id_from_location(&order(&app, "ORD-2", "", &[(render, "1")], &[]).await);
    let other = app.license_ids(other_order)[0];
    let key = app.license(ids[1]).license_key;
    let bare = key.replace('-', "");
    for q in [
        key.clone(),
        key.to_lowercase(),
        bare.clone(),
        bare[..7].to_lowercase(),
        key[..6].to_owned(),
    ] {
        let html = app
            .get(&format!("/licenses?key={}", q.replace(' ', "+")))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("href=\"/licenses/{}\"", ids[1])),
            "key search {q:?}"
        );
        assert!(
            !html.contains(&format!("href=\"/licenses/{other}\"")),
            "key search {q:?}"
        );
    }
    let html = app
        .get(&format!("/licenses?product={render}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/licenses/{other}\""))
            && !html.contains(&format!("href=\"/licenses/{}\"", ids[0]))
    );
    let html = app
        .get(&format!("/licenses?order={other_order}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/licenses/{other}\""))
            && !html.contains(&format!("href=\"/licenses/{}\"", ids[0]))
    );
    let html = app
        .get("/licenses?license_type=perpetual")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No licenses match."));
    let html = app
        .get("/licenses?license_type=subscription")
        .await
        .text()
        .await
        .unwrap();
    // Four license links (the list also links to its CSV export).
    assert_eq!(
        html.matches("href=\"/licenses/").count() - html.matches("href=\"/licenses/export").count(),
        4
    );
}

#[tokio::test]
async fn reset_keeps_a_fixed_end_date_but_restarts_a_duration_and_frees_devices() {
    let app = TestApp::spawn().await;
    app.signed_in_as("s@example.com", Role::Support).await;
    let admin = client();
    app.create_staff("m@example.com", Role::StaffManager);
    app.sign_in_with(&admin, "m@example.com", PASSWORD, None)
        .await;
    // Products and orders through the manager's session.
    let ids = {
        let manager = TestApp {
            client: admin.clone(),
            ..clone_app(&app)
        };
        licenses(&manager, "2").await
    };
    let (duration, fixed) = (ids[0], ids[1]);
    for id in [duration, fixed] {
        app.insert_device(id, &format!("HW-{id}-A"), "ws-a");
        app.insert_device(id, &format!("HW-{id}-B"), "ws-b");
    }
    set_valid_until(&app, duration, 300, Some(365));
    set_valid_until(&app, fixed, 30, None);
    let fixed_until = app.license(fixed).valid_until;

    let confirm = app
        .get(&format!("/licenses/{duration}/reset"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm.contains(&format!("HW-{duration}-A"))
            && confirm.contains(&format!("HW-{duration}-B"))
    );
    assert!(confirm.contains("restarts at the next activation"));
    let confirm_fixed = app
        .get(&format!("/licenses/{fixed}/reset"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm_fixed.contains("The fixed validity end date") && confirm_fixed.contains("stays")
    );

    for id in [duration, fixed] {
        assert_eq!(
            app.post_form(&format!("/licenses/{id}/reset"), &[])
                .await
                .status(),
            303
        );
        let l = app.license(id);
        assert_eq!(l.active_devices, 0);
        assert!(l.first_activated_at.is_none());
        let hw: Vec<Option<String>> = devices::table
            .filter(devices::license_id.eq(id))
            .select(devices::hardware_id)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(hw, vec![None, None], "hardware ids erased");
        let active: i64 = devices::table
            .filter(devices::license_id.eq(id))
            .filter(devices::deactivated_at.is_null())
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(active, 0);
    }
    assert_eq!(
        app.license(duration).valid_until,
        None,
        "a duration restarts"
    );
    assert_eq!(app.license(duration).validity_days, Some(365));
    assert_eq!(
        app.license(fixed).valid_until,
        fixed_until,
        "a fixed date stays"
    );
    assert!(app
        .get(&format!("/licenses/{duration}"))
        .await
        .text()
        .await
        .unwrap()
        .contains("license.reset"));
}

/// Another handle on the same app (shares server and database, not the client).
fn clone_app(app: &TestApp) -> TestApp {
    TestApp {
        address: app.address.clone(),
        port: app.port,
        db: crate::helpers::TestDb::borrowed(&app.db),
        pool: app.pool.clone(),
        client: app.client.clone(),
    }
}

#[tokio::test]
async fn resetting_one_device_frees_its_seat() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = licenses(&app, "1").await[0];
    let a = app.insert_device(id, "HW-A", "ws-a");
    app.insert_device(id, "HW-B", "ws-b");
    let page = app
        .get(&format!("/licenses/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("2 of 2 in use") && page.contains("Reset device ws-a"));
    assert_eq!(
        app.post_form(&format!("/licenses/{id}/devices/{a}/reset"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(app.license(id).active_devices, 1);
    let page = app
        .get(&format!("/licenses/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("1 of 2 in use")
            && page.contains("Device ws-a reset")
            && !page.contains("Reset device ws-a")
    );
    // Twice: refused, count unchanged.
    app.post_form(&format!("/licenses/{id}/devices/{a}/reset"), &[])
        .await;
    assert_eq!(app.license(id).active_devices, 1);
    assert_eq!(
        app.post_form(&format!("/licenses/{id}/devices/99999/reset"), &[])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn editing_a_license_validates_every_field_and_refuses_a_stale_form() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = licenses(&app, "1").await[0];
    let form = app
        .get(&format!("/licenses/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let version = version_in(&form);
    let feature: i64 =
        keyfold::models::license::features(&mut app.conn(), keyfold::domain::LicenseId(id))
            .unwrap()[0]
            .id;
    let fid = feature.to_string();
    let base = |over: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("start_date", "2026-01-01".into()),
            ("valid_until", "".into()),
            ("validity_days", "365".into()),
            ("maintenance_until", "".into()),
            ("maintenance_days", "".into()),
            ("max_activations", "5".into()),
            ("floating_seats", "0".into()),
            ("borrow_limit_hours", "0".into()),
            ("note", "Upgraded".into()),
            ("metadata", "{\"seats\": 5}".into()),
            ("feature_id", fid.clone()),
            ("feature_max", "250".into()),
            ("updated_at", version.clone()),
        ];
        for (k, v) in over {
            if let Some(e) = f.iter_mut().find(|(fk, _)| fk == k) {
                e.1 = v.to_string();
            }
        }
        f
    };
    let before = app.license(id);
    for (over, message) in [
        (
            vec![("valid_until", "2025-12-31"), ("validity_days", "")],
            "The end date is before the start date.",
        ),
        (
            vec![("valid_until", "2027-01-01")],
            "Use either an end date or a duration, not both.",
        ),
        (vec![("max_activations", "-1")], "Must not be negative."),
        (vec![("max_activations", "lots")], "is not a whole number"),
        (vec![("metadata", "{\"a\":")], "Not valid JSON"),
        (vec![("start_date", "2026-13-01")], "is not a date"),
        (vec![("feature_max", "-5")], "Must not be negative."),
    ] {
        let fields = base(&over);
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.post_form(&format!("/licenses/{id}"), &form).await;
        assert_eq!(r.status(), 422, "{message}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "expected {message:?}");
        assert!(body.contains("Upgraded"), "input kept");
        assert_eq!(
            app.license(id).updated_at,
            before.updated_at,
            "nothing changed for {message:?}"
        );
    }
    let fields = base(&[]);
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.post_form(&format!("/licenses/{id}"), &form)
            .await
            .status(),
        303
    );
    let after = app.license(id);
    assert_eq!(
        (after.max_activations, after.note.as_str()),
        (5, "Upgraded")
    );
    assert_eq!(
        keyfold::models::license::features(&mut app.conn(), keyfold::domain::LicenseId(id))
            .unwrap()[0]
            .max_consumption,
        Some(250)
    );
    let r = app.post_form(&format!("/licenses/{id}"), &form).await;
    assert_eq!(r.status(), 409, "the same version again is stale");
    // A fixed end date.
    let version = version_in(
        &app.get(&format!("/licenses/{id}/edit"))
            .await
            .text()
            .await
            .unwrap(),
    );
    let mut fields = base(&[("valid_until", "2027-06-30"), ("validity_days", "")]);
    fields.iter_mut().find(|f| f.0 == "updated_at").unwrap().1 = version;
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.post_form(&format!("/licenses/{id}"), &form)
            .await
            .status(),
        303
    );
    let l = app.license(id);
    assert_eq!(l.valid_until.unwrap().date().to_string(), "2027-06-30");
    assert_eq!(l.validity_days, None);
}

#[tokio::test]
async fn deleting_a_license_takes_its_devices_and_events_with_it() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let ids = licenses(&app, "2").await;
    app.insert_device(ids[0], "HW-1", "ws");
    app.post_form(&format!("/licenses/{}/disable", ids[0]), &[])
        .await;
    assert_eq!(
        app.get(&format!("/licenses/{}/delete", ids[0]))
            .await
            .status(),
        200
    );
    let r = app
        .post_form(&format!("/licenses/{}/delete", ids[0]), &[])
        .await;
    assert!(location(&r).starts_with("/orders/"));
    assert_eq!(app.count("licenses"), 1);
    assert_eq!(app.count("devices"), 0);
    assert_eq!(app.count("license_events"), 0);
    assert_eq!(
        app.get(&format!("/licenses/{}", ids[0])).await.status(),
        404
    );
}

#[tokio::test]
async fn support_may_disable_and_reset_but_not_edit_or_delete_and_read_only_nothing() {
    let app = TestApp::spawn().await;
    app.signed_in_as("m@example.com", Role::StaffManager).await;
    let id = licenses(&app, "1").await[0];
    for (email, role, may_control) in [
        ("s@example.com", Role::Support, true),
        ("r@example.com", Role::ReadOnly, false),
    ] {
        let c = client();
        app.create_staff(email, role);
        app.sign_in_with(&c, email, PASSWORD, None).await;
        let token = app.csrf_token_with(&c).await;
        let post = |path: String| {
            let c = c.clone();
            let token = token.clone();
            let url = app.url(&path);
            async move {
                c.post(url)
                    .form(&[("csrf_token", token.as_str())])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        let expected = if may_control { 303 } else { 403 };
        assert_eq!(
            post(format!("/licenses/{id}/disable")).await,
            expected,
            "{role:?}"
        );
        assert_eq!(
            post(format!("/licenses/{id}/enable")).await,
            expected,
            "{role:?}"
        );
        assert_eq!(
            post(format!("/licenses/{id}/reset")).await,
            expected,
            "{role:?}"
        );
        assert_eq!(
            post(format!("/licenses/{id}/delete")).await,
            403,
            "{role:?}"
        );
        assert_eq!(post(format!("/licenses/{id}")).await, 403, "{role:?}");
    }
    assert_eq!(app.count("licenses"), 1);
    assert!(app.license(id).enabled);
}
