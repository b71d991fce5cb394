//! Who acts, and through which area: the vocabulary of the audit log and the license
//! events, as enums with the one stored spelling of each.

/// Who acted (the audit log's `actor_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// The vendor's staff, in the admin portal.
    Staff,
    /// A customer's license manager, in the license portal (stored as `manager`).
    LicenseManager,
    /// A client application through the license API.
    Api,
    /// Keyfold itself, the CLI or the demo seed.
    System,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [
        ActorKind::Staff,
        ActorKind::LicenseManager,
        ActorKind::Api,
        ActorKind::System,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::LicenseManager => "manager",
            ActorKind::Api => "api",
            ActorKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a change came from: an area, an import, or Keyfold itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    AdminPortal,
    LicensePortal,
    LicenseApi,
    Import,
    System,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::AdminPortal,
        Source::LicensePortal,
        Source::LicenseApi,
        Source::Import,
        Source::System,
    ];

    /// The stored spelling of a license event's source.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::AdminPortal => "admin_portal",
            Source::LicensePortal => "license_portal",
            Source::LicenseApi => "license_api",
            Source::Import => "import",
            Source::System => "system",
        }
    }

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

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.as_str() == s)
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
            assert_eq!(ActorKind::parse(k.as_str()), Some(k));
        }
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        assert_eq!(Source::parse("end_user_portal"), None);
    }
}
