//! What the caller of an operation may touch. The route table has already checked what
//! kind of action the caller may take (a staff role's action, a license manager's
//! permission on the order); the reach says *where*: staff reach every order, a license
//! manager only the order of their grant. An id from a URL or a form outside the reach is
//! "not found", exactly like one that does not exist, so nothing about it leaks.

use crate::db::DbConnection;
use crate::domain::{LicenseId, OrderId, Permission, Role, Source};
use crate::models::grant::GrantedOrder;
use crate::models::license::{self, License};
use crate::models::license_ops::ResetBy;
use crate::models::order::{self, Order};
use crate::models::{ModelError, ModelResult};

/// Who calls an operation, and what they may reach.
#[derive(Clone, Debug)]
pub enum Reach {
    /// The vendor's staff, with their role: every order.
    Staff(Role),
    /// A license manager, through their grant on one order (the grant guard made it).
    LicenseManager(GrantedOrder),
    /// A vendor's application through the license API, authenticated for one license
    /// (by its key, or by a device token a license user's activation handed out).
    Client(LicenseId),
}

impl Reach {
    /// The grant of a license manager's reach.
    pub fn grant(&self) -> Option<&GrantedOrder> {
        match self {
            Reach::LicenseManager(g) => Some(g),
            Reach::Staff(_) | Reach::Client(_) => None,
        }
    }

    /// Whether an order is within reach (it may still not exist).
    pub fn covers(&self, order: OrderId) -> bool {
        match self {
            Reach::Staff(_) => true,
            Reach::LicenseManager(g) => g.order_id() == order,
            Reach::Client(_) => false,
        }
    }

    /// An order within reach.
    pub fn order(&self, conn: &mut DbConnection, id: OrderId) -> ModelResult<Order> {
        if !self.covers(id) {
            return Err(ModelError::NotFound);
        }
        order::find(conn, id)?.ok_or(ModelError::NotFound)
    }

    /// A license within reach (on an order within reach).
    pub fn license(&self, conn: &mut DbConnection, id: LicenseId) -> ModelResult<License> {
        let within = |l: &License| match self {
            Reach::Client(own) => *own == l.id,
            _ => self.covers(l.order_id),
        };
        match license::find(conn, id)? {
            Some(l) if within(&l) => Ok(l),
            _ => Err(ModelError::NotFound),
        }
    }

    /// Whether the caller may set license users' credentials: staff who may change
    /// license users may; a license manager needs "Manage license user credentials".
    pub fn may_set_credentials(&self) -> bool {
        match self {
            Reach::Staff(_) => true,
            Reach::LicenseManager(g) => g.can(Permission::ManageLicenseUserCredentials),
            Reach::Client(_) => false,
        }
    }

    /// Where a license event made by this caller comes from.
    pub fn source(&self) -> Source {
        match self {
            Reach::Staff(_) => Source::AdminPortal,
            Reach::LicenseManager(_) => Source::LicensePortal,
            Reach::Client(_) => Source::LicenseApi,
        }
    }

    /// How this caller resets a license: staff restart duration-based end dates; a
    /// license manager keeps them (a reset must not stretch a 30-day license).
    pub fn reset_by(&self) -> ResetBy {
        match self {
            Reach::Staff(_) => ResetBy::Staff,
            // Neither may stretch a duration; both spend transfers.
            Reach::LicenseManager(_) | Reach::Client(_) => ResetBy::LicenseManager,
        }
    }
}
