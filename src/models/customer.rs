//! Customers: who licenses are issued to. Soft-deleted while they have orders.

use crate::domain::LabelId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::{unique_as_field, ModelError, ModelResult, Page, Paging, COUNT_LIMIT};
use crate::db::schema::{customer_accounts, customer_labels, customers, orders};
use crate::db::{search_words, DbConnection};
use crate::domain::CustomerAccountId;
use crate::domain::CustomerId;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: CustomerId,
    pub email: String,
    pub email_norm: String,
    pub first_name: String,
    pub last_name: String,
    pub first_name_norm: String,
    pub last_name_norm: String,
    pub company: String,
    pub company_norm: String,
    pub phone: String,
    pub reference: String,
    pub reference_norm: String,
    pub external_id: String,
    pub address_line1: String,
    pub address_line2: String,
    pub postcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub customer_account_id: Option<CustomerAccountId>,
    pub status: String,
    pub metadata: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub email_domain: String,
}

impl Customer {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// A short label: the name, or the email when there is none.
    pub fn display(&self) -> String {
        let name = self.full_name();
        if name.is_empty() {
            self.email.clone()
        } else {
            name
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.status == "deleted"
    }

    /// The status as its badge reads: "Active", "Disabled", "Deleted".
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "disabled" => "Disabled",
            "deleted" => "Deleted",
            _ => "Active",
        }
    }

    /// The fields the audit log shows.
    pub fn audit_view(&self) -> serde_json::Value {
        json!({
            "email": self.email, "first_name": self.first_name, "last_name": self.last_name,
            "company": self.company, "phone": self.phone, "reference": self.reference,
            "external_id": self.external_id, "address_line1": self.address_line1,
            "address_line2": self.address_line2, "postcode": self.postcode, "city": self.city,
            "state": self.state, "country": self.country,
            "customer_account_id": self.customer_account_id, "status": self.status,
            "metadata": self.metadata,
        })
    }
}

pub use crate::domain::customer::CustomerInput;

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = customers, treat_none_as_null = true)]
struct CustomerFields<'a> {
    email: &'a str,
    email_norm: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    first_name_norm: String,
    last_name_norm: String,
    company: &'a str,
    company_norm: String,
    phone: &'a str,
    reference: &'a str,
    reference_norm: String,
    external_id: &'a str,
    address_line1: &'a str,
    address_line2: &'a str,
    postcode: &'a str,
    city: &'a str,
    state: &'a str,
    country: &'a str,
    customer_account_id: Option<i64>,
    status: &'a str,
    metadata: &'a str,
    updated_at: NaiveDateTime,
    email_domain: &'a str,
}

impl CustomerInput {
    fn fields(&self, status: &'_ str) -> CustomerFields<'_> {
        let status: &str = match status {
            "disabled" => "disabled",
            "deleted" => "deleted",
            _ => "active",
        };
        CustomerFields {
            email: self.email.as_str(),
            email_norm: self.email.normalized(),
            first_name: &self.first_name,
            last_name: &self.last_name,
            first_name_norm: self.first_name.to_lowercase(),
            last_name_norm: self.last_name.to_lowercase(),
            company: &self.company,
            company_norm: self.company.to_lowercase(),
            phone: &self.phone,
            reference: &self.reference,
            reference_norm: self.reference.to_lowercase(),
            external_id: &self.external_id,
            address_line1: &self.address_line1,
            address_line2: &self.address_line2,
            postcode: &self.postcode,
            city: &self.city,
            state: &self.state,
            country: &self.country,
            customer_account_id: self.customer_account_id,
            status,
            metadata: &self.metadata,
            updated_at: super::now(),
            email_domain: crate::db::search_words::email_domain(self.email.normalized()),
        }
    }
}

const EMAIL_TAKEN: &str = "Another customer has this email address.";

fn check_account(conn: &mut DbConnection, id: Option<i64>) -> ModelResult<()> {
    if let Some(id) = id {
        let found: i64 = customer_accounts::table.find(id).count().get_result(conn)?;
        if found == 0 {
            return Err(ModelError::invalid(
                "customer_account_id",
                "Choose an account from the list.",
            ));
        }
    }
    Ok(())
}

/// The live (not deleted) customer with this normalised email.
pub fn find_live_by_email(
    conn: &mut DbConnection,
    email_norm: &str,
) -> QueryResult<Option<Customer>> {
    customers::table
        .filter(customers::email_norm.eq(email_norm))
        .filter(customers::status.ne("deleted"))
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: CustomerId) -> QueryResult<Option<Customer>> {
    customers::table
        .find(id)
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &CustomerInput,
) -> ModelResult<Customer> {
    check_account(conn, input.customer_account_id)?;
    let fields = input.fields(&input.status);
    let customer: Customer = diesel::insert_into(customers::table)
        .values((&fields, customers::created_at.eq(fields.updated_at)))
        .returning(customers::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "email", EMAIL_TAKEN))?;
    search_words::reindex(conn, &[customer.id.into()])?;
    audit::record(
        conn,
        actor,
        Entry::new("customer.created", "customer", Some(customer.id))
            .label(&customer.email)
            .after(customer.audit_view()),
    )?;
    Ok(customer)
}

/// Saves an edit, unless the customer changed since the form was opened.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CustomerId,
    input: &CustomerInput,
) -> ModelResult<Customer> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if input.seen_updated_at != Some(before.updated_at) {
        return Err(ModelError::Conflict(
            "Someone else changed this customer after you opened the form. The form now shows their version; make your change again."
                .to_owned(),
        ));
    }
    check_account(conn, input.customer_account_id)?;
    // A deleted customer stays deleted until restored.
    let status = if before.is_deleted() {
        "deleted"
    } else {
        input.status.as_str()
    };
    let fields = input.fields(status);
    let after: Customer = diesel::update(customers::table.find(id))
        .set(&fields)
        .returning(customers::all_columns)
        .get_result(conn)
        .map_err(|e| unique_as_field(e, "email", EMAIL_TAKEN))?;
    search_words::reindex(conn, &[id.into()])?;
    audit::record(
        conn,
        actor,
        Entry::new("customer.updated", "customer", Some(id))
            .label(&after.email)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// Disables or enables a (not deleted) customer.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CustomerId,
    enabled: bool,
) -> ModelResult<Customer> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if before.is_deleted() {
        return Err(ModelError::refused(
            "customer_deleted",
            "Restore this customer first.".to_owned(),
        ));
    }
    let status = if enabled { "active" } else { "disabled" };
    diesel::update(customers::table.find(id))
        .set((
            customers::status.eq(status),
            customers::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new(
            if enabled {
                "customer.enabled"
            } else {
                "customer.disabled"
            },
            "customer",
            Some(id),
        )
        .label(&before.email)
        .before(json!({ "status": before.status }))
        .after(json!({ "status": status })),
    )?;
    find(conn, id)?.ok_or(ModelError::NotFound)
}

pub fn order_count(conn: &mut DbConnection, id: CustomerId) -> QueryResult<i64> {
    orders::table
        .filter(orders::customer_id.eq(id))
        .count()
        .get_result(conn)
}

/// What deleting did.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    /// Hidden, restorable: the customer has orders.
    Soft,
    /// Removed for good: the customer had no orders.
    Hard,
}

/// Deletes a customer: soft when they have orders (kept for the orders' sake, hidden
/// from lists, restorable), hard otherwise.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: CustomerId) -> ModelResult<Deleted> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if before.is_deleted() {
        return Ok(Deleted::Soft);
    }
    let kind = if order_count(conn, id)? > 0 {
        let now = super::now();
        diesel::update(customers::table.find(id))
            .set((
                customers::status.eq("deleted"),
                customers::deleted_at.eq(Some(now)),
                customers::updated_at.eq(now),
            ))
            .execute(conn)?;
        Deleted::Soft
    } else {
        diesel::delete(customer_labels::table.filter(customer_labels::customer_id.eq(id)))
            .execute(conn)?;
        diesel::delete(customers::table.find(id)).execute(conn)?;
        Deleted::Hard
    };
    audit::record(
        conn,
        actor,
        Entry::new(
            if kind == Deleted::Soft {
                "customer.deleted"
            } else {
                "customer.removed"
            },
            "customer",
            Some(id),
        )
        .label(&before.email)
        .before(before.audit_view()),
    )?;
    Ok(kind)
}

/// Brings a soft-deleted customer back (as active), if their email is still free.
pub fn restore(conn: &mut DbConnection, actor: &Actor, id: CustomerId) -> ModelResult<Customer> {
    let before = find(conn, id)?.ok_or(ModelError::NotFound)?;
    if !before.is_deleted() {
        return Ok(before);
    }
    diesel::update(customers::table.find(id))
        .set((
            customers::status.eq("active"),
            customers::deleted_at.eq(None::<NaiveDateTime>),
            customers::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map_err(|e| match unique_as_field(e, "email", EMAIL_TAKEN) {
            ModelError::Invalid { .. } => ModelError::refused(
                "email_taken",
                "Another live customer now has this email address; change theirs first.".to_owned(),
            ),
            other => other,
        })?;
    audit::record(
        conn,
        actor,
        Entry::new("customer.restored", "customer", Some(id))
            .label(&before.email)
            .before(json!({ "status": "deleted" }))
            .after(json!({ "status": "active" })),
    )?;
    find(conn, id)?.ok_or(ModelError::NotFound)
}

/// Filters of the customers list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A prefix of the email, first or last name, company or reference (any case).
    pub q: String,
    pub label_id: Option<LabelId>,
    pub account_id: Option<CustomerAccountId>,
    /// "" (all but deleted), "active", "disabled" or "deleted".
    pub status: String,
}

impl Filter {
    pub fn has_label(&self, id: impl std::borrow::Borrow<LabelId>) -> bool {
        self.label_id == Some(*id.borrow())
    }

    pub fn has_account(&self, id: impl std::borrow::Borrow<CustomerAccountId>) -> bool {
        self.account_id == Some(*id.borrow())
    }
}

/// Applies a [`Filter`] to a boxed query over customers (shared by the list and the CSV
/// export, so both select exactly the same customers).
macro_rules! customer_filters {
    ($query:expr, $filter:expr) => {{
        use $crate::db::schema::{customer_labels, customers};
        let filter = $filter;
        let mut query = $query;
        query = match filter.status.as_str() {
            "active" | "disabled" | "deleted" => {
                query.filter(customers::status.eq(filter.status.clone()))
            }
            _ => query.filter(customers::status.ne("deleted")),
        };
        if let Some(search) = $crate::models::customer::search(&filter.q) {
            query = query.filter(
                customers::id
                    .nullable()
                    .eq_any($crate::models::customer::customer_matching_ids!(search)),
            );
        }
        if let Some(account) = filter.account_id {
            query = query.filter(customers::customer_account_id.eq(account));
        }
        if let Some(label) = filter.label_id {
            query = query.filter(
                customers::id.eq_any(
                    customer_labels::table
                        .filter(customer_labels::label_id.eq(label))
                        .select(customer_labels::customer_id),
                ),
            );
        }
        query
    }};
}
pub(crate) use customer_filters;

/// What a customer search looks for, as ranges on indexed columns (see [`search`]).
pub struct Search {
    /// The search as typed, lower-cased (other lists match it against their own columns).
    pub text: String,
    pub email: (String, String),
    pub domain: (String, String),
    pub reference: (String, String),
    /// Every word as the start of one of the customer's words, as SQL on `matched.id`.
    pub words_sql: String,
}

/// A customer search, as people type it: `@hooli.example` the email's domain (by
/// prefix); otherwise the start of the email, of the email's domain (`acme-robotics`,
/// `hooli.example`) or of the reference, or every word typed as the start of a word of
/// the name, company, reference or email (`robotics` finds "Acme Robotics Ltd"). Every
/// branch is a range on an index. `None` for an empty search. Used through
/// [`customer_matching_ids`].
pub fn search(input: &str) -> Option<Search> {
    // No words: an empty range on the words' index, not a constant such as `0 = 1`, which
    // SQLite cannot serve from an index and so would read every customer for the OR.
    const NO_WORDS: &str =
        "matched.id IN (SELECT customer_id FROM customer_words WHERE word >= '' AND word < '')";
    use crate::domain::values::prefix_end;
    let q = crate::domain::values::search_term(input, 200).to_lowercase();
    if q.is_empty() {
        return None;
    }
    let range = |v: &str| (v.to_owned(), prefix_end(v));
    let none = || (String::new(), String::new());
    if let Some(d) = q.strip_prefix('@') {
        return Some(Search {
            text: q.clone(),
            email: none(),
            domain: range(d.trim()),
            reference: none(),
            words_sql: NO_WORDS.to_owned(),
        });
    }
    // The words are letters and digits only (quotes doubled all the same), so they are
    // written into the SQL as literals: a varying number of bound values would not fit
    // one query type, and MultiConnection cannot run boxed subqueries.
    // An email or a domain (one token with `@`, or with a dot between letters) is looked
    // for as one: its parts as words would match everyone at `.com`.
    let domain_like = !q.contains(char::is_whitespace)
        && (q.contains('@') || q.contains('.') && !q.ends_with('.'));
    let words: Vec<String> = if domain_like {
        Vec::new()
    } else {
        search_words::words(&q)
            .take(search_words::MAX_SEARCH_WORDS)
            .map(|w| w.replace('\'', "''"))
            .collect()
    };
    let words_sql = if words.is_empty() {
        NO_WORDS.to_owned()
    } else {
        words
            .iter()
            .map(|w| {
                // One letter or digit matches that word only (as a prefix it would match
                // a ninth of everyone).
                let end = if w.chars().count() == 1 {
                    format!("{w}\u{1}")
                } else {
                    prefix_end(w)
                };
                format!(
                    "matched.id IN (SELECT customer_id FROM customer_words \
                     WHERE word >= '{w}' AND word < '{end}')"
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    Some(Search {
        text: q.clone(),
        email: range(&q),
        domain: range(&q),
        reference: range(&q),
        words_sql,
    })
}

/// The ids (nullable) of the customers a [`Search`] matches: a subquery over `customers`
/// aliased as `matched`, for `eq_any` in a query that may itself read customers.
macro_rules! customer_matching_ids {
    ($search:expr) => {{
        use $crate::db::schema::customers;
        let s: $crate::models::customer::Search = $search;
        let m = $crate::models::customer::matched;
        let (email, domain, reference) = (
            m.field(customers::email_norm),
            m.field(customers::email_domain),
            m.field(customers::reference_norm),
        );
        m.select(m.field(customers::id).nullable()).filter(
            email
                .ge(s.email.0)
                .and(email.lt(s.email.1))
                .or(domain.ge(s.domain.0).and(domain.lt(s.domain.1)))
                .or(reference.ge(s.reference.0).and(reference.lt(s.reference.1)))
                .or(diesel::dsl::sql::<diesel::sql_types::Bool>(&s.words_sql)),
        )
    }};
}
pub(crate) use customer_matching_ids;

diesel::alias! {
    pub const matched: Alias<MatchedCustomers> = customers as matched;
}

/// One row of the customers list.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub customer: Customer,
    pub account_name: Option<String>,
}

/// Customers newest first, filtered, a page at a time. Search is a prefix range on the
/// normalised columns (each indexed), never a scan.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    paging: Paging,
) -> QueryResult<Page<CustomerRow>> {
    let load =
        |conn: &mut DbConnection, paging: Paging| -> QueryResult<Vec<(Customer, Option<String>)>> {
            let mut query = customers::table
                .left_join(customer_accounts::table)
                .select((Customer::as_select(), customer_accounts::name.nullable()))
                .order((customers::created_at.desc(), customers::id.desc()))
                .limit(paging.per_page)
                .offset(paging.offset())
                .into_boxed();
            query = customer_filters!(query, filter);
            query.load(conn)
        };
    let count = |conn: &mut DbConnection| -> QueryResult<usize> {
        let mut ids = customers::table
            .select(customers::id)
            .limit(COUNT_LIMIT + 1)
            .into_boxed();
        ids = customer_filters!(ids, filter);
        Ok(ids.load::<CustomerId>(conn)?.len())
    };
    paging.read(conn, load, count)?.try_map(|rows| {
        Ok(rows
            .into_iter()
            .map(|(customer, account_name)| CustomerRow {
                customer,
                account_name,
            })
            .collect())
    })
}

/// Live customers of one account, newest first.
pub fn of_account(
    conn: &mut DbConnection,
    account_id: CustomerAccountId,
    limit: i64,
) -> QueryResult<Vec<Customer>> {
    customers::table
        .filter(customers::customer_account_id.eq(account_id))
        .filter(customers::status.ne("deleted"))
        .order((customers::created_at.desc(), customers::id.desc()))
        .limit(limit)
        .select(Customer::as_select())
        .load(conn)
}
