//! The license API's refusals: a stable `code` with one HTTP status, and a message for
//! people. `web::errors` renders them as `application/problem+json` with the request id.

use actix_web::http::StatusCode;
use actix_web::ResponseError;

/// A refusal of the API.
#[derive(Debug, Clone)]
pub struct ApiProblem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiProblem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiProblem {
            status,
            code,
            message: message.into(),
        }
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
