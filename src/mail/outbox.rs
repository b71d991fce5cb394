//! The outbox: every email, queued in the transaction of the action that causes it,
//! claimed and sent by the mail worker, with its attempts and last error.

use crate::domain::LicenseManagerId;
use crate::domain::LicenseUserId;
use crate::domain::OrderId;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::emails::{Email, LinkKind, LINK_MARK};
use super::Mailer;
use crate::db::schema::outbox;
use crate::db::DbConnection;
use crate::db::{now, Page, Paging, COUNT_LIMIT};
use crate::domain::values::prefix_end;
use crate::domain::OutboxId;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const STATUSES: [&str; 3] = [QUEUED, SENT, FAILED];

/// An outbox row as pages see it: never the sealed token.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: OutboxId,
    pub template: String,
    pub to_email: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub link_kind: Option<String>,
    pub manager_id: Option<LicenseManagerId>,
    pub order_id: Option<OrderId>,
    pub license_user_id: Option<LicenseUserId>,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl OutboxRow {
    fn placeholder(&self) -> &'static str {
        self.link_kind
            .as_deref()
            .and_then(LinkKind::parse)
            .map(LinkKind::placeholder)
            .unwrap_or("[link]")
    }

    /// The plain-text body with its link shown as "[invite link]" / "[reset link]".
    pub fn text_shown(&self) -> String {
        self.body_text.replace(LINK_MARK, self.placeholder())
    }

    pub fn template_label(&self) -> &'static str {
        super::Kind::label(&self.template)
    }

    pub fn has_link(&self) -> bool {
        self.link_kind.is_some()
    }
}

/// Queues an email; call it inside the transaction of the action that causes it.
pub fn enqueue(conn: &mut DbConnection, mailer: &Mailer, email: Email) -> QueryResult<OutboxId> {
    let at = now();
    let message_id = format!(
        "<{}@{}>",
        &crate::domain::token::random_token()[..32],
        mailer.domain
    );
    let (kind, prefix, sealed, token_id, expires) = match &email.link {
        Some(l) => (
            Some(l.kind.as_str()),
            Some(l.prefix.clone()),
            Some(mailer.sealer.seal(&l.raw)),
            Some(l.token_id),
            Some(l.expires_at),
        ),
        None => (None, None, None, None, None),
    };
    let id: i64 = diesel::insert_into(outbox::table)
        .values((
            outbox::template.eq(email.kind.as_str()),
            outbox::to_email.eq(&email.to_email),
            outbox::to_email_norm.eq(email.to_email.to_lowercase()),
            outbox::to_name.eq(&email.to_name),
            outbox::subject.eq(&email.subject),
            outbox::body_text.eq(&email.text),
            outbox::body_html.eq(&email.html),
            outbox::link_kind.eq(kind),
            outbox::link_prefix.eq(prefix),
            outbox::sealed_token.eq(sealed),
            outbox::token_id.eq(token_id),
            outbox::token_expires_at.eq(expires),
            outbox::manager_id.eq(email.manager_id),
            outbox::order_id.eq(email.order_id),
            outbox::license_user_id.eq(email.license_user_id),
            outbox::message_id.eq(message_id),
            outbox::status.eq(QUEUED),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(at),
            outbox::created_at.eq(at),
            outbox::updated_at.eq(at),
        ))
        .returning(outbox::id)
        .get_result(conn)?;
    Ok(OutboxId(id))
}

/// Gives up every queued email whose link can no longer work: its token was used,
/// voided or replaced (tokens are spent by setting their use time), or is gone. Run at
/// the end of every write transaction of an operation (`ops::write_tx`), so whatever
/// spent a link, the email carrying it is never sent.
pub fn void_spent_links(conn: &mut DbConnection) -> QueryResult<usize> {
    use crate::db::schema::tokens;
    // Runs in every write transaction: only the queued emails with a link are read, and
    // each one's token is looked up by its key.
    let live = tokens::table
        .filter(tokens::id.nullable().eq(outbox::token_id))
        .filter(tokens::used_at.is_null());
    let ids: Vec<i64> = outbox::table
        .filter(outbox::status.eq(QUEUED))
        .filter(outbox::link_kind.is_not_null())
        .filter(outbox::token_id.is_not_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(live)))
        .select(outbox::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    void_ids(conn, &ids)
}

/// Marks those of `ids` still queued with a link as failed, their sealed token erased.
fn void_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(QUEUED))
            .filter(outbox::link_kind.is_not_null()),
    )
    .set((
        outbox::status.eq(FAILED),
        outbox::sealed_token.eq(None::<String>),
        outbox::last_error.eq(Some("Not sent: its link was replaced or voided first.")),
        outbox::updated_at.eq(now()),
    ))
    .execute(conn)
}

/// The Notifications page's filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<&'static str>,
    /// Prefix of the recipient's address (lower-cased).
    pub recipient: String,
    pub manager_id: Option<i64>,
}

/// Messages newest first, filtered, a numbered page at a time with a bounded count.
pub fn list(conn: &mut DbConnection, f: &Filter, paging: Paging) -> QueryResult<Page<OutboxRow>> {
    let filtered = || {
        let mut q = outbox::table.select(outbox::id).into_boxed();
        if let Some(s) = f.status {
            q = q.filter(outbox::status.eq(s));
        }
        if !f.recipient.is_empty() {
            let lo = f.recipient.to_lowercase();
            let hi = prefix_end(&lo);
            q = q
                .filter(outbox::to_email_norm.ge(lo))
                .filter(outbox::to_email_norm.lt(hi));
        }
        if let Some(m) = f.manager_id {
            q = q.filter(outbox::manager_id.eq(m));
        }
        q
    };
    let page_ids = |conn: &mut DbConnection, p: Paging| {
        filtered()
            .order(outbox::id.desc())
            .limit(p.per_page)
            .offset(p.offset())
            .load::<OutboxId>(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        Ok(filtered()
            .limit(COUNT_LIMIT + 1)
            .load::<OutboxId>(conn)?
            .len())
    };
    paging.read(conn, page_ids, count)?.try_map(|ids| {
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::id.desc())
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

pub fn find(conn: &mut DbConnection, id: OutboxId) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// An email the worker has claimed: what it needs to send it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct Claimed {
    pub id: OutboxId,
    pub to_email: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub link_prefix: Option<String>,
    pub sealed_token: Option<String>,
    pub token_expires_at: Option<NaiveDateTime>,
    pub message_id: String,
    pub attempts: i32,
}

/// Claims up to `limit` due emails for `worker` until `lease` from now. On PostgreSQL
/// the candidates are locked with `FOR UPDATE SKIP LOCKED`, so instances polling at
/// once take different rows; on both backends the claim itself only succeeds on a row
/// nobody holds, so an email is never sent by two instances while a lease runs.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    crate::db::write_tx(conn, |conn| {
        let at = now();
        let due = outbox::table
            .filter(outbox::status.eq(QUEUED))
            .filter(outbox::next_attempt_at.le(at))
            .filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.lt(at)),
            )
            .order(outbox::next_attempt_at.asc())
            .select(outbox::id)
            .limit(limit);
        let ids: Vec<i64> = match conn {
            DbConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(
            outbox::table.filter(outbox::id.eq_any(&ids)).filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.lt(at)),
            ),
        )
        .set((
            outbox::claimed_until.eq(Some(at + lease)),
            outbox::claimed_by.eq(Some(worker)),
        ))
        .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .filter(outbox::claimed_by.eq(worker))
            .filter(outbox::status.eq(QUEUED))
            .select(Claimed::as_select())
            .load(conn)
    })
}

/// Marks a claimed email sent and erases its sealed token.
pub fn mark_sent(conn: &mut DbConnection, id: OutboxId, worker: &str) -> QueryResult<()> {
    let at = now();
    diesel::update(outbox::table.find(id).filter(outbox::claimed_by.eq(worker)))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(Some(at)),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::sealed_token.eq(None::<String>),
            outbox::last_error.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried after `base × 2^attempts` (at most a day), or
/// failed for good after `max_attempts` (its sealed token erased).
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    email: &Claimed,
    worker: &str,
    error: &str,
    base: Duration,
    max_attempts: i32,
) -> QueryResult<()> {
    let at = now();
    let attempts = email.attempts.saturating_add(1);
    let error: String = error
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    let row = outbox::table
        .find(email.id)
        .filter(outbox::claimed_by.eq(worker));
    if attempts >= max_attempts {
        diesel::update(row)
            .set((
                outbox::status.eq(FAILED),
                outbox::attempts.eq(attempts),
                outbox::last_error.eq(Some(error)),
                outbox::sealed_token.eq(None::<String>),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::updated_at.eq(at),
            ))
            .execute(conn)?;
    } else {
        let factor = 1i32
            .checked_shl(attempts.clamp(0, 20) as u32 - 1)
            .unwrap_or(1);
        let delay = base
            .checked_mul(factor)
            .unwrap_or(Duration::days(1))
            .min(Duration::days(1));
        diesel::update(row)
            .set((
                outbox::attempts.eq(attempts),
                outbox::last_error.eq(Some(error)),
                outbox::next_attempt_at.eq(at + delay),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Gives up an email whose link can no longer work (expired or unreadable token).
pub fn give_up(conn: &mut DbConnection, id: OutboxId, reason: &str) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(FAILED),
            outbox::last_error.eq(Some(reason)),
            outbox::sealed_token.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Erases the sealed tokens whose links have expired (sent or not).
pub fn erase_expired_tokens(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::sealed_token.is_not_null())
            .filter(outbox::token_expires_at.lt(now())),
    )
    .set(outbox::sealed_token.eq(None::<String>))
    .execute(conn)
}

/// Queues a copy of an email that carries no link (a resend of a notice).
pub fn requeue_copy(
    conn: &mut DbConnection,
    mailer: &Mailer,
    row: &OutboxRow,
) -> QueryResult<OutboxId> {
    let kind = super::Kind::parse(&row.template).unwrap_or(super::Kind::Granted);
    enqueue(
        conn,
        mailer,
        Email {
            kind,
            to_email: row.to_email.clone(),
            to_name: row.to_name.clone(),
            subject: row.subject.clone(),
            text: row.body_text.clone(),
            html: row.body_html.clone(),
            link: None,
            manager_id: row.manager_id,
            order_id: row.order_id,
            license_user_id: row.license_user_id,
        },
    )
}
