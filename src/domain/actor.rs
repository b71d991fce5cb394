//! Who acts, and through which area: the vocabulary of the audit log and the license
//! events, as enums with the one stored spelling of each.

use super::stored::stored_enum;

stored_enum! {
    /// Who acted (the audit log's `actor_kind`).
    pub enum ActorKind {
        /// The vendor's staff, in the admin portal.
        Staff => "staff",
        /// A customer's license manager, in the license portal.
        LicenseManager => "manager",
        /// A client application through the license API.
        Api => "api",
        /// Keyfold itself, the CLI or the demo seed.
        System => "system",
    }
}

stored_enum! {
    /// Where a change came from (`license_events.source`): an area, an import, or
    /// Keyfold itself.
    pub enum Source {
        AdminPortal => "admin_portal",
        LicensePortal => "license_portal",
        LicenseApi => "license_api",
        Import => "import",
        System => "system",
    }
}

impl Source {
    /// The audit log's spelling (words, as the audit pages show them).
    pub fn audit_name(self) -> &'static str {
        match self {
            Source::AdminPortal => "admin portal",
            Source::LicensePortal => "license portal",
            Source::LicenseApi => "license API",
            Source::Import => "import",
            Source::System => "system",
        }
    }

    /// As a license manager reads it on a license's history.
    pub fn label(self) -> &'static str {
        match self {
            Source::AdminPortal => "Vendor",
            Source::LicensePortal => "License portal",
            Source::LicenseApi => "Application",
            Source::Import => "Import",
            Source::System => "Vendor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_source_round_trips_through_its_stored_spelling() {
        for k in ActorKind::ALL {
            assert_eq!(ActorKind::parse(k.as_str()), Some(*k));
        }
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Source::parse("end_user_portal"), None);
    }
}
