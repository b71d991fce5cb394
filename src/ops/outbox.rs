//! Emails in the outbox that staff send again.

use diesel::prelude::*;

use super::Reach;
use crate::db::schema::manager_grants;
use crate::db::DbConnection;
use crate::mail::{outbox, LinkKind, Mailer};
use crate::models::audit::{self, Actor, Entry};
use crate::models::grant::Grant;
use crate::models::{license_manager, order};
use crate::models::{ModelError, ModelResult};

/// Resends a token-bearing email from the outbox: a fresh token (voiding the old) in a
/// new email. For an invite, the grant of the email's order is used.
pub fn resend_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    row: &outbox::OutboxRow,
) -> ModelResult<()> {
    let manager_id = || {
        row.manager_id.ok_or_else(|| {
            ModelError::refused(
                "manager_gone",
                "This email's license manager no longer exists.".to_owned(),
            )
        })
    };
    match row.link_kind.as_deref().and_then(LinkKind::parse) {
        Some(LinkKind::Invite) => {
            let order_id = row.order_id.ok_or_else(|| {
                ModelError::refused(
                    "order_gone",
                    "This invite's order no longer exists.".to_owned(),
                )
            })?;
            let order = order::find(conn, order_id)?.ok_or_else(|| {
                ModelError::refused(
                    "order_gone",
                    "The order of this invite no longer exists.".to_owned(),
                )
            })?;
            let grant: Grant = manager_grants::table
                .filter(manager_grants::manager_id.eq(manager_id()?))
                .filter(manager_grants::order_id.eq(order_id))
                .select(Grant::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    ModelError::refused(
                        "grant_gone",
                        "This person no longer manages the order of this invite.".to_owned(),
                    )
                })?;
            super::grants::resend_invite(conn, mailer, actor, reach, order.id, grant.id).map(|_| ())
        }
        Some(LinkKind::Reset) => {
            let manager =
                license_manager::find(conn, manager_id()?)?.ok_or(ModelError::NotFound)?;
            if !manager.enabled {
                return Err(ModelError::refused(
                    "manager_disabled",
                    "This license manager's account is disabled.".to_owned(),
                ));
            }
            super::accounts::queue_reset(conn, mailer, &manager)?;
            audit::record(
                conn,
                actor,
                Entry::new(
                    "license_manager.reset_resent",
                    "license_manager",
                    Some(manager.id),
                )
                .label(&manager.email),
            )?;
            Ok(())
        }
        Some(LinkKind::Password) => {
            let (Some(user), Some(order_id)) = (row.license_user_id, row.order_id) else {
                return Err(ModelError::refused(
                    "license_user_gone",
                    "This email's license user no longer exists.".to_owned(),
                ));
            };
            let order = order::find(conn, order_id)?.ok_or_else(|| {
                ModelError::refused(
                    "order_gone",
                    "The order of this email no longer exists.".to_owned(),
                )
            })?;
            super::license_users::send_password_link(conn, mailer, actor, reach, order.id, user)
                .map(|_| ())
        }
        None => {
            outbox::requeue_copy(conn, mailer, row)?;
            Ok(())
        }
    }
}
