//! The audit log: append-only rows saying who did what to which object, from where,
//! with the before/after of a whitelist of fields. Never updated or deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::{Page, Paging, COUNT_LIMIT};
use crate::db::schema::audit_log;
use crate::db::DbConnection;
use crate::domain::values::prefix_end;
use crate::domain::{ActorKind, OrderId, Source};

/// Who acted.
#[derive(Clone, Debug)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
    pub label: String,
    pub ip: Option<String>,
    /// Where the change came from.
    pub source: Source,
}

impl Actor {
    pub fn staff(id: crate::domain::StaffId, email: &str, ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::Staff,
            id: Some(id.into()),
            label: email.to_owned(),
            ip,
            source: Source::AdminPortal,
        }
    }

    /// A license manager acting in the license portal.
    pub fn license_manager(
        id: crate::domain::LicenseManagerId,
        email: &str,
        ip: Option<String>,
    ) -> Self {
        Actor {
            kind: ActorKind::LicenseManager,
            id: Some(id.into()),
            label: email.to_owned(),
            ip,
            source: Source::LicensePortal,
        }
    }

    /// A vendor's application through the license API, named by its hardware id.
    pub fn client(hardware_id: &str, ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::Api,
            id: None,
            label: format!(
                "hardware id {}",
                hardware_id.chars().take(80).collect::<String>()
            ),
            ip,
            source: Source::LicenseApi,
        }
    }

    /// Someone on the unauthenticated offline activation page.
    pub fn offline_page(ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::Api,
            id: None,
            label: "offline activation page".to_owned(),
            ip,
            source: Source::LicensePortal,
        }
    }

    pub fn system(label: &str) -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            label: label.to_owned(),
            ip: None,
            source: Source::System,
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<i64>,
    pub object_label: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The order the object belongs to, if any (an order's activity is one query).
    pub order_id: Option<OrderId>,
}

impl<'a> Entry<'a> {
    /// An entry about `object_id` (of `object_type`: any typed id, or none).
    pub fn new<I: Into<i64>>(action: &'a str, object_type: &'a str, object_id: Option<I>) -> Self {
        Entry {
            action,
            object_type,
            object_id: object_id.map(Into::into),
            object_label: "",
            before: None,
            after: None,
            order_id: None,
        }
    }

    /// The order the object belongs to.
    pub fn order(mut self, order_id: OrderId) -> Self {
        self.order_id = Some(order_id);
        self
    }

    pub fn label(mut self, label: &'a str) -> Self {
        self.object_label = label;
        self
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub object_label: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: Option<String>,
    pub order_id: Option<OrderId>,
    pub source: String,
}

impl AuditRow {
    /// Whether a license manager made the change (the license portal names them; the
    /// vendor's changes are the vendor's).
    pub fn by_license_manager(&self) -> bool {
        self.actor_kind == ActorKind::LicenseManager
    }
}

/// One field's change in an audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditRow {
    /// The action as a person reads it (see [`AuditRow::sentence`]).
    pub fn action_label(&self) -> String {
        self.sentence()
    }

    /// The fields that differ between before and after, in people's words (see
    /// [`AuditRow::readable_changes`]).
    pub fn changes(&self) -> Vec<Change> {
        self.readable_changes()
    }

    /// The stored fields that differ between before and after (all of them when only one
    /// side was recorded), by field name, with their JSON values.
    pub(crate) fn raw_changes(&self) -> Vec<(String, Option<Value>, Option<Value>)> {
        let parse = |s: &Option<String>| -> serde_json::Map<String, Value> {
            s.as_deref()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
        };
        let (before, after) = (parse(&self.before_json), parse(&self.after_json));
        let mut keys: Vec<&String> = before.keys().collect();
        keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
        keys.into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
            .collect()
    }
}

/// Appends an entry; call it inside the transaction of the action it describes.
pub fn record(conn: &mut DbConnection, actor: &Actor, entry: Entry<'_>) -> QueryResult<()> {
    let order_id = match (entry.order_id, entry.object_type, entry.object_id) {
        (Some(o), _, _) => Some(o),
        (None, "order", id) => id.map(OrderId),
        (None, "license", Some(id)) => crate::db::schema::licenses::table
            .find(id)
            .select(crate::db::schema::licenses::order_id)
            .first(conn)
            .optional()?,
        _ => None,
    };
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(super::now()),
            audit_log::actor_kind.eq(actor.kind),
            audit_log::actor_id.eq(actor.id),
            audit_log::actor_label.eq(&actor.label),
            audit_log::action.eq(entry.action),
            audit_log::object_type.eq(entry.object_type),
            audit_log::object_id.eq(entry.object_id),
            audit_log::object_label.eq(entry.object_label),
            audit_log::before_json.eq(entry.before.map(|v| v.to_string())),
            audit_log::after_json.eq(entry.after.map(|v| v.to_string())),
            audit_log::ip.eq(actor.ip.as_deref()),
            audit_log::order_id.eq(order_id),
            audit_log::source.eq(actor.source.audit_name()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest entries about one object.
pub fn for_object(
    conn: &mut DbConnection,
    object_type: &str,
    object_id: impl Into<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let object_id: i64 = object_id.into();
    audit_log::table
        .filter(audit_log::object_type.eq(object_type))
        .filter(audit_log::object_id.eq(object_id))
        // Sign-ins and sign-outs are folded into the account's "last signed in".
        .filter(audit_log::action.not_like("%.signed\\_%").escape('\\'))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The newest entries about an order and everything in it (its licenses, its managers):
/// one indexed query on `order_id`.
pub fn for_order(
    conn: &mut DbConnection,
    order_id: OrderId,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::order_id.eq(order_id))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The newest entries made by one actor (a license manager's portal activity).
pub fn by_actor(
    conn: &mut DbConnection,
    kind: ActorKind,
    id: impl Into<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let id: i64 = id.into();
    audit_log::table
        .filter(audit_log::actor_kind.eq(kind))
        .filter(audit_log::actor_id.eq(id))
        // Sign-ins and sign-outs are folded into the account's "last signed in".
        .filter(audit_log::action.not_like("%.signed\\_%").escape('\\'))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The newest entries of one action (tests and the audit page use it).
pub fn latest_of_action(
    conn: &mut DbConnection,
    action: &str,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The kinds of object the audit log knows, with their labels.
pub const OBJECT_TYPES: [(&str, &str); 8] = [
    ("order", "Order"),
    ("license", "License"),
    ("customer", "Customer"),
    ("customer_account", "Customer account"),
    ("label", "Label"),
    ("product", "Product"),
    ("staff_user", "Staff user"),
    ("license_manager", "License manager"),
];

/// Filters of the audit log page.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// `("staff", Some(id))`, or a kind alone (`system`, `api`, `manager`).
    pub actor: Option<(String, Option<i64>)>,
    pub object_type: String,
    /// A prefix of the action, e.g. `license.` or `license.reset`.
    pub action: String,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// Applies an audit [`Filter`] to a boxed query over the log (the list, its count and
/// the export).
macro_rules! audit_filters {
    ($query:expr, $filter:expr) => {{
        let filter = $filter;
        let mut query = $query;
        if let Some((kind, id)) = &filter.actor {
            query = query.filter(audit_log::actor_kind.eq(kind.clone()));
            if let Some(id) = id {
                query = query.filter(audit_log::actor_id.eq(*id));
            }
        }
        if !filter.object_type.is_empty() {
            query = query.filter(audit_log::object_type.eq(filter.object_type.clone()));
        }
        let action = filter.action.trim().to_lowercase();
        if !action.is_empty() {
            query = query
                .filter(audit_log::action.ge(action.clone()))
                .filter(audit_log::action.lt(prefix_end(&action)));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_log::at.ge(from.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
            query = query.filter(audit_log::at.lt(to.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        query
    }};
}

/// Entries newest first, filtered, a numbered page at a time with a bounded count.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    paging: Paging,
) -> QueryResult<Page<AuditRow>> {
    let load = |conn: &mut DbConnection, paging: Paging| -> QueryResult<Vec<AuditRow>> {
        let mut query = audit_log::table
            .select(AuditRow::as_select())
            .order((audit_log::at.desc(), audit_log::id.desc()))
            .limit(paging.per_page)
            .offset(paging.offset())
            .into_boxed();
        query = audit_filters!(query, filter);
        query.load(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let mut ids = audit_log::table
            .select(audit_log::id)
            .limit(COUNT_LIMIT + 1)
            .into_boxed();
        ids = audit_filters!(ids, filter);
        Ok(ids.load::<i64>(conn)?.len())
    };
    paging.read(conn, load, count)
}

/// Up to `limit` entries matching `filter` with ids above `after`, oldest first (a CSV
/// export's page).
pub fn export_page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(limit)
        .into_boxed();
    query = audit_filters!(query, filter);
    query.load(conn)
}

impl Filter {
    pub fn actor_value(&self) -> String {
        match &self.actor {
            Some((kind, Some(id))) => format!("{kind}:{id}"),
            Some((kind, None)) => kind.clone(),
            None => String::new(),
        }
    }
}
