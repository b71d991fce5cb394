//! License managers across orders: the list (search by email or name prefix, state),
//! one manager's page (grants, portal activity, history) and disable/enable.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::domain::{values, Action, LicenseManagerId};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::grant::{self, ManagedOrder};
use crate::models::license_manager::{self, AccountState, Filter, LicenseManager, ListRow};
use crate::models::Page;
use crate::web::forms::{ok, see_other};
use crate::web::State;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    state: String,
    page: String,
}

impl ListQuery {
    /// The list's filters (shared with the CSV export).
    pub fn filter(&self) -> Filter {
        Filter {
            q: values::search_term(&self.q, 100),
            state: AccountState::parse(self.state.trim()),
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(filter: &Filter) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("state", filter.state.map(|s| s.as_str()).unwrap_or(""))
            .finish()
    }
}

#[derive(Template)]
#[template(path = "admin/license_managers/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    q: String,
    state: String,
    states: [AccountState; 5],
    page: Page<ListRow>,
    pager_base: String,
    /// The export link (the same filters), for roles that may export.
    export: Option<String>,
}

/// `GET /license-managers`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let filter = query.filter();
    let paging = crate::models::Paging::parse(&query.page, PER_PAGE);
    let query_string = ListQuery::query_string(&filter);
    let pager_base = format!("/license-managers?{query_string}");
    let export = ctx
        .can(Action::EditCustomers)
        .then(|| format!("/license-managers/export.csv?{query_string}"));
    let f = filter.clone();
    let page = state
        .db(move |conn| Ok(license_manager::list(conn, &f, paging)?))
        .await?;
    ok(&IndexPage {
        ctx,
        q: filter.q,
        state: filter.state.map(|s| s.as_str()).unwrap_or("").to_owned(),
        states: AccountState::ALL,
        page,
        pager_base,
        export,
    })
}

#[derive(Template)]
#[template(path = "admin/license_managers/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    manager: LicenseManager,
    account_state: AccountState,
    orders: Vec<ManagedOrder>,
    activity: Vec<AuditRow>,
    audit: Vec<AuditRow>,
    can_manage: bool,
}

/// `GET /license-managers/{id}`.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseManagerId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (manager, account_state, orders, activity, audit) = state
        .db(move |conn| {
            let m = license_manager::find(conn, id)?.ok_or(AppError::NotFound)?;
            let s = license_manager::state_of(conn, &m)?;
            Ok((
                m,
                s,
                grant::for_manager(conn, id, false)?,
                audit::by_actor(conn, crate::domain::ActorKind::LicenseManager, id, 50)?,
                audit::for_object(conn, "license_manager", id, 50)?,
            ))
        })
        .await?;
    ok(&ShowPage {
        can_manage: ctx.can(Action::ManageLicenseManagers),
        ctx,
        manager,
        account_state,
        orders,
        activity,
        audit,
    })
}

async fn set_enabled(
    state: State,
    ctx: AdminCtx,
    id: LicenseManagerId,
    enabled: bool,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let m = state
        .write(move |conn| license_manager::set_enabled(conn, &actor, id, enabled))
        .await??;
    let text = if enabled {
        format!("{} can sign in to the license portal again.", m.email)
    } else {
        format!(
            "{} is disabled: their sessions ended and their links no longer work.",
            m.email
        )
    };
    ctx.flash(FlashLevel::Success, text);
    Ok(see_other(&format!("/license-managers/{id}")))
}

buttons! { LicenseManagerId;
    /// `POST /license-managers/{id}/disable`: ends their sessions, voids their links.
    disable => set_enabled(false);
    /// `POST /license-managers/{id}/enable`.
    enable => set_enabled(true);
}
