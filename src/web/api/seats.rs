//! Floating seats through the license API: check out a seat (the first check-out of a
//! hardware id activates it), renew its lease with heartbeats, release it, borrow it
//! for offline use (the answer carries a signed seat file) and return it. Every
//! lease is compared against the database's clock.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::client::client_request;
use utoipa::ToSchema;

use super::client::{client_failure, detail, parse_body, ClientBody, Entitlement};
use super::problem::ApiProblem;
use super::runtime::ApiRuntime;
use super::signing::{ApiSigner, FileKind, SignedFile};
use crate::auth::client_ip::ClientIp;
use crate::models::activation::DeviceInfo;
use crate::models::audit::Actor;
use crate::models::device::Device;
use crate::models::floating::Seat;
use crate::models::license::License;
use crate::models::product::Product;
use crate::ops::client::{self, Client};
use crate::ops::seats::{self, Borrowed};
use crate::web::State;

type ApiResult = Result<HttpResponse, actix_web::Error>;

client_request! {
    /// The body of `POST /api/v1/seats/checkout`: the client's credential and hardware
    /// id, and (for its first check-out) what it tells of the device.
    pub struct CheckOutBody {
        #[serde(default)]
        #[schema(max_length = 200)]
        hostname: String,
        #[serde(default)]
        #[schema(max_length = 200)]
        os: String,
        #[serde(default)]
        #[schema(max_length = 200)]
        app_version: String,
        #[serde(default)]
        #[schema(max_length = 200)]
        sdk_version: String,
    }
}

impl CheckOutBody {
    fn parse(body: &[u8]) -> Result<Self, ApiProblem> {
        let b: CheckOutBody = parse_body(body)?;
        b.credential()?;
        detail("hostname", &b.hostname)?;
        detail("os", &b.os)?;
        detail("app_version", &b.app_version)?;
        detail("sdk_version", &b.sdk_version)?;
        Ok(b)
    }

    fn device(&self, ip: &str) -> DeviceInfo {
        DeviceInfo {
            hardware_id: self.hardware_id.clone(),
            hostname: self.hostname.clone(),
            os: self.os.clone(),
            app_version: self.app_version.clone(),
            sdk_version: self.sdk_version.clone(),
            ip: ip.to_owned(),
        }
    }
}

/// The answer to a check-out or a heartbeat: the entitlement, and the seat's lease.
#[derive(Serialize, ToSchema)]
pub struct SeatAnswer {
    #[serde(flatten)]
    pub entitlement: Entitlement,
    /// Always true: a refusal is a problem answer.
    pub valid: bool,
    /// Whether this check-out activated the hardware id (a new device).
    pub created: bool,
    /// When the lease ends unless a heartbeat renews it.
    #[schema(value_type = String)]
    pub lease_until: Option<NaiveDateTime>,
    /// When a borrow of this device ends (null: not borrowed).
    #[schema(value_type = Option<String>)]
    pub borrowed_until: Option<NaiveDateTime>,
    /// Send the next heartbeat after this many seconds (a third of the lease).
    pub heartbeat_after_seconds: i64,
    /// The license's floating seats.
    pub seats: i64,
    /// The seats held now, this one included.
    pub held_seats: i64,
}

/// The answer to a release.
#[derive(Serialize, ToSchema)]
pub struct ReleaseAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    /// False when the device held no lease (a retry): nothing changed.
    pub released: bool,
    /// When a borrow of this device ends (a release leaves a borrow alone).
    #[schema(value_type = Option<String>)]
    pub borrowed_until: Option<NaiveDateTime>,
    pub seats: i64,
    pub held_seats: i64,
}

/// The answer to a borrow or a return.
#[derive(Serialize, ToSchema)]
pub struct BorrowAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    pub device_id: i64,
    /// When the borrow ends (null after a return).
    #[schema(value_type = Option<String>)]
    pub borrowed_until: Option<NaiveDateTime>,
    pub seats: i64,
    pub held_seats: i64,
    /// For a borrow: the signed seat file the client keeps until the borrow ends. Its
    /// payload is a [`SeatFilePayload`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_file: Option<SignedFile>,
}

/// What a seat file's payload holds.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SeatFilePayload {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    pub device_id: i64,
    #[schema(value_type = String)]
    pub issued_at: NaiveDateTime,
    /// The seat may be used offline until then, never later.
    #[schema(value_type = String)]
    pub borrowed_until: NaiveDateTime,
}

fn seat_answer(
    seat: Seat,
    product: &Product,
    hardware_id: &str,
    terms: &client::Terms,
    now: NaiveDateTime,
) -> SeatAnswer {
    let until = seat.until();
    let offline = client::offline_valid_until(&seat.license, product, now);
    SeatAnswer {
        entitlement: Entitlement::of(
            &seat.license,
            product,
            terms,
            hardware_id,
            Some(&seat.device),
            Some(until.map_or(offline, |u| offline.min(u))),
        ),
        valid: true,
        created: seat.created,
        lease_until: seat.device.checkout_until,
        borrowed_until: seat.device.borrowed_until.filter(|b| *b > now),
        heartbeat_after_seconds: (seat.lease.num_seconds() / 3).max(1),
        seats: seat.license.floating_seats,
        held_seats: seat.held,
    }
}

/// Runs a seat operation in one write transaction at the database's time and answers
/// the seat (a refusal is committed as an event, then answered as a problem).
async fn held<F>(state: &State, api: &ApiRuntime, ip: &ClientIp, b: ClientBody, f: F) -> ApiResult
where
    F: FnOnce(
            &mut crate::db::DbConnection,
            &Client<'_>,
            NaiveDateTime,
        ) -> crate::models::ModelResult<seats::Held>
        + Send
        + 'static,
{
    let (b, done) = b
        .write_at_db_time(state, move |conn, c, now| {
            let held = f(conn, c, now)?;
            let terms = match &held {
                Ok((seat, _)) => Some(client::terms(conn, seat.license.id)?),
                Err(_) => None,
            };
            Ok((held, terms))
        })
        .await?;
    let ((held, terms), now) = done.map_err(|e| client_failure(api, ip, e))?;
    let (seat, product) = held.map_err(ApiProblem::from)?;
    api.limits.license_allowed(seat.license.id)?;
    let terms = terms.unwrap_or(client::Terms {
        features: Vec::new(),
        custom_fields: Vec::new(),
    });
    Ok(HttpResponse::Ok().json(seat_answer(seat, &product, &b.hardware_id, &terms, now)))
}

/// `POST /api/v1/seats/checkout`: takes a seat of a floating license under a lease. The
/// first check-out of a hardware id activates it (counted against max activations and
/// the activation rate); a hardware id that holds a seat gets the same seat back with a
/// new lease. Every seat held: `409 no_seat_available`.
#[utoipa::path(post, path = "/api/v1/seats/checkout", tag = "floating",
    request_body = CheckOutBody,
    responses((status = 200, description = "The device holds a seat until `lease_until`.", body = SeatAnswer)))]
pub async fn check_out(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = CheckOutBody::parse(&body)?;
    let info = b.device(&ip.0);
    held(&state, &api, &ip, b.credential()?, move |conn, c, now| {
        seats::check_out(conn, c, &info, now)
    })
    .await
}

/// `POST /api/v1/seats/heartbeat`: renews the lease. After a lapse it takes a seat
/// again when one is free (else `409 no_seat_available`); it never activates.
#[utoipa::path(post, path = "/api/v1/seats/heartbeat", tag = "floating",
    request_body = ClientBody,
    responses((status = 200, description = "The lease is renewed until `lease_until`.", body = SeatAnswer)))]
pub async fn heartbeat(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ClientBody::parse(&body)?;
    held(&state, &api, &ip, b, seats::heartbeat).await
}

/// `POST /api/v1/seats/release`: frees the seat at once (a borrow stays until it is
/// returned). Idempotent: `"released": false` when the device held no lease.
#[utoipa::path(post, path = "/api/v1/seats/release", tag = "floating",
    request_body = ClientBody,
    responses((status = 200, description = "The lease has ended (or had already).", body = ReleaseAnswer)))]
pub async fn release(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ClientBody::parse(&body)?;
    let (b, done) = b.write_at_db_time(&state, seats::release).await?;
    let (r, now) = done.map_err(|e| client_failure(&api, &ip, e))?;
    api.limits.license_allowed(r.license.id)?;
    Ok(HttpResponse::Ok().json(ReleaseAnswer {
        license_key: r.license.license_key,
        product_code: r.product.code,
        hardware_id: b.hardware_id,
        released: r.released,
        borrowed_until: r.device.borrowed_until.filter(|u| *u > now),
        seats: r.license.floating_seats,
        held_seats: r.held,
    }))
}

client_request! {
    /// The body of `POST /api/v1/seats/borrow`.
    pub struct BorrowBody {
        /// Until when (UTC, `YYYY-MM-DDTHH:MM:SS`, optionally ending in `Z`): within the
        /// license's borrow limit from now.
        #[schema(max_length = 20)]
        borrowed_until: String,
    }
}

/// A time as the API takes it: `YYYY-MM-DDTHH:MM:SS`, optionally with `Z`, UTC.
pub fn parse_time(name: &str, value: &str) -> Result<NaiveDateTime, ApiProblem> {
    let v = value.strip_suffix('Z').unwrap_or(value);
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .filter(|t| {
            (crate::domain::values::MIN_DATE..=crate::domain::values::MAX_DATE).contains(&t.date())
        })
        .ok_or_else(|| {
            ApiProblem::body_invalid(format!(
                "{name} must be a UTC time YYYY-MM-DDTHH:MM:SS between 1970 and 9999"
            ))
        })
}

/// What a borrow or return answers, from the write's outcome.
async fn borrow_answer(
    signer: &ApiSigner,
    b: &ClientBody,
    done: Borrowed,
    now: NaiveDateTime,
    file: bool,
) -> ApiResult {
    let Borrowed {
        license,
        product,
        device,
        held,
    } = done;
    let seat_file = match device.borrowed_until.filter(|_| file) {
        Some(until) => Some(seat_file(signer, &license, &product, &device, b, until, now).await?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(BorrowAnswer {
        license_key: license.license_key,
        product_code: product.code,
        hardware_id: b.hardware_id.clone(),
        device_id: device.id.into(),
        borrowed_until: device.borrowed_until,
        seats: license.floating_seats,
        held_seats: held,
        seat_file,
    }))
}

async fn seat_file(
    signer: &ApiSigner,
    license: &License,
    product: &Product,
    device: &Device,
    b: &ClientBody,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<SignedFile, actix_web::Error> {
    let payload = serde_json::to_vec(&SeatFilePayload {
        license_key: license.license_key.clone(),
        product_code: product.code.clone(),
        hardware_id: b.hardware_id.clone(),
        device_id: device.id.into(),
        issued_at: now,
        borrowed_until: until,
    })
    .map_err(actix_web::error::ErrorInternalServerError)?;
    signer
        .sign_file(FileKind::SeatFile, &payload)
        .await
        .ok_or_else(|| {
            ApiProblem::of(
                "signing_unavailable",
                "This server cannot sign files: KEYFOLD_SECRET_KEY is not set.",
            )
            .into()
        })
}

/// `POST /api/v1/seats/borrow`: borrows this device's seat until `borrowed_until`
/// (the license's borrow limit at most); the answer carries a signed seat file to
/// keep offline until then. The device must be active (activated or checked out).
#[utoipa::path(post, path = "/api/v1/seats/borrow", tag = "floating",
    request_body = BorrowBody,
    responses((status = 200, description = "The seat is borrowed until `borrowed_until`.", body = BorrowAnswer)))]
pub async fn borrow(
    state: State,
    api: web::Data<ApiRuntime>,
    signer: web::Data<ApiSigner>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let raw: BorrowBody = parse_body(&body)?;
    let until = parse_time("borrowed_until", &raw.borrowed_until)?;
    let b = raw.credential()?;
    let actor = Actor::client(&b.hardware_id, Some(ip.0.clone()));
    let (b, done) = b
        .write_at_db_time(&state, move |conn, c, now| {
            seats::borrow(conn, &actor, c, until, now)
        })
        .await?;
    let (done, now) = done.map_err(|e| borrow_failure(&api, &ip, e))?;
    let done = done.map_err(ApiProblem::from)?;
    api.limits.license_allowed(done.license.id)?;
    borrow_answer(&signer, &b, done, now, true).await
}

/// A borrow's invalid `borrowed_until` is `422 borrow_until_invalid`, the rest as any
/// client's failure.
fn borrow_failure(
    api: &ApiRuntime,
    ip: &ClientIp,
    e: crate::models::ModelError,
) -> actix_web::Error {
    match e {
        crate::models::ModelError::Invalid { field, message } if field == "until" => {
            ApiProblem::of("borrow_until_invalid", message).into()
        }
        e => client_failure(api, ip, e),
    }
}

/// `POST /api/v1/seats/return`: returns a borrowed seat early (its seat file must not
/// be used any more). A device that has not borrowed is `409 seat_not_borrowed`.
#[utoipa::path(post, path = "/api/v1/seats/return", tag = "floating",
    request_body = ClientBody,
    responses((status = 200, description = "The borrowed seat is returned.", body = BorrowAnswer)))]
pub async fn return_seat(
    state: State,
    api: web::Data<ApiRuntime>,
    signer: web::Data<ApiSigner>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let b = ClientBody::parse(&body)?;
    let actor = Actor::client(&b.hardware_id, Some(ip.0.clone()));
    let (b, done) = b
        .write_at_db_time(&state, move |conn, c, now| {
            seats::return_seat(conn, &actor, c, now)
        })
        .await?;
    let (done, now) = done.map_err(|e| client_failure(&api, &ip, e))?;
    api.limits.license_allowed(done.license.id)?;
    borrow_answer(&signer, &b, done, now, false).await
}
