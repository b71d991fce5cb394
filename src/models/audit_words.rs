//! The audit log in people's words, for both portals: each entry's action as a sentence,
//! its fields by the labels the forms use, values in one format (dates as
//! `2027-11-08 11:32 UTC`, yes/no), empty fields left out, and its object as a link.

use serde_json::Value;

use super::audit::{AuditRow, Change};

/// Actions whose words are not "<verb> the <object>".
const SENTENCES: &[(&str, &str)] = &[
    ("license.reset", "Reset license"),
    ("license.device_reset", "Reset device"),
    ("license.disabled", "Disabled the license"),
    ("license.enabled", "Enabled the license"),
    ("license.updated", "Changed the license's terms"),
    ("license.seat_borrowed", "Borrowed a seat"),
    ("license.seat_returned", "Returned a borrowed seat"),
    ("license.trial_started", "Started a trial"),
    (
        "license_manager.invite_link_issued",
        "Staff handed over a new invite link (shown once, not emailed)",
    ),
    ("license_manager.signed_in", "Signed in"),
    (
        "license_manager.signed_out_everywhere",
        "Signed out everywhere",
    ),
    (
        "license_manager.granted",
        "Made a license manager of the order",
    ),
    ("license_manager.invite_accepted", "Accepted the invitation"),
    ("license_manager.invite_resent", "Sent the invitation again"),
    ("license_manager.invite_revoked", "Withdrew the invitation"),
    ("license_manager.password_changed", "Changed their password"),
    (
        "license_manager.permissions_changed",
        "Changed a license manager's permissions",
    ),
    (
        "license_manager.reset_requested",
        "Asked for a password reset link",
    ),
    (
        "license_manager.reset_resent",
        "Sent a password reset link again",
    ),
    ("license_user.password_set", "Set a license user's password"),
    (
        "license_user.assigned",
        "Assigned a license user to a license",
    ),
    (
        "license_user.unassigned",
        "Took a license user off a license",
    ),
    (
        "order.created_in_portal",
        "Created the order in the license portal",
    ),
    ("order.customer_changed", "Changed the order's customer"),
    ("order.licenses_issued", "Issued licenses"),
    ("licenses.exported", "Exported licenses (CSV)"),
    ("customers.exported", "Exported customers (CSV)"),
    ("orders.exported", "Exported orders (CSV)"),
    ("audit.exported", "Exported the audit log (CSV)"),
    (
        "license_managers.exported",
        "Exported license managers (CSV)",
    ),
    ("import.previewed", "Checked an import file"),
    ("import.committed", "Imported a file"),
    ("customer.label_added", "Labelled the customer"),
    ("customer.label_removed", "Took a label off the customer"),
    (
        "license.offline_activation",
        "Activated a device offline (license file)",
    ),
    (
        "license.offline_deactivation",
        "Deactivated a device offline",
    ),
    ("license_user.added", "Added a license user"),
    ("license_user.changed", "Changed a license user"),
    ("license_user.removed", "Removed a license user"),
    (
        "license_user.password_chosen",
        "A license user chose their password",
    ),
    (
        "license_user.password_link_sent",
        "Sent a license user a link to choose a password",
    ),
    ("product.archived", "Archived the product"),
    ("product.unarchived", "Took the product out of the archive"),
    ("product.bundle_part_added", "Added a product to the bundle"),
    (
        "product.bundle_part_removed",
        "Took a product out of the bundle",
    ),
    ("product.custom_field_added", "Added a custom field"),
    ("product.custom_field_removed", "Removed a custom field"),
    ("product.feature_added", "Added a feature"),
    ("product.feature_removed", "Removed a feature"),
    ("staff.created", "Created the staff user"),
    ("staff.disabled", "Disabled the staff user"),
    ("staff.enabled", "Enabled the staff user"),
    ("staff.link_issued", "Issued a set-up link"),
    ("staff.password_changed", "Changed their password"),
    ("staff.role_changed", "Changed a staff user's role"),
];

/// Field labels as the forms show them, where the stored name does not read well.
const LABELS: &[(&str, &str)] = &[
    ("customer_id", "Customer"),
    ("customer_account_id", "Account"),
    ("is_test", "Test order"),
    ("is_trial", "Trial"),
    ("max_activations", "Max activations"),
    ("active_devices", "Active devices"),
    ("valid_until", "Valid until"),
    ("validity_days", "Validity (days)"),
    ("maintenance_until", "Maintenance until"),
    ("maintenance_days", "Maintenance (days)"),
    ("floating_seats", "Floating seats"),
    ("borrow_limit_hours", "Borrow limit (hours)"),
    ("max_license_users", "Max license users"),
    ("max_transfers", "Max transfers"),
    ("lease_minutes", "Seat lease (minutes)"),
    ("start_date", "Start date"),
    ("hardware_id", "Hardware id"),
    ("campaign_params", "Campaign parameters"),
    ("download_id", "Download id"),
    ("external_id", "External id"),
    ("address_line1", "Address line 1"),
    ("address_line2", "Address line 2"),
    ("new_order", "New order"),
    ("license_key", "License key"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
];

/// A stored field name as a label: `valid_until` → "Valid until".
pub fn field_label(key: &str) -> String {
    if let Some((_, label)) = LABELS.iter().find(|(k, _)| *k == key) {
        return (*label).to_owned();
    }
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A value as people read it: dates and times as `2027-11-08 11:32 UTC`, true/false as
/// yes/no, no value as "—".
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) => moment(s).unwrap_or_else(|| s.clone()),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `2027-11-08T11:32:58.789793` (or with a space) → `2027-11-08 11:32 UTC`.
fn moment(s: &str) -> Option<String> {
    let t = s.trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(t, f).ok())
    .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() || s == "{}",
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The verbs of "<Verb> the <object>" sentences.
const VERBS: &[(&str, &str)] = &[
    ("created", "Created"),
    ("updated", "Changed"),
    ("changed", "Changed"),
    ("deleted", "Deleted"),
    ("removed", "Removed"),
    ("restored", "Restored"),
    ("disabled", "Disabled"),
    ("enabled", "Enabled"),
    ("added", "Added"),
    ("exported", "Exported"),
];

/// An action code as a sentence (see [`AuditRow::sentence`]).
pub fn sentence_of(action: &str) -> String {
    if let Some((_, s)) = SENTENCES.iter().find(|(a, _)| *a == action) {
        return (*s).to_owned();
    }
    let (object, verb) = action.split_once('.').unwrap_or(("", action));
    let noun = object.replace('_', " ");
    if verb == "signed_in" {
        return "Signed in".to_owned();
    }
    let Some((_, verb)) = VERBS.iter().find(|(v, _)| *v == verb) else {
        return field_label(&format!("{verb} {noun}"));
    };
    if noun.is_empty() {
        (*verb).to_owned()
    } else {
        format!("{verb} the {noun}")
    }
}

impl AuditRow {
    /// The action as a sentence: "Reset device", "Created the order in the license
    /// portal", else "<Verb> the <object>" from its code (`customer.updated` → "Changed
    /// the customer").
    pub fn sentence(&self) -> String {
        sentence_of(&self.action)
    }

    /// The admin page of the entry's object, where it has one.
    pub fn object_path(&self) -> Option<String> {
        let id = self.object_id?;
        let base = match self.object_type.as_str() {
            "license" => "/licenses",
            "order" => "/orders",
            "customer" => "/customers",
            "product" => "/products",
            "license_manager" => "/license-managers",
            "customer_account" => "/customer-accounts",
            "import" => "/imports",
            "staff" | "staff_user" => "/staff",
            _ => return None,
        };
        Some(format!("{base}/{id}"))
    }

    /// The fields that changed, by their labels, with values as people read them; on an
    /// entry with one side only (a creation, a deletion), empty fields are left out.
    pub fn readable_changes(&self) -> Vec<Change> {
        let one_sided = self.before_json.is_none() || self.after_json.is_none();
        self.raw_changes()
            .into_iter()
            .filter(|(_, b, a)| {
                !(one_sided && b.as_ref().is_none_or(is_empty) && a.as_ref().is_none_or(is_empty))
            })
            .map(|(key, b, a)| Change {
                field: field_label(&key),
                before: b.as_ref().map(value_text),
                after: a.as_ref().map(value_text),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action code written anywhere in the sources (`"order.created"`…).
    fn action_codes() -> Vec<String> {
        const OBJECTS: &[&str] = &[
            "audit",
            "customer",
            "customers",
            "customer_account",
            "import",
            "label",
            "license",
            "licenses",
            "license_manager",
            "license_managers",
            "license_user",
            "order",
            "orders",
            "product",
            "staff",
        ];
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for lit in text.split('"').skip(1).step_by(2) {
                        let Some((object, verb)) = lit.split_once('.') else {
                            continue;
                        };
                        let word = |w: &str| {
                            !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        };
                        if OBJECTS.contains(&object) && word(verb) {
                            out.push(lit.to_owned());
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_action_in_the_sources_reads_as_a_sentence() {
        let codes = action_codes();
        assert!(codes.len() > 60, "the scan finds the codes: {codes:?}");
        for code in codes {
            let verb = code.split_once('.').unwrap().1;
            let known = SENTENCES.iter().any(|(a, _)| *a == code)
                || VERBS.iter().any(|(v, _)| *v == verb)
                || verb == "signed_in";
            assert!(known, "{code} has no sentence: “{}”", sentence_of(&code));
        }
    }

    #[test]
    fn codes_and_values_read_as_words() {
        assert_eq!(field_label("customer_id"), "Customer");
        assert_eq!(field_label("is_test"), "Test order");
        assert_eq!(field_label("postcode"), "Postcode");
        assert_eq!(
            value_text(&Value::String("2027-11-08T11:32:58.789793".into())),
            "2027-11-08 11:32 UTC"
        );
        assert_eq!(value_text(&Value::Bool(true)), "Yes");
        assert_eq!(value_text(&Value::Null), "—");
        let row = |action: &str| AuditRow {
            id: 1,
            at: chrono::NaiveDateTime::default(),
            actor_kind: crate::domain::ActorKind::Staff,
            actor_id: None,
            actor_label: String::new(),
            action: action.to_owned(),
            object_type: "order".to_owned(),
            object_id: Some(7),
            object_label: String::new(),
            before_json: None,
            after_json: Some(r#"{"reference":"ORD-1","note":"","is_test":true}"#.to_owned()),
            ip: None,
            order_id: None,
            source: String::new(),
        };
        assert_eq!(row("staff.signed_in").sentence(), "Signed in");
        assert_eq!(row("customer.updated").sentence(), "Changed the customer");
        assert_eq!(
            row("order.created_in_portal").sentence(),
            "Created the order in the license portal"
        );
        assert_eq!(
            row("order.created").object_path().as_deref(),
            Some("/orders/7")
        );
        let changes = row("order.created").readable_changes();
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["Test order", "Reference"],
            "the empty note is left out"
        );
        assert_eq!(changes[0].after.as_deref(), Some("Yes"));
    }
}
