//! Adding, changing, removing, resending and revoking grants: each with its audit row.
//! The operations (`ops/grants.rs`) queue the emails in the same transaction.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::grant_flags::Flags;
use super::grant_products::{self, ProductChoice};
use super::grant_tree;
use super::license_manager::{self, LicenseManager};
use super::order::Order;
use super::token::{self, Purpose};
use super::{ModelError, ModelResult};
use crate::db::schema::manager_grants;
use crate::db::DbConnection;
use crate::domain::{
    ActorKind, EmailAddress, GrantId, LicenseManagerId, OrderId, Permissions, ProductId,
};

use super::grant::{
    derived, derived_elsewhere, find_on_order, load, set_state, Derived, Grant, GrantedOrder,
};
use super::license_manager::{has_live_grant, OWNER};
use crate::domain::GrantState;

/// A new license manager for an order, as the form gave it.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub email: EmailAddress,
    pub name: String,
    pub permissions: Permissions,
    /// The products the grant may issue or order, with quotas; `None`: the default
    /// (the products on the order, or all of a delegator's).
    pub products: Option<Vec<ProductChoice>>,
}

/// Who makes a grant, and so where it hangs in the tree.
#[derive(Clone, Copy, Debug)]
enum Maker<'a> {
    /// Staff (or the demo seed): a vendor-made grant, a root.
    Vendor,
    /// A manager, from one of their grants: a grant below it.
    LicenseManager(&'a GrantedOrder),
}

/// Inserts a grant (a manager may hold one grant per order: a second is a field error).
fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    manager: &LicenseManager,
    order: &Order,
    permissions: Permissions,
    state: GrantState,
    maker: Maker,
) -> ModelResult<Grant> {
    let existing: bool = diesel::select(diesel::dsl::exists(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager.id))
            .filter(manager_grants::order_id.eq(order.id)),
    ))
    .get_result(conn)?;
    if existing {
        return Err(ModelError::invalid(
            "email",
            "This person already manages this order: change their permissions on their row instead.",
        ));
    }
    let now = super::now();
    let (kind, by, parent, vendor_made) = match maker {
        Maker::Vendor => (
            if actor.kind == ActorKind::Staff {
                ActorKind::Staff.as_str()
            } else {
                ActorKind::System.as_str()
            },
            actor.id,
            None,
            true,
        ),
        Maker::LicenseManager(from) => (
            ActorKind::LicenseManager.as_str(),
            actor.id,
            Some(from.grant_id().0),
            false,
        ),
    };
    let id: GrantId = diesel::insert_into(manager_grants::table)
        .values((
            manager_grants::manager_id.eq(manager.id),
            manager_grants::order_id.eq(order.id),
            Flags::from(permissions),
            manager_grants::invite_state.eq(state),
            manager_grants::created_by_kind.eq(kind),
            manager_grants::created_by_id.eq(by),
            manager_grants::created_at.eq(now),
            manager_grants::updated_at.eq(now),
            manager_grants::parent_grant_id.eq(parent),
            manager_grants::vendor_made.eq(vendor_made),
        ))
        .returning(manager_grants::id)
        .get_result(conn)
        .map_err(|e| {
            super::unique_as_field(e, "email", "This person already manages this order.")
        })?;
    Ok(load(conn, id)?)
}

/// Staff add a license manager to an order: a vendor-made grant (with the products
/// chosen and their quotas, or those already on the order without a quota). Creates the
/// account if the email is new and queues an invite (no password yet) or a "granted"
/// notice.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
) -> ModelResult<(Grant, LicenseManager)> {
    add_as(conn, actor, order, input, Maker::Vendor)
}

/// A manager with "Manage managers" invites someone to the order: a grant below their
/// own, with at most their permissions and products (quotas within what is left of
/// theirs; no quota means up to their room).
pub fn add_delegate(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
    from: &GrantedOrder,
) -> ModelResult<(Grant, LicenseManager)> {
    if !input.permissions.is_subset_of(&from.permissions()) {
        return Err(ModelError::invalid(
            "permissions",
            "You can give only permissions you hold on this order.",
        ));
    }
    add_as(conn, actor, order, input, Maker::LicenseManager(from))
}

fn add_as(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
    maker: Maker,
) -> ModelResult<(Grant, LicenseManager)> {
    let manager = match license_manager::find_by_email(conn, input.email.normalized())? {
        Some(m) => m,
        None => license_manager::create(conn, actor, &input.email, &input.name, None)?,
    };
    if !manager.enabled {
        return Err(ModelError::invalid(
            "email",
            "This license manager's account is disabled: enable it on their page first.",
        ));
    }
    let has_password = manager.password_hash.is_some();
    let state = if has_password {
        GrantState::Accepted
    } else {
        GrantState::Pending
    };
    let grant = insert(
        conn,
        actor,
        &manager,
        order,
        input.permissions,
        state,
        maker,
    )?;
    let id = grant.id;
    match maker {
        Maker::Vendor => {
            let products = match &input.products {
                Some(p) => p.clone(),
                None => no_quota(grant_products::products_on_order(conn, order.id)?),
            };
            grant_products::set_vendor(conn, id, &products)?;
        }
        Maker::LicenseManager(from) => {
            let products = match &input.products {
                Some(p) => p.clone(),
                None => no_quota(
                    grant_products::allowances(conn, from.grant_id())?
                        .into_iter()
                        .map(|a| a.product_id)
                        .collect(),
                ),
            };
            grant_products::give(conn, from.grant_id(), id, &products)?;
        }
    }
    audit_granted(conn, actor, order, &grant, &manager)?;
    Ok((grant, manager))
}

/// Products without a quota of their own.
fn no_quota(products: Vec<ProductId>) -> Vec<ProductChoice> {
    products
        .into_iter()
        .map(|product_id| ProductChoice {
            product_id,
            quota: None,
        })
        .collect()
}

/// The grant a manager gets on an order they created in the portal: the same
/// permissions as on the order they created it from, accepted, and below that grant
/// (the same products, without quotas of its own: what it creates counts against the
/// quotas above). The grants above it gain no reach into the new order.
pub fn add_for_creator(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    from: &GrantedOrder,
) -> ModelResult<GrantId> {
    let manager = license_manager::find(conn, from.manager_id())?.ok_or(ModelError::NotFound)?;
    let grant = insert(
        conn,
        actor,
        &manager,
        order,
        from.permissions(),
        GrantState::Accepted,
        Maker::LicenseManager(from),
    )?;
    let products = no_quota(
        grant_products::allowances(conn, from.grant_id())?
            .into_iter()
            .map(|a| a.product_id)
            .collect(),
    );
    grant_products::give(conn, from.grant_id(), grant.id, &products)?;
    audit_granted(conn, actor, order, &grant, &manager)?;
    Ok(grant.id)
}

/// The audit row of a new grant.
fn audit_granted(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    grant: &Grant,
    manager: &LicenseManager,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.granted",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email)
        .after(grant.audit_view(manager)),
    )
}

/// Changes a grant's permissions and, when the form had them, its products and quotas.
/// A vendor-made grant takes what staff chose; any other stays within the grant it was
/// made from. Lowering a grant clamps its whole subtree: every grant below keeps only
/// the permissions and products its parent holds, with quotas no larger.
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
    permissions: Permissions,
    products: Option<Vec<ProductChoice>>,
) -> ModelResult<LicenseManager> {
    let (before, manager) = find_on_order(conn, order.id, id)?;
    let parent = match before.parent_grant_id {
        Some(p) if !before.vendor_made => load(conn, p).optional()?,
        _ => None,
    };
    if let Some(parent) = &parent {
        if !permissions.is_subset_of(&parent.permissions) {
            return Err(ModelError::invalid(
                "permissions",
                "These permissions come from another manager's grant, which lacks some of them: give only permissions that grant holds.",
            ));
        }
    }
    let products_before = grant_products::choices(conn, id)?;
    diesel::update(manager_grants::table.find(id))
        .set((
            Flags::from(permissions),
            manager_grants::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    grant_tree::clamp_permissions(conn, id)?;
    if let Some(products) = products {
        if before.vendor_made {
            grant_products::set_vendor(conn, id, &products)?;
        } else {
            let Some(parent) = &parent else {
                return Err(ModelError::refused("grant_without_parent", 
                    "This grant no longer hangs from another grant; it can be given no products. Remove it and add the manager again."
                        .to_owned(),
                ));
            };
            grant_products::give(conn, parent.id, id, &products)?;
        }
    }
    let after = load(conn, id)?;
    let products_after = grant_products::choices(conn, id)?;
    let mut before_view = before.audit_view(&manager);
    before_view["products"] = products_view(&products_before);
    let mut after_view = after.audit_view(&manager);
    after_view["products"] = products_view(&products_after);
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.permissions_changed",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email)
        .before(before_view)
        .after(after_view),
    )?;
    Ok(manager)
}

/// A grant's products and quotas for the audit log.
fn products_view(choices: &[ProductChoice]) -> serde_json::Value {
    choices
        .iter()
        .map(|c| json!({ "product": c.product_id, "quota": c.quota }))
        .collect()
}

/// Voids the manager's invite links when no pending grant is left, and every link when
/// no live grant is left.
fn void_unneeded_links(conn: &mut DbConnection, manager: LicenseManagerId) -> QueryResult<()> {
    let pending: bool = diesel::select(diesel::dsl::exists(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager))
            .filter(manager_grants::invite_state.eq(GrantState::Pending)),
    ))
    .get_result(conn)?;
    if !pending {
        token::void(
            conn,
            Some(Purpose::ManagerInvite),
            OWNER,
            manager,
            token::Ended::Revoked,
        )?;
    }
    if !has_live_grant(conn, manager)? {
        token::void(conn, None, OWNER, manager, token::Ended::Revoked)?;
    }
    Ok(())
}

/// Removes a manager from this order, and with them every grant derived from theirs
/// (their delegates, the grants on orders created through it, and theirs): nothing
/// derived from a grant outlives it, so removing never frees anything from the quotas
/// above. Licenses already created stay counted. The accounts stay, with their other
/// grants.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (grant, manager) = find_on_order(conn, order.id, id)?;
    let derived = derived(conn, id)?;
    let why = json!({ "with_grant_of": manager.email, "on_order": order.reference });
    remove_derived(conn, actor, &derived, &why)?;
    diesel::delete(manager_grants::table.find(id)).execute(conn)?;
    void_unneeded_links(conn, manager.id)?;
    let mut before = grant.audit_view(&manager);
    if !derived.is_empty() {
        before["derived_removed"] = derived
            .iter()
            .map(|d| json!({ "manager": d.manager_email, "order": d.order_reference }))
            .collect();
    }
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.removed",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email)
        .before(before),
    )?;
    Ok(manager)
}

/// Removes grants derived from a removed one (each audited with `why`), those still there.
fn remove_derived(
    conn: &mut DbConnection,
    actor: &Actor,
    derived: &[Derived],
    why: &serde_json::Value,
) -> ModelResult<()> {
    for d in derived {
        let Ok((g, m)) = find_on_order(conn, d.order_id, d.id) else {
            continue;
        };
        diesel::delete(manager_grants::table.find(d.id)).execute(conn)?;
        void_unneeded_links(conn, m.id)?;
        audit::record(
            conn,
            actor,
            Entry::new("license_manager.removed", "license_manager", Some(m.id))
                .order(d.order_id)
                .label(&m.email)
                .before(g.audit_view(&m))
                .after(why.clone()),
        )?;
    }
    Ok(())
}

/// Deletes an order (`order::delete`: after the typed reference is checked, with its
/// licenses and its grants) and, like removing its grants one by one, every grant
/// derived from them on other orders (grants on orders created through them, and their
/// delegates): nothing derived outlives the grant it came from.
pub fn delete_order(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrderId,
    typed_reference: &str,
) -> ModelResult<i64> {
    let reference = super::order::find(conn, id)?
        .map(|o| o.reference)
        .unwrap_or_default();
    let derived = derived_elsewhere(conn, id)?;
    let n = super::order::delete(conn, actor, id, typed_reference)?;
    remove_derived(
        conn,
        actor,
        &derived,
        &json!({ "order_deleted": reference }),
    )?;
    Ok(n)
}

fn invitable(grant: &Grant, manager: &LicenseManager) -> ModelResult<()> {
    if !manager.enabled {
        return Err(ModelError::refused(
            "manager_disabled",
            "This license manager's account is disabled: enable it first.".to_owned(),
        ));
    }
    if manager.password_hash.is_some() {
        return Err(ModelError::refused(
            "manager_has_password",
            format!(
                "{} has already set a password and signs in as usual; no invite is needed.",
                manager.email
            ),
        ));
    }
    let _ = grant;
    Ok(())
}

/// Makes an invite pending again (a revoked one too) for a new invite to be sent.
pub fn resend_invite(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<(Grant, LicenseManager)> {
    let (grant, manager) = find_on_order(conn, order.id, id)?;
    invitable(&grant, &manager)?;
    let grant = set_state(conn, grant.id, GrantState::Pending)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.invite_resent",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email),
    )?;
    Ok((grant, manager))
}

/// Revokes a pending invite: the grant stops giving access and, when it was the
/// manager's last pending one, their invite links stop working.
pub fn revoke_invite(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (grant, manager) = find_on_order(conn, order.id, id)?;
    if grant.invite_state != GrantState::Pending {
        return Err(ModelError::refused(
            "invite_not_pending",
            "Only a pending invite can be revoked; remove the manager from the order instead."
                .to_owned(),
        ));
    }
    let after = set_state(conn, grant.id, GrantState::Revoked)?;
    void_unneeded_links(conn, manager.id)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.invite_revoked",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email)
        .before(grant.audit_view(&manager))
        .after(after.audit_view(&manager)),
    )?;
    Ok(manager)
}

/// Makes an invite pending again for a link staff hand over themselves (no email);
/// audited. The operation issues the link.
pub fn hand_over_invite(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (grant, manager) = find_on_order(conn, order.id, id)?;
    invitable(&grant, &manager)?;
    set_state(conn, grant.id, GrantState::Pending)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "license_manager.invite_link_issued",
            "license_manager",
            Some(manager.id),
        )
        .order(order.id)
        .label(&manager.email),
    )?;
    Ok(manager)
}
