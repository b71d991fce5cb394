//! A product's parts: features, custom fields, and the products a bundle is made of.
//! Each change is audited on the product.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::product::{bundle_parts, find, load, CustomField, Feature};
use super::{unique_as_field, ModelError, ModelResult};
use crate::db::schema::{bundle_items, product_custom_fields, product_features};
use crate::db::DbConnection;
use crate::domain::ProductId;

pub fn add_feature(
    conn: &mut DbConnection,
    actor: &Actor,
    product_id: ProductId,
    (code, name, kind, max): (String, String, &'static str, Option<i64>),
) -> ModelResult<()> {
    let product = load(conn, product_id)?;
    diesel::insert_into(product_features::table)
        .values((
            product_features::product_id.eq(product_id),
            product_features::code.eq(&code),
            product_features::name.eq(&name),
            product_features::kind.eq(kind),
            product_features::max_consumption.eq(max),
            product_features::created_at.eq(super::now()),
        ))
        .execute(conn)
        .map_err(|e| {
            unique_as_field(
                e,
                "feature_code",
                "This product already has a feature with this code.",
            )
        })?;
    audit::record(
        conn,
        actor,
        Entry::new("product.feature_added", "product", Some(product_id))
            .label(&product.name)
            .after(json!({ "feature": code, "name": name, "kind": kind, "max_consumption": max })),
    )?;
    Ok(())
}

pub fn remove_feature(
    conn: &mut DbConnection,
    actor: &Actor,
    product_id: ProductId,
    feature_id: i64,
) -> ModelResult<()> {
    let product = load(conn, product_id)?;
    let feature: Feature = product_features::table
        .find(feature_id)
        .filter(product_features::product_id.eq(product_id))
        .select(Feature::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)?;
    diesel::delete(product_features::table.find(feature_id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("product.feature_removed", "product", Some(product_id))
            .label(&product.name)
            .before(json!({ "feature": feature.code, "name": feature.name, "kind": feature.kind })),
    )?;
    Ok(())
}

pub fn add_custom_field(
    conn: &mut DbConnection,
    actor: &Actor,
    product_id: ProductId,
    (name, default): (String, String),
) -> ModelResult<()> {
    let product = load(conn, product_id)?;
    diesel::insert_into(product_custom_fields::table)
        .values((
            product_custom_fields::product_id.eq(product_id),
            product_custom_fields::name.eq(&name),
            product_custom_fields::default_value.eq(&default),
            product_custom_fields::created_at.eq(super::now()),
        ))
        .execute(conn)
        .map_err(|e| {
            unique_as_field(
                e,
                "field_name",
                "This product already has a custom field with this name.",
            )
        })?;
    audit::record(
        conn,
        actor,
        Entry::new("product.custom_field_added", "product", Some(product_id))
            .label(&product.name)
            .after(json!({ "custom_field": name, "default_value": default })),
    )?;
    Ok(())
}

pub fn remove_custom_field(
    conn: &mut DbConnection,
    actor: &Actor,
    product_id: ProductId,
    field_id: i64,
) -> ModelResult<()> {
    let product = load(conn, product_id)?;
    let field: CustomField = product_custom_fields::table
        .find(field_id)
        .filter(product_custom_fields::product_id.eq(product_id))
        .select(CustomField::as_select())
        .first(conn)
        .optional()?
        .ok_or(ModelError::NotFound)?;
    diesel::delete(product_custom_fields::table.find(field_id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("product.custom_field_removed", "product", Some(product_id))
            .label(&product.name)
            .before(json!({ "custom_field": field.name, "default_value": field.default_value })),
    )?;
    Ok(())
}

/// Adds a product to a bundle: not itself, not a bundle, not twice.
pub fn add_bundle_part(
    conn: &mut DbConnection,
    actor: &Actor,
    bundle_id: ProductId,
    part_id: ProductId,
) -> ModelResult<()> {
    let bundle = load(conn, bundle_id)?;
    if !bundle.is_bundle {
        return Err(ModelError::refused(
            "not_a_bundle",
            "Only a bundle has bundle contents; edit the product and tick “Bundle” first."
                .to_owned(),
        ));
    }
    let part = find(conn, part_id)?
        .ok_or_else(|| ModelError::invalid("part_id", "Choose a product from the list."))?;
    if part.id == bundle.id || part.is_bundle {
        return Err(ModelError::invalid(
            "part_id",
            "A bundle is made of ordinary products, not of bundles.",
        ));
    }
    diesel::insert_into(bundle_items::table)
        .values((
            bundle_items::bundle_id.eq(bundle_id),
            bundle_items::product_id.eq(part_id),
        ))
        .execute(conn)
        .map_err(|e| unique_as_field(e, "part_id", "This product is already in the bundle."))?;
    audit::record(
        conn,
        actor,
        Entry::new("product.bundle_part_added", "product", Some(bundle_id))
            .label(&bundle.name)
            .after(json!({ "product": part.code })),
    )?;
    Ok(())
}

pub fn remove_bundle_part(
    conn: &mut DbConnection,
    actor: &Actor,
    bundle_id: ProductId,
    item_id: i64,
) -> ModelResult<()> {
    let bundle = load(conn, bundle_id)?;
    let (_, part) = bundle_parts(conn, bundle_id)?
        .into_iter()
        .find(|(i, _)| *i == item_id)
        .ok_or(ModelError::NotFound)?;
    diesel::delete(bundle_items::table.find(item_id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("product.bundle_part_removed", "product", Some(bundle_id))
            .label(&bundle.name)
            .before(json!({ "product": part.code })),
    )?;
    Ok(())
}
