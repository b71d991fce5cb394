//! Licences: keys issued for a product within an order, and their derived status.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{licenses, orders, products};
use crate::db::DbConnection;

/// A licence's status, derived from stored columns — never stored itself.
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

/// A licence in a short list (a customer's, an order's).
#[derive(Debug, Clone)]
pub struct LicenseSummary {
    pub id: i64,
    pub license_key: String,
    pub product_name: String,
    pub order_id: i64,
    pub order_reference: String,
    pub license_type: String,
    pub status: Status,
    pub active_devices: i64,
    pub max_activations: i64,
    pub valid_until: Option<NaiveDateTime>,
}

/// The newest licences of a customer's orders.
pub fn for_customer(
    conn: &mut DbConnection,
    customer_id: i64,
    limit: i64,
) -> QueryResult<Vec<LicenseSummary>> {
    type Row = (
        i64,
        String,
        String,
        i64,
        String,
        String,
        bool,
        i64,
        i64,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = licenses::table
        .inner_join(orders::table)
        .inner_join(products::table)
        .filter(orders::customer_id.eq(customer_id))
        .order(licenses::id.desc())
        .limit(limit)
        .select((
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
        ))
        .load(conn)?;
    let now = super::now();
    Ok(rows
        .into_iter()
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
            )| {
                LicenseSummary {
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
                }
            },
        )
        .collect())
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
