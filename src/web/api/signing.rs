//! Every license API answer is signed (RFC 9421, Ed25519), errors included: the
//! middleware around the whole application checks the client's nonce, digests the
//! request body, and signs the answer's status, its `Content-Digest` and the request's
//! method, path, query and digest (`;req`), with `created`, `keyid`, `alg` and the
//! nonce. During a key rotation's overlap an answer carries two signatures: `sig1` by
//! the outgoing key, `sig2` by the active one.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use ed25519_dalek::SigningKey;
use futures_util::StreamExt;

use super::signature::{content_digest, sign, Component, Params};
use crate::db::Pool;
use crate::domain::Area;
use crate::models::signing_key::{self, KeySealer};

/// The request header carrying the client's nonce.
pub const NONCE_HEADER: &str = "keyfold-nonce";

/// The most a request body to the API may hold.
pub const MAX_BODY: usize = 64 * 1024;

/// The keys that sign now, each with its key id, in signature order.
type Signers = Arc<Vec<(String, SigningKey)>>;

/// The keys that sign, loaded from the database and opened with the server's secret.
pub struct ApiSigner {
    sealer: Option<KeySealer>,
    pool: Pool,
    /// How often the keys are reloaded (a rotation reaches every instance within it).
    reload: Duration,
    cache: RwLock<Option<(Instant, Signers)>>,
}

impl ApiSigner {
    /// Whether this instance has the secret that opens the signing keys.
    pub fn has_secret(&self) -> bool {
        self.sealer.is_some()
    }

    /// `secret`: the server's secret, or `None` (PostgreSQL without
    /// `KEYFOLD_SECRET_KEY`): then the API answers `signing_unavailable`.
    pub fn new(secret: Option<&[u8]>, pool: Pool, reload: Duration) -> Self {
        ApiSigner {
            sealer: secret.map(KeySealer::new),
            pool,
            reload,
            cache: RwLock::new(None),
        }
    }

    /// Adds the first key when there is none yet (a new installation signs at once).
    pub fn ensure_key(&self) -> Result<(), String> {
        let Some(sealer) = &self.sealer else {
            return Ok(());
        };
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let made = crate::ops::write_tx(&mut conn, |c| {
            if signing_key::all(c)?.is_empty() {
                signing_key::rotate(c, sealer)?;
            }
            Ok::<_, crate::models::ModelError>(())
        });
        match made {
            Ok(()) => Ok(()),
            // Another instance starting at the same time made it first.
            Err(crate::models::ModelError::Db(e)) if crate::db::is_unique_violation(&e) => Ok(()),
            Err(e) => Err(format!("cannot create the first signing key: {e}")),
        }
    }

    /// The keys that sign now (reloaded at most once a `reload`); `None` when they cannot
    /// be opened (no secret, or another secret than the one that sealed them).
    async fn signers(&self) -> Option<Signers> {
        let sealer = self.sealer.as_ref()?;
        if let Ok(guard) = self.cache.read() {
            if let Some((at, keys)) = guard.as_ref() {
                if at.elapsed() < self.reload {
                    return Some(keys.clone());
                }
            }
        }
        let pool = self.pool.clone();
        let sealer = sealer.clone();
        let loaded = actix_web::web::block(move || {
            let mut conn = pool.get().ok()?;
            signing_key::signers(&mut conn, &sealer).ok().flatten()
        })
        .await
        .ok()
        .flatten()?;
        let keys = Arc::new(loaded);
        if let Ok(mut guard) = self.cache.write() {
            *guard = Some((Instant::now(), keys.clone()));
        }
        Some(keys)
    }
}

/// A nonce as the API accepts it: 16 to 64 base64url characters.
pub fn nonce_is_valid(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A problem answer (RFC 9457) of the API, unsigned yet.
pub fn problem(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: Option<&str>,
) -> actix_web::HttpResponse {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "status": status.as_u16(),
        "code": code,
        "message": message,
    });
    if let Some(id) = request_id {
        body["request_id"] = id.into();
    }
    actix_web::HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

/// The middleware: requests outside the API pass through untouched.
pub async fn sign_answers(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if Area::of(req.path()) != Area::Api {
        return next.call(req).await;
    }
    let signer = req
        .app_data::<actix_web::web::Data<ApiSigner>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("no API signer"))?;
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let rid = request_id.as_deref();
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let query = format!("?{}", req.query_string());
    let nonce = req
        .headers()
        .get(NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The body is read here (at most MAX_BODY), digested, and handed on unchanged.
    let mut payload = req.take_payload();
    let mut body = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_BODY {
            too_large = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let request_digest = (!body.is_empty()).then(|| content_digest(&body));
    let refusal = match &nonce {
        _ if too_large => Some(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "The request body is larger than 64 KiB.",
            rid,
        )),
        Some(n) if nonce_is_valid(n) => None,
        _ => Some(problem(
            StatusCode::BAD_REQUEST,
            "nonce_invalid",
            "Send a nonce of 16 to 64 base64url characters in the Keyfold-Nonce header.",
            rid,
        )),
    };
    let signers = signer.signers().await;
    let Some(signers) = signers else {
        // Nothing can sign: the one answer is the refusal (unsigned, said so in it).
        let refusal = refusal.unwrap_or_else(|| {
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "signing_unavailable",
                "This server cannot sign answers: KEYFOLD_SECRET_KEY is not set.",
                rid,
            )
        });
        return Ok(req.into_response(refusal));
    };
    let what = Covered {
        method,
        path,
        query,
        request_digest,
        nonce: nonce.filter(|n| nonce_is_valid(n)),
        signers,
    };
    if let Some(refusal) = refusal {
        let signed = what.sign(refusal).await?;
        return Ok(req.into_response(signed));
    }
    req.set_payload(actix_web::dev::Payload::from(Bytes::from(body)));
    match next.call(req).await {
        Ok(res) => {
            let (req, response) = res.into_parts();
            Ok(ServiceResponse::new(req, what.sign(response).await?))
        }
        // A panic or an inner middleware's error (rendered without a request): its
        // answer is signed too, and handed on already built.
        Err(e) => Err(Prebuilt::of(what.sign(e.error_response()).await?)
            .await
            .into()),
    }
}

/// What an answer's signatures cover besides the answer itself.
struct Covered {
    method: String,
    path: String,
    query: String,
    request_digest: Option<String>,
    nonce: Option<String>,
    signers: Signers,
}

impl Covered {
    /// The answer with its `Content-Digest`, `Signature-Input` and `Signature` (one
    /// signature per signing key), `Cache-Control: no-store, no-transform` and no
    /// cookie.
    async fn sign(&self, response: HttpResponse) -> Result<HttpResponse, actix_web::Error> {
        let status = response.status();
        let mut head = response.head().clone();
        let answer = body::to_bytes(response.into_body())
            .await
            .map_err(|_| actix_web::error::ErrorInternalServerError("unreadable answer"))?;
        let digest = content_digest(&answer);
        let mut components = vec![
            Component::new("@status", status.as_u16().to_string()),
            Component::new("content-digest", digest.clone()),
            Component::of_request("@method", self.method.clone()),
            Component::of_request("@path", self.path.clone()),
            Component::of_request("@query", self.query.clone()),
        ];
        if let Some(d) = &self.request_digest {
            components.push(Component::of_request("content-digest", d.clone()));
        }
        let created = chrono::Utc::now().timestamp();
        let mut inputs = Vec::new();
        let mut signatures = Vec::new();
        for (i, (kid, key)) in self.signers.iter().enumerate() {
            let params = Params {
                created,
                keyid: kid.clone(),
                alg: true,
                nonce: self.nonce.clone(),
            };
            let signed = sign(key, &format!("sig{}", i + 1), &components, &params);
            inputs.push(signed.input);
            signatures.push(signed.signature);
        }
        let mut out = HttpResponse::with_body(status, answer.boxed());
        std::mem::swap(out.head_mut(), &mut head);
        let headers = out.headers_mut();
        headers.remove(header::SET_COOKIE);
        let set = |h: &mut header::HeaderMap, name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        };
        set(headers, "content-digest", digest);
        set(
            headers,
            "cache-control",
            "no-store, no-transform".to_owned(),
        );
        if !inputs.is_empty() {
            set(headers, "signature-input", inputs.join(", "));
            set(headers, "signature", signatures.join(", "));
        }
        Ok(out)
    }
}

/// A signed answer carried as an error, for the paths where no request is left to build
/// a response around.
#[derive(Debug)]
struct Prebuilt {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Prebuilt {
    async fn of(res: HttpResponse) -> Self {
        let status = res.status();
        let headers = res
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let body = body::to_bytes(res.into_body()).await.unwrap_or_default();
        Prebuilt {
            status,
            headers,
            body,
        }
    }
}

impl std::fmt::Display for Prebuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "signed API answer {}", self.status)
    }
}

impl actix_web::ResponseError for Prebuilt {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status).body(self.body.clone());
        for (n, v) in &self.headers {
            res.headers_mut().insert(n.clone(), v.clone());
        }
        res
    }
}

/// A kind of signed file the API hands out. Each signs `prefix ‖ payload`, and no
/// prefix can begin an RFC 9421 signature base (which begins with `"`), so a signature
/// of one kind never verifies as another kind or as an HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A borrowed floating seat, kept by the client until the borrow ends.
    SeatFile,
    /// An offline activation's entitlement for one hardware id.
    LicenseFile,
    /// The server's receipt of an offline deactivation.
    DeactivationReceipt,
}

impl FileKind {
    /// The name in the file's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::SeatFile => "keyfold-seat-file",
            FileKind::LicenseFile => "keyfold-license-file",
            FileKind::DeactivationReceipt => "keyfold-deactivation-receipt",
        }
    }

    /// What the signature covers before the payload's bytes.
    pub fn prefix(self) -> String {
        format!("{} v1\n", self.name())
    }
}

/// A signed file: the payload's exact bytes (base64) and the active key's Ed25519
/// signature of `kind prefix ‖ payload bytes`. A client verifies the signature over
/// the decoded bytes with its pinned key, then parses them.
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema, Debug, Clone)]
pub struct SignedFile {
    /// `keyfold-seat-file`, `keyfold-license-file` or `keyfold-deactivation-receipt`.
    pub kind: String,
    /// The key that signed it (see `GET /api/v1/keys`).
    pub kid: String,
    /// The payload's JSON, base64 (standard, padded).
    pub payload: String,
    /// Ed25519 over `"<kind> v1\n"` followed by the payload's bytes, base64.
    pub signature: String,
}

impl ApiSigner {
    /// Whether answers and files can be signed now (keys opened with the secret).
    pub async fn can_sign(&self) -> bool {
        self.signers().await.is_some_and(|s| !s.is_empty())
    }

    /// Signs a file with the active key (`None` when nothing can sign).
    pub async fn sign_file(&self, kind: FileKind, payload: &[u8]) -> Option<SignedFile> {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine;
        use ed25519_dalek::Signer;
        let signers = self.signers().await?;
        // The active key signs last during an overlap; it alone signs files.
        let (kid, key) = signers.last()?;
        let mut signed = kind.prefix().into_bytes();
        signed.extend_from_slice(payload);
        Some(SignedFile {
            kind: kind.name().to_owned(),
            kid: kid.clone(),
            payload: STANDARD.encode(payload),
            signature: STANDARD.encode(key.sign(&signed).to_bytes()),
        })
    }
}
