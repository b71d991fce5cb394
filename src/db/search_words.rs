//! The words a customer is found by: every word of the name, company, reference and email
//! (local part and domain), lower-cased, one row per word in `customer_words`, searched
//! by prefix as a range on its primary key on both backends. The email's domain is kept
//! in `customers.email_domain` (indexed) for searches by company domain.
//!
//! Written in the transaction that writes the customer: the model's create and update
//! call [`reindex`]; bulk writes in SQL (imports, the benchmark seed) call
//! [`reindex_updated_at`] or [`reindex_all`]. A database migrated from before the words
//! existed is filled in once, at the first start ([`backfill`]).

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{customer_words, customers, settings};
use super::DbConnection;

/// The longest word kept (longer words are cut: a prefix search still finds them).
pub const MAX_WORD: usize = 48;
/// The most words kept per customer.
const MAX_WORDS: usize = 48;
/// The most words of a search that must all match.
pub const MAX_SEARCH_WORDS: usize = 5;
/// Bumped when [`words`] changes, so existing rows are rebuilt at the next start.
const VERSION: &str = "1";
const VERSION_KEY: &str = "customer_words_version";

/// The words of a text: runs of letters and digits, lower-cased, each cut at
/// [`MAX_WORD`] characters. `"Acme-Robotics Ltd."` → `acme`, `robotics`, `ltd`.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD).collect())
}

/// The domain of a normalised email (after its `@`; empty without one).
pub fn email_domain(email_norm: &str) -> &str {
    email_norm.split_once('@').map(|(_, d)| d).unwrap_or("")
}

type WordsRow = (i64, String, String, String, String, String);

fn words_of(row: &WordsRow) -> BTreeSet<String> {
    let (_, email, first, last, company, reference) = row;
    [email.as_str(), first, last, company, reference]
        .into_iter()
        .flat_map(words)
        .take(MAX_WORDS * 4)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(MAX_WORDS)
        .collect()
}

/// Rewrites the words and email domain of these customers (ids that are gone are skipped).
pub fn reindex(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    for chunk in ids.chunks(500) {
        let rows: Vec<WordsRow> = customers::table
            .filter(customers::id.eq_any(chunk))
            .select((
                customers::id,
                customers::email_norm,
                customers::first_name_norm,
                customers::last_name_norm,
                customers::company_norm,
                customers::reference_norm,
            ))
            .load(conn)?;
        diesel::delete(customer_words::table.filter(customer_words::customer_id.eq_any(chunk)))
            .execute(conn)?;
        // Words are letters and digits only; the quote is doubled all the same.
        let values: Vec<String> = rows
            .iter()
            .flat_map(|row| {
                words_of(row)
                    .into_iter()
                    .map(move |w| format!("('{}', {})", w.replace('\'', "''"), row.0))
            })
            .collect();
        for part in values.chunks(500) {
            diesel::sql_query(format!(
                "INSERT INTO customer_words (word, customer_id) VALUES {}",
                part.join(", ")
            ))
            .execute(conn)?;
        }
        let position = match conn {
            DbConnection::Sqlite(_) => "instr",
            DbConnection::Pg(_) => "strpos",
        };
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        diesel::sql_query(format!(
            "UPDATE customers SET email_domain = substr(email_norm, {position}(email_norm, '@') + 1) \
             WHERE id IN ({})",
            list.join(", ")
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// Reindexes the customers last written at `at` (a bulk write's own timestamp).
pub fn reindex_updated_at(conn: &mut DbConnection, at: NaiveDateTime) -> QueryResult<()> {
    let ids: Vec<i64> = customers::table
        .filter(customers::updated_at.eq(at))
        .select(customers::id)
        .load(conn)?;
    reindex(conn, &ids)
}

/// Reindexes every customer, a thousand at a time.
pub fn reindex_all(conn: &mut DbConnection) -> QueryResult<u64> {
    let mut after = i64::MIN;
    let mut done = 0;
    loop {
        let ids: Vec<i64> = customers::table
            .filter(customers::id.gt(after))
            .order(customers::id.asc())
            .limit(1000)
            .select(customers::id)
            .load(conn)?;
        let Some(&last) = ids.last() else {
            return Ok(done);
        };
        reindex(conn, &ids)?;
        done += ids.len() as u64;
        after = last;
    }
}

/// Fills in the words of a database migrated from before they existed (or made by an
/// older [`words`]): once, recorded in `settings`.
pub(crate) fn backfill(conn: &mut DbConnection) -> QueryResult<()> {
    let done: Option<String> = settings::table
        .filter(settings::key.eq(VERSION_KEY))
        .select(settings::value)
        .first(conn)
        .optional()?;
    if done.as_deref() == Some(VERSION) {
        return Ok(());
    }
    conn.transaction(|conn| {
        let n = reindex_all(conn)?;
        diesel::delete(settings::table.filter(settings::key.eq(VERSION_KEY))).execute(conn)?;
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(VERSION_KEY),
                settings::value.eq(VERSION),
                settings::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
        if n > 0 {
            tracing::info!(customers = n, "search words filled in");
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_anything_but_letters_and_digits() {
        let w: Vec<String> =
            words("Acme-Robotics Ltd. (Zürich) priya@acme-robotics.example").collect();
        assert_eq!(
            w,
            ["acme", "robotics", "ltd", "zürich", "priya", "acme", "robotics", "example"]
        );
        assert_eq!(email_domain("priya@hooli.example"), "hooli.example");
        assert_eq!(email_domain("nobody"), "");
        let long = "x".repeat(500);
        assert_eq!(words(&long).next().map(|w| w.len()), Some(MAX_WORD));
    }
}
