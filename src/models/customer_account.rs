//! Customer accounts: group the business units of one organisation under a short code.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::{unique_as_field, ModelError, ModelResult, Page};
use crate::db::schema::{customer_accounts, customers};
use crate::db::DbConnection;
use crate::domain::CustomerAccountId;
use crate::domain::{values, FieldErrors};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = customer_accounts)]
pub struct CustomerAccount {
    pub id: CustomerAccountId,
    pub name: String,
    pub name_norm: String,
    pub code: String,
    pub code_norm: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CustomerAccount {
    fn audit_view(&self) -> serde_json::Value {
        json!({ "name": self.name, "code": self.code, "description": self.description })
    }
}

pub struct AccountInput {
    pub name: String,
    pub code: String,
    pub description: String,
}

impl AccountInput {
    pub fn parse(name: &str, code: &str, description: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", values::text(name, values::SHORT, true));
        let code = errors.check("code", values::code(code));
        let description = errors.check(
            "description",
            values::text(description, values::LONG, false),
        );
        match (name, code, description) {
            (Some(name), Some(code), Some(description)) if errors.is_empty() => Ok(AccountInput {
                name,
                code,
                description,
            }),
            _ => Err(errors),
        }
    }
}

const TAKEN: &str = "Another customer account has this code.";

pub fn find(
    conn: &mut DbConnection,
    id: CustomerAccountId,
) -> QueryResult<Option<CustomerAccount>> {
    customer_accounts::table
        .find(id)
        .select(CustomerAccount::as_select())
        .first(conn)
        .optional()
}

/// Accounts, newest first, a numbered page at a time with a bounded count.
pub fn list(
    conn: &mut DbConnection,
    paging: super::Paging,
) -> QueryResult<Page<(CustomerAccount, i64)>> {
    use super::COUNT_LIMIT;
    let load = |conn: &mut DbConnection, p: super::Paging| {
        customer_accounts::table
            .select(CustomerAccount::as_select())
            .order(customer_accounts::id.desc())
            .limit(p.per_page)
            .offset(p.offset())
            .load::<CustomerAccount>(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let n = customer_accounts::table
            .select(customer_accounts::id)
            .limit(COUNT_LIMIT + 1)
            .load::<CustomerAccountId>(conn)?
            .len();
        Ok(n)
    };
    paging.read(conn, load, count)?.try_map(|found| {
        let mut rows = Vec::with_capacity(found.len());
        for a in found {
            // Counted up to the cap: a big account costs no more than a small one.
            let ids: Vec<i64> = customers::table
                .filter(customers::customer_account_id.eq(a.id))
                .filter(customers::status.ne("deleted"))
                .select(customers::id)
                .limit(super::label::COUNT_CAP + 1)
                .load(conn)?;
            rows.push((a, ids.len() as i64));
        }
        Ok(rows)
    })
}

/// Every account as (id, name) for a select box, by name.
pub fn options(conn: &mut DbConnection) -> QueryResult<Vec<(CustomerAccountId, String)>> {
    customer_accounts::table
        .order(customer_accounts::name_norm.asc())
        .limit(1000)
        .select((customer_accounts::id, customer_accounts::name))
        .load(conn)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &AccountInput,
) -> ModelResult<CustomerAccount> {
    let now = super::now();
    let account: CustomerAccount = diesel::insert_into(customer_accounts::table)
        .values((
            customer_accounts::name.eq(&input.name),
            customer_accounts::name_norm.eq(input.name.to_lowercase()),
            customer_accounts::code.eq(&input.code),
            customer_accounts::code_norm.eq(input.code.to_lowercase()),
            customer_accounts::description.eq(&input.description),
            customer_accounts::created_at.eq(now),
            customer_accounts::updated_at.eq(now),
        ))
        .returning(customer_accounts::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "code", TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "customer_account.created",
            "customer_account",
            Some(account.id),
        )
        .label(&account.name)
        .after(account.audit_view()),
    )?;
    Ok(account)
}

/// Saves an edit, unless the account changed since the form was opened.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CustomerAccountId,
    input: &AccountInput,
    seen_updated_at: Option<NaiveDateTime>,
) -> ModelResult<CustomerAccount> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if seen_updated_at != Some(before.updated_at) {
        return Err(ModelError::Conflict(
            "Someone else changed this account after you opened the form. Their version is shown below; make your change again."
                .to_owned(),
        ));
    }
    let after: CustomerAccount = diesel::update(customer_accounts::table.find(id))
        .set((
            customer_accounts::name.eq(&input.name),
            customer_accounts::name_norm.eq(input.name.to_lowercase()),
            customer_accounts::code.eq(&input.code),
            customer_accounts::code_norm.eq(input.code.to_lowercase()),
            customer_accounts::description.eq(&input.description),
            customer_accounts::updated_at.eq(super::now()),
        ))
        .returning(customer_accounts::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "code", TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("customer_account.updated", "customer_account", Some(id))
            .label(&after.name)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}
