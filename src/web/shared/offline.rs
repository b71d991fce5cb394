//! Offline activation pages: a request file the device wrote is uploaded on a license's
//! page (admin portal: staff who may control licenses; license portal: a manager with
//! Reset device on the order) or on the unauthenticated offline page with the license
//! key; the answer is the signed file to copy back to the device (`web::api::files`).

use actix_multipart::form::{bytes::Bytes as UploadBytes, text::Text, MultipartForm};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::Area;
use crate::auth::csrf::{CsrfMultipart, HasCsrfToken};
use crate::domain::{DeviceId, FieldErrors, LicenseId};
use crate::error::{AppError, AppResult};
use crate::models::license::License;
use crate::ops::licenses;
use crate::web::api::files::{self, Download};
use crate::web::api::signing::ApiSigner;
use crate::web::State;

/// The upload: the request file, and the license key on the public page.
#[derive(MultipartForm)]
pub struct OfflineUpload {
    csrf_token: Option<Text<String>>,
    license_key: Option<Text<String>>,
    file: Option<UploadBytes>,
}

impl HasCsrfToken for OfflineUpload {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

impl OfflineUpload {
    /// The file's bytes (empty when none was chosen).
    pub fn bytes(&self) -> &[u8] {
        self.file
            .as_ref()
            .map(|f| f.data.as_ref())
            .unwrap_or_default()
    }

    /// The typed license key, trimmed and bounded.
    pub fn license_key(&self) -> String {
        self.license_key
            .as_ref()
            .map(|t| t.0.trim().chars().take(100).collect())
            .unwrap_or_default()
    }
}

/// An area with an offline activation page on its license pages.
pub trait OfflineArea: Area {
    /// Renders the page (with the form's messages).
    fn offline_page(
        self,
        status: StatusCode,
        license: License,
        errors: FieldErrors,
    ) -> AppResult<HttpResponse>;
}

async fn license_in_reach<A: Area>(state: &State, ctx: &A, id: LicenseId) -> AppResult<License> {
    let reach = ctx.reach()?;
    state
        .db(move |conn| Ok(licenses::view(conn, &reach, id)?.license))
        .await
}

/// `GET …/licenses/{id}/offline`: the upload form.
pub async fn offline_form<A: OfflineArea>(
    state: State,
    ctx: A,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let license = license_in_reach(&state, &ctx, path.into_inner()).await?;
    ctx.offline_page(StatusCode::OK, license, FieldErrors::new())
}

/// `POST …/licenses/{id}/offline`: the file to copy to the device, or the form again.
pub async fn offline_submit<A: OfflineArea>(
    state: State,
    ctx: A,
    signer: web::Data<ApiSigner>,
    path: web::Path<LicenseId>,
    CsrfMultipart(form): CsrfMultipart<OfflineUpload>,
) -> AppResult<HttpResponse> {
    let license = license_in_reach(&state, &ctx, path.into_inner()).await?;
    match files::answer_upload(
        &state,
        &signer,
        ctx.actor(),
        form.bytes(),
        None,
        Some(license.id),
    )
    .await
    {
        Ok(d) => Ok(d.response()),
        Err(errors) => ctx.offline_page(StatusCode::UNPROCESSABLE_ENTITY, license, errors),
    }
}

/// `GET /licenses/{id}/devices/{device_id}/license-file`: a license file for one of the
/// license's active devices (for a device that will go offline).
pub async fn device_license_file<A: Area>(
    state: State,
    ctx: A,
    signer: web::Data<ApiSigner>,
    path: web::Path<(LicenseId, DeviceId)>,
) -> AppResult<HttpResponse> {
    let (id, device_id) = path.into_inner();
    let reach = ctx.reach()?;
    let (view, product, terms, now) = state
        .db(move |conn| {
            let view = licenses::view(conn, &reach, id)?;
            let product = crate::models::product::find(conn, view.license.product_id)?
                .ok_or(AppError::NotFound)?;
            let terms = crate::ops::client::terms(conn, id)?;
            Ok((view, product, terms, crate::models::now()))
        })
        .await?;
    let device = view
        .devices
        .iter()
        .find(|d| d.id == device_id && d.is_active() && d.hardware_id.is_some())
        .ok_or(AppError::NotFound)?;
    let d: Download = files::license_file(&signer, &view.license, &product, &terms, device, now)
        .await
        .map_err(|e| AppError::Unprocessable(e.get("file").unwrap_or_default().to_owned()))?;
    Ok(d.response())
}
