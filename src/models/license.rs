//! Licenses: keys issued for a product within an order, and their derived status.

use crate::domain::ProductId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Page, Paging, COUNT_LIMIT};
use crate::db::schema::{
    customers, license_custom_fields, license_features, licenses, orders, products,
};
use crate::db::DbConnection;
use crate::domain::CustomerId;
use crate::domain::LicenseId;
use crate::domain::OrderId;

/// A license's status, derived from stored columns — never stored itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Disabled,
    Expired,
    Active,
    Inactive,
}

impl Status {
    /// Disabled if not enabled; else expired if past validity; else active if it has
    /// active devices; else inactive.
    pub fn derive(
        enabled: bool,
        valid_until: Option<NaiveDateTime>,
        active_devices: i64,
        now: NaiveDateTime,
    ) -> Self {
        if !enabled {
            Status::Disabled
        } else if valid_until.is_some_and(|v| v <= now) {
            Status::Expired
        } else if active_devices > 0 {
            Status::Active
        } else {
            Status::Inactive
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Disabled => "disabled",
            Status::Expired => "expired",
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Disabled => "Disabled",
            Status::Expired => "Expired",
            Status::Active => "Active",
            Status::Inactive => "Inactive",
        }
    }

    /// The badge class the templates use.
    pub fn css(self) -> &'static str {
        match self {
            Status::Disabled => "kf-badge kf-off",
            Status::Expired => "kf-badge kf-bad",
            Status::Active => "kf-badge kf-ok",
            Status::Inactive => "kf-badge",
        }
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = licenses)]
pub struct License {
    pub id: LicenseId,
    pub license_key: String,
    pub key_norm: String,
    pub product_id: ProductId,
    pub order_id: OrderId,
    pub license_type: String,
    pub enabled: bool,
    pub max_activations: i64,
    pub active_devices: i64,
    pub start_date: Option<chrono::NaiveDate>,
    pub valid_until: Option<NaiveDateTime>,
    pub validity_days: Option<i64>,
    pub maintenance_until: Option<NaiveDateTime>,
    pub maintenance_days: Option<i64>,
    pub is_trial: bool,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub note: String,
    pub metadata: String,
    pub first_activated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// How many license users may be assigned (0: not user-based).
    pub max_license_users: i64,
    /// Deactivations a client or the license portal may make (none: unlimited).
    pub max_transfers: Option<i64>,
    /// Deactivations made so far by clients and the license portal.
    pub transfers: i64,
    /// A floating seat's lease in minutes (none: the product's).
    pub lease_minutes: Option<i64>,
    /// When its consumption starts again from zero.
    pub consumption_period: crate::domain::ConsumptionPeriod,
}

impl License {
    /// Whether seats float between devices (check-outs and borrows).
    pub fn is_floating(&self) -> bool {
        self.floating_seats > 0
    }

    pub fn status(&self) -> Status {
        Status::derive(
            self.enabled,
            self.valid_until,
            self.active_devices,
            super::now(),
        )
    }

    pub fn type_label(&self) -> &'static str {
        super::product::license_type_label(&self.license_type)
    }

    /// The consumption period now (its key, e.g. `2026-12`).
    pub fn consumption_period_now(&self) -> String {
        self.consumption_period.key(super::now())
    }

    /// Transfers as people read them: "1 of 3 used", or "2 used (no limit)".
    pub fn transfers_text(&self) -> String {
        match self.max_transfers {
            Some(max) => format!("{} of {max} used", self.transfers),
            None => format!("{} used (no limit)", self.transfers),
        }
    }

    /// The fields the audit log shows.
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "license_key": self.license_key, "enabled": self.enabled,
            "max_activations": self.max_activations, "start_date": self.start_date,
            "valid_until": self.valid_until, "validity_days": self.validity_days,
            "maintenance_until": self.maintenance_until, "maintenance_days": self.maintenance_days,
            "floating_seats": self.floating_seats, "borrow_limit_hours": self.borrow_limit_hours,
            "max_license_users": self.max_license_users, "max_transfers": self.max_transfers, "note": self.note, "metadata": self.metadata,
        })
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = license_features)]
pub struct LicenseFeature {
    pub id: i64,
    pub license_id: LicenseId,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub max_consumption: Option<i64>,
    /// Consumed in the period [`LicenseFeature::period`] (see [`features`]).
    pub consumed: i64,
    /// How far beyond its maximum it may be consumed (none: not at all).
    pub max_overage: Option<i64>,
    /// The period key its counter belongs to.
    pub period: String,
}

impl LicenseFeature {
    /// The most that may be consumed, overage included (none: unlimited).
    pub fn limit(&self) -> Option<i64> {
        self.max_consumption
            .map(|m| m.saturating_add(self.max_overage.unwrap_or(0)))
    }

    /// What is left before the limit (none: unlimited).
    pub fn remaining(&self) -> Option<i64> {
        self.limit().map(|l| l.saturating_sub(self.consumed).max(0))
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = license_custom_fields)]
pub struct LicenseCustomField {
    pub id: i64,
    pub license_id: LicenseId,
    pub name: String,
    pub value: String,
}

pub fn find(conn: &mut DbConnection, id: LicenseId) -> QueryResult<Option<License>> {
    licenses::table
        .find(id)
        .select(License::as_select())
        .first(conn)
        .optional()
}

/// A license's features, each consumption counter as of now's period.
pub fn features(
    conn: &mut DbConnection,
    license_id: LicenseId,
) -> QueryResult<Vec<LicenseFeature>> {
    features_at(conn, license_id, super::now())
}

/// A license's features with their counters as of `at`: a counter of an earlier period
/// (the license's consumption reset since) reads as 0 in the current one.
pub fn features_at(
    conn: &mut DbConnection,
    license_id: LicenseId,
    at: NaiveDateTime,
) -> QueryResult<Vec<LicenseFeature>> {
    let rows: Vec<(LicenseFeature, crate::domain::ConsumptionPeriod)> = license_features::table
        .inner_join(licenses::table)
        .filter(license_features::license_id.eq(license_id))
        .order(license_features::code.asc())
        .select((LicenseFeature::as_select(), licenses::consumption_period))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(mut f, period)| {
            let key = period.key(at);
            if f.period != key {
                f.consumed = 0;
                f.period = key;
            }
            f
        })
        .collect())
}

pub fn custom_fields(
    conn: &mut DbConnection,
    license_id: LicenseId,
) -> QueryResult<Vec<LicenseCustomField>> {
    license_custom_fields::table
        .filter(license_custom_fields::license_id.eq(license_id))
        .order(license_custom_fields::name.asc())
        .select(LicenseCustomField::as_select())
        .load(conn)
}

/// Filters of the licenses list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A key or key prefix, with or without dashes, any case.
    pub key: String,
    pub product_id: Option<ProductId>,
    pub order_id: Option<OrderId>,
    /// An order's reference (lower-cased), matched exactly.
    pub order_reference: Option<String>,
    /// The licenses one CSV import created.
    pub import_id: Option<i64>,
    /// Only licenses of these orders (a license manager's).
    pub within_orders: Option<Vec<OrderId>>,
    /// "", "active", "inactive", "expired" or "disabled".
    pub status: String,
    pub license_type: String,
    /// Created on or after / on or before these days (UTC).
    pub created_from: Option<chrono::NaiveDate>,
    pub created_to: Option<chrono::NaiveDate>,
}

impl Filter {
    pub fn has_product(&self, id: impl std::borrow::Borrow<ProductId>) -> bool {
        self.product_id == Some(*id.borrow())
    }
}

/// The columns of a [`LicenseSummary`] (licenses joined with orders and products).
macro_rules! summary_columns {
    () => {
        (
            licenses::id,
            licenses::license_key,
            products::name,
            orders::id,
            orders::reference,
            licenses::license_type,
            licenses::enabled,
            licenses::active_devices,
            licenses::max_activations,
            licenses::valid_until,
            customers::id.nullable(),
            customers::email.nullable(),
            customers::company.nullable(),
            licenses::created_at,
            licenses::note,
            customers::first_name.nullable(),
            customers::last_name.nullable(),
        )
    };
}

type SummaryRow = (
    LicenseId,
    String,
    String,
    OrderId,
    String,
    String,
    bool,
    i64,
    i64,
    Option<NaiveDateTime>,
    Option<CustomerId>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    String,
    Option<String>,
    Option<String>,
);

fn summaries(rows: Vec<SummaryRow>) -> Vec<LicenseSummary> {
    let now = super::now();
    rows.into_iter()
        .map(
            |(
                id,
                license_key,
                product_name,
                order_id,
                order_reference,
                license_type,
                enabled,
                active_devices,
                max_activations,
                valid_until,
                customer_id,
                email,
                company,
                created_at,
                note,
                first,
                last,
            )| {
                LicenseSummary {
                    customer: customer_id.map(|id| {
                        let company = company.unwrap_or_default();
                        let name =
                            format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
                        let label = if !company.is_empty() {
                            company
                        } else if !name.trim().is_empty() {
                            name.trim().to_owned()
                        } else {
                            email.unwrap_or_default()
                        };
                        (id, label)
                    }),
                    id,
                    license_key,
                    product_name,
                    order_id,
                    order_reference,
                    license_type,
                    status: Status::derive(enabled, valid_until, active_devices, now),
                    active_devices,
                    max_activations,
                    valid_until,
                    created_at,
                    note,
                }
            },
        )
        .collect()
}

// Orders as matched by a license filter (the list itself joins orders).
diesel::alias! {
    pub const ref_orders: Alias<RefOrders> = orders as ref_orders;
}

/// Applies a [`Filter`] to a boxed query over licenses (shared by the list and the CSV
/// export, so both select exactly the same licenses).
macro_rules! license_filters {
    ($query:expr, $filter:expr, $now:expr) => {{
        use $crate::db::schema::licenses;
        let (filter, now) = ($filter, $now);
        let mut query = $query;
        use $crate::db::schema::orders as o;
        use $crate::domain::values::prefix_end;
        use $crate::models::license::ref_orders;
        // The search box: the start of a key (dashes and case ignored) or of an order's
        // reference.
        let key = $crate::domain::license_key::normalize(&filter.key);
        let reference = filter.key.trim().to_lowercase();
        if !reference.is_empty() {
            let by_reference = licenses::order_id.eq_any(
                ref_orders
                    .filter(ref_orders.field(o::reference_norm).ge(reference.clone()))
                    .filter(
                        ref_orders
                            .field(o::reference_norm)
                            .lt(prefix_end(&reference)),
                    )
                    .select(ref_orders.field(o::id)),
            );
            // One character of a key matches a 32nd of every license: too little to
            // search by (a reference's first character still is).
            query = if key.chars().count() < 2 {
                query.filter(by_reference)
            } else {
                query.filter(
                    licenses::key_norm
                        .ge(key.clone())
                        .and(licenses::key_norm.lt(prefix_end(&key)))
                        .or(by_reference),
                )
            };
        }
        if let Some(r) = &filter.order_reference {
            query = query.filter(
                licenses::order_id.eq_any(
                    ref_orders
                        .filter(ref_orders.field(o::reference_norm).eq(r.clone()))
                        .select(ref_orders.field(o::id)),
                ),
            );
        }
        if let Some(i) = filter.import_id {
            query = query.filter(licenses::import_id.eq(i));
        }
        if let Some(ids) = &filter.within_orders {
            query = query.filter(licenses::order_id.eq_any(ids.clone()));
        }
        if let Some(p) = filter.product_id {
            query = query.filter(licenses::product_id.eq(p));
        }
        if let Some(o) = filter.order_id {
            query = query.filter(licenses::order_id.eq(o));
        }
        if !filter.license_type.is_empty() {
            query = query.filter(licenses::license_type.eq(filter.license_type.clone()));
        }
        let live = licenses::valid_until
            .is_null()
            .or(licenses::valid_until.gt(now));
        query = match filter.status.as_str() {
            "disabled" => query.filter(licenses::enabled.eq(false)),
            "expired" => query
                .filter(licenses::enabled.eq(true))
                .filter(licenses::valid_until.le(now)),
            "active" => query
                .filter(licenses::enabled.eq(true))
                .filter(live)
                .filter(licenses::active_devices.gt(0)),
            "inactive" => query
                .filter(licenses::enabled.eq(true))
                .filter(live)
                .filter(licenses::active_devices.eq(0)),
            _ => query,
        };
        if let Some(from) = filter.created_from {
            query = query.filter(licenses::created_at.ge(from.and_time(chrono::NaiveTime::MIN)));
        }
        if let Some(to) = filter.created_to.and_then(|d| d.succ_opt()) {
            query = query.filter(licenses::created_at.lt(to.and_time(chrono::NaiveTime::MIN)));
        }
        query
    }};
}
pub(crate) use license_filters;

/// Licenses newest first, filtered, a page at a time. The status filter is a range or
/// equality on stored columns (`enabled`, `valid_until`, `active_devices`), each indexed.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    paging: Paging,
) -> QueryResult<Page<LicenseSummary>> {
    let now = super::now();
    let load = |conn: &mut DbConnection, paging: Paging| -> QueryResult<Vec<LicenseSummary>> {
        let mut query = licenses::table
            .inner_join(orders::table.left_join(customers::table))
            .inner_join(products::table)
            .select(summary_columns!())
            .order(licenses::id.desc())
            .limit(paging.per_page)
            .offset(paging.offset())
            .into_boxed();
        query = license_filters!(query, filter, now);
        Ok(summaries(query.load(conn)?))
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let mut ids = licenses::table
            .select(licenses::id)
            .order(licenses::id.desc())
            .limit(COUNT_LIMIT + 1)
            .into_boxed();
        ids = license_filters!(ids, filter, now);
        Ok(ids.load::<LicenseId>(conn)?.len())
    };
    paging.read(conn, load, count)
}

/// These licenses (those that exist), newest first.
pub fn summaries_of(
    conn: &mut DbConnection,
    ids: &[LicenseId],
) -> QueryResult<Vec<LicenseSummary>> {
    let rows: Vec<SummaryRow> = licenses::table
        .inner_join(orders::table.left_join(customers::table))
        .inner_join(products::table)
        .filter(licenses::id.eq_any(ids))
        .order(licenses::id.desc())
        .select(summary_columns!())
        .load(conn)?;
    Ok(summaries(rows))
}

/// An order's licenses (newest first), bounded.
pub fn for_order(
    conn: &mut DbConnection,
    order_id: OrderId,
    limit: i64,
) -> QueryResult<Vec<LicenseSummary>> {
    let rows: Vec<SummaryRow> = licenses::table
        .inner_join(orders::table.left_join(customers::table))
        .inner_join(products::table)
        .filter(licenses::order_id.eq(order_id))
        .order(licenses::id.asc())
        .limit(limit)
        .select(summary_columns!())
        .load(conn)?;
    Ok(summaries(rows))
}

/// Where a license belongs: its order's reference, its product's name, and the order's
/// customer (id, email).
pub struct LicenseContext {
    pub order_reference: String,
    pub product_name: String,
    pub customer: Option<(i64, String)>,
}

/// The context of a license, for its page.
pub fn context(conn: &mut DbConnection, license: &License) -> QueryResult<LicenseContext> {
    let (reference, customer_id): (String, Option<i64>) = orders::table
        .find(license.order_id)
        .select((orders::reference, orders::customer_id))
        .first(conn)?;
    let product: String = products::table
        .find(license.product_id)
        .select(products::name)
        .first(conn)?;
    let customer = match customer_id {
        Some(id) => customers::table
            .find(id)
            .select((customers::id, customers::email))
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(LicenseContext {
        order_reference: reference,
        product_name: product,
        customer,
    })
}

/// A license in a short list (a customer's, an order's).
#[derive(Debug, Clone)]
pub struct LicenseSummary {
    pub id: LicenseId,
    pub license_key: String,
    pub product_name: String,
    pub order_id: OrderId,
    pub order_reference: String,
    pub license_type: String,
    pub status: Status,
    pub active_devices: i64,
    pub max_activations: i64,
    pub valid_until: Option<NaiveDateTime>,
    /// The order's customer: id and company (else their name, else their email).
    pub customer: Option<(CustomerId, String)>,
    pub created_at: NaiveDateTime,
    pub note: String,
}

impl LicenseSummary {
    pub fn type_label(&self) -> &'static str {
        super::product::license_type_label(&self.license_type)
    }
}

/// The newest licenses of a customer's orders.
pub fn for_customer(
    conn: &mut DbConnection,
    customer_id: CustomerId,
    limit: i64,
) -> QueryResult<Vec<LicenseSummary>> {
    let rows: Vec<SummaryRow> = licenses::table
        .inner_join(orders::table.left_join(customers::table))
        .inner_join(products::table)
        .filter(orders::customer_id.eq(customer_id))
        .order(licenses::id.desc())
        .limit(limit)
        .select(summary_columns!())
        .load(conn)?;
    Ok(summaries(rows))
}

/// The license with this key (compared without dashes, spaces or case).
pub fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<License>> {
    licenses::table
        .filter(licenses::key_norm.eq(crate::domain::license_key::normalize(key)))
        .select(License::as_select())
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_derived_in_order_disabled_expired_active_inactive() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let past = Some(now - chrono::Duration::days(1));
        let future = Some(now + chrono::Duration::days(1));
        assert_eq!(Status::derive(false, future, 2, now), Status::Disabled);
        assert_eq!(Status::derive(false, past, 0, now), Status::Disabled);
        assert_eq!(Status::derive(true, past, 2, now), Status::Expired);
        assert_eq!(Status::derive(true, future, 1, now), Status::Active);
        assert_eq!(Status::derive(true, None, 1, now), Status::Active);
        assert_eq!(Status::derive(true, None, 0, now), Status::Inactive);
    }
}
