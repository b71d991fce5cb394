//! What a grant may issue or order: a set of products, each with an optional quota and
//! the count of licenses created against it.
//!
//! A quota is a cap along the path, not a reservation. A vendor-made grant is the root
//! of a tree (see `grant_tree`); a grant a manager made by delegating ("Manage
//! managers"), or that Create order made for the new order, hangs from the grant it came
//! from, and its products are a subset of that grant's. Creating licenses through a
//! grant charges its own row and every ancestor's row for that product up to the
//! vendor-made grant, each with a conditional update (`used + n <= quota`), so the
//! vendor-made grant's quota bounds everything its manager and their delegates create,
//! on every order, and two concurrent requests can never both take the last of it. A
//! delegate's missing quota means "up to the delegator's room"; only a vendor-made
//! grant's missing quota means no limit, and only staff set it. Each license created
//! records the vendor-made grant and the product it was counted against, so a ceiling
//! can be checked by counting licenses too.

use std::collections::HashMap;

use diesel::prelude::*;

use super::grant_tree;
use super::{ModelError, ModelResult};
use crate::db::schema::{grant_products, licenses, manager_grants, products};
use crate::db::DbConnection;
use crate::domain::{GrantId, ProductId};

/// The largest quota a form accepts.
pub const MAX_QUOTA: i64 = 1_000_000;

/// One product of a grant as chosen on a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductChoice {
    pub product_id: ProductId,
    /// `None`: no quota of its own.
    pub quota: Option<i64>,
}

/// One product a grant may issue, as pages show it.
#[derive(Clone, Debug)]
pub struct Allowance {
    pub product_id: ProductId,
    pub name: String,
    pub code: String,
    pub is_bundle: bool,
    /// How many licenses one unit creates and takes of the quota (a bundle: one per
    /// product in it).
    pub licenses_each: i64,
    pub quota: Option<i64>,
    pub used: i64,
    /// What may still be created through this grant, counting every grant above it
    /// (`None`: no limit).
    pub remaining: Option<i64>,
}

impl Allowance {
    pub fn remaining_text(&self) -> String {
        match self.remaining {
            None => "no limit".to_owned(),
            Some(n) => format!("{n} left"),
        }
    }
}

/// A grant's product row as an edit form shows it: whether ticked, and its quota.
pub fn shown_choice(
    by_grant: &std::collections::HashMap<GrantId, Vec<ProductChoice>>,
    grant: GrantId,
    product: ProductId,
) -> (bool, String) {
    match by_grant
        .get(&grant)
        .and_then(|v| v.iter().find(|c| c.product_id == product))
    {
        Some(c) => (true, c.quota.map(|q| q.to_string()).unwrap_or_default()),
        None => (false, String::new()),
    }
}

/// (quota, used) by (grant, product).
type Rows = HashMap<(GrantId, ProductId), (Option<i64>, i64)>;

/// (quota, used) of every product row of these grants.
fn rows_of(conn: &mut DbConnection, grants: &[GrantId]) -> QueryResult<Rows> {
    let rows: Vec<(GrantId, ProductId, Option<i64>, i64)> = grant_products::table
        .filter(grant_products::grant_id.eq_any(grants))
        .select((
            grant_products::grant_id,
            grant_products::product_id,
            grant_products::quota,
            grant_products::used,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(g, p, q, u)| ((g, p), (q, u)))
        .collect())
}

/// What may still be created of `product` through the chain: `None` when a grant of the
/// chain does not allow the product, `Some(None)` without a limit.
fn remaining_in(chain: &[GrantId], rows: &Rows, product: ProductId) -> Option<Option<i64>> {
    let mut left: Option<i64> = None;
    for g in chain {
        let (quota, used) = rows.get(&(*g, product))?;
        if let Some(q) = quota {
            let here = q.saturating_sub(*used).max(0);
            left = Some(left.map_or(here, |l| l.min(here)));
        }
    }
    Some(left)
}

/// The products a grant may issue or order, by name.
pub fn allowances(conn: &mut DbConnection, grant: GrantId) -> QueryResult<Vec<Allowance>> {
    let path = grant_tree::path(conn, grant)?;
    if path.root.is_none() {
        // Without a vendor-made grant above it, a grant may create nothing.
        return Ok(Vec::new());
    }
    let chain = path.grants;
    let rows = rows_of(conn, &chain)?;
    let mine: Vec<(ProductId, String, String, bool)> = grant_products::table
        .inner_join(products::table)
        .filter(grant_products::grant_id.eq(grant))
        .filter(products::archived_at.is_null())
        .order(products::name_norm.asc())
        .select((
            products::id,
            products::name,
            products::code,
            products::is_bundle,
        ))
        .load(conn)?;
    let bundles: Vec<ProductId> = mine.iter().filter(|m| m.3).map(|m| m.0).collect();
    let parts: HashMap<ProductId, i64> = crate::db::schema::bundle_items::table
        .filter(crate::db::schema::bundle_items::bundle_id.eq_any(&bundles))
        .group_by(crate::db::schema::bundle_items::bundle_id)
        .select((
            crate::db::schema::bundle_items::bundle_id,
            diesel::dsl::count_star(),
        ))
        .load::<(ProductId, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(mine
        .into_iter()
        .filter_map(|(id, name, code, is_bundle)| {
            let remaining = remaining_in(&chain, &rows, id)?;
            let (quota, used) = rows.get(&(grant, id)).copied().unwrap_or((None, 0));
            Some(Allowance {
                product_id: id,
                name,
                code,
                is_bundle,
                licenses_each: if is_bundle {
                    parts.get(&id).copied().unwrap_or(1).max(1)
                } else {
                    1
                },
                quota,
                used,
                remaining,
            })
        })
        .collect())
}

/// The products of a grant with their own quotas (for the vendor's form).
pub fn choices(conn: &mut DbConnection, grant: GrantId) -> QueryResult<Vec<ProductChoice>> {
    Ok(grant_products::table
        .filter(grant_products::grant_id.eq(grant))
        .select((grant_products::product_id, grant_products::quota))
        .load::<(ProductId, Option<i64>)>(conn)?
        .into_iter()
        .map(|(product_id, quota)| ProductChoice { product_id, quota })
        .collect())
}

/// Counts `n` new licenses of `product` against the grant and every grant above it up
/// to its vendor-made grant, or refuses (nothing counted) when the product is not
/// allowed, a quota would be passed, or no vendor-made grant is above it. Returns the
/// vendor-made grant, which the new licenses record. Call it in the transaction that
/// creates the licenses.
pub fn charge(
    conn: &mut DbConnection,
    grant: GrantId,
    product: ProductId,
    n: i64,
    field: &str,
) -> ModelResult<GrantId> {
    let path = grant_tree::path(conn, grant)?;
    let Some(root) = path.root else {
        return Err(ModelError::refused("grant_without_vendor_grant", 
            "Your permissions on this order no longer come from the vendor: ask the vendor to grant them again."
                .to_owned(),
        ));
    };
    if n <= 0 {
        return Ok(root);
    }
    for g in &path.grants {
        let done = diesel::update(
            grant_products::table
                .filter(grant_products::grant_id.eq(*g))
                .filter(grant_products::product_id.eq(product))
                .filter(
                    grant_products::quota
                        .is_null()
                        .or(grant_products::quota.ge((grant_products::used + n).nullable())),
                ),
        )
        .set(grant_products::used.eq(grant_products::used + n))
        .execute(conn)?;
        if done == 0 {
            // Say why (the transaction is rolled back by the caller's error).
            let rows = rows_of(conn, &path.grants)?;
            return Err(match remaining_in(&path.grants, &rows, product) {
                None => ModelError::invalid(field, "You may not issue this product."),
                Some(left) => ModelError::invalid(
                    field,
                    format!(
                        "This would pass the quota: {} more license{} of this product may be created.",
                        left.unwrap_or(0),
                        if left == Some(1) { "" } else { "s" }
                    ),
                ),
            });
        }
    }
    Ok(root)
}

/// How many licenses record `root` as their vendor-made grant, for `product`'s quota.
pub fn recorded(conn: &mut DbConnection, root: GrantId, product: ProductId) -> QueryResult<i64> {
    licenses::table
        .filter(licenses::root_grant_id.eq(root.0))
        .filter(licenses::quota_product_id.eq(product))
        .count()
        .get_result(conn)
}

/// Checks that every chosen product exists (a forged id is a field message, not a
/// foreign-key failure).
pub fn check_exist(conn: &mut DbConnection, choices: &[ProductChoice]) -> ModelResult<()> {
    let ids: Vec<ProductId> = choices.iter().map(|c| c.product_id).collect();
    let found: i64 = products::table
        .filter(products::id.eq_any(&ids))
        .count()
        .get_result(conn)?;
    if found != ids.len() as i64 {
        return Err(ModelError::invalid(
            "products",
            "Choose products from the list.",
        ));
    }
    Ok(())
}

/// Replaces a grant's product rows (quotas as given; the counts of kept products stay;
/// a product added starts from `start_used`).
fn store(
    conn: &mut DbConnection,
    grant: GrantId,
    choices: &[ProductChoice],
    start_used: &mut dyn FnMut(&mut DbConnection, ProductId) -> QueryResult<i64>,
) -> QueryResult<()> {
    let keep: Vec<ProductId> = choices.iter().map(|c| c.product_id).collect();
    diesel::delete(
        grant_products::table
            .filter(grant_products::grant_id.eq(grant))
            .filter(grant_products::product_id.ne_all(&keep)),
    )
    .execute(conn)?;
    for c in choices {
        let updated = diesel::update(
            grant_products::table
                .filter(grant_products::grant_id.eq(grant))
                .filter(grant_products::product_id.eq(c.product_id)),
        )
        .set(grant_products::quota.eq(c.quota))
        .execute(conn)?;
        if updated == 0 {
            let used = start_used(conn, c.product_id)?;
            diesel::insert_into(grant_products::table)
                .values((
                    grant_products::grant_id.eq(grant),
                    grant_products::product_id.eq(c.product_id),
                    grant_products::quota.eq(c.quota),
                    grant_products::used.eq(used),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Sets a vendor-made grant's products and quotas (staff only). A quota may not go below
/// what was already created through the grant; a product added again counts the
/// licenses that record this grant. The grants below keep only these products, with
/// quotas no larger.
pub fn set_vendor(
    conn: &mut DbConnection,
    grant: GrantId,
    choices: &[ProductChoice],
) -> ModelResult<()> {
    check_exist(conn, choices)?;
    let current: Vec<ProductChoice> = self::choices(conn, grant)?;
    let rows = rows_of(conn, &[grant])?;
    for c in choices {
        let used = match rows.get(&(grant, c.product_id)) {
            Some((_, used)) => *used,
            None => recorded(conn, grant, c.product_id)?,
        };
        if let Some(q) = c.quota {
            if q < used {
                let name = product_name(conn, c.product_id)?;
                return Err(ModelError::invalid(
                    "products",
                    format!(
                        "{used} license{} of {name} {} already created through this grant: its quota can be no lower.",
                        if used == 1 { "" } else { "s" },
                        if used == 1 { "was" } else { "were" }
                    ),
                ));
            }
        }
    }
    store(conn, grant, choices, &mut |conn, product| {
        recorded(conn, grant, product)
    })?;
    if lowered(&current, choices) {
        clamp_below(conn, grant)?;
    }
    Ok(())
}

/// Gives a grant made from `parent` (a delegate's, or a created order's) its products:
/// each must be one the parent may still issue, with a quota no larger than what is left
/// of the parent's room (what the grant itself already created counts back in). A
/// missing quota means "up to the parent's room". The grants below it keep only these
/// products, with quotas no larger.
pub fn give(
    conn: &mut DbConnection,
    parent: GrantId,
    child: GrantId,
    choices: &[ProductChoice],
) -> ModelResult<()> {
    let allowed = allowances(conn, parent)?;
    let child_rows = rows_of(conn, &[child])?;
    for c in choices {
        let Some(a) = allowed.iter().find(|a| a.product_id == c.product_id) else {
            return Err(ModelError::invalid(
                "products",
                "You can give only products you may issue yourself.",
            ));
        };
        if let (Some(q), Some(left)) = (c.quota, a.remaining) {
            let used = child_rows.get(&(child, c.product_id)).map_or(0, |r| r.1);
            let left = left.saturating_add(used);
            if q > left {
                return Err(ModelError::invalid(
                    "products",
                    format!(
                        "The quota for {} can be at most {left}: what is left of yours.",
                        a.name
                    ),
                ));
            }
        }
    }
    let current = self::choices(conn, child)?;
    store(conn, child, choices, &mut |_, _| Ok(0))?;
    if lowered(&current, choices) {
        clamp_below(conn, child)?;
    }
    Ok(())
}

fn product_name(conn: &mut DbConnection, id: ProductId) -> QueryResult<String> {
    products::table.find(id).select(products::name).first(conn)
}

/// Whether `after` takes away a product or lowers (or sets) a quota of `before`.
fn lowered(before: &[ProductChoice], after: &[ProductChoice]) -> bool {
    before.iter().any(
        |b| match after.iter().find(|a| a.product_id == b.product_id) {
            None => true,
            Some(a) => match (b.quota, a.quota) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(old), Some(new)) => new < old,
            },
        },
    )
}

/// After a grant was lowered, its whole subtree is clamped: each grant below keeps only
/// the products its parent has, with a quota no larger than its parent's (a missing quota
/// stays: it already means "up to the parent's room"). Returns how
/// many product rows changed.
pub fn clamp_below(conn: &mut DbConnection, grant: GrantId) -> QueryResult<usize> {
    let mut changed = 0;
    for id in grant_tree::descendants(conn, grant)? {
        let parent: Option<i64> = manager_grants::table
            .find(id)
            .select(manager_grants::parent_grant_id)
            .first(conn)?;
        let Some(parent) = parent else { continue };
        let theirs = choices(conn, GrantId(parent))?;
        let keep: Vec<ProductId> = theirs.iter().map(|c| c.product_id).collect();
        changed += diesel::delete(
            grant_products::table
                .filter(grant_products::grant_id.eq(id))
                .filter(grant_products::product_id.ne_all(&keep)),
        )
        .execute(conn)?;
        for c in theirs {
            if let Some(q) = c.quota {
                changed += diesel::update(
                    grant_products::table
                        .filter(grant_products::grant_id.eq(id))
                        .filter(grant_products::product_id.eq(c.product_id))
                        .filter(grant_products::quota.gt(q)),
                )
                .set(grant_products::quota.eq(Some(q)))
                .execute(conn)?;
            }
        }
    }
    Ok(changed)
}

/// The products on an order (the vendor form's default for a new grant).
pub fn products_on_order(
    conn: &mut DbConnection,
    order: crate::domain::OrderId,
) -> QueryResult<Vec<ProductId>> {
    use crate::db::schema::licenses;
    licenses::table
        .filter(licenses::order_id.eq(order))
        .select(licenses::product_id)
        .distinct()
        .load(conn)
}
