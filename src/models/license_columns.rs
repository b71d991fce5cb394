//! The license list's columns: which a staff user chose to see, remembered on their row
//! (`staff_users.license_columns`, comma-separated keys; empty means the default set).
//! The key column is always shown.

use diesel::prelude::*;

use crate::db::schema::staff_users;
use crate::db::DbConnection;
use crate::domain::StaffId;

/// Every column the list can show: key, label, shown by default.
pub const ALL: [(&str, &str, bool); 9] = [
    ("product", "Product", true),
    ("order", "Order", true),
    ("customer", "Customer", true),
    ("type", "Type", false),
    ("status", "Status", true),
    ("devices", "Devices", true),
    ("valid_until", "Valid until", true),
    ("created", "Created", false),
    ("note", "Note", false),
];

/// A choice of columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    shown: Vec<&'static str>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            shown: ALL.iter().filter(|c| c.2).map(|c| c.0).collect(),
        }
    }
}

impl Columns {
    /// The stored choice; unknown keys are ignored, and nothing known means the default.
    pub fn parse(stored: &str) -> Self {
        Self::of(stored.split(','))
    }

    /// The columns among these keys (a form's ticked boxes), in the list's order.
    pub fn of<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let keys: Vec<&str> = keys.into_iter().map(str::trim).collect();
        let shown: Vec<&'static str> = ALL
            .iter()
            .map(|c| c.0)
            .filter(|k| keys.contains(k))
            .collect();
        if shown.is_empty() {
            Columns::default()
        } else {
            Columns { shown }
        }
    }

    pub fn shows(&self, key: &str) -> bool {
        self.shown.contains(&key)
    }

    /// How it is stored (empty for the default set, so a later default applies).
    pub fn stored(&self) -> String {
        if *self == Columns::default() {
            String::new()
        } else {
            self.shown.join(",")
        }
    }

    /// The picker's boxes: key, label, ticked.
    pub fn choices(&self) -> Vec<(&'static str, &'static str, bool)> {
        ALL.iter().map(|c| (c.0, c.1, self.shows(c.0))).collect()
    }
}

/// Remembers a staff user's choice.
pub fn save(conn: &mut DbConnection, staff_id: StaffId, columns: &Columns) -> QueryResult<()> {
    diesel::update(staff_users::table.find(staff_id))
        .set(staff_users::license_columns.eq(columns.stored()))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_keep_the_list_order_and_fall_back_to_the_default() {
        let c = Columns::of(["created", "product", "bogus"]);
        assert!(c.shows("product") && c.shows("created") && !c.shows("order"));
        assert_eq!(c.stored(), "product,created");
        assert_eq!(Columns::parse(&c.stored()), c);
        assert_eq!(Columns::parse(""), Columns::default());
        assert_eq!(Columns::of(["nothing"]), Columns::default());
        assert_eq!(Columns::default().stored(), "");
    }
}
