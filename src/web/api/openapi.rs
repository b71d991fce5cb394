//! `GET /api/v1/openapi.json`: the license API described as OpenAPI 3.1, generated
//! from the handlers' `#[utoipa::path]` attributes and the answers' types, then given
//! what every operation shares: the `Keyfold-Nonce` header, the signature headers of
//! every answer, the problems each endpoint answers ([`REFUSALS`]), and the problem codes from the
//! one catalogue ([`super::problem::CATALOGUE`]). A test checks real answers against it.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{json, Value};
use utoipa::OpenApi;

use super::problem::CATALOGUE;
use super::signing::MAX_BODY;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keyfold license API",
        description = "The license API for the vendor's applications.",
    ),
    paths(
        super::client::activate,
        super::client::check,
        super::client::deactivate,
        super::client::change_password,
        super::seats::check_out,
        super::seats::heartbeat,
        super::seats::release,
        super::seats::borrow,
        super::seats::return_seat,
        super::usage::add,
        super::usage::add_batch,
        super::usage::variables,
        super::trials::start,
        super::product_details,
        super::keys,
    ),
    components(schemas(
        super::problem::Problem,
        super::seats::SeatFilePayload,
        super::files::OfflineRequest,
        super::files::LicenseFilePayload,
        super::files::ReceiptPayload,
    ))
)]
struct ApiDoc;

/// The refusals every endpoint may answer: a malformed request, an oversized body, too
/// many requests, a fault, no key to sign with.
const SHARED_REFUSALS: [u16; 5] = [400, 413, 429, 500, 503];

/// The statuses each endpoint refuses with besides the shared ones (each documented
/// with the catalogue's codes of that status).
const REFUSALS: &[(&str, &[u16])] = &[
    ("/api/v1/activate", &[401, 403, 404, 409]),
    ("/api/v1/check", &[401, 404]),
    ("/api/v1/deactivate", &[401, 404, 409]),
    ("/api/v1/password", &[401, 422]),
    ("/api/v1/seats/checkout", &[401, 403, 404, 409]),
    ("/api/v1/seats/heartbeat", &[401, 403, 404, 409]),
    ("/api/v1/seats/release", &[401, 404, 409]),
    ("/api/v1/seats/borrow", &[401, 403, 404, 409, 422]),
    ("/api/v1/seats/return", &[401, 404, 409]),
    ("/api/v1/consumption", &[401, 403, 404, 409, 422]),
    ("/api/v1/consumption/batch", &[401, 403, 404, 409]),
    ("/api/v1/variables", &[401, 404, 409]),
    ("/api/v1/trial", &[403, 404, 409]),
    ("/api/v1/products/{code}", &[404]),
];

/// How answers are signed, for the document's description.
const SIGNATURES: &str = "Every answer, errors included, is signed per RFC 9421 (HTTP Message Signatures) with Ed25519. \
The covered components are exactly `\"@status\"`, `\"content-digest\"` (RFC 9530, SHA-256 of the answer's body), \
`\"@method\";req`, `\"@path\";req`, `\"@query\";req` and, when the request had a body, `\"content-digest\";req`; \
the parameters are `created`, `keyid`, `alg=\"ed25519\"` and `nonce` (the request's `Keyfold-Nonce`). \
During a key rotation's overlap an answer carries two signatures, `sig1` by the outgoing key and `sig2` by the active one. \
Pin the public keys (`GET /api/v1/keys`) in the application; never trust that list at run time. \
Answers are `Cache-Control: no-store, no-transform`; a proxy that rewrites the path prefix breaks `@path`. \
No request needs a secret: a client authenticates by the license key, or by a license user's email and password once and then the device token. \
Request bodies are JSON of at most 64 KiB; unknown fields are refused.";

/// The codes the catalogue answers with `status`.
fn codes_of(status: u16) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|(_, s, _)| *s == status)
        .map(|(c, _, _)| *c)
        .collect()
}

fn problem_response(status: u16) -> Value {
    let lines: Vec<String> = CATALOGUE
        .iter()
        .filter(|(_, s, _)| *s == status)
        .map(|(c, _, what)| format!("`{c}`: {what}"))
        .collect();
    json!({
        "description": lines.join("\n\n"),
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
    })
}

fn header(description: &str) -> Value {
    json!({ "required": true, "description": description, "schema": { "type": "string" } })
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
        doc["info"]["description"] = json!(format!(
            "The license API for the vendor's applications.\n\n{SIGNATURES}"
        ));
        doc["info"]["version"] = json!("1");
        doc["x-keyfold-signature"] = json!({
            "algorithm": "ed25519",
            "components": ["@status", "content-digest", "@method;req", "@path;req", "@query;req", "content-digest;req (with a request body)"],
            "parameters": ["created", "keyid", "alg", "nonce"],
            "nonce_header": "Keyfold-Nonce",
            "max_body_bytes": MAX_BODY,
        });
        let statuses: Vec<u16> = {
            let mut s: Vec<u16> = CATALOGUE.iter().map(|(_, s, _)| *s).collect();
            s.dedup();
            s
        };
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] =
            json!(CATALOGUE.iter().map(|(c, _, _)| *c).collect::<Vec<_>>());
        doc["components"]["schemas"]["Problem"]["x-codes-by-status"] = json!(statuses
            .iter()
            .map(|s| (s.to_string(), json!(codes_of(*s))))
            .collect::<serde_json::Map<_, _>>());
        let nonce = json!({
            "name": "Keyfold-Nonce",
            "in": "header",
            "required": true,
            "description": "A fresh random value per request, 16 to 64 base64url characters; the answer's signature covers it (`400 nonce_invalid` otherwise).",
            "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$" },
        });
        let signed = json!({
            "Signature": header("RFC 9421 signature(s): `sig1=:…:` (and `sig2` during a rotation's overlap)."),
            "Signature-Input": header("The covered components and parameters of each signature."),
            "Content-Digest": header("RFC 9530 SHA-256 digest of the answer's body."),
            "Cache-Control": header("Always `no-store, no-transform`."),
        });
        let limited = json!({
            "Retry-After": header("Seconds to wait."),
            "RateLimit": header("The exhausted limit and when it refills (a per-minute limit only)."),
            "RateLimit-Policy": header("The limit's quota and window (a per-minute limit only)."),
        });
        if let Some(paths) = doc["paths"].as_object_mut() {
            for (path, item) in paths.iter_mut() {
                let Some(item) = item.as_object_mut() else {
                    continue;
                };
                let own = REFUSALS
                    .iter()
                    .find(|(p, _)| p == path)
                    .map_or(&[][..], |(_, s)| *s);
                for (_, op) in item.iter_mut() {
                    let mut params = op["parameters"].as_array().cloned().unwrap_or_default();
                    params.push(nonce.clone());
                    op["parameters"] = Value::Array(params);
                    for status in SHARED_REFUSALS.iter().chain(own) {
                        op["responses"][status.to_string()] = problem_response(*status);
                    }
                    if let Some(responses) = op["responses"].as_object_mut() {
                        for (status, response) in responses.iter_mut() {
                            let mut headers = signed.clone();
                            if status == "429" {
                                if let (Some(h), Some(l)) =
                                    (headers.as_object_mut(), limited.as_object())
                                {
                                    h.extend(l.clone());
                                }
                            }
                            response["headers"] = headers;
                        }
                    }
                }
            }
        }
        doc["paths"]["/api/v1/openapi.json"] = json!({
            "get": {
                "tags": ["meta"],
                "summary": "This document.",
                "operationId": "openapi",
                "parameters": [nonce],
                "responses": { "200": {
                    "description": "The OpenAPI 3.1 document of the license API.",
                    "headers": signed,
                    "content": { "application/json": { "schema": { "type": "object", "additionalProperties": true } } },
                } },
            }
        });
        doc
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
