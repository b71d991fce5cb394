//! Notifications: the outbox as staff see it — every email with its status, attempts and
//! text, each token-bearing link shown only as "[invite link]" / "[reset link]" — and
//! resending (a token-bearing email gets a fresh link, voiding the old one).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::CsrfForm;
use crate::domain::{values, Action, OutboxId};
use crate::error::{AppError, AppResult};
use crate::mail::outbox::{self, Filter, OutboxRow, STATUSES};
use crate::models::{ModelError, Page};
use crate::web::forms::{act, ok};
use crate::web::{EmptyForm, State};

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    recipient: String,
    page: String,
}

#[derive(Template)]
#[template(path = "admin/notifications/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    status: String,
    recipient: String,
    statuses: [&'static str; 3],
    page: Page<OutboxRow>,
    pager_base: String,
    smtp: bool,
}

/// `GET /notifications`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let filter = Filter {
        status: STATUSES.into_iter().find(|s| *s == query.status.trim()),
        recipient: values::search_term(&query.recipient, 200),
        manager_id: None,
    };
    let paging = crate::models::Paging::parse(&query.page, PER_PAGE);
    let pager_base = format!(
        "/notifications?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("status", filter.status.unwrap_or(""))
            .append_pair("recipient", &filter.recipient)
            .finish()
    );
    let f = filter.clone();
    let page = state
        .db(move |conn| Ok(outbox::list(conn, &f, paging)?))
        .await?;
    ok(&IndexPage {
        ctx,
        status: filter.status.unwrap_or("").to_owned(),
        recipient: filter.recipient,
        statuses: STATUSES,
        page,
        pager_base,
        smtp: state.config.smtp_url.is_some(),
    })
}

#[derive(Template)]
#[template(path = "admin/notifications/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    email: OutboxRow,
    can_resend: bool,
}

/// `GET /notifications/{id}`: one email and its text (links redacted).
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OutboxId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let email = state
        .db(move |conn| outbox::find(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    ok(&ShowPage {
        can_resend: ctx.can(Action::ManageLicenseManagers),
        ctx,
        email,
    })
}

/// `POST /notifications/{id}/resend`: queues the email again; one with a link gets a
/// fresh link and every earlier one stops working.
pub async fn resend(
    state: State,
    ctx: AdminCtx,
    path: web::Path<OutboxId>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (mailer, actor) = (state.mailer.clone(), ctx.actor());
    let reach = crate::ops::Reach::Staff(ctx.role);
    act(
        &ctx,
        &state,
        "/notifications",
        move |conn| {
            let row = outbox::find(conn, id)?.ok_or(ModelError::NotFound)?;
            crate::ops::outbox::resend_link(conn, &mailer, &actor, &reach, &row)?;
            Ok(row)
        },
        |row| {
            if row.has_link() {
                format!(
                    "A new email to {} is queued with a fresh link; the earlier link no longer works.",
                    row.to_email
                )
            } else {
                format!("A copy of the email to {} is queued.", row.to_email)
            }
        },
    )
    .await
}
