//! The shape of the grant tree.
//!
//! Staff make **vendor-made** grants (marked so when made; the mark never changes). Every
//! other grant is made by a manager from one of their own — a delegate ("Manage
//! managers") or the grant on an order they created in the portal — and hangs from it
//! for good: a grant's parent is set when it is made and nothing changes it. So the
//! grants form a tree under each vendor-made grant, a parent is always older than its
//! children, and no cycle can form.
//!
//! What a tree may create is bounded by its vendor-made grant's quotas (see
//! `grant_products`); a grant without a vendor-made grant at the top of its path (its
//! parent's order was deleted, or an edit before the tree existed cut it loose) may
//! create nothing.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::db::schema::manager_grants;
use crate::db::DbConnection;
use crate::domain::{GrantId, Permissions};

/// A path is followed at most this far, and a subtree this deep.
pub const MAX_DEPTH: usize = 32;

/// A grant and every grant above it, nearest first, and whether the path ends at a
/// vendor-made grant (its root).
#[derive(Debug, Clone)]
pub struct Path {
    pub grants: Vec<GrantId>,
    pub root: Option<GrantId>,
}

impl Path {
    /// The grants strictly above the first.
    pub fn ancestors(&self) -> &[GrantId] {
        self.grants.get(1..).unwrap_or(&[])
    }
}

/// The path from `grant` to the top of its tree.
pub fn path(conn: &mut DbConnection, grant: GrantId) -> QueryResult<Path> {
    let mut grants = Vec::new();
    let mut at = Some(grant);
    while let Some(id) = at {
        if grants.len() >= MAX_DEPTH || grants.contains(&id) {
            // Too deep or a damaged cycle: no root is reached.
            return Ok(Path { grants, root: None });
        }
        let row: Option<(Option<GrantId>, bool)> = manager_grants::table
            .find(id)
            .select((manager_grants::parent_grant_id, manager_grants::vendor_made))
            .first(conn)
            .optional()?;
        let Some((parent, vendor_made)) = row else {
            // The parent is gone (its order was deleted): the path ends without a root.
            return Ok(Path { grants, root: None });
        };
        if grants.last().is_some_and(|child| *child <= id) {
            // A parent is older than its children; anything else is damage.
            return Ok(Path { grants, root: None });
        }
        grants.push(id);
        if vendor_made {
            return Ok(Path {
                grants,
                root: Some(id),
            });
        }
        at = parent;
    }
    Ok(Path { grants, root: None })
}

/// Whether `target` is strictly below `above` (a delegate of it, at any depth).
pub fn is_below(conn: &mut DbConnection, target: GrantId, above: GrantId) -> QueryResult<bool> {
    Ok(target != above && path(conn, target)?.ancestors().contains(&above))
}

/// Every grant derived from `grant` (delegates, grants on orders created through it, and
/// theirs), parents before children; `grant` itself is not included.
pub fn descendants(conn: &mut DbConnection, grant: GrantId) -> QueryResult<Vec<GrantId>> {
    let mut seen: HashSet<GrantId> = HashSet::from([grant]);
    let mut found = Vec::new();
    let mut level = vec![grant];
    for _ in 0..MAX_DEPTH {
        if level.is_empty() {
            break;
        }
        let children: Vec<GrantId> = manager_grants::table
            .filter(manager_grants::parent_grant_id.eq_any(&level))
            .order(manager_grants::id.asc())
            .select(manager_grants::id)
            .load(conn)?;
        level = children.into_iter().filter(|c| seen.insert(*c)).collect();
        found.extend(&level);
    }
    Ok(found)
}

/// The parent and permissions of a grant.
fn node(conn: &mut DbConnection, id: GrantId) -> QueryResult<(Option<GrantId>, Permissions)> {
    manager_grants::table
        .find(id)
        .select((manager_grants::parent_grant_id, Permissions::as_select()))
        .first(conn)
}

/// After a grant was lowered: every grant below it keeps only the permissions its parent
/// holds (top-down, so a lowered grant clamps its whole subtree). Returns how many
/// grants changed.
pub fn clamp_permissions(conn: &mut DbConnection, grant: GrantId) -> QueryResult<usize> {
    let mut changed = 0;
    for id in descendants(conn, grant)? {
        let (parent, mine) = node(conn, id)?;
        let Some(parent) = parent else { continue };
        let (_, theirs) = node(conn, parent)?;
        let kept = mine.intersect(&theirs);
        if kept != mine {
            diesel::update(manager_grants::table.find(id))
                .set((
                    super::grant_flags::Flags::from(kept),
                    manager_grants::updated_at.eq(super::now()),
                ))
                .execute(conn)?;
            changed += 1;
        }
    }
    Ok(changed)
}
