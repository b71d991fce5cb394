//! The unauthenticated offline page (`/portal/offline`), LicenseSpring's offline
//! portal: anyone with the license key and a request file the device wrote gets the
//! file to copy back. Unknown keys count against the client address's failures (the
//! license API's limit), so the page cannot be used to guess keys.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::cookie::csrf_token;
use crate::auth::csrf::CsrfMultipart;
use crate::auth::ClientIp;
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::models::audit::Actor;
use crate::web::api::files;
use crate::web::api::runtime::ApiRuntime;
use crate::web::api::signing::ApiSigner;
use crate::web::forms::render;
use crate::web::shared::offline::OfflineUpload;
use crate::web::State;

#[derive(Template)]
#[template(path = "portal/offline.html")]
struct PublicPage {
    vendor: String,
    errors: FieldErrors,
    offline_action: &'static str,
    offline_csrf: String,
    ask_key: bool,
    license_key: String,
}

fn page(
    state: &State,
    session: &Session,
    status: StatusCode,
    license_key: String,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    render(
        status,
        &PublicPage {
            vendor: state.config.vendor_name.clone(),
            errors,
            offline_action: "/portal/offline",
            offline_csrf: csrf_token(session),
            ask_key: true,
            license_key,
        },
    )
}

/// `GET /portal/offline`.
pub async fn form(state: State, session: Session) -> AppResult<HttpResponse> {
    page(
        &state,
        &session,
        StatusCode::OK,
        String::new(),
        FieldErrors::new(),
    )
}

/// `POST /portal/offline`: the license key and the request file.
pub async fn submit(
    state: State,
    session: Session,
    api: web::Data<ApiRuntime>,
    signer: web::Data<ApiSigner>,
    ip: ClientIp,
    CsrfMultipart(form): CsrfMultipart<OfflineUpload>,
) -> AppResult<HttpResponse> {
    let key = form.license_key();
    if api.limits.address_allowed(&ip.0).is_err() {
        let mut e = FieldErrors::new();
        e.add(
            "license_key",
            "Too many unknown license keys from your address: try again in a minute.",
        );
        return page(&state, &session, StatusCode::TOO_MANY_REQUESTS, key, e);
    }
    if key.is_empty() {
        let mut e = FieldErrors::new();
        e.add("license_key", "Enter the license key.");
        return page(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, key, e);
    }
    let actor = Actor::offline_page(Some(ip.0.clone()));
    match files::answer_upload(&state, &signer, actor, form.bytes(), Some(&key), None).await {
        Ok(d) => Ok(d.response()),
        Err(errors) => {
            if errors
                .get("file")
                .is_some_and(|m| m.starts_with("No license"))
            {
                api.limits.failed(&ip.0);
            }
            page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                key,
                errors,
            )
        }
    }
}
