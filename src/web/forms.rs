//! Form helpers shared by every page: field errors and rendering with a status.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

pub use crate::domain::FieldErrors;
use crate::error::AppResult;

/// Renders a page with the given status (askama pages are otherwise always 200).
pub fn render<T: Template>(status: StatusCode, page: &T) -> AppResult<HttpResponse> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// Renders a page with 200 OK.
pub fn ok<T: Template>(page: &T) -> AppResult<HttpResponse> {
    render(StatusCode::OK, page)
}

/// A 303 redirect (after a successful POST, or to another page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// Anything that can queue a flash message for the next page (an area's context).
pub trait Flasher {
    fn session(&self) -> &actix_session::Session;

    fn flash_message(&self, level: FlashLevel, text: impl Into<String>) {
        crate::auth::cookie::flash(self.session(), level, text);
    }
}

use crate::auth::cookie::FlashLevel;
use crate::db::DbConnection;
use crate::models::{ModelError, ModelResult};
use crate::web::State;

/// Why a submitted form goes back to its page: field messages, a message for the whole
/// form, and the status to answer with (422, or 409 when someone saved first).
#[derive(Debug)]
pub struct Problem {
    pub errors: FieldErrors,
    pub message: Option<String>,
    pub status: StatusCode,
}

impl Problem {
    /// No problem: a form shown for the first time (200, no messages).
    pub fn none() -> Self {
        Problem {
            errors: FieldErrors::new(),
            message: None,
            status: StatusCode::OK,
        }
    }

    /// The field messages, with a form-wide message put beside `field` (for pages that
    /// show no message of their own above a small form).
    pub fn field_errors(self, field: &str) -> FieldErrors {
        let mut errors = self.errors;
        if let Some(m) = self.message {
            errors.add(field, m);
        }
        errors
    }

    /// The first field message as a message for the whole page, after `prefix` (for a
    /// row's small form whose fields the page does not show again).
    pub fn as_message(self, prefix: &str) -> Self {
        let message = self
            .errors
            .messages()
            .first()
            .map(|m| format!("{prefix}: {m}"))
            .or(self.message);
        Problem {
            message,
            errors: FieldErrors::new(),
            status: self.status,
        }
    }

    /// Someone else saved the object after the form was opened: re-render their version.
    pub fn is_conflict(&self) -> bool {
        self.status == StatusCode::CONFLICT
    }

    /// A model error as the form shows it (404 and database errors become error pages).
    pub fn from_model(e: ModelError) -> AppResult<Self> {
        let (errors, message, status) = match e {
            ModelError::Invalid { field, message } => {
                let mut errors = FieldErrors::new();
                errors.add(field, message);
                (errors, None, StatusCode::UNPROCESSABLE_ENTITY)
            }
            ModelError::Refused(r) => (
                FieldErrors::new(),
                Some(r.message),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            ModelError::Conflict(m) => (FieldErrors::new(), Some(m), StatusCode::CONFLICT),
            ModelError::NotFound => return Err(crate::error::AppError::NotFound),
            ModelError::Db(e) => return Err(e.into()),
        };
        Ok(Problem {
            errors,
            message,
            status,
        })
    }
}

impl From<FieldErrors> for Problem {
    fn from(errors: FieldErrors) -> Self {
        Problem {
            errors,
            message: None,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Form → parse → write → redirect with a flash, the shared path of every form: `parsed`
/// is the form's `parse()`; `write` runs in one write transaction; `done` names where to
/// go and what to say. A parse error or a refusal comes back as a [`Problem`] for the
/// handler to re-render the form with (nothing was changed).
pub async fn submit<I, T, W, D>(
    cx: &impl Flasher,
    state: &State,
    parsed: Result<I, FieldErrors>,
    write: W,
    done: D,
) -> AppResult<Result<HttpResponse, Problem>>
where
    I: Send + 'static,
    T: Send + 'static,
    W: FnOnce(&mut DbConnection, I) -> ModelResult<T> + Send + 'static,
    D: FnOnce(T) -> (String, String),
{
    let input = match parsed {
        Ok(input) => input,
        Err(errors) => return Ok(Err(errors.into())),
    };
    match state.write(move |conn| write(conn, input)).await? {
        Ok(value) => {
            let (location, text) = done(value);
            cx.flash_message(FlashLevel::Success, text);
            Ok(Ok(see_other(&location)))
        }
        Err(e) => Ok(Err(Problem::from_model(e)?)),
    }
}

/// A one-button action (disable, reset, restore, …): one write transaction, then back
/// to `back` with a success flash from `done`, or with the refusal as an error flash.
pub async fn act<T, W, D>(
    cx: &impl Flasher,
    state: &State,
    back: &str,
    write: W,
    done: D,
) -> AppResult<HttpResponse>
where
    T: Send + 'static,
    W: FnOnce(&mut DbConnection) -> ModelResult<T> + Send + 'static,
    D: FnOnce(T) -> String,
{
    flash_result(cx, state.write(write).await?, done)?;
    Ok(see_other(back))
}

/// Queues what an action came to as a flash: `done`'s text, or the refusal as an error.
pub fn flash_result<T>(
    cx: &impl Flasher,
    result: ModelResult<T>,
    done: impl FnOnce(T) -> String,
) -> AppResult<()> {
    match result {
        Ok(value) => cx.flash_message(FlashLevel::Success, done(value)),
        Err(e) => {
            let p = Problem::from_model(e)?;
            let text = p
                .message
                .or_else(|| p.errors.messages().first().map(|m| (*m).to_owned()))
                .unwrap_or_default();
            cx.flash_message(FlashLevel::Error, text);
        }
    }
    Ok(())
}

/// A list's date filter `from`–`to` (each optional), with a message beside a bad one.
pub fn date_range(
    errors: &mut FieldErrors,
    from: &str,
    to: &str,
) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
    let from = errors
        .check("from", crate::domain::values::optional_date(from))
        .flatten();
    let to = errors
        .check("to", crate::domain::values::optional_date(to))
        .flatten();
    (from, to)
}

/// "Change password": the current one and the new one typed twice (both areas).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

impl PasswordForm {
    pub fn change(&self) -> crate::auth::service::PasswordChange<'_> {
        crate::auth::service::PasswordChange {
            current: &self.current_password,
            new: &self.new_password,
            confirm: &self.confirm_password,
        }
    }
}
