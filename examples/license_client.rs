//! A short client of Keyfold's license API, as a vendor's application would hold it:
//! it activates this machine, checks the license and deactivates it, and believes an
//! answer only after verifying it — with the public key pinned in the binary (never one
//! fetched at run time), over exactly the covered components, with its own nonce, and
//! with the license key, product code and hardware id repeated in the body. It does not
//! reject an online answer for clock skew (the nonce already stops replay), and it
//! trusts a cached answer until its `offline_valid_until`.
//!
//! ```sh
//! cargo run --example license_client -- http://127.0.0.1:8080 PUBLIC_KEY_BASE64 \
//!     PRODUCT LICENSE-KEY HARDWARE-ID
//! ```
//! (`keyfold demo` prints a demo license; `GET /api/v1/keys` shows the public key to pin.)

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Exactly the components Keyfold signs, in its order (the last one only when the
/// request had a body).
const COVERED: &str =
    r#"("@status" "content-digest" "@method";req "@path";req "@query";req "content-digest";req)"#;

/// What the client knows of its license.
pub struct Client {
    pub base_url: String,
    pub pinned: VerifyingKey,
    pub product_code: String,
    pub license_key: String,
    pub hardware_id: String,
}

/// An answer that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub status: u16,
    pub body: Value,
}

fn digest(bytes: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(bytes)))
}

/// A fresh nonce: 24 random bytes, base64url.
fn nonce() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Client {
    /// POSTs `body` to `path` and returns the answer only if its signature verifies.
    pub async fn call(&self, path: &str, body: &Value) -> Result<Verified, String> {
        let sent = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let nonce = nonce();
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .header("Keyfold-Nonce", &nonce)
            .header("Content-Type", "application/json")
            .body(sent.clone())
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = r.status().as_u16();
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or(format!("the answer has no {name} header"))
        };
        let (input, signatures) = (header("signature-input")?, header("signature")?);
        let received = r.bytes().await.map_err(|e| e.to_string())?;
        // Any of the signatures (two during a key rotation) by the pinned key will do.
        let mut verified = false;
        for entry in input.split(", ") {
            let Some((label, params)) = entry.split_once('=') else {
                continue;
            };
            if !params.starts_with(COVERED) || !params.contains(&format!("nonce=\"{nonce}\"")) {
                continue;
            }
            let base = [
                format!("\"@status\": {status}"),
                format!("\"content-digest\": {}", digest(&received)),
                "\"@method\";req: POST".to_owned(),
                format!("\"@path\";req: {path}"),
                "\"@query\";req: ?".to_owned(),
                format!("\"content-digest\";req: {}", digest(&sent)),
                format!("\"@signature-params\": {params}"),
            ]
            .join("\n");
            let prefix = format!("{label}=:");
            let Some(sig) = signatures
                .split(", ")
                .find_map(|s| s.strip_prefix(&prefix)?.strip_suffix(':'))
            else {
                continue;
            };
            let Ok(bytes) = STANDARD.decode(sig) else {
                continue;
            };
            let Ok(signature) = Signature::from_slice(&bytes) else {
                continue;
            };
            verified |= self.pinned.verify(base.as_bytes(), &signature).is_ok();
        }
        if !verified {
            return Err("the answer is not signed by the pinned key: ignore it".to_owned());
        }
        let body: Value = serde_json::from_slice(&received).map_err(|e| e.to_string())?;
        if status == 200 {
            let normalize = |k: &str| k.replace('-', "").to_uppercase();
            let key_ok = body["license_key"]
                .as_str()
                .is_some_and(|k| normalize(k) == normalize(&self.license_key));
            let product_ok = body["product_code"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(&self.product_code));
            if !key_ok || !product_ok || body["hardware_id"] != self.hardware_id {
                return Err("the answer is about another license or machine".to_owned());
            }
        }
        Ok(Verified { status, body })
    }

    fn by_key(&self) -> Value {
        json!({
            "product_code": self.product_code,
            "license_key": self.license_key,
            "hardware_id": self.hardware_id,
        })
    }

    pub async fn activate(&self) -> Result<Verified, String> {
        self.call("/api/v1/activate", &self.by_key()).await
    }

    pub async fn check(&self) -> Result<Verified, String> {
        self.call("/api/v1/check", &self.by_key()).await
    }

    pub async fn deactivate(&self) -> Result<Verified, String> {
        self.call("/api/v1/deactivate", &self.by_key()).await
    }
}

/// Whether the application may run: a verified online answer says so, or — when the
/// server cannot be reached — a cached valid answer whose `offline_valid_until` has not
/// passed (by this machine's clock).
pub fn may_run(online: &Result<Verified, String>, cached: Option<&Verified>) -> bool {
    match online {
        Ok(v) => v.status == 200 && v.body["valid"] == true,
        Err(_) => cached.is_some_and(|c| {
            c.body["valid"] == true
                && c.body["offline_valid_until"]
                    .as_str()
                    .and_then(|u| {
                        chrono::NaiveDateTime::parse_from_str(u, "%Y-%m-%dT%H:%M:%S%.f").ok()
                    })
                    .is_some_and(|until| chrono::Utc::now().naive_utc() < until)
        }),
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, public_key, product_code, license_key, hardware_id] = &args[..] else {
        eprintln!("usage: license_client URL PUBLIC_KEY_BASE64 PRODUCT LICENSE_KEY HARDWARE_ID");
        std::process::exit(2);
    };
    let pinned = STANDARD
        .decode(public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .unwrap_or_else(|| {
            eprintln!("PUBLIC_KEY_BASE64 must be a raw 32-byte Ed25519 key in base64");
            std::process::exit(2);
        });
    let client = Client {
        base_url: base_url.trim_end_matches('/').to_owned(),
        pinned,
        product_code: product_code.clone(),
        license_key: license_key.clone(),
        hardware_id: hardware_id.clone(),
    };
    for (what, answer) in [
        ("activate", client.activate().await),
        ("check", client.check().await),
    ] {
        match &answer {
            Ok(v) => println!("{what}: {} {}", v.status, v.body),
            Err(e) => println!("{what}: {e}"),
        }
        println!("may run: {}", may_run(&answer, None));
    }
    match client.deactivate().await {
        Ok(v) => println!("deactivate: {} {}", v.status, v.body),
        Err(e) => println!("deactivate: {e}"),
    }
}
