//! Orders: a customer's purchase, holding licenses and (later) license managers.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::Rng;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::customer::{self, CustomerInput};
use super::issue::{self, LineInput};
use super::{unique_as_field, ModelError, ModelResult, Page, Paging, COUNT_LIMIT};
use crate::db::schema::{customers, licenses, orders};
use crate::db::DbConnection;
use crate::domain::values::prefix_end;
use crate::domain::CustomerId;
use crate::domain::EmailAddress;
use crate::domain::OrderId;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: OrderId,
    pub reference: String,
    pub reference_norm: String,
    pub customer_id: Option<CustomerId>,
    pub is_test: bool,
    pub is_trial: bool,
    pub campaign_params: String,
    pub download_id: String,
    pub metadata: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Order {
    pub fn audit_view(&self) -> serde_json::Value {
        json!({
            "reference": self.reference, "customer_id": self.customer_id, "is_test": self.is_test,
            "is_trial": self.is_trial, "campaign_params": self.campaign_params,
            "download_id": self.download_id, "metadata": self.metadata,
        })
    }
}

pub fn find(conn: &mut DbConnection, id: OrderId) -> QueryResult<Option<Order>> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
        .optional()
}

/// The order with this reference (compared lower-cased).
pub fn find_by_reference(conn: &mut DbConnection, reference: &str) -> QueryResult<Option<Order>> {
    orders::table
        .filter(orders::reference_norm.eq(reference.trim().to_lowercase()))
        .select(Order::as_select())
        .first(conn)
        .optional()
}

fn load(conn: &mut DbConnection, id: OrderId) -> ModelResult<Order> {
    find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Filters of the orders list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A prefix of the order reference, or of the customer's email, first or last name.
    pub q: String,
    /// "", "yes" or "no".
    pub test: String,
    pub trial: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// With `q`: match these customers' orders instead of searching customers again.
    pub customers_in: Option<Vec<CustomerId>>,
}

/// One row of the orders list.
#[derive(Debug, Clone)]
pub struct OrderListRow {
    pub id: OrderId,
    pub reference: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub created_at: NaiveDateTime,
    pub customer_email: Option<String>,
    pub customer_name: String,
    pub licenses: i64,
}

/// Applies an order [`Filter`] to a boxed query over orders (the list and its count).
macro_rules! order_filters {
    ($query:expr, $filter:expr) => {{
        let filter = $filter;
        let mut query = $query;
        // The start of the reference, or a customer the customers list's search finds
        // (or one of the customers the caller found already).
        if let (Some(ids), Some(search)) =
            (&filter.customers_in, super::customer::search(&filter.q))
        {
            let q = search.text.clone();
            let end = prefix_end(&q);
            query = query.filter(
                orders::reference_norm
                    .ge(q)
                    .and(orders::reference_norm.lt(end))
                    .or(orders::customer_id
                        .eq_any(ids.iter().map(|id| Some(*id)).collect::<Vec<_>>())),
            );
        } else if let Some(search) = super::customer::search(&filter.q) {
            let q = search.text.clone();
            let end = prefix_end(&q);
            query =
                query.filter(
                    orders::reference_norm
                        .ge(q)
                        .and(orders::reference_norm.lt(end))
                        .or(orders::customer_id
                            .eq_any(super::customer::customer_matching_ids!(search))),
                );
        }
        match filter.test.as_str() {
            "yes" => query = query.filter(orders::is_test.eq(true)),
            "no" => query = query.filter(orders::is_test.eq(false)),
            _ => {}
        }
        match filter.trial.as_str() {
            "yes" => query = query.filter(orders::is_trial.eq(true)),
            "no" => query = query.filter(orders::is_trial.eq(false)),
            _ => {}
        }
        if let Some(from) = filter.from {
            query = query.filter(orders::created_at.ge(from.and_time(chrono::NaiveTime::MIN)));
        }
        if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
            query = query.filter(orders::created_at.lt(to.and_time(chrono::NaiveTime::MIN)));
        }
        query
    }};
}

/// The columns of an [`OrderListRow`] (orders left-joined with customers).
macro_rules! list_columns {
    () => {
        (
            orders::id,
            orders::reference,
            orders::is_test,
            orders::is_trial,
            orders::created_at,
            customers::email.nullable(),
            customers::first_name.nullable(),
            customers::last_name.nullable(),
        )
    };
}

type ListRow = (
    OrderId,
    String,
    bool,
    bool,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Orders newest first, filtered, a numbered page at a time with a bounded count.
/// Searches are prefix ranges on indexed normalised columns.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    paging: Paging,
) -> QueryResult<Page<OrderListRow>> {
    let load = |conn: &mut DbConnection, paging: Paging| -> QueryResult<Vec<ListRow>> {
        let mut query = orders::table
            .left_join(customers::table)
            .select(list_columns!())
            .order((orders::created_at.desc(), orders::id.desc()))
            .limit(paging.per_page)
            .offset(paging.offset())
            .into_boxed();
        query = order_filters!(query, filter);
        query.load(conn)
    };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let mut ids = orders::table
            .select(orders::id)
            .limit(COUNT_LIMIT + 1)
            .into_boxed();
        ids = order_filters!(ids, filter);
        Ok(ids.load::<OrderId>(conn)?.len())
    };
    paging
        .read(conn, load, count)?
        .try_map(|found| list_rows(conn, found))
}

/// List rows with their license counts (one grouped query for the page).
fn list_rows(conn: &mut DbConnection, found: Vec<ListRow>) -> QueryResult<Vec<OrderListRow>> {
    let ids: Vec<OrderId> = found.iter().map(|r| r.0).collect();
    let counts: Vec<(OrderId, i64)> = licenses::table
        .filter(licenses::order_id.eq_any(&ids))
        .group_by(licenses::order_id)
        .select((licenses::order_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(
            |(id, reference, is_test, is_trial, created_at, email, first, last)| OrderListRow {
                id,
                reference,
                is_test,
                is_trial,
                created_at,
                customer_email: email,
                customer_name: format!(
                    "{} {}",
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                )
                .trim()
                .to_owned(),
                licenses: counts.iter().find(|c| c.0 == id).map(|c| c.1).unwrap_or(0),
            },
        )
        .collect())
}

/// Up to `limit` orders matching `filter` with ids above `after`, oldest first (a CSV
/// export's page: keyset on the id, so no list ever sits in memory whole).
pub fn export_page(
    conn: &mut DbConnection,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<OrderListRow>> {
    let mut query = orders::table
        .left_join(customers::table)
        .select(list_columns!())
        .filter(orders::id.gt(after))
        .order(orders::id.asc())
        .limit(limit)
        .into_boxed();
    query = order_filters!(query, filter);
    let found: Vec<ListRow> = query.load(conn)?;
    list_rows(conn, found)
}

/// An order in a short list.
#[derive(Queryable, Debug, Clone)]
pub struct OrderBrief {
    pub id: OrderId,
    pub reference: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub created_at: NaiveDateTime,
}

/// A customer's orders, newest first.
pub fn for_customer(
    conn: &mut DbConnection,
    customer_id: CustomerId,
    limit: i64,
) -> QueryResult<Vec<OrderBrief>> {
    orders::table
        .filter(orders::customer_id.eq(customer_id))
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit)
        .select((
            orders::id,
            orders::reference,
            orders::is_test,
            orders::is_trial,
            orders::created_at,
        ))
        .load(conn)
}

/// The customer id a choice comes to, creating the customer when the email is new.
fn resolve_customer(
    conn: &mut DbConnection,
    actor: &Actor,
    choice: &CustomerChoice,
) -> ModelResult<Option<CustomerId>> {
    if let CustomerChoice::Existing(id) = choice {
        return Ok(Some(*id));
    }
    let CustomerChoice::Email {
        email,
        first,
        last,
        company,
    } = choice
    else {
        return Ok(None);
    };
    if let Some(existing) = customer::find_live_by_email(conn, email.normalized())? {
        return Ok(Some(existing.id));
    }
    let input = CustomerInput {
        email: email.clone(),
        first_name: first.clone(),
        last_name: last.clone(),
        company: company.clone(),
        phone: String::new(),
        reference: String::new(),
        external_id: String::new(),
        address_line1: String::new(),
        address_line2: String::new(),
        postcode: String::new(),
        city: String::new(),
        state: String::new(),
        country: String::new(),
        customer_account_id: None,
        metadata: "{}".to_owned(),
        status: "active".to_owned(),
        seen_updated_at: None,
    };
    let created = customer::create(conn, actor, &input).map_err(|e| match e {
        ModelError::Invalid { message, .. } => ModelError::invalid("customer_email", message),
        other => other,
    })?;
    Ok(Some(created.id))
}

/// A reference for an order created without one: `ORD-YYYYMMDD-XXXXX`.
fn generate_reference(conn: &mut DbConnection) -> QueryResult<String> {
    loop {
        let suffix: String = (0..5)
            .map(|_| crate::domain::license_key::ALPHABET[rand::rng().random_range(0..32)] as char)
            .collect();
        let reference = format!("ORD-{}-{suffix}", chrono::Utc::now().format("%Y%m%d"));
        let taken: bool = diesel::select(diesel::dsl::exists(
            orders::table.filter(orders::reference_norm.eq(reference.to_lowercase())),
        ))
        .get_result(conn)?;
        if !taken {
            return Ok(reference);
        }
    }
}

const REFERENCE_TAKEN: &str = "Another order has this reference.";

/// Creates an order with its customer (found or made) and licenses.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &NewOrder,
) -> ModelResult<(Order, usize)> {
    let customer_id = resolve_customer(conn, actor, &input.customer)?;
    let reference = if input.reference.is_empty() {
        generate_reference(conn)?
    } else {
        input.reference.clone()
    };
    let now = super::now();
    let order: Order = diesel::insert_into(orders::table)
        .values((
            orders::reference.eq(&reference),
            orders::reference_norm.eq(reference.to_lowercase()),
            orders::customer_id.eq(customer_id),
            orders::is_test.eq(input.is_test),
            orders::is_trial.eq(input.is_trial),
            orders::campaign_params.eq(&input.campaign_params),
            orders::download_id.eq(&input.download_id),
            orders::metadata.eq(&input.metadata),
            orders::created_by.eq(&actor.label),
            orders::created_at.eq(now),
            orders::updated_at.eq(now),
        ))
        .returning(orders::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "reference", REFERENCE_TAKEN))?;
    let issued = issue::issue(conn, order.id, &input.lines, input.is_trial, now.date())?;
    let mut after = order.audit_view();
    after["licenses"] = json!(issued.len());
    audit::record(
        conn,
        actor,
        Entry::new("order.created", "order", Some(order.id))
            .label(&order.reference)
            .after(after),
    )?;
    Ok((order, issued.len()))
}

/// Issues more licenses into an existing order.
pub fn issue_more(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrderId,
    lines: &[LineInput],
) -> ModelResult<usize> {
    let order = load(conn, id)?;
    let issued = issue::issue(conn, id, lines, order.is_trial, super::now().date())?;
    diesel::update(orders::table.find(id))
        .set(orders::updated_at.eq(super::now()))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("order.licenses_issued", "order", Some(id))
            .label(&order.reference)
            .after(json!({ "licenses": issued.len() })),
    )?;
    Ok(issued.len())
}

/// A validated edit of an order's own fields.
#[derive(Debug, Clone)]
pub struct OrderEdit {
    pub reference: String,
    pub campaign_params: String,
    pub download_id: String,
    pub is_test: bool,
    pub is_trial: bool,
    /// The `updated_at` the form was opened with (`None`: missing, treated as stale).
    pub seen_updated_at: Option<chrono::NaiveDateTime>,
}

/// Saves an edit of an order's own fields, unless it changed since the form was opened.
pub fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrderId,
    input: &OrderEdit,
) -> ModelResult<Order> {
    let before = load(conn, id)?;
    if input.seen_updated_at != Some(before.updated_at) {
        return Err(ModelError::Conflict(
            "Someone else changed this order after you opened the form. The form now shows their version; make your change again."
                .to_owned(),
        ));
    }
    let after: Order = diesel::update(orders::table.find(id))
        .set((
            orders::reference.eq(&input.reference),
            orders::reference_norm.eq(input.reference.to_lowercase()),
            orders::campaign_params.eq(&input.campaign_params),
            orders::download_id.eq(&input.download_id),
            orders::is_test.eq(input.is_test),
            orders::is_trial.eq(input.is_trial),
            orders::updated_at.eq(super::now()),
        ))
        .returning(orders::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "reference", REFERENCE_TAKEN))?;
    audit::record(
        conn,
        actor,
        Entry::new("order.updated", "order", Some(id))
            .label(&after.reference)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// Sets (or, with no email, removes) the order's customer.
pub fn set_customer(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrderId,
    choice: &CustomerChoice,
) -> ModelResult<Order> {
    let before = load(conn, id)?;
    let customer_id = resolve_customer(conn, actor, choice)?;
    let after: Order = diesel::update(orders::table.find(id))
        .set((
            orders::customer_id.eq(customer_id),
            orders::updated_at.eq(super::now()),
        ))
        .returning(orders::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("order.customer_changed", "order", Some(id))
            .label(&after.reference)
            .before(json!({ "customer_id": before.customer_id }))
            .after(json!({ "customer_id": after.customer_id })),
    )?;
    Ok(after)
}

/// How many licenses an order holds (an index range on `licenses.order_id`).
pub fn license_count(conn: &mut DbConnection, id: OrderId) -> QueryResult<i64> {
    licenses::table
        .filter(licenses::order_id.eq(id))
        .count()
        .get_result(conn)
}

/// Deletes an order with its licenses and their devices and events, once the typed
/// reference matches.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrderId,
    typed_reference: &str,
) -> ModelResult<i64> {
    let before = load(conn, id)?;
    if typed_reference.trim() != before.reference {
        return Err(ModelError::invalid(
            "confirm_reference",
            format!("Type {} exactly to confirm.", before.reference),
        ));
    }
    let licenses = license_count(conn, id)?;
    diesel::delete(orders::table.find(id)).execute(conn)?;
    let mut view = before.audit_view();
    view["licenses"] = json!(licenses);
    audit::record(
        conn,
        actor,
        Entry::new("order.deleted", "order", Some(id))
            .label(&before.reference)
            .before(view),
    )?;
    Ok(licenses)
}

/// Who a new order is for: nobody, or the customer with this email (created with the
/// names given when new).
#[derive(Debug, Clone)]
pub enum CustomerChoice {
    None,
    /// An existing customer (an order created in the license portal takes the customer
    /// of the order it was created from).
    Existing(crate::domain::CustomerId),
    Email {
        email: EmailAddress,
        first: String,
        last: String,
        company: String,
    },
}

/// A validated new order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub reference: String,
    pub customer: CustomerChoice,
    pub is_test: bool,
    pub is_trial: bool,
    pub campaign_params: String,
    pub download_id: String,
    pub metadata: String,
    pub lines: Vec<LineInput>,
}
