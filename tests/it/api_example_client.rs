//! The example client in `examples/license_client.rs` (compiled into this test binary
//! as it is) against a real server: it verifies every answer with the pinned key and
//! refuses one signed by another key; it trusts a cached answer offline only until
//! `offline_valid_until`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::VerifyingKey;

use crate::license_client::{may_run, Client, Verified};

#[tokio::test]
async fn the_example_client_verifies_every_answer_with_its_pinned_key() {
    let app = crate::api_activation::app().await;
    let (_, _, key) = crate::api_activation::licensed(&app, "EXAMPLE").await;
    // What the vendor pins at build time.
    let keys: serde_json::Value = app.api_get("/api/v1/keys").await.json().await.unwrap();
    let public = STANDARD
        .decode(keys["keys"][0]["public_key"].as_str().unwrap())
        .unwrap();
    let pinned = VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
    let client = |pinned| Client {
        base_url: app.address.clone(),
        pinned,
        product_code: "example".to_owned(),
        license_key: key.to_lowercase(),
        hardware_id: "machine-42".to_owned(),
    };
    let good = client(pinned);
    let activated = good.activate().await;
    assert!(may_run(&activated, None), "{activated:?}");
    let checked = good.check().await.unwrap();
    assert_eq!(checked.body["valid"], true);
    let gone = good.deactivate().await.unwrap();
    assert_eq!(gone.body["deactivated"], true);
    let after = good.check().await;
    assert!(!may_run(&after, None), "not activated any more");

    // Refusals are verified too; an answer signed by another key is not believed.
    let mut unknown = client(pinned);
    unknown.license_key = "ZZZZ-ZZZZ-ZZZZ-ZZZZ".to_owned();
    assert_eq!(unknown.check().await.unwrap().status, 404);
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    let fooled = client(other).check().await;
    assert!(fooled.is_err(), "{fooled:?}");
    assert!(!may_run(&fooled, None));

    // Offline: a cached valid answer holds until offline_valid_until, not after.
    let cached = Verified {
        status: 200,
        body: checked.body.clone(),
    };
    let unreachable: Result<Verified, String> = Err("no answer".to_owned());
    assert!(may_run(&unreachable, Some(&cached)));
    let mut stale = cached.clone();
    stale.body["offline_valid_until"] = "2000-01-01T00:00:00".into();
    assert!(!may_run(&unreachable, Some(&stale)));
}
