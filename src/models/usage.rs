//! The license usage report's daily counts (`license_usage_days`, `product_usage_days`),
//! kept up to date in the transaction that records each event: [`count`] is called by
//! the one place events are written (`license_event::record_at`, `activation::record`)
//! and by the floating seats when they change hands ([`seats_held`]); checks reach the
//! product's days when they are flushed ([`add_checks`]). A report over any range reads
//! a row per product (or license) and day, never the events: ≤ 200 ms with millions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date};

use crate::db::schema::{license_usage_days, licenses, product_usage_days, products};
use crate::db::DbConnection;
use crate::domain::{EventKind, LicenseId, ProductId};

type Db = <DbConnection as diesel::Connection>::Backend;

/// What an event adds to its day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub activations: i64,
    pub deactivations: i64,
    pub checks: i64,
    pub consumption: i64,
    pub peak_seats: i64,
    pub refused_checkouts: i64,
    pub refused_borrows: i64,
}

impl Counts {
    /// What an event of `kind` (with its amount and refusal code) counts as.
    pub fn of_event(kind: EventKind, amount: i64, code: Option<&str>) -> Option<Counts> {
        let c = Counts::default();
        Some(match (kind, code) {
            (EventKind::Activated, _) => Counts {
                activations: 1,
                ..c
            },
            (EventKind::Deactivated, _) => Counts {
                deactivations: 1,
                ..c
            },
            (EventKind::Consumed, _) => Counts {
                consumption: amount,
                ..c
            },
            (EventKind::Refused, Some("no_seat_available")) => Counts {
                refused_checkouts: 1,
                ..c
            },
            (EventKind::Refused, Some("borrow_refused")) => Counts {
                refused_borrows: 1,
                ..c
            },
            _ => return None,
        })
    }
}

/// Adds to the day of `at` of the license and of its product (peaks take the larger).
pub fn count(
    conn: &mut DbConnection,
    license: LicenseId,
    at: NaiveDateTime,
    c: Counts,
) -> QueryResult<()> {
    let product: ProductId = licenses::table
        .find(license)
        .select(licenses::product_id)
        .first(conn)?;
    upsert(
        conn,
        "license_usage_days",
        "license_id",
        license.0,
        at.date(),
        &c,
    )?;
    upsert(
        conn,
        "product_usage_days",
        "product_id",
        product.0,
        at.date(),
        &c,
    )
}

/// Notes how many floating seats a license holds after a check-out, heartbeat or borrow
/// (written only when it raises the day's peak: a steady heartbeat reads one row).
pub fn seats_held(
    conn: &mut DbConnection,
    license: LicenseId,
    at: NaiveDateTime,
    held: i64,
) -> QueryResult<()> {
    let peak: Option<i64> = license_usage_days::table
        .find((license, at.date()))
        .select(license_usage_days::peak_seats)
        .first(conn)
        .optional()?;
    if peak.is_some_and(|p| p >= held) {
        return Ok(());
    }
    count(
        conn,
        license,
        at,
        Counts {
            peak_seats: held,
            ..Counts::default()
        },
    )
}

/// Adds flushed checks to their products' days.
pub fn add_checks(
    conn: &mut DbConnection,
    counts: &[(LicenseId, NaiveDate, i64)],
) -> QueryResult<()> {
    let ids: Vec<LicenseId> = counts.iter().map(|c| c.0).collect();
    let mut by_product: std::collections::BTreeMap<(i64, NaiveDate), i64> = Default::default();
    for chunk in ids.chunks(500) {
        let products: std::collections::HashMap<LicenseId, ProductId> = licenses::table
            .filter(licenses::id.eq_any(chunk))
            .select((licenses::id, licenses::product_id))
            .load::<(LicenseId, ProductId)>(conn)?
            .into_iter()
            .collect();
        for (license, day, n) in counts.iter().filter(|c| chunk.contains(&c.0)) {
            if let Some(p) = products.get(license) {
                *by_product.entry((p.0, *day)).or_default() += n;
            }
        }
    }
    for ((product, day), checks) in by_product {
        let c = Counts {
            checks,
            ..Counts::default()
        };
        upsert(conn, "product_usage_days", "product_id", product, day, &c)?;
    }
    Ok(())
}

/// `INSERT … ON CONFLICT DO UPDATE` adding `c` to a day's row (the same SQL on both
/// backends but for the placeholders).
fn upsert(
    conn: &mut DbConnection,
    table: &str,
    key: &str,
    id: i64,
    day: NaiveDate,
    c: &Counts,
) -> QueryResult<()> {
    let checks = table == "product_usage_days";
    let mut cols = vec![
        "activations",
        "deactivations",
        "consumption",
        "peak_seats",
        "refused_checkouts",
        "refused_borrows",
    ];
    let mut values = vec![
        c.activations,
        c.deactivations,
        c.consumption,
        c.peak_seats,
        c.refused_checkouts,
        c.refused_borrows,
    ];
    if checks {
        cols.push("checks");
        values.push(c.checks);
    }
    let pg = matches!(conn, DbConnection::Pg(_));
    let mark = |i: usize| if pg { format!("${i}") } else { "?".to_owned() };
    let placeholders: Vec<String> = (3..3 + cols.len()).map(mark).collect();
    let set: Vec<String> = cols
        .iter()
        .map(|col| {
            if *col == "peak_seats" {
                format!("{col} = CASE WHEN excluded.{col} > {table}.{col} THEN excluded.{col} ELSE {table}.{col} END")
            } else {
                format!("{col} = {table}.{col} + excluded.{col}")
            }
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({key}, day, {}) VALUES ({}, {}, {}) ON CONFLICT ({key}, day) DO UPDATE SET {}",
        cols.join(", "),
        mark(1),
        mark(2),
        placeholders.join(", "),
        set.join(", ")
    );
    let mut q = diesel::sql_query(sql).into_boxed::<Db>();
    q = q.bind::<BigInt, _>(id).bind::<Date, _>(day);
    for v in values {
        q = q.bind::<BigInt, _>(v);
    }
    q.execute(conn)?;
    Ok(())
}

/// One day of the report (or the sum of a range).
#[derive(QueryableByName, Debug, Clone, Default, PartialEq, Eq)]
pub struct Day {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub activations: i64,
    #[diesel(sql_type = BigInt)]
    pub deactivations: i64,
    #[diesel(sql_type = BigInt)]
    pub checks: i64,
    #[diesel(sql_type = BigInt)]
    pub consumption: i64,
    #[diesel(sql_type = BigInt)]
    pub peak_seats: i64,
    #[diesel(sql_type = BigInt)]
    pub refused_checkouts: i64,
    #[diesel(sql_type = BigInt)]
    pub refused_borrows: i64,
}

/// A product's totals over the range.
#[derive(Debug, Clone)]
pub struct ProductTotal {
    pub product_id: ProductId,
    pub name: String,
    pub code: String,
    pub total: Day,
}

/// A product's day as stored.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = product_usage_days)]
struct Row {
    product_id: ProductId,
    day: NaiveDate,
    activations: i64,
    deactivations: i64,
    checks: i64,
    consumption: i64,
    peak_seats: i64,
    refused_checkouts: i64,
    refused_borrows: i64,
}

impl Day {
    /// Adds another day's (or product's) counts: sums, and the larger peak.
    pub fn add(&mut self, o: &Day) {
        self.activations += o.activations;
        self.deactivations += o.deactivations;
        self.checks += o.checks;
        self.consumption += o.consumption;
        self.peak_seats = self.peak_seats.max(o.peak_seats);
        self.refused_checkouts += o.refused_checkouts;
        self.refused_borrows += o.refused_borrows;
    }
}

impl From<&Row> for Day {
    fn from(r: &Row) -> Day {
        Day {
            day: r.day,
            activations: r.activations,
            deactivations: r.deactivations,
            checks: r.checks,
            consumption: r.consumption,
            peak_seats: r.peak_seats,
            refused_checkouts: r.refused_checkouts,
            refused_borrows: r.refused_borrows,
        }
    }
}

fn rows(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    product: Option<ProductId>,
) -> QueryResult<Vec<Row>> {
    let mut q = product_usage_days::table
        .filter(product_usage_days::day.ge(from))
        .filter(product_usage_days::day.le(to))
        .into_boxed();
    if let Some(p) = product {
        q = q.filter(product_usage_days::product_id.eq(p));
    }
    q.select(Row::as_select())
        .order((
            product_usage_days::day.asc(),
            product_usage_days::product_id.asc(),
        ))
        .load(conn)
}

/// The range's days of every product together, or of one (days without usage are
/// left out).
pub fn overall(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    product: Option<ProductId>,
) -> QueryResult<Vec<Day>> {
    let mut days: Vec<Day> = Vec::new();
    for r in rows(conn, from, to, product)? {
        match days.last_mut() {
            Some(d) if d.day == r.day => d.add(&Day::from(&r)),
            _ => days.push(Day::from(&r)),
        }
    }
    Ok(days)
}

/// Each product's totals over the range (peak: the range's largest), by name.
pub fn per_product(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ProductTotal>> {
    let mut totals: std::collections::BTreeMap<ProductId, Day> = Default::default();
    for r in rows(conn, from, to, None)? {
        totals
            .entry(r.product_id)
            .or_insert_with(|| Day {
                day: from,
                ..Day::default()
            })
            .add(&Day::from(&r));
    }
    let ids: Vec<ProductId> = totals.keys().copied().collect();
    let names: Vec<(ProductId, String, String)> = products::table
        .filter(products::id.eq_any(&ids))
        .select((products::id, products::name, products::code))
        .order(products::name.asc())
        .load(conn)?;
    Ok(names
        .into_iter()
        .filter_map(|(id, name, code)| {
            totals.remove(&id).map(|total| ProductTotal {
                product_id: id,
                name,
                code,
                total,
            })
        })
        .collect())
}

/// The range's days of some licenses together (one license's page, or the licenses of
/// a manager's orders), checks included.
pub fn of_licenses(
    conn: &mut DbConnection,
    licenses_of: LicenseSet,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Day>> {
    let (filter, id) = match licenses_of {
        LicenseSet::License(l) => ("l.id", l.0),
        LicenseSet::Order(o) => ("l.order_id", o.0),
    };
    let pg = matches!(conn, DbConnection::Pg(_));
    let m = |i: usize| if pg { format!("${i}") } else { "?".to_owned() };
    let sql = format!(
        "SELECT day, CAST(SUM(activations) AS BIGINT) AS activations, \
         CAST(SUM(deactivations) AS BIGINT) AS deactivations, CAST(SUM(checks) AS BIGINT) AS checks, \
         CAST(SUM(consumption) AS BIGINT) AS consumption, CAST(MAX(peak_seats) AS BIGINT) AS peak_seats, \
         CAST(SUM(refused_checkouts) AS BIGINT) AS refused_checkouts, \
         CAST(SUM(refused_borrows) AS BIGINT) AS refused_borrows FROM ( \
           SELECT u.day, u.activations, u.deactivations, 0 AS checks, u.consumption, u.peak_seats, u.refused_checkouts, u.refused_borrows \
           FROM license_usage_days u JOIN licenses l ON l.id = u.license_id WHERE {filter} = {} AND u.day >= {} AND u.day <= {} \
           UNION ALL \
           SELECT c.day, 0, 0, c.checks, 0, 0, 0, 0 \
           FROM license_check_counts c JOIN licenses l ON l.id = c.license_id WHERE {filter} = {} AND c.day >= {} AND c.day <= {} \
         ) t GROUP BY day ORDER BY day",
        m(1), m(2), m(3), m(4), m(5), m(6)
    );
    let q = diesel::sql_query(sql)
        .into_boxed::<Db>()
        .bind::<BigInt, _>(id)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<BigInt, _>(id)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to);
    q.load(conn)
}

/// Whose licenses a report sums.
#[derive(Debug, Clone, Copy)]
pub enum LicenseSet {
    License(LicenseId),
    Order(crate::domain::OrderId),
}

/// Rebuilds every daily count from the recorded events and check counts (what the
/// migration did for earlier data; the bulk and demo seeds write events in bulk, then
/// call this). Peaks and refused borrows are not in the events' amounts: a rebuild
/// keeps them at what was counted (none for seeded data).
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    let day = match conn {
        DbConnection::Pg(_) => "CAST(at AS DATE)",
        DbConnection::Sqlite(_) => "date(at)",
    };
    for sql in [
        "DELETE FROM product_usage_days".to_owned(),
        "DELETE FROM license_usage_days".to_owned(),
        format!(
            "INSERT INTO license_usage_days (license_id, day, activations, deactivations, consumption, refused_checkouts, refused_borrows) \
             SELECT license_id, {day}, \
               SUM(CASE WHEN kind = 'activated' THEN 1 ELSE 0 END), \
               SUM(CASE WHEN kind = 'deactivated' THEN 1 ELSE 0 END), \
               SUM(CASE WHEN kind = 'consumed' THEN amount ELSE 0 END), \
               SUM(CASE WHEN kind = 'refused' AND code = 'no_seat_available' THEN 1 ELSE 0 END), \
               SUM(CASE WHEN kind = 'refused' AND code = 'borrow_refused' THEN 1 ELSE 0 END) \
             FROM license_events GROUP BY license_id, {day}"
        ),
        "INSERT INTO product_usage_days (product_id, day, activations, deactivations, consumption, refused_checkouts, refused_borrows) \
         SELECT l.product_id, u.day, SUM(u.activations), SUM(u.deactivations), SUM(u.consumption), SUM(u.refused_checkouts), SUM(u.refused_borrows) \
         FROM license_usage_days u JOIN licenses l ON l.id = u.license_id GROUP BY l.product_id, u.day".to_owned(),
        "INSERT INTO product_usage_days (product_id, day, checks) \
         SELECT l.product_id, c.day, SUM(c.checks) \
         FROM license_check_counts c JOIN licenses l ON l.id = c.license_id GROUP BY l.product_id, c.day \
         ON CONFLICT (product_id, day) DO UPDATE SET checks = excluded.checks".to_owned(),
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    Ok(())
}
