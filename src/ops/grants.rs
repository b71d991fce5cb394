//! License managers' grants on an order, for both portals. Staff reach every grant of an
//! order; a license manager reaches only the grants strictly below their own (their
//! delegates, at any depth) — never their own, an ancestor's or another branch's — and
//! gives at most what they hold. The reach is checked here, once.

use super::grant_mail::{fresh_invite, queue_granted, queue_invite};
use super::Reach;
use crate::db::DbConnection;
use crate::domain::ProductId;
use crate::domain::{GrantId, OrderId, Permissions};
use crate::mail::Mailer;
use crate::models::audit::Actor;
use crate::models::grant::{self, Derived, GrantRow, InviteState};
use crate::models::grant_change::{self, NewGrant};
use crate::models::grant_products::{self, Allowance, ProductChoice};
use crate::models::license_manager::{self, LicenseManager};
use crate::models::order::Order;
use crate::models::{grant_tree, product};
use crate::models::{ModelError, ModelResult};

/// What adding a manager did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new account, or one without a password yet: an invite was queued. The link is
    /// for `keyfold demo` to print; pages never show it.
    Invited { link: String },
    /// An account with a password: a "granted" notice was queued.
    Granted,
}

/// A manager of the order as the license portal's order page shows them (read-only).
#[derive(Debug, Clone)]
pub struct Colleague {
    pub name: String,
    pub email: String,
    pub permissions: Permissions,
    pub pending: bool,
}

/// The managers with live grants on an order within reach.
pub fn colleagues(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
) -> ModelResult<Vec<Colleague>> {
    reach.order(conn, order)?;
    Ok(grant::for_order(conn, order)?
        .into_iter()
        .filter(|r| r.state != InviteState::Revoked)
        .map(|r| Colleague {
            name: r.manager.name,
            email: r.manager.email,
            permissions: r.grant.permissions,
            pending: matches!(r.state, InviteState::Pending | InviteState::Expired),
        })
        .collect())
}

/// The grants of an order within reach as a managers tab lists them, each with whether
/// the caller may change it (staff: every one; a license manager: those below them, and
/// revoked grants are not listed to managers).
pub fn rows(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
) -> ModelResult<Vec<(GrantRow, bool)>> {
    reach.order(conn, order)?;
    let mut out = Vec::new();
    for r in grant::for_order(conn, order)? {
        match reach {
            Reach::Staff(_) => out.push((r, true)),
            Reach::LicenseManager(g) => {
                if r.state == InviteState::Revoked {
                    continue;
                }
                let below = grant_tree::is_below(conn, r.grant.id, g.grant_id())?;
                out.push((r, below));
            }
            Reach::Client(_) => return Err(ModelError::NotFound),
        }
    }
    Ok(out)
}

/// A product a new grant may be given.
pub struct ProductOffer {
    pub product_id: ProductId,
    /// The name, with what is left of the giver's quota when they have one.
    pub name: String,
    /// Ticked on a fresh form.
    pub ticked: bool,
}

/// The products the caller may give a new or changed grant on an order within reach:
/// staff the catalogue's (those on the order ticked); a license manager theirs, each
/// with what is left of it (all ticked).
pub fn product_offer(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
) -> ModelResult<Vec<ProductOffer>> {
    reach.order(conn, order)?;
    Ok(match reach {
        Reach::Staff(_) => {
            let on_order = grant_products::products_on_order(conn, order)?;
            product::list(conn, false)?
                .into_iter()
                .map(|p| ProductOffer {
                    ticked: on_order.contains(&p.id),
                    product_id: p.id,
                    name: p.name,
                })
                .collect()
        }
        Reach::LicenseManager(g) => grant_products::allowances(conn, g.grant_id())?
            .into_iter()
            .map(|a: Allowance| ProductOffer {
                name: format!("{} ({})", a.name, a.remaining_text()),
                product_id: a.product_id,
                ticked: true,
            })
            .collect(),
        Reach::Client(_) => Vec::new(),
    })
}

/// A grant of the order the caller may act on, with its manager.
fn reachable(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<(Order, grant::Grant, LicenseManager)> {
    let order_row = reach.order(conn, order)?;
    let (target, manager) = grant::find_on_order(conn, order, id)?;
    if let Reach::LicenseManager(g) = reach {
        if target.manager_id == g.manager_id() {
            return Err(ModelError::refused(
                "own_grant",
                "You cannot change or remove your own permissions.".to_owned(),
            ));
        }
        if !grant_tree::is_below(conn, id, g.grant_id())? {
            return Err(ModelError::refused("grant_not_below", format!(
                "{} was not invited through you: only the vendor, or whoever invited them, can change their permissions.",
                manager.email
            )));
        }
    }
    Ok((order_row, target, manager))
}

/// Who an invite or notice names as having made the grant: the license manager who
/// delegated ("Priya Raman (priya@acme.example)"), or nobody (the vendor) for staff.
fn inviter(conn: &mut DbConnection, reach: &Reach) -> ModelResult<String> {
    Ok(match reach {
        Reach::LicenseManager(g) => license_manager::find(conn, g.manager_id())?
            .map(|m| format!("{} ({})", m.name, m.email))
            .unwrap_or_default(),
        _ => String::new(),
    })
}

/// Invites a manager to an order within reach: staff make a vendor grant; a license
/// manager a delegate below their own grant, with at most what they hold. An existing
/// account is granted at once (with a notice email), a new address invited.
pub fn add(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    input: &NewGrant,
) -> ModelResult<(GrantId, Added)> {
    let order = reach.order(conn, order)?;
    let (grant, manager) = match reach {
        Reach::Staff(_) => grant_change::add(conn, actor, &order, input)?,
        Reach::LicenseManager(g) => grant_change::add_delegate(conn, actor, &order, input, g)?,
        Reach::Client(_) => return Err(ModelError::NotFound),
    };
    let by = inviter(conn, reach)?;
    let added = if manager.password_hash.is_some() {
        queue_granted(conn, mailer, &manager, &order, &grant, &by)?;
        Added::Granted
    } else {
        Added::Invited {
            link: queue_invite(conn, mailer, &manager, &order, &grant, &by)?,
        }
    };
    Ok((grant.id, added))
}

/// Changes a grant's permissions (and products); lowering them takes the same from the
/// grants below it.
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
    permissions: Permissions,
    products: Option<Vec<ProductChoice>>,
) -> ModelResult<LicenseManager> {
    let (order, _, _) = reachable(conn, reach, order, id)?;
    if let Reach::LicenseManager(g) = reach {
        if !permissions.is_subset_of(&g.permissions()) {
            return Err(ModelError::invalid(
                "permissions",
                "You can give only permissions you hold on this order.",
            ));
        }
    }
    grant_change::edit(conn, actor, &order, id, permissions, products)
}

/// What removing a grant would remove, for its confirmation page: the order, the
/// manager, and the grants derived from theirs.
pub fn removable(
    conn: &mut DbConnection,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<(Order, LicenseManager, Vec<Derived>)> {
    let (order, _, manager) = reachable(conn, reach, order, id)?;
    Ok((order, manager, grant::derived(conn, id)?))
}

/// Removes a manager from an order with every grant derived from theirs.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (order, _, _) = reachable(conn, reach, order, id)?;
    grant_change::remove(conn, actor, &order, id)
}

/// Sends a new invite (earlier links stop working).
pub fn resend_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (order, _, _) = reachable(conn, reach, order, id)?;
    let (grant, manager) = grant_change::resend_invite(conn, actor, &order, id)?;
    let by = inviter(conn, reach)?;
    queue_invite(conn, mailer, &manager, &order, &grant, &by)?;
    Ok(manager)
}

/// Revokes a pending invite (the grant stays in the tree, revoked).
pub fn revoke_invite(
    conn: &mut DbConnection,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (order, _, _) = reachable(conn, reach, order, id)?;
    grant_change::revoke_invite(conn, actor, &order, id)
}

/// A fresh invite link to hand over by hand (no SMTP), shown once.
pub fn new_invite_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    reach: &Reach,
    order: OrderId,
    id: GrantId,
) -> ModelResult<(Order, LicenseManager, String)> {
    let (order, _, _) = reachable(conn, reach, order, id)?;
    let manager = grant_change::hand_over_invite(conn, actor, &order, id)?;
    let issued = fresh_invite(conn, mailer, &manager)?;
    let link = format!("{}{}", mailer.invite_prefix(), issued.raw);
    Ok((order, manager, link))
}
