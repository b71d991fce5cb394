//! The states of a grant's invitation, as stored in `manager_grants.invite_state`.

/// Invited; the manager has not chosen a password yet.
pub const PENDING: &str = "pending";
/// The grant gives access.
pub const ACCEPTED: &str = "accepted";
/// A pending invite staff revoked: the grant gives no access.
pub const REVOKED: &str = "revoked";
