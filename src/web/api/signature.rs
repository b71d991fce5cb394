//! HTTP Message Signatures (RFC 9421) with Ed25519, and `Content-Digest` (RFC 9530): the
//! signature base built from covered components and parameters, signed or verified.
//! Every license API answer will be signed with the components the license API issue
//! fixes (`"@status"`, `"content-digest"`, and the request's `"@method"`, `"@path"`,
//! `"@query"` and `"content-digest"` with `;req`); this module knows nothing of HTTP
//! frameworks, so the RFC's own examples test it directly.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// One covered component: its name (`"@method"`, or a lower-case field name), whether it
/// is taken from the request a response answers (`;req`), and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub req: bool,
    pub value: String,
}

impl Component {
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Component {
            name: name.to_ascii_lowercase(),
            req: false,
            value: value.into(),
        }
    }

    /// A component of the request that a response answers (`;req`).
    pub fn of_request(name: &str, value: impl Into<String>) -> Self {
        Component {
            req: true,
            ..Component::new(name, value)
        }
    }

    /// The component identifier as the signature base and `@signature-params` write it.
    fn identifier(&self) -> String {
        if self.req {
            format!("\"{}\";req", self.name)
        } else {
            format!("\"{}\"", self.name)
        }
    }
}

/// The signature parameters, in the order they are serialised.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Params {
    pub created: i64,
    pub keyid: String,
    /// `alg="ed25519"` when set.
    pub alg: bool,
    pub nonce: Option<String>,
}

impl Params {
    fn serialise(&self) -> String {
        let mut out = format!(";created={};keyid={}", self.created, quoted(&self.keyid));
        if self.alg {
            out.push_str(";alg=\"ed25519\"");
        }
        if let Some(n) = &self.nonce {
            out.push_str(&format!(";nonce={}", quoted(n)));
        }
        out
    }
}

/// An sf-string: quoted, with `\` and `"` escaped (callers pass printable ASCII only).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The signature base (RFC 9421 §2.5) and the `Signature-Input` member value (the inner
/// list with its parameters).
pub fn signature_base(components: &[Component], params: &Params) -> (String, String) {
    let ids: Vec<String> = components.iter().map(Component::identifier).collect();
    let input = format!("({}){}", ids.join(" "), params.serialise());
    let mut base = String::new();
    for (c, id) in components.iter().zip(&ids) {
        base.push_str(id);
        base.push_str(": ");
        base.push_str(c.value.trim());
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(&input);
    (base, input)
}

/// The `Signature-Input` and `Signature` header values for one labelled signature.
pub struct Signed {
    pub input: String,
    pub signature: String,
}

/// Signs the base made of `components` and `params` under `label`.
pub fn sign(key: &SigningKey, label: &str, components: &[Component], params: &Params) -> Signed {
    let (base, input) = signature_base(components, params);
    let sig = key.sign(base.as_bytes());
    Signed {
        input: format!("{label}={input}"),
        signature: format!("{label}=:{}:", STANDARD.encode(sig.to_bytes())),
    }
}

/// Whether `signature` (64 bytes) is `key`'s over the base of `components` and `params`.
pub fn verify(
    key: &VerifyingKey,
    signature: &[u8],
    components: &[Component],
    params: &Params,
) -> bool {
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    let (base, _) = signature_base(components, params);
    key.verify(base.as_bytes(), &sig).is_ok()
}

/// The `Content-Digest` value of a body (RFC 9530, SHA-256).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9421 Appendix B.1.4's Ed25519 test key (its raw 32-byte seed).
    const RFC_SEED: &str = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
    const RFC_PUBLIC: &str = "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb";

    fn rfc_key() -> SigningKey {
        let seed: [u8; 32] = hex::decode(RFC_SEED).unwrap().try_into().unwrap();
        SigningKey::from_bytes(&seed)
    }

    fn b26() -> (Vec<Component>, Params) {
        (
            vec![
                Component::new("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
                Component::new("@method", "POST"),
                Component::new("@path", "/foo"),
                Component::new("@authority", "example.com"),
                Component::new("content-type", "application/json"),
                Component::new("content-length", "18"),
            ],
            Params {
                created: 1618884473,
                keyid: "test-key-ed25519".to_owned(),
                ..Params::default()
            },
        )
    }

    /// RFC 9421 Appendix B.2.6: the same base, input and signature as the RFC prints
    /// (Ed25519 is deterministic, so signing must give its bytes exactly).
    #[test]
    fn the_rfcs_ed25519_example_signs_and_verifies_byte_for_byte() {
        assert_eq!(
            hex::encode(rfc_key().verifying_key().to_bytes()),
            RFC_PUBLIC
        );
        let (components, params) = b26();
        let (base, _) = signature_base(&components, &params);
        assert_eq!(
            base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        let signed = sign(&rfc_key(), "sig-b26", &components, &params);
        assert_eq!(
            signed.input,
            "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        assert_eq!(
            signed.signature,
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
        );
    }

    fn response() -> (Vec<Component>, Params) {
        let body = br#"{"valid":true}"#;
        (
            vec![
                Component::new("@status", "200"),
                Component::new("content-digest", content_digest(body)),
                Component::of_request("@method", "POST"),
                Component::of_request("@path", "/api/v1/check"),
                Component::of_request("@query", "?"),
                Component::of_request("content-digest", content_digest(b"{}")),
            ],
            Params {
                created: 1_800_000_000,
                keyid: "k1".to_owned(),
                alg: true,
                nonce: Some("AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
            },
        )
    }

    #[test]
    fn an_answer_verifies_and_any_changed_component_or_nonce_does_not() {
        let key = rfc_key();
        let (components, params) = response();
        let (base, input) = signature_base(&components, &params);
        assert!(base.contains("\"@method\";req: POST\n"));
        assert!(input.ends_with(";alg=\"ed25519\";nonce=\"AAAAAAAAAAAAAAAAAAAAAA\""));
        let sig = key.sign(base.as_bytes()).to_bytes();
        let public = key.verifying_key();
        assert!(verify(&public, &sig, &components, &params));
        for i in 0..components.len() {
            let mut changed = components.clone();
            changed[i].value.push('x');
            assert!(!verify(&public, &sig, &changed, &params), "{i}");
        }
        let other_nonce = Params {
            nonce: Some("BBBBBBBBBBBBBBBBBBBBBB".to_owned()),
            ..params.clone()
        };
        assert!(!verify(&public, &sig, &components, &other_nonce));
        assert!(!verify(&public, &sig[..63], &components, &params));
    }

    #[test]
    fn the_content_digest_is_rfc_9530s() {
        // RFC 9530 §2's example body {"hello": "world"} with its SHA-256 digest.
        assert_eq!(
            content_digest(b"{\"hello\": \"world\"}"),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }
}
