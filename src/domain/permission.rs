//! What a license manager may do on an order they manage: the nine permissions of the
//! seed, labelled exactly as there. A grant holds a [`Permissions`] set; portal routes
//! declare the [`Permission`] they need.

/// One license-manager permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    ManageLicenseUsers,
    ManageLicenseUserCredentials,
    ManageManagers,
    ResetDevice,
    ResetLicense,
    BorrowLicense,
    CreateBundleOrder,
    CreateOrder,
    IssueLicense,
}

impl Permission {
    /// Every permission, in the seed's order.
    pub const ALL: [Permission; 9] = [
        Permission::ManageLicenseUsers,
        Permission::ManageLicenseUserCredentials,
        Permission::ManageManagers,
        Permission::ResetDevice,
        Permission::ResetLicense,
        Permission::BorrowLicense,
        Permission::CreateBundleOrder,
        Permission::CreateOrder,
        Permission::IssueLicense,
    ];

    /// The label a person sees and ticks (the seed's words).
    pub fn label(self) -> &'static str {
        match self {
            Permission::ManageLicenseUsers => "Manage license users",
            Permission::ManageLicenseUserCredentials => "Manage license user credentials",
            Permission::ManageManagers => "Manage managers",
            Permission::ResetDevice => "Reset device",
            Permission::ResetLicense => "Reset license",
            Permission::BorrowLicense => "Borrow license",
            Permission::CreateBundleOrder => "Create bundle order",
            Permission::CreateOrder => "Create order",
            Permission::IssueLicense => "Issue license",
        }
    }

    /// The form field (and column) name.
    pub fn key(self) -> &'static str {
        match self {
            Permission::ManageLicenseUsers => "manage_license_users",
            Permission::ManageLicenseUserCredentials => "manage_user_credentials",
            Permission::ManageManagers => "manage_managers",
            Permission::ResetDevice => "reset_device",
            Permission::ResetLicense => "reset_license",
            Permission::BorrowLicense => "borrow_license",
            Permission::CreateBundleOrder => "create_bundle_order",
            Permission::CreateOrder => "create_order",
            Permission::IssueLicense => "issue_license",
        }
    }
}

/// What a portal route needs on the order it addresses: any live grant (pages), or a
/// grant holding one permission (actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOrder {
    AnyGrant,
    Needs(Permission),
}

impl OnOrder {
    pub fn permission(self) -> Option<Permission> {
        match self {
            OnOrder::AnyGrant => None,
            OnOrder::Needs(p) => Some(p),
        }
    }
}

/// A set of permissions (stored as one flag column each on a grant: the mapping is
/// `models::grant_flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
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

impl Permissions {
    /// All nine.
    pub fn all() -> Self {
        Self::from_iter(Permission::ALL)
    }

    fn flag(&mut self, p: Permission) -> &mut bool {
        match p {
            Permission::ManageLicenseUsers => &mut self.manage_license_users,
            Permission::ManageLicenseUserCredentials => &mut self.manage_user_credentials,
            Permission::ManageManagers => &mut self.manage_managers,
            Permission::ResetDevice => &mut self.reset_device,
            Permission::ResetLicense => &mut self.reset_license,
            Permission::BorrowLicense => &mut self.borrow_license,
            Permission::CreateBundleOrder => &mut self.create_bundle_order,
            Permission::CreateOrder => &mut self.create_order,
            Permission::IssueLicense => &mut self.issue_license,
        }
    }

    pub fn has(&self, p: Permission) -> bool {
        let mut copy = *self;
        *copy.flag(p)
    }

    /// [`Permissions::has`] for templates, which hold references.
    pub fn includes(&self, p: &Permission) -> bool {
        self.has(*p)
    }

    pub fn set(&mut self, p: Permission, on: bool) {
        *self.flag(p) = on;
    }

    /// The permissions held, in the seed's order.
    pub fn held(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.has(*p))
            .collect()
    }

    /// The labels of the permissions held, for lists and emails ("none" when empty).
    pub fn summary(&self) -> String {
        let held: Vec<&str> = self.held().into_iter().map(Permission::label).collect();
        if held.is_empty() {
            "No permissions".to_owned()
        } else {
            held.join(", ")
        }
    }

    /// Whether every permission of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &Permissions) -> bool {
        self.held().into_iter().all(|p| other.has(p))
    }

    /// The permissions held by both.
    pub fn intersect(&self, other: &Permissions) -> Permissions {
        self.held().into_iter().filter(|p| other.has(*p)).collect()
    }

    /// The set from a form's checked field names (unknown names are ignored).
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let keys: Vec<&str> = keys.into_iter().collect();
        Self::from_iter(
            Permission::ALL
                .into_iter()
                .filter(|p| keys.contains(&p.key())),
        )
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = Permissions::default();
        for p in iter {
            set.set(p, true);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_seeds_and_keys_round_trip() {
        let labels: Vec<&str> = Permission::ALL.iter().map(|p| p.label()).collect();
        assert_eq!(
            labels,
            [
                "Manage license users",
                "Manage license user credentials",
                "Manage managers",
                "Reset device",
                "Reset license",
                "Borrow license",
                "Create bundle order",
                "Create order",
                "Issue license"
            ]
        );
        for p in Permission::ALL {
            let set = Permissions::from_keys([p.key()]);
            assert_eq!(set.held(), vec![p]);
        }
        assert_eq!(Permissions::all().held().len(), 9);
        let reset = Permissions::from_keys(["reset_device"]);
        assert!(reset.is_subset_of(&Permissions::all()));
        assert!(!Permissions::all().is_subset_of(&reset));
    }
}
