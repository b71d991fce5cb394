//! Grants: a license manager's permissions on one order — the rows and what lists show
//! of them (with the invitation's state), what was derived from a grant, and the grant
//! check that turns (manager, order, permission) into a [`GrantedOrder`]. Adding,
//! changing, removing and the invitations are in `grant_change`, their emails in
//! `grant_mail`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::grant_tree;
use super::license_manager::LicenseManager;
use super::token::{self, Purpose};
use super::{ModelError, ModelResult};
use crate::db::schema::{license_managers, licenses, manager_grants, orders};
use crate::db::DbConnection;
use crate::domain::{CustomerId, GrantId, LicenseManagerId, OrderId, Permissions};

use super::license_manager::OWNER;
pub use crate::domain::GrantState;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = manager_grants)]
pub struct Grant {
    pub id: GrantId,
    pub manager_id: LicenseManagerId,
    pub order_id: OrderId,
    #[diesel(embed)]
    pub permissions: Permissions,
    pub invite_state: GrantState,
    pub created_by_kind: String,
    pub created_by_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The grant this one was made from (a delegate's, or a created order's); set when
    /// the grant is made, never changed.
    pub parent_grant_id: Option<GrantId>,
    /// Made by staff: the root of a tree, whose quotas bound everything below it. Set
    /// when the grant is made, never changed.
    pub vendor_made: bool,
}

impl Grant {
    /// Whether the invitation still waits for the manager's password.
    pub fn is_pending(&self) -> bool {
        self.invite_state == GrantState::Pending
    }

    pub(super) fn audit_view(&self, manager: &LicenseManager) -> serde_json::Value {
        json!({
            "manager": manager.email,
            "permissions": self.permissions.summary(),
            "invite": self.invite_state,
        })
    }
}

/// What a person sees of an invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteState {
    Pending,
    Expired,
    Accepted,
    Revoked,
}

impl InviteState {
    pub fn label(self) -> &'static str {
        match self {
            InviteState::Pending => "Pending",
            InviteState::Expired => "Expired",
            InviteState::Accepted => "Accepted",
            InviteState::Revoked => "Revoked",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            InviteState::Pending => "",
            InviteState::Expired | InviteState::Revoked => "kf-warn",
            InviteState::Accepted => "kf-ok",
        }
    }
}

/// A grant as a list shows it: with its manager and the invitation's state.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub grant: Grant,
    pub manager: LicenseManager,
    pub state: InviteState,
    /// Where the grant comes from, in words ("the vendor", "lee@… ", "lee@… on order …").
    pub origin: String,
}

/// Where each of these grants comes from, in words.
fn origins(conn: &mut DbConnection, grants: &[&Grant]) -> QueryResult<Vec<String>> {
    let parents: Vec<GrantId> = grants.iter().filter_map(|g| g.parent_grant_id).collect();
    let rows = labelled(conn, &parents)?;
    Ok(grants
        .iter()
        .map(|g| match (g.vendor_made, g.parent_grant_id) {
            (true, _) => "the vendor".to_owned(),
            (false, Some(p)) => match rows.iter().find(|r| r.id == p) {
                Some(d) if d.order_id == g.order_id => d.manager_email.clone(),
                Some(d) => format!("{} on order {}", d.manager_email, d.order_reference),
                None => "a grant that no longer exists".to_owned(),
            },
            (false, None) => "a grant that no longer exists".to_owned(),
        })
        .collect())
}

fn state_of(conn: &mut DbConnection, grant: &Grant) -> QueryResult<InviteState> {
    Ok(match grant.invite_state {
        GrantState::Accepted => InviteState::Accepted,
        GrantState::Revoked => InviteState::Revoked,
        _ if token::has_live(conn, Purpose::ManagerInvite, OWNER, grant.manager_id)? => {
            InviteState::Pending
        }
        _ => InviteState::Expired,
    })
}

/// The managers of an order, oldest grant first.
pub fn for_order(conn: &mut DbConnection, order: OrderId) -> QueryResult<Vec<GrantRow>> {
    let rows: Vec<(Grant, LicenseManager)> = manager_grants::table
        .inner_join(license_managers::table)
        .filter(manager_grants::order_id.eq(order))
        .order(manager_grants::id.asc())
        .select((Grant::as_select(), LicenseManager::as_select()))
        .load(conn)?;
    let origins = origins(conn, &rows.iter().map(|(g, _)| g).collect::<Vec<_>>())?;
    rows.into_iter()
        .zip(origins)
        .map(|((grant, manager), origin)| {
            let state = state_of(conn, &grant)?;
            Ok(GrantRow {
                grant,
                manager,
                state,
                origin,
            })
        })
        .collect()
}

/// One of a manager's grants with what a list shows of its order.
#[derive(Debug, Clone)]
pub struct ManagedOrder {
    pub grant: Grant,
    pub state: InviteState,
    pub order_reference: String,
    pub customer: String,
    pub licenses: i64,
}

/// A manager's grants with their orders (the dashboard shows the live ones).
pub fn for_manager(
    conn: &mut DbConnection,
    manager: LicenseManagerId,
    live_only: bool,
) -> QueryResult<Vec<ManagedOrder>> {
    let mut q = manager_grants::table
        .inner_join(orders::table)
        .filter(manager_grants::manager_id.eq(manager))
        .select((Grant::as_select(), orders::reference, orders::customer_id))
        .order(orders::reference_norm.asc())
        .into_boxed();
    if live_only {
        q = q.filter(manager_grants::invite_state.ne(GrantState::Revoked));
    }
    let rows: Vec<(Grant, String, Option<CustomerId>)> = q.limit(500).load(conn)?;
    // The orders' license counts in one grouped query.
    let orders: Vec<OrderId> = rows.iter().map(|(g, _, _)| g.order_id).collect();
    let counts: std::collections::HashMap<OrderId, i64> = licenses::table
        .filter(licenses::order_id.eq_any(&orders))
        .group_by(licenses::order_id)
        .select((licenses::order_id, diesel::dsl::count_star()))
        .load::<(OrderId, i64)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|(grant, order_reference, customer_id)| {
            let customer = match customer_id {
                Some(c) => super::customer::find(conn, c)?
                    .map(|c| c.display())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let licenses = counts.get(&grant.order_id).copied().unwrap_or(0);
            let state = state_of(conn, &grant)?;
            Ok(ManagedOrder {
                grant,
                state,
                order_reference,
                customer,
                licenses,
            })
        })
        .collect()
}

/// A grant of `order`, with its manager (404 when it belongs to another order).
pub fn find_on_order(
    conn: &mut DbConnection,
    order: OrderId,
    id: GrantId,
) -> ModelResult<(Grant, LicenseManager)> {
    manager_grants::table
        .inner_join(license_managers::table)
        .filter(manager_grants::id.eq(id))
        .filter(manager_grants::order_id.eq(order))
        .select((Grant::as_select(), LicenseManager::as_select()))
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)
}

/// The live grant of a manager on an order (not revoked), if any.
pub fn live_grant(
    conn: &mut DbConnection,
    manager: LicenseManagerId,
    order: OrderId,
) -> QueryResult<Option<Grant>> {
    manager_grants::table
        .filter(manager_grants::manager_id.eq(manager))
        .filter(manager_grants::order_id.eq(order))
        .filter(manager_grants::invite_state.ne(GrantState::Revoked))
        .select(Grant::as_select())
        .first(conn)
        .optional()
}

/// A grant that goes with the one being removed, as the confirmation lists it.
#[derive(Debug, Clone)]
pub struct Derived {
    pub id: GrantId,
    pub manager_email: String,
    pub order_id: OrderId,
    pub order_reference: String,
}

/// The grants derived from a grant (delegates, grants on orders created through it, and
/// theirs): removing the grant removes them too.
pub fn derived(conn: &mut DbConnection, id: GrantId) -> QueryResult<Vec<Derived>> {
    let ids = grant_tree::descendants(conn, id)?;
    labelled(conn, &ids)
}

/// These grants with their managers' emails and their orders, oldest first.
fn labelled(conn: &mut DbConnection, ids: &[GrantId]) -> QueryResult<Vec<Derived>> {
    let rows: Vec<(GrantId, String, OrderId, String)> = manager_grants::table
        .inner_join(license_managers::table)
        .inner_join(orders::table)
        .filter(manager_grants::id.eq_any(ids))
        .order(manager_grants::id.asc())
        .select((
            manager_grants::id,
            license_managers::email,
            orders::id,
            orders::reference,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, manager_email, order_id, order_reference)| Derived {
            id,
            manager_email,
            order_id,
            order_reference,
        })
        .collect())
}

/// The grants on other orders derived from this order's grants (deleting the order
/// removes them too).
pub fn derived_elsewhere(conn: &mut DbConnection, id: OrderId) -> QueryResult<Vec<Derived>> {
    let on_order: Vec<i64> = manager_grants::table
        .filter(manager_grants::order_id.eq(id))
        .select(manager_grants::id)
        .load(conn)?;
    let mut derived = Vec::new();
    for g in on_order {
        derived.extend(
            self::derived(conn, GrantId(g))?
                .into_iter()
                .filter(|d| d.order_id != id),
        );
    }
    Ok(derived)
}

pub(super) fn set_state(
    conn: &mut DbConnection,
    id: GrantId,
    state: GrantState,
) -> QueryResult<Grant> {
    diesel::update(manager_grants::table.find(id))
        .set((
            manager_grants::invite_state.eq(state),
            manager_grants::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    load(conn, id)
}

pub(super) fn load(conn: &mut DbConnection, id: GrantId) -> QueryResult<Grant> {
    manager_grants::table
        .find(id)
        .select(Grant::as_select())
        .first(conn)
}

/// An order the signed-in license manager may act on, with the grant that allows it.
/// Only [`check`] makes one (its fields are private), and the portal's model functions
/// take it instead of a bare order id, so they can only reach that order's licenses,
/// devices and license users.
#[derive(Debug, Clone)]
pub struct GrantedOrder {
    grant_id: GrantId,
    order_id: OrderId,
    permissions: Permissions,
    manager_id: LicenseManagerId,
}

impl GrantedOrder {
    /// The grant itself (its products and quotas).
    pub fn grant_id(&self) -> GrantId {
        self.grant_id
    }

    pub fn order_id(&self) -> OrderId {
        self.order_id
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    pub fn can(&self, p: crate::domain::Permission) -> bool {
        self.permissions.has(p)
    }

    pub fn manager_id(&self) -> LicenseManagerId {
        self.manager_id
    }
}

/// Why the grant check said no: the order is not this manager's (answered like a
/// missing page, so its existence is not revealed), or the permission is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NotFound,
    Forbidden,
}

/// The grant check: (manager, order, the route's permission) → a [`GrantedOrder`].
/// `need` is `None` for pages any grant on the order may see.
pub fn check(
    conn: &mut DbConnection,
    manager: LicenseManagerId,
    order: OrderId,
    need: Option<crate::domain::Permission>,
) -> QueryResult<Result<GrantedOrder, Denied>> {
    let Some(grant) = live_grant(conn, manager, order)? else {
        return Ok(Err(Denied::NotFound));
    };
    if need.is_some_and(|p| !grant.permissions.has(p)) {
        return Ok(Err(Denied::Forbidden));
    }
    Ok(Ok(GrantedOrder {
        grant_id: grant.id,
        order_id: grant.order_id,
        permissions: grant.permissions,
        manager_id: grant.manager_id,
    }))
}

/// The order a license belongs to (for portal routes addressed by license).
pub fn order_of_license(
    conn: &mut DbConnection,
    license: crate::domain::LicenseId,
) -> QueryResult<Option<OrderId>> {
    licenses::table
        .find(license)
        .select(licenses::order_id)
        .first(conn)
        .optional()
        .map(|o| o.map(OrderId))
}
