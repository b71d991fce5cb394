//! Offline and air-gapped activation: a request file uploaded on the unauthenticated
//! offline page (with the license key), the admin license page or the license portal's
//! license page gives a signed license file (verified with the published key over its
//! own prefix, never as another kind), counted against max activations; a deactivation
//! file gives a signed receipt and spends a transfer; bad files change nothing.

use serde_json::{json, Value};

use crate::api_activation::licensed;
use crate::api_seats::{app, verify_file};
use crate::helpers::{client, csrf_in, TestApp, PASSWORD};

fn request(kind: &str, code: &str, key: &str, hw: &str) -> Vec<u8> {
    json!({ "kind": format!("keyfold-offline-{kind}"), "product_code": code, "license_key": key,
            "hardware_id": hw, "hostname": "air-gapped", "created_at": "2026-12-05T10:00:00Z" })
    .to_string()
    .into_bytes()
}

/// Posts an upload form from `page` (its CSRF token) with `file` and, when given, the
/// typed license key; the status and the body.
async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    page: &str,
    key: Option<&str>,
    file: Vec<u8>,
) -> (u16, Option<String>, String) {
    let html = c
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&html).expect("a CSRF token");
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(file).file_name("request.json"),
        );
    if let Some(k) = key {
        form = form.text("license_key", k.to_owned());
    }
    let r = c.post(app.url(page)).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, disposition, r.text().await.unwrap())
}

#[tokio::test]
async fn the_offline_page_turns_a_request_file_into_a_signed_license_file_and_back() {
    let app = app().await;
    let (_, license, key) = licensed(&app, "AIR").await;
    let anonymous = client();
    let page = "/portal/offline";
    let html = anonymous
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("License key") && html.contains("Request file"),
        "{html:.200}"
    );

    let (s, disposition, body) = upload(
        &app,
        &anonymous,
        page,
        Some(&key.to_lowercase()),
        request("activation", "AIR", &key, "hw-off"),
    )
    .await;
    assert_eq!(s, 200, "{body:.400}");
    assert!(disposition
        .unwrap()
        .contains("attachment; filename=\"license-AIR-hw-off.json\""));
    let file: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(file["kind"], "keyfold-license-file");
    let payload = verify_file(&app, &file, "keyfold-license-file v1\n")
        .await
        .expect("the license file verifies");
    assert_eq!(
        (
            payload["hardware_id"].as_str(),
            payload["license_key"].as_str(),
            payload["entitlement"]["product_code"].as_str()
        ),
        (Some("hw-off"), Some(key.as_str()), Some("AIR"))
    );
    let (issued, expires) = (
        payload["issued_at"].as_str().unwrap(),
        payload["expires_at"].as_str().unwrap(),
    );
    let days = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    assert_eq!(
        (days(expires) - days(issued)).num_days(),
        30,
        "the product's 30 days"
    );
    assert!(
        verify_file(&app, &file, "keyfold-seat-file v1\n")
            .await
            .is_none(),
        "not a seat file"
    );
    assert!(
        verify_file(&app, &file, "keyfold-deactivation-receipt v1\n")
            .await
            .is_none()
    );
    // The example verifier (examples/verify_license_file.rs) agrees, and refuses the
    // file for another device, after it expires, and with another key.
    let keys: Value = app.api_get("/api/v1/keys").await.json().await.unwrap();
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        keys["keys"][0]["public_key"].as_str().unwrap(),
    )
    .unwrap();
    let pinned = ed25519_dalek::VerifyingKey::from_bytes(&raw.try_into().unwrap()).unwrap();
    let check =
        |hw: &str, now: &str| crate::verify_license_file::verify(&body, &pinned, "air", hw, now);
    assert_eq!(
        check("hw-off", issued).unwrap()["license_key"],
        key.as_str()
    );
    assert!(check("hw-other", issued)
        .unwrap_err()
        .contains("another product or device"));
    assert!(check("hw-off", expires).unwrap_err().contains("expired"));
    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    assert!(
        crate::verify_license_file::verify(&body, &other, "AIR", "hw-off", issued)
            .unwrap_err()
            .contains("does not verify")
    );
    assert_eq!(
        app.license(license).active_devices,
        1,
        "an offline activation counts"
    );

    // Mistakes change nothing and say so beside the field.
    let other = crate::api_activation::licensed(&app, "AIR2").await.2;
    for (typed, file, field, message) in [
        (other.as_str(), request("activation", "AIR", &key, "hw-2"), "license_key", "another license key"),
        ("NOPE-NOPE", request("activation", "AIR", "NOPE-NOPE", "hw-2"), "file", "No license"),
        (key.as_str(), b"{ not json".to_vec(), "file", "not a Keyfold request file"),
        (key.as_str(), Vec::new(), "file", "Choose the request file"),
        (key.as_str(), vec![b' '; 70_000], "file", "at most 64 KiB"),
        (key.as_str(), json!({ "kind": "keyfold-offline-activation", "product_code": "AIR", "license_key": key, "hardware_id": "" }).to_string().into_bytes(), "file", "incomplete"),
        ("", request("activation", "AIR", &key, "hw-2"), "license_key", "Enter the license key"),
    ] {
        let (s, _, body) = upload(&app, &anonymous, page, Some(typed), file).await;
        assert_eq!(s, 422, "{message}");
        assert!(body.contains(message) && body.contains(&format!("id=\"{field}-error\"")), "{message}: {body:.300}");
    }
    assert_eq!(app.license(license).active_devices, 1);

    // A deactivation file: a signed receipt, the device freed, a transfer spent.
    let (s, disposition, body) = upload(
        &app,
        &anonymous,
        page,
        Some(&key),
        request("deactivation", "AIR", &key, "hw-off"),
    )
    .await;
    assert_eq!(s, 200, "{body:.300}");
    assert!(disposition.unwrap().contains("deactivation-hw-off.json"));
    let receipt: Value = serde_json::from_str(&body).unwrap();
    let payload = verify_file(&app, &receipt, "keyfold-deactivation-receipt v1\n")
        .await
        .expect("the receipt verifies");
    assert_eq!(
        (payload["deactivated"].clone(), payload["transfers"].clone()),
        (json!(true), json!(1))
    );
    assert!(verify_file(&app, &receipt, "keyfold-license-file v1\n")
        .await
        .is_none());
    let l = app.license(license);
    assert_eq!((l.active_devices, l.transfers), (0, 1));
}

#[tokio::test]
async fn staff_and_managers_upload_request_files_on_the_license_page() {
    let app = app().await;
    let (_, license, key) = licensed(&app, "AIRPAGE").await;
    let (_, other, other_key) = licensed(&app, "AIROTHER").await;
    let page = format!("/licenses/{license}/offline");
    let (s, _, body) = upload(
        &app,
        &app.client,
        &page,
        None,
        request("activation", "AIRPAGE", &key, "hw-a"),
    )
    .await;
    assert_eq!(s, 200, "{body:.300}");
    let (s, _, body) = upload(
        &app,
        &app.client,
        &page,
        None,
        request("activation", "AIROTHER", &other_key, "hw-a"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains("for another license"));
    assert_eq!(app.license(other).active_devices, 0);
    // The license page offers a license file for each active device.
    let show = app.page(&format!("/licenses/{license}")).await;
    assert!(show.contains("Offline activation"));
    let device: i64 = {
        use diesel::prelude::*;
        use keyfold::db::schema::devices;
        devices::table
            .filter(devices::license_id.eq(license))
            .select(devices::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let link = format!("/licenses/{license}/devices/{device}/license-file");
    assert!(show.contains(&link));
    let file: Value = app.get(&link).await.json().await.unwrap();
    let payload = verify_file(&app, &file, "keyfold-license-file v1\n")
        .await
        .expect("verifies");
    assert_eq!(payload["device_id"], device);
    assert_eq!(
        app.get(&format!("/licenses/{other}/devices/{device}/license-file"))
            .await
            .status(),
        404
    );

    // A license manager with Reset device on the order uploads on the portal's page.
    let manager = app.create_license_manager("air@customer.example");
    crate::portal_orders::set_grant(
        &app,
        manager.id.into(),
        app.license(license).order_id.into(),
        keyfold::domain::Permissions::from_iter([keyfold::domain::Permission::ResetDevice]),
    );
    let portal = client();
    app.portal_sign_in_with(&portal, "air@customer.example", PASSWORD)
        .await;
    let shown = app
        .page_with(&portal, &format!("/portal/licenses/{license}"))
        .await;
    assert!(shown.contains("Offline activation"));
    let (s, _, body) = upload(
        &app,
        &portal,
        &format!("/portal/licenses/{license}/offline"),
        None,
        request("activation", "AIRPAGE", &key, "hw-b"),
    )
    .await;
    assert_eq!(s, 200, "{body:.300}");
    assert_eq!(app.license(license).active_devices, 2);
}

/// An offline activation request file for a license (its key and product), for the
/// permission matrices' uploads.
/// An activation while the license has a free activation, else a deactivation of one of
/// its active devices.
pub(crate) fn request_for(app: &TestApp, license: i64, hw: &str) -> Vec<u8> {
    use diesel::prelude::*;
    use keyfold::db::schema::{devices, licenses, products};
    let (key, code, active, max): (String, String, i64, i64) = licenses::table
        .inner_join(products::table)
        .filter(licenses::id.eq(license))
        .select((
            licenses::license_key,
            products::code,
            licenses::active_devices,
            licenses::max_activations,
        ))
        .first(&mut app.conn())
        .unwrap();
    if active < max {
        return request("activation", &code, &key, hw);
    }
    let active_hw: String = devices::table
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .select(devices::hardware_id.assume_not_null())
        .filter(devices::hardware_id.is_not_null())
        .first(&mut app.conn())
        .unwrap();
    request("deactivation", &code, &key, &active_hw)
}

/// A multipart upload of `fields` and a request file for the license `/…/licenses/{id}/offline` names.
pub(crate) fn offline_upload(
    app: &TestApp,
    path: &str,
    fields: &[(String, String)],
    hw: &str,
) -> Option<reqwest::multipart::Form> {
    let id: i64 = path
        .strip_suffix("/offline")?
        .rsplit('/')
        .next()?
        .parse()
        .ok()?;
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(request_for(app, id, hw)).file_name("request.json"),
    );
    for (k, v) in fields {
        form = form.text(k.clone(), v.clone());
    }
    Some(form)
}
