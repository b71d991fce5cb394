//! Issuing licenses: license lines (product, count, policy overrides) validated as a
//! whole, bundles expanded into their products, keys generated, features and custom
//! fields copied from the product.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::product::{self, Product};
use super::{ModelError, ModelResult};
use crate::db::schema::{license_custom_fields, license_features, licenses, product_custom_fields};
use crate::db::DbConnection;
use crate::domain::license_key;
use crate::domain::OrderId;
use crate::domain::ProductId;

/// At most this many licenses per line, and per request.
pub const MAX_PER_LINE: i64 = 1000;
pub const MAX_PER_REQUEST: i64 = 5000;

/// A validated line: `None` overrides mean "the product's default".
#[derive(Clone, Debug)]
pub struct LineInput {
    pub index: usize,
    pub product_id: ProductId,
    pub count: i64,
    pub license_type: Option<String>,
    pub max_activations: Option<i64>,
    pub validity_days: Option<i64>,
    pub maintenance_days: Option<i64>,
    /// Issued through a license manager's grant: the vendor-made grant at the top of its
    /// path and the product whose quota the line took (each license records them).
    pub charged_to: Option<(crate::domain::GrantId, ProductId)>,
}

/// Issues the licenses of `lines` into an order; returns the new license ids.
/// Unknown or archived products are field errors on their line.
pub fn issue(
    conn: &mut DbConnection,
    order_id: OrderId,
    lines: &[LineInput],
    is_trial: bool,
    start: NaiveDate,
) -> ModelResult<Vec<i64>> {
    let mut ids = Vec::new();
    for line in lines {
        let field = |name: &str| format!("line_{}_{name}", line.index);
        let product = product::find(conn, line.product_id)?
            .ok_or_else(|| ModelError::invalid(field("product"), "This product does not exist."))?;
        if product.archived_at.is_some() {
            return Err(ModelError::invalid(
                field("product"),
                "This product is archived; restore it to issue licenses.",
            ));
        }
        let parts: Vec<Product> = if product.is_bundle {
            let parts: Vec<Product> = product::bundle_parts(conn, product.id)?
                .into_iter()
                .map(|(_, p)| p)
                .collect();
            if parts.is_empty() {
                return Err(ModelError::invalid(
                    field("product"),
                    "This bundle is empty: add products to it first.",
                ));
            }
            parts
        } else {
            vec![product]
        };
        for _ in 0..line.count {
            for part in &parts {
                ids.push(issue_one(conn, order_id, part, line, is_trial, start)?);
            }
        }
    }
    Ok(ids)
}

/// A new key that no license has yet.
fn fresh_key(conn: &mut DbConnection) -> QueryResult<String> {
    loop {
        let key = license_key::generate();
        let taken: bool = diesel::select(diesel::dsl::exists(
            licenses::table.filter(licenses::key_norm.eq(license_key::normalize(&key))),
        ))
        .get_result(conn)?;
        if !taken {
            return Ok(key);
        }
    }
}

fn issue_one(
    conn: &mut DbConnection,
    order_id: OrderId,
    product: &Product,
    line: &LineInput,
    is_trial: bool,
    start: NaiveDate,
) -> ModelResult<i64> {
    let key = fresh_key(conn)?;
    let now = super::now();
    let validity_days =
        line.validity_days
            .or(product.validity_days)
            .or(if is_trial && product.trial_days > 0 {
                Some(product.trial_days)
            } else {
                None
            });
    let id: i64 = diesel::insert_into(licenses::table)
        .values((
            licenses::license_key.eq(&key),
            licenses::key_norm.eq(license_key::normalize(&key)),
            licenses::product_id.eq(product.id),
            licenses::order_id.eq(order_id),
            licenses::license_type.eq(line
                .license_type
                .as_deref()
                .unwrap_or(&product.license_type)),
            licenses::enabled.eq(true),
            licenses::max_activations.eq(line.max_activations.unwrap_or(product.max_activations)),
            licenses::start_date.eq(Some(start)),
            licenses::validity_days.eq(validity_days),
            licenses::maintenance_days.eq(line.maintenance_days.or(product.maintenance_days)),
            licenses::is_trial.eq(is_trial),
            licenses::floating_seats.eq(product.floating_seats),
            licenses::borrow_limit_hours.eq(product.borrow_limit_hours),
            licenses::max_license_users.eq(product.max_license_users),
            licenses::max_transfers.eq(product.max_transfers),
            licenses::root_grant_id.eq(line.charged_to.map(|(g, _)| g.0)),
            licenses::quota_product_id.eq(line.charged_to.map(|(_, p)| p.0)),
            licenses::created_at.eq(now),
            licenses::updated_at.eq(now),
        ))
        .returning(licenses::id)
        .get_result(conn)?;
    for f in product::features(conn, product.id)? {
        diesel::insert_into(license_features::table)
            .values((
                license_features::license_id.eq(id),
                license_features::code.eq(&f.code),
                license_features::name.eq(&f.name),
                license_features::kind.eq(&f.kind),
                license_features::max_consumption.eq(f.max_consumption),
            ))
            .execute(conn)?;
    }
    let fields: Vec<(String, String)> = product_custom_fields::table
        .filter(product_custom_fields::product_id.eq(product.id))
        .select((
            product_custom_fields::name,
            product_custom_fields::default_value,
        ))
        .load(conn)?;
    for (name, value) in fields {
        diesel::insert_into(license_custom_fields::table)
            .values((
                license_custom_fields::license_id.eq(id),
                license_custom_fields::name.eq(name),
                license_custom_fields::value.eq(value),
            ))
            .execute(conn)?;
    }
    Ok(id)
}
