//! What a grant may issue or order: a set of products, each with an optional quota and
//! the count of licenses created against it.
//!
//! A vendor-made grant is a root. A grant a manager made by delegating ("Manage
//! managers"), or that Create order made for the new order, names the grant it came
//! from (`parent_grant_id`), and its products are a subset of that grant's. Creating
//! licenses through a grant charges its own row and every ancestor's row for that
//! product, each with a conditional update (`used + n <= quota`), so the vendor-made
//! grant's quota bounds everything its manager and their delegates create, on every
//! order, and two concurrent requests can never both take the last of it.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{ModelError, ModelResult};
use crate::db::schema::{grant_products, manager_grants, products};
use crate::db::DbConnection;
use crate::domain::{GrantId, ProductId};

/// A chain of grants is followed at most this far (a guard against a damaged cycle).
const MAX_DEPTH: usize = 32;

/// The largest quota a form accepts.
pub const MAX_QUOTA: i64 = 1_000_000;

/// One product of a grant as chosen on a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductChoice {
    pub product_id: i64,
    /// `None`: no quota of its own.
    pub quota: Option<i64>,
}

/// One product a grant may issue, as pages show it.
#[derive(Clone, Debug)]
pub struct Allowance {
    pub product_id: i64,
    pub name: String,
    pub code: String,
    pub is_bundle: bool,
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
    by_grant: &std::collections::HashMap<i64, Vec<ProductChoice>>,
    grant: i64,
    product: i64,
) -> (bool, String) {
    match by_grant
        .get(&grant)
        .and_then(|v| v.iter().find(|c| c.product_id == product))
    {
        Some(c) => (true, c.quota.map(|q| q.to_string()).unwrap_or_default()),
        None => (false, String::new()),
    }
}

/// The grant and those above it, nearest first.
fn chain(conn: &mut DbConnection, grant: GrantId) -> QueryResult<Vec<i64>> {
    let mut ids = vec![grant.0];
    let mut at = grant.0;
    while ids.len() < MAX_DEPTH {
        let parent: Option<Option<i64>> = manager_grants::table
            .find(at)
            .select(manager_grants::parent_grant_id)
            .first(conn)
            .optional()?;
        match parent.flatten() {
            Some(p) if !ids.contains(&p) => {
                ids.push(p);
                at = p;
            }
            _ => break,
        }
    }
    Ok(ids)
}

/// (quota, used) by (grant, product).
type Rows = HashMap<(i64, i64), (Option<i64>, i64)>;

/// (quota, used) of every product row of these grants.
fn rows_of(conn: &mut DbConnection, grants: &[i64]) -> QueryResult<Rows> {
    let rows: Vec<(i64, i64, Option<i64>, i64)> = grant_products::table
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
fn remaining_in(chain: &[i64], rows: &Rows, product: i64) -> Option<Option<i64>> {
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
    let chain = chain(conn, grant)?;
    let rows = rows_of(conn, &chain)?;
    let mine: Vec<(i64, String, String, bool)> = grant_products::table
        .inner_join(products::table)
        .filter(grant_products::grant_id.eq(grant.0))
        .filter(products::archived_at.is_null())
        .order(products::name_norm.asc())
        .select((
            products::id,
            products::name,
            products::code,
            products::is_bundle,
        ))
        .load(conn)?;
    Ok(mine
        .into_iter()
        .filter_map(|(id, name, code, is_bundle)| {
            let remaining = remaining_in(&chain, &rows, id)?;
            let (quota, used) = rows.get(&(grant.0, id)).copied().unwrap_or((None, 0));
            Some(Allowance {
                product_id: id,
                name,
                code,
                is_bundle,
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
        .filter(grant_products::grant_id.eq(grant.0))
        .select((grant_products::product_id, grant_products::quota))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .map(|(product_id, quota)| ProductChoice { product_id, quota })
        .collect())
}

/// Counts `n` new licenses of `product` against the grant and every grant above it, or
/// refuses (nothing counted) when the product is not allowed or a quota would be passed.
/// Call it in the transaction that creates the licenses.
pub fn charge(
    conn: &mut DbConnection,
    grant: GrantId,
    product: ProductId,
    n: i64,
    field: &str,
) -> ModelResult<()> {
    let chain = chain(conn, grant)?;
    for g in &chain {
        let done = diesel::update(
            grant_products::table
                .filter(grant_products::grant_id.eq(*g))
                .filter(grant_products::product_id.eq(product.0))
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
            let rows = rows_of(conn, &chain)?;
            return Err(match remaining_in(&chain, &rows, product.0) {
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
    Ok(())
}

/// Checks that every chosen product exists (a forged id is a field message, not a
/// foreign-key failure).
pub fn check_exist(conn: &mut DbConnection, choices: &[ProductChoice]) -> ModelResult<()> {
    let ids: Vec<i64> = choices.iter().map(|c| c.product_id).collect();
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

/// Replaces a vendor-made grant's products (quotas as given; counts of kept products
/// stay).
pub fn set(conn: &mut DbConnection, grant: GrantId, choices: &[ProductChoice]) -> QueryResult<()> {
    let keep: Vec<i64> = choices.iter().map(|c| c.product_id).collect();
    diesel::delete(
        grant_products::table
            .filter(grant_products::grant_id.eq(grant.0))
            .filter(grant_products::product_id.ne_all(&keep)),
    )
    .execute(conn)?;
    for c in choices {
        let updated = diesel::update(
            grant_products::table
                .filter(grant_products::grant_id.eq(grant.0))
                .filter(grant_products::product_id.eq(c.product_id)),
        )
        .set(grant_products::quota.eq(c.quota))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(grant_products::table)
                .values((
                    grant_products::grant_id.eq(grant.0),
                    grant_products::product_id.eq(c.product_id),
                    grant_products::quota.eq(c.quota),
                    grant_products::used.eq(0),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Gives a grant made from `parent` (a delegate's, or the new order's) its products:
/// each must be one the parent may still issue, with a quota no larger than what is
/// left of it. Records the parent, so what the new grant creates is counted there too.
pub fn carve(
    conn: &mut DbConnection,
    parent: GrantId,
    child: GrantId,
    choices: &[ProductChoice],
) -> ModelResult<()> {
    let allowed = allowances(conn, parent)?;
    // What the child created already counts in the parent's use: a child being changed
    // may keep a quota up to what is left of the parent's plus that.
    let child_used: Vec<(i64, i64)> = grant_products::table
        .filter(grant_products::grant_id.eq(child.0))
        .select((grant_products::product_id, grant_products::used))
        .load(conn)?;
    for c in choices {
        let Some(a) = allowed.iter().find(|a| a.product_id == c.product_id) else {
            return Err(ModelError::invalid(
                "products",
                "You can give only products you may issue yourself.",
            ));
        };
        if let (Some(q), Some(left)) = (c.quota, a.remaining) {
            let used = child_used
                .iter()
                .find(|(p, _)| *p == c.product_id)
                .map_or(0, |(_, u)| *u);
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
    diesel::update(manager_grants::table.find(child.0))
        .set(manager_grants::parent_grant_id.eq(Some(parent.0)))
        .execute(conn)?;
    set(conn, child, choices)?;
    Ok(())
}

/// Before a grant is removed: its delegates hang from its parent instead, so what they
/// create still counts against the quotas above.
pub fn reparent_children(conn: &mut DbConnection, grant: GrantId) -> QueryResult<usize> {
    let parent: Option<i64> = manager_grants::table
        .find(grant.0)
        .select(manager_grants::parent_grant_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    diesel::update(manager_grants::table.filter(manager_grants::parent_grant_id.eq(grant.0)))
        .set(manager_grants::parent_grant_id.eq(parent))
        .execute(conn)
}

/// The products on an order (the vendor form's default for a new grant).
pub fn products_on_order(
    conn: &mut DbConnection,
    order: crate::domain::OrderId,
) -> QueryResult<Vec<i64>> {
    use crate::db::schema::licenses;
    licenses::table
        .filter(licenses::order_id.eq(order.0))
        .select(licenses::product_id)
        .distinct()
        .load(conn)
}
