//! The emails of grants: the "granted" notice and the invite with its one-time link, both
//! written to the outbox in the transaction of the change that causes them.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::mail::{self, outbox, Kind, Link, LinkKind, Mailer};
use crate::models::grant::Grant;
use crate::models::license_manager::{LicenseManager, OWNER};
use crate::models::order::Order;
use crate::models::token::{self, Purpose};

fn order_data(
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
    inviter: &str,
) -> mail::MailData {
    let mut m = mailer.data(&manager.name, &manager.email);
    m.order_reference = order.reference.clone();
    m.permissions = grant.permissions.summary();
    m.inviter = inviter.to_owned();
    m
}

pub(super) fn queue_granted(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
    inviter: &str,
) -> QueryResult<()> {
    let mut email = mail::emails::render(
        Kind::Granted,
        &order_data(mailer, manager, order, grant, inviter),
        None,
    );
    email.manager_id = Some(manager.id);
    email.order_id = Some(order.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(())
}

/// Issues a fresh invite token for the manager (earlier links, and the queued emails
/// carrying them, are void).
pub(super) fn fresh_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
) -> QueryResult<token::Issued> {
    token::issue_full(
        conn,
        Purpose::ManagerInvite,
        OWNER,
        manager.id,
        Duration::days(mailer.invite_days),
    )
}

/// Queues an invite with a fresh link; returns the link (never shown on a page).
pub(super) fn queue_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
    inviter: &str,
) -> QueryResult<String> {
    let issued = fresh_invite(conn, mailer, manager)?;
    let url = format!("{}{}", mailer.invite_prefix(), issued.raw);
    let mut data = order_data(mailer, manager, order, grant, inviter);
    data.link = mail::LINK_MARK.to_owned();
    data.valid_for = days_text(mailer.invite_days);
    let link = Link {
        kind: LinkKind::Invite,
        prefix: mailer.invite_prefix(),
        raw: issued.raw,
        token_id: issued.id,
        expires_at: issued.expires_at,
    };
    let mut email = mail::emails::render(Kind::Invite, &data, Some(link));
    email.manager_id = Some(manager.id);
    email.order_id = Some(order.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(url)
}

fn days_text(days: i64) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}
