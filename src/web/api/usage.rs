//! Consumption through the license API: one event (`POST /api/v1/consumption`) or a
//! batch of up to 100 (`POST /api/v1/consumption/batch`), each with the client's
//! `event_id` (a retry answers as the first time did) and a quantity from 1 to
//! 1,000,000. The server alone decides the limits (maximum plus overage, per period).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::{client_failure, client_request, field, parse_body, ClientBody};
use super::problem::ApiProblem;
use super::runtime::ApiRuntime;
use crate::auth::client_ip::ClientIp;
use crate::models::consumption::{Counted, NewEvent, MAX_BATCH, MAX_QUANTITY};
use crate::models::Refusal;
use crate::ops::usage::{self, Consumed};
use crate::web::State;

type ApiResult = Result<HttpResponse, actix_web::Error>;

/// One consumption event.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The consumption feature's code; leave it out when the license has one.
    #[serde(default)]
    #[schema(max_length = 32)]
    feature: Option<String>,
    /// Chosen by the client, unique per license and feature: the same id again answers
    /// as the first time (with another quantity: `409 event_id_reused`).
    #[schema(max_length = 100)]
    event_id: String,
    #[schema(minimum = 1, maximum = 1_000_000)]
    quantity: i64,
}

impl EventBody {
    fn parse(self) -> Result<NewEvent, ApiProblem> {
        if let Some(f) = &self.feature {
            field("feature", f, 32)?;
        }
        field("event_id", &self.event_id, 100)?;
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(ApiProblem::body_invalid(format!(
                "quantity must be a whole number from 1 to {MAX_QUANTITY}"
            )));
        }
        Ok(NewEvent {
            feature: self.feature,
            event_id: self.event_id,
            quantity: self.quantity,
        })
    }
}

client_request! {
    /// The body of `POST /api/v1/consumption`: the client's credential and one event.
    pub struct ConsumeBody {
        #[serde(default)]
        #[schema(max_length = 32)]
        feature: Option<String>,
        #[schema(max_length = 100)]
        event_id: String,
        #[schema(minimum = 1, maximum = 1_000_000)]
        quantity: i64,
    }
}

client_request! {
    /// The body of `POST /api/v1/consumption/batch`: the credential and 1 to 100 events.
    pub struct BatchBody {
        #[schema(min_items = 1, max_items = 100)]
        events: Vec<EventBody>,
    }
}

/// How one event was answered.
#[derive(Serialize, ToSchema)]
pub struct ConsumptionResult {
    pub event_id: String,
    /// The feature it counted against (null when it was refused before one was found).
    pub feature: Option<String>,
    pub quantity: i64,
    /// 200 when the event was answered; else the status of its refusal (`code`).
    pub status: u16,
    /// Whether it counted. False with `consumption_limit_reached`: nothing counted.
    pub accepted: bool,
    /// True when this event id had been counted before: the first answer again.
    pub repeated: bool,
    /// `consumption_limit_reached` (status 200, not counted), or a refusal's code.
    pub code: Option<&'static str>,
    pub message: Option<String>,
    /// The feature's counter in the period after this event.
    pub consumed: Option<i64>,
    pub max_consumption: Option<i64>,
    /// How far beyond the maximum the server allows (null: not at all).
    pub max_overage: Option<i64>,
    /// What may still be consumed in this period (null: unlimited).
    pub remaining: Option<i64>,
    /// The period the counter belongs to (`all`, `2026-12-05`, `2026-W49`, `2026-12`,
    /// `2026`).
    pub period: Option<String>,
}

impl ConsumptionResult {
    fn of(event: &NewEvent, answer: Result<Counted, Refusal>) -> Self {
        match answer {
            Ok(c) => ConsumptionResult {
                event_id: c.event_id,
                feature: Some(c.feature),
                quantity: c.quantity,
                status: 200,
                accepted: c.accepted,
                repeated: c.repeated,
                code: (!c.accepted).then_some("consumption_limit_reached"),
                message: (!c.accepted).then(|| {
                    format!(
                        "This would pass the limit: {} left in this period.",
                        c.remaining.unwrap_or(0)
                    )
                }),
                consumed: Some(c.consumed),
                max_consumption: c.max_consumption,
                max_overage: c.max_overage,
                remaining: c.remaining,
                period: Some(c.period),
            },
            Err(r) => ConsumptionResult {
                event_id: event.event_id.clone(),
                feature: event.feature.clone(),
                quantity: event.quantity,
                status: ApiProblem::of(r.code, "").status.as_u16(),
                accepted: false,
                repeated: false,
                code: Some(r.code),
                message: Some(r.message),
                consumed: None,
                max_consumption: None,
                max_overage: None,
                remaining: None,
                period: None,
            },
        }
    }
}

/// The answer to one event.
#[derive(Serialize, ToSchema)]
pub struct ConsumptionAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    #[serde(flatten)]
    pub result: ConsumptionResult,
}

/// The answer to a batch: each event's result, in the order sent.
#[derive(Serialize, ToSchema)]
pub struct BatchAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    pub results: Vec<ConsumptionResult>,
}

async fn consume(
    state: &State,
    api: &ApiRuntime,
    ip: &ClientIp,
    b: ClientBody,
    events: Vec<NewEvent>,
) -> Result<(ClientBody, Vec<NewEvent>, Consumed), actix_web::Error> {
    let (b, done) = b
        .write_at_db_time(state, move |conn, c, now| {
            Ok((usage::consume(conn, c, &events, now)?, events))
        })
        .await?;
    let ((done, events), _) = done.map_err(|e| client_failure(api, ip, e))?;
    api.limits.license_allowed(done.0.id)?;
    Ok((b, events, done))
}

/// `POST /api/v1/consumption`: counts one event against a consumption feature. Beyond
/// the limit the answer is `"accepted": false` with `consumption_limit_reached` and what
/// remains; the same event id with another quantity is `409 event_id_reused`.
#[utoipa::path(post, path = "/api/v1/consumption", tag = "consumption",
    request_body = ConsumeBody,
    responses((status = 200, description = "The event's answer (counted, repeated, or over the limit).", body = ConsumptionAnswer)))]
pub async fn add(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let raw: ConsumeBody = parse_body(&body)?;
    let b = raw.credential()?;
    let event = EventBody {
        feature: raw.feature,
        event_id: raw.event_id,
        quantity: raw.quantity,
    }
    .parse()?;
    let (b, events, (license, product, mut answers)) =
        consume(&state, &api, &ip, b, vec![event]).await?;
    let answer = answers
        .pop()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("no answer"))?;
    let answer = answer.map_err(ApiProblem::from)?;
    Ok(HttpResponse::Ok().json(ConsumptionAnswer {
        license_key: license.license_key,
        product_code: product.code,
        hardware_id: b.hardware_id,
        result: ConsumptionResult::of(&events[0], Ok(answer)),
    }))
}

/// `POST /api/v1/consumption/batch`: up to 100 events, counted in order, each answered
/// on its own (`status` and `code` per event; one refused event does not stop the rest).
#[utoipa::path(post, path = "/api/v1/consumption/batch", tag = "consumption",
    request_body = BatchBody,
    responses((status = 200, description = "Each event's answer, in the order sent.", body = BatchAnswer)))]
pub async fn add_batch(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    api.limits.address_allowed(&ip.0)?;
    let raw: BatchBody = parse_body(&body)?;
    let b = raw.credential()?;
    if raw.events.is_empty() || raw.events.len() > MAX_BATCH {
        return Err(ApiProblem::body_invalid(format!("send 1 to {MAX_BATCH} events")).into());
    }
    let events = raw
        .events
        .into_iter()
        .map(EventBody::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let (b, events, (license, product, answers)) = consume(&state, &api, &ip, b, events).await?;
    Ok(HttpResponse::Ok().json(BatchAnswer {
        license_key: license.license_key,
        product_code: product.code,
        hardware_id: b.hardware_id,
        results: events
            .iter()
            .zip(answers)
            .map(|(e, a)| ConsumptionResult::of(e, a))
            .collect(),
    }))
}

client_request! {
    /// The body of `POST /api/v1/variables`: the credential and, to change them, the
    /// variables to set (a string) or remove (`null`).
    pub struct VariablesBody {
        /// Names (1 to 64 characters) to values (at most 4 KiB; `null` removes). Leave it
        /// out to read them.
        #[serde(default)]
        #[schema(value_type = Option<Object>)]
        variables: Option<std::collections::BTreeMap<String, Option<String>>>,
    }
}

/// The device's variables after the request.
#[derive(Serialize, ToSchema)]
pub struct VariablesAnswer {
    pub license_key: String,
    pub product_code: String,
    pub hardware_id: String,
    /// Names to values.
    pub variables: std::collections::BTreeMap<String, String>,
}

/// `POST /api/v1/variables`: sets or removes the device's variables (at most 50 per
/// device, `409 variables_limit_reached` beyond, nothing changed) and answers them
/// all; without `variables` it only reads them. The device must be active.
#[utoipa::path(post, path = "/api/v1/variables", tag = "devices",
    request_body = VariablesBody,
    responses((status = 200, description = "The device's variables.", body = VariablesAnswer)))]
pub async fn variables(
    state: State,
    api: web::Data<ApiRuntime>,
    ip: ClientIp,
    body: web::Bytes,
) -> ApiResult {
    use crate::models::device_variable::{MAX_NAME, MAX_PER_DEVICE, MAX_VALUE};
    api.limits.address_allowed(&ip.0)?;
    let raw: VariablesBody = parse_body(&body)?;
    let b = raw.credential()?;
    let changes: Vec<(String, Option<String>)> =
        raw.variables.unwrap_or_default().into_iter().collect();
    if changes.len() as i64 > MAX_PER_DEVICE {
        return Err(
            ApiProblem::body_invalid(format!("send at most {MAX_PER_DEVICE} variables")).into(),
        );
    }
    for (name, value) in &changes {
        field("variable name", name, MAX_NAME)?;
        if value
            .as_ref()
            .is_some_and(|v| v.len() > MAX_VALUE || v.contains('\0'))
        {
            return Err(ApiProblem::body_invalid(format!(
                "variable {name:.64}: a value is at most {MAX_VALUE} bytes, without NUL"
            ))
            .into());
        }
    }
    let (b, done) = b
        .write_at_db_time(&state, move |conn, c, now| {
            usage::set_variables(conn, c, &changes, now)
        })
        .await?;
    let ((license, product, all), _) = done.map_err(|e| client_failure(&api, &ip, e))?;
    api.limits.license_allowed(license.id)?;
    Ok(HttpResponse::Ok().json(VariablesAnswer {
        license_key: license.license_key,
        product_code: product.code,
        hardware_id: b.hardware_id,
        variables: all.into_iter().map(|v| (v.name, v.value)).collect(),
    }))
}
