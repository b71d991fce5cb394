//! Disabling or enabling the licenses ticked on the license list: a confirmation page
//! that lists them, then one transaction with an audit row per license changed.

use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::LicenseId;
use crate::error::AppResult;
use crate::models::license::{self, LicenseSummary};
use crate::ops::{licenses, Reach};
use crate::web::forms::{ok, see_other};
use crate::web::State;

/// The most licenses one bulk action takes (a list page shows 50).
const MAX_SELECTED: usize = 500;

#[derive(Template)]
#[template(path = "admin/licenses/bulk.html")]
struct BulkPage {
    ctx: AdminCtx,
    enable: bool,
    licenses: Vec<LicenseSummary>,
    /// "3 licenses".
    noun: String,
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BulkForm {
    ids: Vec<String>,
    action: String,
    confirmed: String,
    back: String,
}

impl BulkForm {
    /// The list to return to: a local path on the license list, else the list itself.
    fn back(&self) -> String {
        crate::web::shared::local_back(&self.back, "/licenses")
    }

    fn ids(&self) -> Vec<LicenseId> {
        let mut ids: Vec<LicenseId> = self
            .ids
            .iter()
            .filter_map(|s| s.trim().parse::<LicenseId>().ok())
            .collect();
        ids.sort_by_key(|id| std::cmp::Reverse(i64::from(*id)));
        ids.dedup();
        ids
    }
}

/// `POST /licenses/bulk`: the confirmation page listing the ticked licenses, or (once
/// confirmed) the change itself.
pub async fn submit(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> AppResult<HttpResponse> {
    let back = form.back();
    let enable = match form.action.as_str() {
        "enable" => true,
        "disable" => false,
        _ => {
            ctx.flash(
                FlashLevel::Error,
                "Choose Disable selected or Enable selected.",
            );
            return Ok(see_other(&back));
        }
    };
    let ids = form.ids();
    if ids.is_empty() {
        ctx.flash(
            FlashLevel::Error,
            "Tick the licenses to change first (the boxes at the start of each row).",
        );
        return Ok(see_other(&back));
    }
    if ids.len() > MAX_SELECTED {
        ctx.flash(
            FlashLevel::Error,
            format!("At most {MAX_SELECTED} licenses can be changed at once."),
        );
        return Ok(see_other(&back));
    }
    if form.confirmed != "yes" {
        let licenses = state
            .db(move |conn| Ok(license::summaries_of(conn, &ids)?))
            .await?;
        let noun = crate::web::plural(licenses.len() as i64, "license", "licenses");
        return ok(&BulkPage {
            ctx,
            enable,
            licenses,
            noun,
            back,
        });
    }
    let (actor, reach) = (ctx.actor(), Reach::Staff(ctx.role));
    let asked = ids.len();
    let changed = state
        .write(move |conn| licenses::set_enabled_many(conn, &actor, &reach, &ids, enable))
        .await??;
    let done = if enable { "Enabled" } else { "Disabled" };
    let unchanged = asked - changed;
    let mut text = format!(
        "{done} {}.",
        crate::web::plural(changed as i64, "license", "licenses")
    );
    if unchanged > 0 {
        text.push_str(&format!(
            " {} already {}.",
            crate::web::plural(unchanged as i64, "was", "were"),
            if enable { "enabled" } else { "disabled" }
        ));
    }
    ctx.flash(FlashLevel::Success, text);
    Ok(see_other(&back))
}
