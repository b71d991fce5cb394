//! Grants: a license manager's permissions on one order, and the invitation that brought
//! them. Adding, changing, removing, resending and revoking are each one transaction with
//! their audit row and any email, which goes to the outbox in that same transaction.

use chrono::{Duration, NaiveDateTime};
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
use crate::db::schema::{license_managers, licenses, manager_grants, orders};
use crate::db::DbConnection;
use crate::domain::{EmailAddress, GrantId, LicenseManagerId, OrderId, Permissions};
use crate::mail::{self, outbox, Kind, Link, LinkKind, Mailer};

pub use super::grant_state::{ACCEPTED, PENDING, REVOKED};
use super::license_manager::{has_live_grant, OWNER};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = manager_grants)]
pub struct Grant {
    pub id: i64,
    pub manager_id: i64,
    pub order_id: i64,
    #[diesel(embed)]
    pub permissions: Permissions,
    pub invite_state: String,
    pub created_by_kind: String,
    pub created_by_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The grant this one was made from (a delegate's, or a created order's); set when
    /// the grant is made, never changed.
    pub parent_grant_id: Option<i64>,
    /// Made by staff: the root of a tree, whose quotas bound everything below it. Set
    /// when the grant is made, never changed.
    pub vendor_made: bool,
}

impl Grant {
    fn audit_view(&self, manager: &LicenseManager) -> serde_json::Value {
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
    let parents: Vec<i64> = grants.iter().filter_map(|g| g.parent_grant_id).collect();
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
    Ok(match grant.invite_state.as_str() {
        ACCEPTED => InviteState::Accepted,
        REVOKED => InviteState::Revoked,
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
        .filter(manager_grants::order_id.eq(order.0))
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
        .filter(manager_grants::manager_id.eq(manager.0))
        .select((Grant::as_select(), orders::reference, orders::customer_id))
        .order(orders::reference_norm.asc())
        .into_boxed();
    if live_only {
        q = q.filter(manager_grants::invite_state.ne(REVOKED));
    }
    let rows: Vec<(Grant, String, Option<i64>)> = q.limit(500).load(conn)?;
    // The orders' license counts in one grouped query.
    let orders: Vec<i64> = rows.iter().map(|(g, _, _)| g.order_id).collect();
    let counts: std::collections::HashMap<i64, i64> = licenses::table
        .filter(licenses::order_id.eq_any(&orders))
        .group_by(licenses::order_id)
        .select((licenses::order_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|(grant, order_reference, customer_id)| {
            let customer = match customer_id {
                Some(c) => super::customer::find(conn, crate::domain::CustomerId(c))?
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
        .filter(manager_grants::id.eq(id.0))
        .filter(manager_grants::order_id.eq(order.0))
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
        .filter(manager_grants::manager_id.eq(manager.0))
        .filter(manager_grants::order_id.eq(order.0))
        .filter(manager_grants::invite_state.ne(REVOKED))
        .select(Grant::as_select())
        .first(conn)
        .optional()
}

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

/// What adding a manager did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new account, or one without a password yet: an invite was queued. The link is
    /// for `keyfold demo` to print; pages never show it.
    Invited { link: String },
    /// An account with a password: a "granted" notice was queued.
    Granted,
}

/// Who makes a grant, and so where it hangs in the tree.
#[derive(Clone, Copy, Debug)]
enum Maker<'a> {
    /// Staff (or the demo seed): a vendor-made grant, a root.
    Vendor,
    /// A manager, from one of their grants: a grant below it.
    Manager(&'a GrantedOrder),
}

/// Inserts a grant (a manager may hold one grant per order: a second is a field error).
fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    manager: &LicenseManager,
    order: &Order,
    permissions: Permissions,
    state: &str,
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
            if actor.kind == "staff" {
                "staff"
            } else {
                "system"
            },
            actor.id,
            None,
            true,
        ),
        Maker::Manager(from) => ("manager", actor.id, Some(from.grant_id().0), false),
    };
    let id: i64 = diesel::insert_into(manager_grants::table)
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
    mailer: &Mailer,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
) -> ModelResult<(GrantId, Added)> {
    add_as(conn, mailer, actor, order, input, Maker::Vendor)
}

/// A manager with "Manage managers" invites someone to the order: a grant below their
/// own, with at most their permissions and products (quotas within what is left of
/// theirs; no quota means up to their room).
pub fn add_delegate(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
    from: &GrantedOrder,
) -> ModelResult<(GrantId, Added)> {
    if !input.permissions.is_subset_of(&from.permissions()) {
        return Err(ModelError::invalid(
            "permissions",
            "You can give only permissions you hold on this order.",
        ));
    }
    add_as(conn, mailer, actor, order, input, Maker::Manager(from))
}

fn add_as(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    order: &Order,
    input: &NewGrant,
    maker: Maker,
) -> ModelResult<(GrantId, Added)> {
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
    let state = if has_password { ACCEPTED } else { PENDING };
    let grant = insert(
        conn,
        actor,
        &manager,
        order,
        input.permissions,
        state,
        maker,
    )?;
    let id = GrantId(grant.id);
    match maker {
        Maker::Vendor => {
            let products = match &input.products {
                Some(p) => p.clone(),
                None => no_quota(grant_products::products_on_order(conn, OrderId(order.id))?),
            };
            grant_products::set_vendor(conn, id, &products)?;
        }
        Maker::Manager(from) => {
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
        .after(grant.audit_view(&manager)),
    )?;
    let added = if has_password {
        queue_granted(conn, mailer, &manager, order, &grant)?;
        Added::Granted
    } else {
        Added::Invited {
            link: queue_invite(conn, mailer, &manager, order, &grant)?,
        }
    };
    Ok((id, added))
}

/// Products without a quota of their own.
fn no_quota(products: Vec<i64>) -> Vec<ProductChoice> {
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
        ACCEPTED,
        Maker::Manager(from),
    )?;
    let products = no_quota(
        grant_products::allowances(conn, from.grant_id())?
            .into_iter()
            .map(|a| a.product_id)
            .collect(),
    );
    grant_products::give(conn, from.grant_id(), GrantId(grant.id), &products)?;
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
        .after(grant.audit_view(&manager)),
    )?;
    Ok(GrantId(grant.id))
}

fn order_data(
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
) -> mail::MailData {
    let mut m = mailer.data(&manager.name, &manager.email);
    m.order_reference = order.reference.clone();
    m.permissions = grant.permissions.summary();
    m
}

fn queue_granted(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
) -> QueryResult<()> {
    let mut email = mail::emails::render(
        Kind::Granted,
        &order_data(mailer, manager, order, grant),
        None,
    );
    email.manager_id = Some(manager.id);
    email.order_id = Some(order.id);
    outbox::enqueue(conn, mailer, email)?;
    Ok(())
}

/// Issues a fresh invite token for the manager (voiding earlier links and the queued
/// emails that carry them).
fn fresh_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
) -> QueryResult<token::Issued> {
    outbox::void_links(conn, manager.id, Some(LinkKind::Invite))?;
    token::issue_full(
        conn,
        Purpose::ManagerInvite,
        OWNER,
        manager.id,
        Duration::days(mailer.invite_days),
    )
}

/// Queues an invite with a fresh link; returns the link (never shown on a page).
fn queue_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    manager: &LicenseManager,
    order: &Order,
    grant: &Grant,
) -> QueryResult<String> {
    let issued = fresh_invite(conn, mailer, manager)?;
    let url = format!("{}{}", mailer.invite_prefix(), issued.raw);
    let mut data = order_data(mailer, manager, order, grant);
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
    let (before, manager) = find_on_order(conn, OrderId(order.id), id)?;
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
    diesel::update(manager_grants::table.find(id.0))
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
            grant_products::give(conn, GrantId(parent.id), id, &products)?;
        }
    }
    let after = load(conn, id.0)?;
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

/// A grant that goes with the one being removed, as the confirmation lists it.
#[derive(Debug, Clone)]
pub struct Derived {
    pub id: i64,
    pub manager_email: String,
    pub order_id: i64,
    pub order_reference: String,
}

/// The grants derived from a grant (delegates, grants on orders created through it, and
/// theirs): removing the grant removes them too.
pub fn derived(conn: &mut DbConnection, id: GrantId) -> QueryResult<Vec<Derived>> {
    let ids = grant_tree::descendants(conn, id)?;
    labelled(conn, &ids)
}

/// These grants with their managers' emails and their orders, oldest first.
fn labelled(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Derived>> {
    let rows: Vec<(i64, String, i64, String)> = manager_grants::table
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

/// Voids the manager's invite links when no pending grant is left, and every link when
/// no live grant is left.
fn void_unneeded_links(conn: &mut DbConnection, manager: i64) -> QueryResult<()> {
    let pending: bool = diesel::select(diesel::dsl::exists(
        manager_grants::table
            .filter(manager_grants::manager_id.eq(manager))
            .filter(manager_grants::invite_state.eq(PENDING)),
    ))
    .get_result(conn)?;
    if !pending {
        token::void(conn, Some(Purpose::ManagerInvite), OWNER, manager)?;
        outbox::void_links(conn, manager, Some(LinkKind::Invite))?;
    }
    if !has_live_grant(conn, LicenseManagerId(manager))? {
        token::void(conn, None, OWNER, manager)?;
        outbox::void_links(conn, manager, None)?;
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
    let (grant, manager) = find_on_order(conn, OrderId(order.id), id)?;
    let derived = derived(conn, id)?;
    let why = json!({ "with_grant_of": manager.email, "on_order": order.reference });
    remove_derived(conn, actor, &derived, &why)?;
    diesel::delete(manager_grants::table.find(id.0)).execute(conn)?;
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
        let Ok((g, m)) = find_on_order(conn, OrderId(d.order_id), GrantId(d.id)) else {
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

/// The grants on other orders derived from this order's grants (deleting the order
/// removes them too).
pub fn derived_elsewhere(conn: &mut DbConnection, id: OrderId) -> QueryResult<Vec<Derived>> {
    let on_order: Vec<i64> = manager_grants::table
        .filter(manager_grants::order_id.eq(id.0))
        .select(manager_grants::id)
        .load(conn)?;
    let mut derived = Vec::new();
    for g in on_order {
        derived.extend(
            self::derived(conn, GrantId(g))?
                .into_iter()
                .filter(|d| d.order_id != id.0),
        );
    }
    Ok(derived)
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

fn set_state(conn: &mut DbConnection, id: i64, state: &str) -> QueryResult<Grant> {
    diesel::update(manager_grants::table.find(id))
        .set((
            manager_grants::invite_state.eq(state),
            manager_grants::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    load(conn, id)
}

fn load(conn: &mut DbConnection, id: i64) -> QueryResult<Grant> {
    manager_grants::table
        .find(id)
        .select(Grant::as_select())
        .first(conn)
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

/// Queues a new invite with a fresh link; every earlier link stops working. A revoked
/// invite becomes pending again.
pub fn resend_invite(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (grant, manager) = find_on_order(conn, OrderId(order.id), id)?;
    invitable(&grant, &manager)?;
    let grant = set_state(conn, grant.id, PENDING)?;
    queue_invite(conn, mailer, &manager, order, &grant)?;
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
    Ok(manager)
}

/// Revokes a pending invite: the grant stops giving access and, when it was the
/// manager's last pending one, their invite links stop working.
pub fn revoke_invite(
    conn: &mut DbConnection,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<LicenseManager> {
    let (grant, manager) = find_on_order(conn, OrderId(order.id), id)?;
    if grant.invite_state != PENDING {
        return Err(ModelError::refused(
            "invite_not_pending",
            "Only a pending invite can be revoked; remove the manager from the order instead."
                .to_owned(),
        ));
    }
    let after = set_state(conn, grant.id, REVOKED)?;
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

/// Issues a fresh invite link to be shown once to the staff user (no email): earlier
/// links stop working. Audited.
pub fn new_invite_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
    order: &Order,
    id: GrantId,
) -> ModelResult<(LicenseManager, String)> {
    let (grant, manager) = find_on_order(conn, OrderId(order.id), id)?;
    invitable(&grant, &manager)?;
    set_state(conn, grant.id, PENDING)?;
    let issued = fresh_invite(conn, mailer, &manager)?;
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
    Ok((manager, format!("{}{}", mailer.invite_prefix(), issued.raw)))
}

/// Resends a token-bearing email from the outbox: a fresh token (voiding the old) in a
/// new email. For an invite, the grant of the email's order is used.
pub fn resend_outbox_link(
    conn: &mut DbConnection,
    mailer: &Mailer,
    actor: &Actor,
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
            let order = super::order::find(conn, OrderId(order_id))?.ok_or_else(|| {
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
            resend_invite(conn, mailer, actor, &order, GrantId(grant.id)).map(|_| ())
        }
        Some(LinkKind::Reset) => {
            let manager = license_manager::find(conn, LicenseManagerId(manager_id()?))?
                .ok_or(ModelError::NotFound)?;
            if !manager.enabled {
                return Err(ModelError::refused(
                    "manager_disabled",
                    "This license manager's account is disabled.".to_owned(),
                ));
            }
            license_manager::queue_reset(conn, mailer, &manager)?;
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
            let order = super::order::find(conn, OrderId(order_id))?.ok_or_else(|| {
                ModelError::refused(
                    "order_gone",
                    "The order of this email no longer exists.".to_owned(),
                )
            })?;
            super::license_user::send_password_link(
                conn,
                mailer,
                actor,
                &order,
                crate::domain::LicenseUserId(user),
            )
            .map(|_| ())
        }
        None => {
            outbox::requeue_copy(conn, mailer, row)?;
            Ok(())
        }
    }
}

/// An order the signed-in license manager may act on, with the grant that allows it.
/// Only [`check`] makes one (its fields are private), and the portal's model functions
/// take it instead of a bare order id, so they can only reach that order's licenses,
/// devices and license users.
#[derive(Debug, Clone)]
pub struct GrantedOrder {
    grant_id: i64,
    order_id: i64,
    permissions: Permissions,
    manager_id: i64,
}

impl GrantedOrder {
    /// The grant itself (its products and quotas).
    pub fn grant_id(&self) -> GrantId {
        GrantId(self.grant_id)
    }

    pub fn order_id(&self) -> OrderId {
        OrderId(self.order_id)
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    pub fn can(&self, p: crate::domain::Permission) -> bool {
        self.permissions.has(p)
    }

    pub fn manager_id(&self) -> LicenseManagerId {
        LicenseManagerId(self.manager_id)
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
        .find(license.0)
        .select(licenses::order_id)
        .first(conn)
        .optional()
        .map(|o| o.map(OrderId))
}
