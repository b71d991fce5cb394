//! How a grant's [`Permissions`] are stored: one flag column each on `manager_grants`.
//! The domain's set knows nothing of storage; this module maps it, so queries can select
//! `Permissions` directly and writes pass [`Flags`].

use diesel::backend::Backend;
use diesel::deserialize::{self, Queryable};
use diesel::prelude::*;

use crate::db::schema::manager_grants;
use crate::domain::Permissions;

/// The nine flag columns of a grant.
#[derive(Clone, Copy, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = manager_grants)]
#[diesel(treat_none_as_null = true)]
pub struct Flags {
    pub manage_license_users: bool,
    pub manage_user_credentials: bool,
    pub manage_managers: bool,
    pub reset_device: bool,
    pub reset_license: bool,
    pub borrow_license: bool,
    pub create_bundle_order: bool,
    pub create_order: bool,
    pub issue_license: bool,
}

impl From<Permissions> for Flags {
    fn from(p: Permissions) -> Self {
        Flags {
            manage_license_users: p.manage_license_users,
            manage_user_credentials: p.manage_user_credentials,
            manage_managers: p.manage_managers,
            reset_device: p.reset_device,
            reset_license: p.reset_license,
            borrow_license: p.borrow_license,
            create_bundle_order: p.create_bundle_order,
            create_order: p.create_order,
            issue_license: p.issue_license,
        }
    }
}

impl From<Flags> for Permissions {
    fn from(f: Flags) -> Self {
        Permissions {
            manage_license_users: f.manage_license_users,
            manage_user_credentials: f.manage_user_credentials,
            manage_managers: f.manage_managers,
            reset_device: f.reset_device,
            reset_license: f.reset_license,
            borrow_license: f.borrow_license,
            create_bundle_order: f.create_bundle_order,
            create_order: f.create_order,
            issue_license: f.issue_license,
        }
    }
}

impl<DB: Backend> Selectable<DB> for Permissions {
    type SelectExpression = <Flags as Selectable<DB>>::SelectExpression;

    fn construct_selection() -> Self::SelectExpression {
        <Flags as Selectable<DB>>::construct_selection()
    }
}

impl<ST, DB> Queryable<ST, DB> for Permissions
where
    DB: Backend,
    Flags: Queryable<ST, DB>,
{
    type Row = <Flags as Queryable<ST, DB>>::Row;

    fn build(row: Self::Row) -> deserialize::Result<Self> {
        <Flags as Queryable<ST, DB>>::build(row).map(Permissions::from)
    }
}
