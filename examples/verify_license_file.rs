//! Verifies a Keyfold license file offline, as an air-gapped application does before it
//! trusts one: the signature with the public key pinned in the binary, over the kind's
//! own prefix and the payload's exact bytes; then that the file is a license file, for
//! this product and this hardware id, and not expired. Nothing here talks to a server.
//!
//! ```sh
//! cargo run --example verify_license_file -- license.json PUBLIC_KEY_BASE64 PRODUCT HARDWARE-ID
//! ```
//! (`GET /api/v1/keys` shows the public key to pin.)

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

/// The entitlement of a valid license file for `product` on `hardware_id` at `now`
/// (UTC, `YYYY-MM-DDTHH:MM:SS`), or why it must not be trusted.
pub fn verify(
    file: &str,
    pinned: &VerifyingKey,
    product: &str,
    hardware_id: &str,
    now: &str,
) -> Result<Value, String> {
    let file: Value = serde_json::from_str(file).map_err(|e| format!("not JSON: {e}"))?;
    let field = |name: &str| {
        file[name]
            .as_str()
            .ok_or_else(|| format!("no {name} in the file"))
    };
    let kind = field("kind")?;
    if kind != "keyfold-license-file" {
        return Err(format!("a {kind}, not a license file"));
    }
    let payload = STANDARD
        .decode(field("payload")?)
        .map_err(|_| "the payload is not base64".to_owned())?;
    let signature: [u8; 64] = STANDARD
        .decode(field("signature")?)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or("the signature is not 64 bytes of base64")?;
    let mut signed = format!("{kind} v1\n").into_bytes();
    signed.extend_from_slice(&payload);
    pinned
        .verify(&signed, &Signature::from_bytes(&signature))
        .map_err(|_| "the signature does not verify with the pinned key".to_owned())?;
    let license: Value =
        serde_json::from_slice(&payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
    if !license["product_code"]
        .as_str()
        .is_some_and(|p| p.eq_ignore_ascii_case(product))
        || license["hardware_id"] != hardware_id
    {
        return Err("the file is for another product or device".to_owned());
    }
    // Times are UTC `YYYY-MM-DDTHH:MM:SS[.ffffff]`: they compare as text.
    match license["expires_at"].as_str() {
        Some(end) if now < end => Ok(license["entitlement"].clone()),
        _ => Err("the license file has expired".to_owned()),
    }
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, key, product, hardware_id] = args.as_slice() else {
        eprintln!("usage: verify_license_file FILE PUBLIC_KEY_BASE64 PRODUCT HARDWARE-ID");
        std::process::exit(2);
    };
    let pinned = STANDARD
        .decode(key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .unwrap_or_else(|| {
            eprintln!("the public key is not 32 bytes of base64");
            std::process::exit(2);
        });
    let file = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    match verify(&file, &pinned, product, hardware_id, &now) {
        Ok(entitlement) => println!("valid: {entitlement}"),
        Err(why) => {
            eprintln!("not valid: {why}");
            std::process::exit(1);
        }
    }
}
