//! The audit log page: every change, newest first, filtered by actor, object type,
//! action and date. Read-only: no route updates or deletes an entry.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::domain::{values, FieldErrors, StaffId};
use crate::error::AppResult;
use crate::models::audit::{self, AuditRow, Filter, OBJECT_TYPES};
use crate::models::{staff, Page, Paging};
use crate::web::forms::render;
use crate::web::State;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/audit/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    filter: Filter,
    actor: String,
    from: String,
    to: String,
    page: Page<AuditRow>,
    staff: Vec<(StaffId, String)>,
    object_types: [(&'static str, &'static str); 8],
    errors: FieldErrors,
    pager_base: String,
    /// The export link (the same filters), for roles that may export.
    export: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    actor: String,
    object_type: String,
    action: String,
    from: String,
    to: String,
    page: String,
}

fn parse_actor(v: &str) -> Option<(String, Option<i64>)> {
    match v.trim().split_once(':') {
        Some(("staff", id)) => id.parse().ok().map(|id| ("staff".to_owned(), Some(id))),
        None if matches!(v.trim(), "staff" | "system" | "api" | "manager") => {
            Some((v.trim().to_owned(), None))
        }
        _ => None,
    }
}

impl ListQuery {
    /// The log's filters (shared with the CSV export), with a message beside a bad date.
    pub fn filter(&self, errors: &mut FieldErrors) -> Filter {
        let (from, to) = crate::web::forms::date_range(errors, &self.from, &self.to);
        Filter {
            actor: parse_actor(&self.actor),
            object_type: OBJECT_TYPES
                .iter()
                .find(|(k, _)| *k == self.object_type.trim())
                .map(|(k, _)| k.to_string())
                .unwrap_or_default(),
            action: values::search_term(&self.action, 60),
            from,
            to,
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(&self, filter: &Filter) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("actor", &filter.actor_value())
            .append_pair("object_type", &filter.object_type)
            .append_pair("action", &filter.action)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

/// `GET /audit-log`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    let paging = Paging::parse(&q.page, PER_PAGE);
    let actor = filter.actor_value();
    let query_string = q.query_string(&filter);
    let pager_base = format!("/audit-log?{query_string}");
    let export = ctx
        .can(crate::domain::Action::EditCustomers)
        .then(|| format!("/audit-log/export.csv?{query_string}"));
    let f = filter.clone();
    let (page, staff) = state
        .db(move |conn| Ok((audit::list(conn, &f, paging)?, staff::options(conn)?)))
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &IndexPage {
            ctx,
            filter,
            actor,
            from: q.from,
            to: q.to,
            page,
            staff,
            object_types: OBJECT_TYPES,
            errors,
            pager_base,
            export,
        },
    )
}
