//! Settings (admins only): the license API's signing keys with their states and when
//! each changed, and whether this instance can sign. Keys change through the command
//! line (`keyfold signing-key …`), where the secret lives.

use actix_web::HttpResponse;
use askama::Template;

use super::AdminCtx;
use crate::error::AppResult;
use crate::models::signing_key::{self, StoredKey};
use crate::web::api::signing::ApiSigner;
use crate::web::forms::ok;
use crate::web::State;

#[derive(Template)]
#[template(path = "admin/settings/index.html")]
struct SettingsPage {
    ctx: AdminCtx,
    keys: Vec<StoredKey>,
    /// Whether this instance has the secret that opens the keys.
    can_sign: bool,
}

/// `GET /settings`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    signer: actix_web::web::Data<ApiSigner>,
) -> AppResult<HttpResponse> {
    let keys = state.db(|conn| Ok(signing_key::all(conn)?)).await?;
    ok(&SettingsPage {
        ctx,
        keys,
        can_sign: signer.has_secret(),
    })
}
