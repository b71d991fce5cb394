//! Enums stored as text: one spelling per variant, written and read by diesel through
//! `as_str`/`parse` (an unknown spelling in the database is a deserialisation error, not
//! a silent default).

/// Declares an enum stored as `TEXT`: its variants with their stored spellings, `ALL`,
/// `as_str`, `parse`, `Display`, and the diesel mapping for every backend.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $( $(#[$vmeta])* $variant, )* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                $name::parse(&s).ok_or_else(|| {
                    format!("unknown {} {s:?}", stringify!($name)).into()
                })
            }
        }
    };
}

pub(crate) use stored_enum;

stored_enum! {
    /// The state of a grant's invitation (`manager_grants.invite_state`).
    pub enum GrantState {
        /// Invited; the manager has not chosen a password yet.
        Pending => "pending",
        /// The grant gives access.
        Accepted => "accepted",
        /// A pending invite staff revoked: the grant gives no access.
        Revoked => "revoked",
    }
}

stored_enum! {
    /// What happened to a license (`license_events.kind`).
    pub enum EventKind {
        Activated => "activated",
        Deactivated => "deactivated",
        Checked => "checked",
        Reset => "reset",
        Disabled => "disabled",
        Enabled => "enabled",
        Borrowed => "borrowed",
        Returned => "returned",
        Consumed => "consumed",
        Transferred => "transferred",
        /// An activation the license API refused (the event carries the code).
        Refused => "refused",
    }
}

stored_enum! {
    /// When a license's consumption starts again from zero (`licenses.consumption_period`),
    /// in UTC.
    pub enum ConsumptionPeriod {
        Never => "none",
        Daily => "daily",
        /// By ISO week (Monday to Sunday).
        Weekly => "weekly",
        Monthly => "monthly",
        Yearly => "yearly",
    }
}

impl ConsumptionPeriod {
    /// The key of the period `at` falls in: a feature's counter belongs to one key, so a
    /// new period counts from zero without anything sweeping the old counts.
    pub fn key(self, at: chrono::NaiveDateTime) -> String {
        use chrono::Datelike;
        match self {
            ConsumptionPeriod::Never => "all".to_owned(),
            ConsumptionPeriod::Daily => at.format("%Y-%m-%d").to_string(),
            ConsumptionPeriod::Weekly => {
                let w = at.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            ConsumptionPeriod::Monthly => at.format("%Y-%m").to_string(),
            ConsumptionPeriod::Yearly => at.format("%Y").to_string(),
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            ConsumptionPeriod::Never => "Never",
            ConsumptionPeriod::Daily => "Daily",
            ConsumptionPeriod::Weekly => "Weekly (ISO week)",
            ConsumptionPeriod::Monthly => "Monthly",
            ConsumptionPeriod::Yearly => "Yearly",
        }
    }
}

stored_enum! {
    /// Where a license API signing key stands (`signing_keys.state`).
    pub enum KeyState {
        /// Published, not signing yet.
        Next => "next",
        /// Signs every answer.
        Active => "active",
        /// Still signs beside the active key while clients move over.
        Outgoing => "outgoing",
        /// Published for verifying old answers; signs nothing.
        Retired => "retired",
        /// Neither signs nor is published.
        Revoked => "revoked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_spelling_reads_back_as_its_variant() {
        for s in GrantState::ALL {
            assert_eq!(GrantState::parse(s.as_str()), Some(*s));
        }
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(GrantState::parse("Pending"), None);
    }

    #[test]
    fn consumption_periods_are_keyed_in_utc_by_iso_week() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let p = ConsumptionPeriod::Weekly;
        // 2026-12-27 is a Sunday (ISO week 52); 2026-12-28 a Monday (2026-W53);
        // 2027-01-03 still belongs to 2026-W53.
        assert_eq!(p.key(at("2026-12-27 23:59:59")), "2026-W52");
        assert_eq!(p.key(at("2026-12-28 00:00:00")), "2026-W53");
        assert_eq!(p.key(at("2027-01-03 12:00:00")), "2026-W53");
        assert_eq!(
            ConsumptionPeriod::Daily.key(at("2026-12-05 23:59:59")),
            "2026-12-05"
        );
        assert_eq!(
            ConsumptionPeriod::Monthly.key(at("2026-12-31 23:59:59")),
            "2026-12"
        );
        assert_eq!(
            ConsumptionPeriod::Yearly.key(at("2027-01-01 00:00:00")),
            "2027"
        );
        assert_eq!(
            ConsumptionPeriod::Never.key(at("2027-01-01 00:00:00")),
            "all"
        );
    }
}
