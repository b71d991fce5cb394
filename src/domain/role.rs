//! Staff roles and the one table that says which role may do which action.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    /// The staff role labelled "Manager" (stored `manager`): runs the catalogue, orders,
    /// licenses and license managers. Named so in code to keep it apart from license
    /// managers, the customers' administrators.
    StaffManager,
    Support,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::StaffManager,
        Role::Support,
        Role::ReadOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::StaffManager => "manager",
            Role::Support => "support",
            Role::ReadOnly => "read_only",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::StaffManager => "Manager",
            Role::Support => "Support",
            Role::ReadOnly => "Read-only",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| "Choose one of the listed roles.".to_owned())
    }

    /// The permission table: whether this role may perform `action`.
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        match action {
            // Every signed-in staff user.
            View | ChangeOwnPassword | SignOut => true,
            // Support and up.
            EditCustomers | ControlLicenses => self != Role::ReadOnly,
            // Manager and up.
            ManageCatalogue | ManageOrders | ManageLicenses | ManageLicenseManagers => {
                matches!(self, Role::Admin | Role::StaffManager)
            }
            // Admin only.
            AdministerStaff => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Everything a staff user can do, as the permission table knows it. Every vendor route
/// declares one of these; the route table refuses the request when the role may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See any page of the admin portal.
    View,
    /// Sign out.
    SignOut,
    /// Change one's own password.
    ChangeOwnPassword,
    /// Create, edit, disable, delete and label customers.
    EditCustomers,
    /// Disable, enable and reset licenses and devices.
    ControlLicenses,
    /// Products, customer accounts and labels.
    ManageCatalogue,
    /// Create, edit and delete orders; issue licenses.
    ManageOrders,
    /// Edit and delete licenses.
    ManageLicenses,
    /// Add license managers to orders, change their permissions, remove them, send or
    /// revoke their invites, disable and enable their accounts, resend emails.
    ManageLicenseManagers,
    /// Create staff users, change roles, disable and enable them.
    AdministerStaff,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::View,
        Action::SignOut,
        Action::ChangeOwnPassword,
        Action::EditCustomers,
        Action::ControlLicenses,
        Action::ManageCatalogue,
        Action::ManageOrders,
        Action::ManageLicenses,
        Action::ManageLicenseManagers,
        Action::AdministerStaff,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_changes_nothing_but_its_own_password() {
        for a in Action::ALL {
            let expected = matches!(
                a,
                Action::View | Action::SignOut | Action::ChangeOwnPassword
            );
            assert_eq!(Role::ReadOnly.can(a), expected, "{a:?}");
        }
    }

    #[test]
    fn support_may_control_licenses_and_edit_customers_only() {
        assert!(Role::Support.can(Action::ControlLicenses));
        assert!(Role::Support.can(Action::EditCustomers));
        assert!(!Role::Support.can(Action::ManageOrders));
        assert!(!Role::Support.can(Action::ManageCatalogue));
        assert!(!Role::Support.can(Action::AdministerStaff));
    }

    #[test]
    fn manager_may_do_all_but_staff_administration_and_admin_all() {
        for a in Action::ALL {
            assert_eq!(
                Role::StaffManager.can(a),
                a != Action::AdministerStaff,
                "{a:?}"
            );
            assert!(Role::Admin.can(a), "{a:?}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
