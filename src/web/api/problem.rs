//! The license API's refusals: a stable `code` with one HTTP status, and a message for
//! people. `web::errors` renders them as `application/problem+json` with the request id.

use actix_web::http::StatusCode;
use actix_web::ResponseError;
use serde::Serialize;
use utoipa::ToSchema;

/// A refusal of the API.
#[derive(Debug, Clone)]
pub struct ApiProblem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Headers the answer carries (a rate limit's `Retry-After`, …).
    pub headers: Vec<(&'static str, String)>,
}

/// Every code the license API answers with, its one HTTP status and what it means.
/// The OpenAPI document lists the same table; a test walks it.
pub const CATALOGUE: &[(&str, u16, &str)] = &[
    ("body_invalid", 400, "The body is not the JSON this endpoint takes (malformed, wrong types, missing or unknown fields, empty or too long values, control characters)."),
    ("nonce_invalid", 400, "The Keyfold-Nonce header is missing or not 16 to 64 base64url characters."),
    ("invalid_credentials", 401, "The email and password, or the device token, are not right."),
    ("license_disabled", 403, "The license is disabled."),
    ("license_not_started", 403, "The license's start date has not come yet."),
    ("license_expired", 403, "The license has expired."),
    ("license_not_found", 404, "No license of this product has this key (also: another product's key, an archived product's key)."),
    ("product_not_found", 404, "No live product has this code."),
    ("feature_not_found", 404, "The license has no consumption feature with this code (or none at all)."),
    ("not_found", 404, "No endpoint at this address."),
    ("max_activations_reached", 409, "Every activation of the license is in use: deactivate a device first."),
    ("max_transfers_reached", 409, "Every transfer (client or license-portal deactivation) of the license is used."),
    ("license_key_required", 409, "The license user has several licenses of this product: send the license key too."),
    ("license_not_floating", 409, "The license has no floating seats."),
    ("no_seat_available", 409, "Every floating seat of the license is held (by an unexpired lease or borrow)."),
    ("not_activated", 409, "This hardware id is not active on the license (or its device token's device is not): check out or activate first."),
    ("borrowing_not_allowed", 409, "The license's borrow limit is 0 hours."),
    ("seat_not_borrowed", 409, "The device has no borrowed seat to return."),
    ("event_id_reused", 409, "This event id was counted before with another quantity: use a new event id for another event."),
    ("variables_limit_reached", 409, "A device holds at most 50 variables: remove some first (null as their value)."),
    ("trials_not_offered", 409, "The product offers no trials (its trial days are 0)."),
    ("trial_used", 409, "This device had its trial of the product already (its trial license was deleted)."),
    ("body_too_large", 413, "The body is larger than 64 KiB."),
    ("borrow_until_invalid", 422, "borrowed_until is not in the future, or is past the license's borrow limit from now."),
    ("feature_required", 422, "The license has several consumption features: name one in `feature`."),
    ("password_invalid", 422, "The new password does not meet the rules (the portals' rules: long enough, at most 72 bytes)."),
    ("activations_rate_reached", 429, "The license reached its product's activations per hour: wait for Retry-After seconds."),
    ("deactivations_rate_reached", 429, "The license reached its product's client deactivations per 30 days: wait for Retry-After seconds."),
    ("trials_rate_reached", 429, "No more trials today from this address, or of this product: wait for Retry-After seconds (the next UTC day)."),
    ("rate_limited", 429, "Too many requests: wait for Retry-After seconds."),
    ("internal_error", 500, "Keyfold failed; quote the request id."),
    ("signing_unavailable", 503, "The server cannot sign answers (KEYFOLD_SECRET_KEY is not set)."),
];

/// A refusal (RFC 9457 problem details) as every endpoint answers it: the schema the
/// OpenAPI document gives the body `web::errors` renders from an [`ApiProblem`].
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: String,
    pub status: u16,
    /// A stable code; one HTTP status per code.
    pub code: String,
    /// For people: what went wrong and what to do.
    pub message: String,
    /// Quote it to the vendor's support.
    pub request_id: Option<String>,
}

/// The status of a catalogued code.
pub fn status_of(code: &str) -> Option<StatusCode> {
    CATALOGUE
        .iter()
        .find(|(c, _, _)| *c == code)
        .and_then(|(_, s, _)| StatusCode::from_u16(*s).ok())
}

impl ApiProblem {
    /// A problem with a catalogued code (its status comes from the catalogue).
    pub fn of(code: &'static str, message: impl Into<String>) -> Self {
        let status = status_of(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiProblem::new(status, code, message)
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiProblem {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_headers(mut self, headers: Vec<(&'static str, String)>) -> Self {
        self.headers = headers;
        self
    }

    /// A body that is not the JSON the endpoint takes (malformed, wrong types, missing or
    /// unknown fields).
    pub fn body_invalid(detail: impl std::fmt::Display) -> Self {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "body_invalid",
            format!("The request body is not what this endpoint takes: {detail}"),
        )
    }
}

impl std::fmt::Display for ApiProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiProblem {
    fn status_code(&self) -> StatusCode {
        self.status
    }
}

impl From<crate::models::Refusal> for ApiProblem {
    fn from(r: crate::models::Refusal) -> Self {
        let problem = ApiProblem::of(r.code, r.message);
        match r.retry_after {
            Some(secs) => problem.with_headers(vec![("retry-after", secs.max(1).to_string())]),
            None => problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_status_and_is_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for (code, status, what) in CATALOGUE {
            assert!(seen.insert(*code), "{code} twice");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert!((400..600).contains(status), "{code}");
            assert!(!what.is_empty());
            assert_eq!(status_of(code).map(|s| s.as_u16()), Some(*status));
        }
    }
}
