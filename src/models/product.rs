//! Products: what licenses are issued for, with license defaults (the policy), features,
//! custom fields, and — for a bundle — the products it is made of.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::{unique_as_field, ModelError, ModelResult};
use crate::db::schema::{
    bundle_items, licenses, product_custom_fields, product_features, products,
};
use crate::db::DbConnection;
use crate::domain::ProductId;

/// The license types a product's policy can give.
pub const LICENSE_TYPES: [(&str, &str); 4] = [
    ("perpetual", "Perpetual"),
    ("time_limited", "Time-limited"),
    ("subscription", "Subscription"),
    ("consumption", "Consumption"),
];

pub fn license_type_label(t: &str) -> &'static str {
    LICENSE_TYPES
        .iter()
        .find(|(k, _)| *k == t)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown")
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub name_norm: String,
    pub code: String,
    pub code_norm: String,
    pub description: String,
    pub license_type: String,
    pub max_activations: i64,
    pub validity_days: Option<i64>,
    pub maintenance_days: Option<i64>,
    pub trial_days: i64,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub is_bundle: bool,
    pub archived_at: Option<NaiveDateTime>,
    pub metadata: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// License users a license of this product may have (0: not user-based).
    pub max_license_users: i64,
    /// Deactivations a client or the license portal may make per license (none:
    /// unlimited); copied to each new license.
    pub max_transfers: Option<i64>,
    /// How many days an application may trust an answer without calling again.
    pub offline_days: i64,
    /// Activations through the license API per license in any hour (none: unlimited).
    pub activations_per_hour: Option<i64>,
    /// Client deactivations per license in any 30 days (none: unlimited).
    pub deactivations_per_30_days: Option<i64>,
    /// A floating seat's lease in minutes: a check-out holds its seat this long unless a
    /// heartbeat renews it.
    pub lease_minutes: i64,
    /// Trials the license API may start per UTC day (none: no cap); trials are offered
    /// when `trial_days` > 0.
    pub trials_per_day: Option<i64>,
    /// The order its trial licenses are issued into (made at the first trial).
    pub trial_order_id: Option<crate::domain::OrderId>,
    /// How many days an offline license file is valid (never past the license's end).
    pub license_file_days: i64,
}

impl Product {
    pub fn type_label(&self) -> &'static str {
        license_type_label(&self.license_type)
    }

    pub fn audit_view(&self) -> serde_json::Value {
        json!({
            "name": self.name, "code": self.code, "description": self.description,
            "license_type": self.license_type, "max_activations": self.max_activations,
            "validity_days": self.validity_days, "maintenance_days": self.maintenance_days,
            "trial_days": self.trial_days, "floating_seats": self.floating_seats,
            "borrow_limit_hours": self.borrow_limit_hours, "is_bundle": self.is_bundle,
            "max_transfers": self.max_transfers, "offline_days": self.offline_days,
            "activations_per_hour": self.activations_per_hour,
            "deactivations_per_30_days": self.deactivations_per_30_days,
            "lease_minutes": self.lease_minutes,
            "trials_per_day": self.trials_per_day,
            "license_file_days": self.license_file_days,
            "archived": self.archived_at.is_some(),
        })
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = product_features)]
pub struct Feature {
    pub id: i64,
    pub product_id: ProductId,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub max_consumption: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = product_custom_fields)]
pub struct CustomField {
    pub id: i64,
    pub product_id: ProductId,
    pub name: String,
    pub default_value: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct ProductInput {
    pub name: String,
    pub code: String,
    pub description: String,
    pub license_type: String,
    pub max_activations: i64,
    pub validity_days: Option<i64>,
    pub maintenance_days: Option<i64>,
    pub trial_days: i64,
    pub floating_seats: i64,
    pub borrow_limit_hours: i64,
    pub max_license_users: i64,
    pub max_transfers: Option<i64>,
    pub offline_days: i64,
    pub activations_per_hour: Option<i64>,
    pub deactivations_per_30_days: Option<i64>,
    pub lease_minutes: i64,
    pub trials_per_day: Option<i64>,
    pub license_file_days: i64,
    pub is_bundle: bool,
    pub seen_updated_at: Option<NaiveDateTime>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
struct ProductFields<'a> {
    name: &'a str,
    name_norm: String,
    code: &'a str,
    code_norm: String,
    description: &'a str,
    license_type: &'a str,
    max_activations: i64,
    validity_days: Option<i64>,
    maintenance_days: Option<i64>,
    trial_days: i64,
    floating_seats: i64,
    borrow_limit_hours: i64,
    max_license_users: i64,
    max_transfers: Option<i64>,
    offline_days: i64,
    activations_per_hour: Option<i64>,
    deactivations_per_30_days: Option<i64>,
    lease_minutes: i64,
    trials_per_day: Option<i64>,
    license_file_days: i64,
    is_bundle: bool,
    updated_at: NaiveDateTime,
}

impl ProductInput {
    fn fields(&self) -> ProductFields<'_> {
        ProductFields {
            name: &self.name,
            name_norm: self.name.to_lowercase(),
            code: &self.code,
            code_norm: self.code.to_lowercase(),
            description: &self.description,
            license_type: &self.license_type,
            max_activations: self.max_activations,
            validity_days: self.validity_days,
            maintenance_days: self.maintenance_days,
            trial_days: self.trial_days,
            floating_seats: self.floating_seats,
            borrow_limit_hours: self.borrow_limit_hours,
            max_license_users: self.max_license_users,
            max_transfers: self.max_transfers,
            offline_days: self.offline_days,
            activations_per_hour: self.activations_per_hour,
            deactivations_per_30_days: self.deactivations_per_30_days,
            lease_minutes: self.lease_minutes,
            trials_per_day: self.trials_per_day,
            license_file_days: self.license_file_days,
            is_bundle: self.is_bundle,
            updated_at: super::now(),
        }
    }
}

const CODE_TAKEN: &str = "Another product has this code.";

pub fn find(conn: &mut DbConnection, id: ProductId) -> QueryResult<Option<Product>> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
        .optional()
}

pub(super) fn load(conn: &mut DbConnection, id: ProductId) -> ModelResult<Product> {
    find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Every product by name (a vendor has tens, not millions), archived last.
pub fn list(conn: &mut DbConnection, include_archived: bool) -> QueryResult<Vec<Product>> {
    let mut query = products::table
        .select(Product::as_select())
        .order((
            products::archived_at.is_not_null().asc(),
            products::name_norm.asc(),
        ))
        .limit(1000)
        .into_boxed();
    if !include_archived {
        query = query.filter(products::archived_at.is_null());
    }
    query.load(conn)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &ProductInput,
) -> ModelResult<Product> {
    let fields = input.fields();
    let product: Product = diesel::insert_into(products::table)
        .values((&fields, products::created_at.eq(fields.updated_at)))
        .returning(products::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "code", CODE_TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("product.created", "product", Some(product.id))
            .label(&product.name)
            .after(product.audit_view()),
    )?;
    Ok(product)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProductId,
    input: &ProductInput,
) -> ModelResult<Product> {
    let before = load(conn, id)?;
    if input.seen_updated_at != Some(before.updated_at) {
        return Err(ModelError::Conflict(
            "Someone else changed this product after you opened the form. The form now shows their version; make your change again."
                .to_owned(),
        ));
    }
    if before.is_bundle && !input.is_bundle && !bundle_parts(conn, id)?.is_empty() {
        return Err(ModelError::invalid(
            "is_bundle",
            "Remove the bundle's products first.",
        ));
    }
    if !before.is_bundle && input.is_bundle && is_in_a_bundle(conn, id)? {
        return Err(ModelError::invalid(
            "is_bundle",
            "This product is part of a bundle, so it cannot be a bundle itself.",
        ));
    }
    let after: Product = diesel::update(products::table.find(id))
        .set(&input.fields())
        .returning(products::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "code", CODE_TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("product.updated", "product", Some(id))
            .label(&after.name)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

pub fn has_licenses(conn: &mut DbConnection, id: ProductId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        licenses::table.filter(licenses::product_id.eq(id)),
    ))
    .get_result(conn)
}

fn is_in_a_bundle(conn: &mut DbConnection, id: ProductId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        bundle_items::table.filter(bundle_items::product_id.eq(id)),
    ))
    .get_result(conn)
}

/// Archives (hides from new orders) or restores a product.
pub fn set_archived(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProductId,
    archived: bool,
) -> ModelResult<Product> {
    let before = load(conn, id)?;
    let now = super::now();
    diesel::update(products::table.find(id))
        .set((
            products::archived_at.eq(archived.then_some(now)),
            products::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            if archived {
                "product.archived"
            } else {
                "product.unarchived"
            },
            "product",
            Some(id),
        )
        .label(&before.name)
        .before(json!({ "archived": before.archived_at.is_some() }))
        .after(json!({ "archived": archived })),
    )?;
    load(conn, id)
}

/// Deletes a product that has no licenses and is in no bundle; otherwise archive it.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: ProductId) -> ModelResult<()> {
    let before = load(conn, id)?;
    if has_licenses(conn, id)? {
        return Err(ModelError::refused(
            "product_has_licenses",
            "This product has licenses: archive it instead.".to_owned(),
        ));
    }
    if is_in_a_bundle(conn, id)? {
        return Err(ModelError::refused(
            "product_in_bundle",
            "This product is part of a bundle: remove it from the bundle first.".to_owned(),
        ));
    }
    diesel::delete(products::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("product.deleted", "product", Some(id))
            .label(&before.name)
            .before(before.audit_view()),
    )?;
    Ok(())
}

pub fn features(conn: &mut DbConnection, product_id: ProductId) -> QueryResult<Vec<Feature>> {
    product_features::table
        .filter(product_features::product_id.eq(product_id))
        .order(product_features::code.asc())
        .select(Feature::as_select())
        .load(conn)
}

pub fn custom_fields(
    conn: &mut DbConnection,
    product_id: ProductId,
) -> QueryResult<Vec<CustomField>> {
    product_custom_fields::table
        .filter(product_custom_fields::product_id.eq(product_id))
        .order(product_custom_fields::name.asc())
        .select(CustomField::as_select())
        .load(conn)
}

/// The products a bundle is made of: (bundle item id, product).
pub fn bundle_parts(
    conn: &mut DbConnection,
    bundle_id: ProductId,
) -> QueryResult<Vec<(i64, Product)>> {
    bundle_items::table
        .inner_join(products::table.on(products::id.eq(bundle_items::product_id)))
        .filter(bundle_items::bundle_id.eq(bundle_id))
        .order(products::name_norm.asc())
        .select((bundle_items::id, Product::as_select()))
        .load(conn)
}

/// A product by its code (compared without case), archived or not.
pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::code_norm.eq(code.trim().to_lowercase()))
        .select(Product::as_select())
        .first(conn)
        .optional()
}
