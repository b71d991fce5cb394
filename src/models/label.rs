//! Labels: coloured tags on customers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::{unique_as_field, ModelError, ModelResult};
use crate::db::schema::{customer_labels, labels};
use crate::db::DbConnection;
use crate::domain::CustomerId;
use crate::domain::LabelId;
use crate::domain::{values, FieldErrors};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = labels)]
pub struct Label {
    pub id: LabelId,
    pub name: String,
    pub name_norm: String,
    pub colour: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Label {
    fn audit_view(&self) -> serde_json::Value {
        json!({ "name": self.name, "colour": self.colour })
    }
}

/// A validated label form.
pub struct LabelInput {
    pub name: String,
    pub colour: String,
}

impl LabelInput {
    pub fn parse(name: &str, colour: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", values::text(name, 60, true));
        let colour = errors.check("colour", values::colour(colour));
        match (name, colour) {
            (Some(name), Some(colour)) if errors.is_empty() => Ok(LabelInput { name, colour }),
            _ => Err(errors),
        }
    }
}

const TAKEN: &str = "A label with this name already exists.";

/// Counts shown in lists stop here ("1000+"): no page counts a whole table.
pub const COUNT_CAP: i64 = 1000;

/// A capped count as shown: "1000+" past the cap.
pub fn shown_count(n: impl std::borrow::Borrow<i64>) -> String {
    let n = *n.borrow();
    if n > COUNT_CAP {
        format!("{COUNT_CAP}+")
    } else {
        n.to_string()
    }
}

/// Every label with the number of customers carrying it (up to [`COUNT_CAP`] + 1), by name.
pub fn list_with_counts(conn: &mut DbConnection) -> QueryResult<Vec<(Label, i64)>> {
    let all: Vec<Label> = labels::table
        .order(labels::name_norm.asc())
        .limit(500)
        .select(Label::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(all.len());
    for l in all {
        let ids: Vec<i64> = customer_labels::table
            .filter(customer_labels::label_id.eq(l.id))
            .select(customer_labels::customer_id)
            .limit(COUNT_CAP + 1)
            .load(conn)?;
        out.push((l, ids.len() as i64));
    }
    Ok(out)
}

pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Label>> {
    labels::table
        .order(labels::name_norm.asc())
        .limit(500)
        .select(Label::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: LabelId) -> QueryResult<Option<Label>> {
    labels::table
        .find(id)
        .select(Label::as_select())
        .first(conn)
        .optional()
}

pub fn create(conn: &mut DbConnection, actor: &Actor, input: &LabelInput) -> ModelResult<Label> {
    let now = super::now();
    let label: Label = diesel::insert_into(labels::table)
        .values((
            labels::name.eq(&input.name),
            labels::name_norm.eq(input.name.to_lowercase()),
            labels::colour.eq(&input.colour),
            labels::created_at.eq(now),
            labels::updated_at.eq(now),
        ))
        .returning(labels::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "name", TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("label.created", "label", Some(label.id))
            .label(&label.name)
            .after(label.audit_view()),
    )?;
    Ok(label)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LabelId,
    input: &LabelInput,
) -> ModelResult<Label> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    let after: Label = diesel::update(labels::table.find(id))
        .set((
            labels::name.eq(&input.name),
            labels::name_norm.eq(input.name.to_lowercase()),
            labels::colour.eq(&input.colour),
            labels::updated_at.eq(super::now()),
        ))
        .returning(labels::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "name", TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("label.updated", "label", Some(id))
            .label(&after.name)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// Deletes a label and (by cascade) its assignments; returns how many customers had it.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: LabelId) -> ModelResult<i64> {
    let label = find(conn, id)?.ok_or(ModelError::NotFound)?;
    let assigned: i64 = customer_labels::table
        .filter(customer_labels::label_id.eq(id))
        .count()
        .get_result(conn)?;
    diesel::delete(customer_labels::table.filter(customer_labels::label_id.eq(id)))
        .execute(conn)?;
    diesel::delete(labels::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("label.deleted", "label", Some(id))
            .label(&label.name)
            .before(json!({ "name": label.name, "colour": label.colour, "customers": assigned })),
    )?;
    Ok(assigned)
}

/// The labels of one customer, by name.
pub fn for_customer(conn: &mut DbConnection, customer_id: CustomerId) -> QueryResult<Vec<Label>> {
    labels::table
        .inner_join(customer_labels::table)
        .filter(customer_labels::customer_id.eq(customer_id))
        .order(labels::name_norm.asc())
        .select(Label::as_select())
        .load(conn)
}

/// Puts a label on a customer (no-op if already there).
pub fn assign(
    conn: &mut DbConnection,
    actor: &Actor,
    customer_id: CustomerId,
    customer_label: &str,
    label_id: LabelId,
) -> ModelResult<bool> {
    let label = find(conn, label_id)?
        .ok_or_else(|| ModelError::invalid("label_id", "Choose a label from the list."))?;
    let exists: i64 = customer_labels::table
        .filter(customer_labels::customer_id.eq(customer_id))
        .filter(customer_labels::label_id.eq(label_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(customer_labels::table)
        .values((
            customer_labels::customer_id.eq(customer_id),
            customer_labels::label_id.eq(label_id),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("customer.label_added", "customer", Some(customer_id))
            .label(customer_label)
            .after(json!({ "label": label.name })),
    )?;
    Ok(true)
}

/// Takes a label off a customer.
pub fn unassign(
    conn: &mut DbConnection,
    actor: &Actor,
    customer_id: CustomerId,
    customer_label: &str,
    label_id: LabelId,
) -> ModelResult<()> {
    let label = find(conn, label_id)?.ok_or(ModelError::NotFound)?;
    let removed = diesel::delete(
        customer_labels::table
            .filter(customer_labels::customer_id.eq(customer_id))
            .filter(customer_labels::label_id.eq(label_id)),
    )
    .execute(conn)?;
    if removed == 0 {
        return Err(ModelError::NotFound);
    }
    audit::record(
        conn,
        actor,
        Entry::new("customer.label_removed", "customer", Some(customer_id))
            .label(customer_label)
            .before(json!({ "label": label.name })),
    )?;
    Ok(())
}
