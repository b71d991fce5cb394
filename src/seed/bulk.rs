//! `keyfold seed --licenses N`: bulk synthetic data for benchmarks, in fixed proportions
//! per 1,000 licenses — 100 customers, 250 orders, 600 devices, 2,000 license events —
//! plus a few products, customer accounts and labels, and a staff admin.
//!
//! Rows are written as multi-row `INSERT`s of generated values (no user input reaches
//! this SQL), with explicit ids continuing after the current largest, in transactions of
//! a few tens of thousands of rows.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{write_tx, DbConnection};
use crate::domain::license_key;

/// What was written, for the summary line.
#[derive(Debug, Default)]
pub struct Counts {
    pub customers: u64,
    pub orders: u64,
    pub licenses: u64,
    pub devices: u64,
    pub events: u64,
}

const ROWS_PER_STATEMENT: usize = 1000;
const STATEMENTS_PER_TRANSACTION: usize = 50;

/// Collects rows of one table into multi-row INSERT statements.
struct Batch {
    table: &'static str,
    columns: &'static str,
    pg: bool,
    rows: Vec<String>,
    statements: Vec<String>,
}

impl Batch {
    fn new(table: &'static str, columns: &'static str, pg: bool) -> Self {
        Batch {
            table,
            columns,
            pg,
            rows: Vec::with_capacity(ROWS_PER_STATEMENT),
            statements: Vec::new(),
        }
    }

    fn push(&mut self, row: String) {
        self.rows.push(row);
        if self.rows.len() >= ROWS_PER_STATEMENT {
            self.seal();
        }
    }

    fn is_full(&self) -> bool {
        self.statements.len() >= STATEMENTS_PER_TRANSACTION
    }

    fn seal(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let overriding = if self.pg {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let mut sql = format!(
            "INSERT INTO {} ({}){overriding} VALUES ",
            self.table, self.columns
        );
        sql.push_str(&self.rows.join(","));
        self.rows.clear();
        self.statements.push(sql);
    }

    fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        self.seal();
        let statements = std::mem::take(&mut self.statements);
        if statements.is_empty() {
            return Ok(());
        }
        write_tx(conn, |conn| {
            for s in &statements {
                conn.batch_execute(s)?;
            }
            Ok(())
        })
    }
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn next_id(conn: &mut DbConnection, table: &str) -> QueryResult<i64> {
    let m: MaxId = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}"))
        .get_result(conn)?;
    Ok(m.n + 1)
}

fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

fn b(pg: bool, v: bool) -> &'static str {
    match (pg, v) {
        (true, true) => "TRUE",
        (true, false) => "FALSE",
        (false, true) => "1",
        (false, false) => "0",
    }
}

const FIRST: [&str; 16] = [
    "ada",
    "grace",
    "linus",
    "margaret",
    "alan",
    "katherine",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "john",
    "donald",
    "leslie",
    "tim",
];
const LAST: [&str; 16] = [
    "lovelace", "hopper", "nyberg", "hamilton", "turing", "johnson", "ritchie", "liskov",
    "thompson", "allen", "dijkstra", "perlman", "backus", "knuth", "lamport", "berners",
];
const PRODUCTS: [(&str, &str, &str, i64, Option<i64>); 4] = [
    ("BULK-STUDIO", "Bulk Studio", "perpetual", 3, None),
    (
        "BULK-RENDER",
        "Bulk Render Node",
        "subscription",
        1,
        Some(365),
    ),
    ("BULK-API", "Bulk Analytics API", "consumption", 2, None),
    (
        "BULK-FIELD",
        "Bulk Field Inspector",
        "time_limited",
        1,
        Some(30),
    ),
];

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Seeds `licenses` licenses with their proportional customers, orders, devices and events.
pub fn seed(conn: &mut DbConnection, licenses: u64) -> QueryResult<Counts> {
    let pg = matches!(conn, DbConnection::Pg(_));
    if let DbConnection::Sqlite(_) = conn {
        conn.batch_execute(
            "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
        )?;
    }
    let now = crate::models::now();
    let span = Duration::days(365);
    let customers = (licenses / 10).max(1);
    let orders = (licenses / 4).max(1);
    let mut counts = Counts::default();

    // Products (reused when seeding again).
    let mut product_ids = Vec::new();
    for (code, name, license_type, max, validity) in PRODUCTS {
        let existing: Option<i64> = crate::db::schema::products::table
            .filter(crate::db::schema::products::code_norm.eq(code.to_lowercase()))
            .select(crate::db::schema::products::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = next_id(conn, "products")?;
                let mut p = Batch::new("products", "id, name, name_norm, code, code_norm, license_type, max_activations, validity_days, created_at, updated_at", pg);
                let validity = validity
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "NULL".to_owned());
                p.push(format!("({id}, '{name}', '{}', '{code}', '{}', '{license_type}', {max}, {validity}, {}, {})", name.to_lowercase(), code.to_lowercase(), ts(now - span), ts(now - span)));
                p.flush(conn)?;
                id
            }
        };
        product_ids.push((id, license_type, max, validity));
    }

    // Customers.
    let first_customer = next_id(conn, "customers")?;
    let mut batch = Batch::new(
        "customers",
        "id, email, email_norm, email_domain, first_name, last_name, first_name_norm, last_name_norm, company, company_norm, reference, reference_norm, country, status, metadata, created_at, updated_at",
        pg,
    );
    for i in 0..customers {
        let id = first_customer + i as i64;
        let (f, l) = (FIRST[(id % 16) as usize], LAST[((id / 16) % 16) as usize]);
        // Companies, and their email domains, spread over 997 names of the same width (no
        // name is the start of another, as with real names).
        let company = format!("company {:04}", id % 997);
        let domain = format!("company{:04}.example", id % 997);
        let at = now - span + Duration::seconds((span.num_seconds() * i as i64) / customers as i64);
        let row = format!(
            "({id}, 'customer{id}@{domain}', 'customer{id}@{domain}', '{domain}', '{}', '{}', '{f}', '{l}', '{}', '{company}', 'CRM-{id}', 'crm-{id}', 'GB', 'active', '{{}}', {}, {})",
            capitalise(f), capitalise(l), capitalise(&company), ts(at), ts(at)
        );
        batch.push(row);
        if batch.is_full() {
            batch.flush(conn)?;
        }
    }
    batch.flush(conn)?;
    let ids: Vec<i64> = (first_customer..first_customer + customers as i64).collect();
    crate::db::search_words::reindex(conn, &ids)?;
    counts.customers = customers;

    // Orders.
    let first_order = next_id(conn, "orders")?;
    let mut batch = Batch::new("orders", "id, reference, reference_norm, customer_id, is_test, is_trial, metadata, created_by, created_at, updated_at", pg);
    for i in 0..orders {
        let id = first_order + i as i64;
        let customer = first_customer + ((i * 7919) % customers) as i64;
        let at = now - span + Duration::seconds((span.num_seconds() * i as i64) / orders as i64);
        let row = format!(
            "({id}, 'BLK-{id:08}', 'blk-{id:08}', {customer}, {}, {}, '{{}}', 'seed', {}, {})",
            b(pg, i % 50 == 7),
            b(pg, i % 20 == 3),
            ts(at),
            ts(at)
        );
        batch.push(row);
        if batch.is_full() {
            batch.flush(conn)?;
        }
    }
    batch.flush(conn)?;
    counts.orders = orders;

    // Licenses, their devices and events.
    let first_license = next_id(conn, "licenses")?;
    let first_device = next_id(conn, "devices")?;
    let first_event = next_id(conn, "license_events")?;
    let mut lic = Batch::new(
        "licenses",
        "id, license_key, key_norm, product_id, order_id, license_type, enabled, max_activations, active_devices, start_date, valid_until, validity_days, is_trial, metadata, first_activated_at, created_at, updated_at",
        pg,
    );
    let mut dev = Batch::new("devices", "id, license_id, hardware_id, hostname, os, app_version, ip, first_activated_at, last_check_at, deactivated_at", pg);
    let mut ev = Batch::new(
        "license_events",
        "id, license_id, device_id, kind, amount, at, source",
        pg,
    );
    let (mut device_id, mut event_id) = (first_device, first_event);
    let mut row = String::with_capacity(256);
    for i in 0..licenses {
        let id = first_license + i as i64;
        let order = first_order + (i / 4).min(orders - 1) as i64;
        let (product, license_type, max, validity) =
            product_ids[(i % product_ids.len() as u64) as usize];
        let created =
            now - span + Duration::seconds((span.num_seconds() * i as i64) / licenses as i64);
        let key = license_key::generate();
        let has_device = i % 5 < 3;
        let active = has_device && i % 10 != 0;
        let activated = created + Duration::hours(1);
        let valid_until = match validity {
            Some(days) if has_device => ts(activated + Duration::days(days)),
            _ => "NULL".to_owned(),
        };
        row.clear();
        let _ = write!(
            row,
            "({id}, '{key}', '{}', {product}, {order}, '{license_type}', {}, {max}, {}, '{}', {valid_until}, {}, {}, '{{}}', {}, {}, {})",
            license_key::normalize(&key),
            b(pg, i % 33 != 5),
            if active { 1 } else { 0 },
            created.date(),
            validity.map(|v| v.to_string()).unwrap_or_else(|| "NULL".to_owned()),
            b(pg, false),
            if has_device { ts(activated) } else { "NULL".to_owned() },
            ts(created),
            ts(created),
        );
        lic.push(row.clone());
        if has_device {
            let deactivated = if active {
                "NULL".to_owned()
            } else {
                ts(activated + Duration::days(2))
            };
            let check = activated + Duration::hours(6);
            dev.push(format!(
                    "({device_id}, {id}, 'hw-{device_id:012x}', 'host-{}', 'Windows 11', '3.{}.0', '203.0.113.{}', {}, {}, {deactivated})",
                    device_id % 5000, device_id % 7, device_id % 250 + 2, ts(activated), ts(check)
            ));
            for (kind, at) in [("activated", activated), ("checked", check)] {
                ev.push(format!(
                    "({event_id}, {id}, {device_id}, '{kind}', 0, {}, 'license_api')",
                    ts(at)
                ));
                event_id += 1;
            }
            device_id += 1;
        } else {
            // Two checks of a license that was never activated (refused, but counted).
            for hours in [2, 3] {
                ev.push(format!(
                    "({event_id}, {id}, NULL, 'checked', 0, {}, 'license_api')",
                    ts(created + Duration::hours(hours))
                ));
                event_id += 1;
            }
        }
        // Licenses before the devices and events that refer to them.
        if lic.is_full() {
            lic.flush(conn)?;
            dev.flush(conn)?;
            ev.flush(conn)?;
        }
    }
    // Licenses first: devices and events refer to them.
    lic.flush(conn)?;
    dev.flush(conn)?;
    ev.flush(conn)?;
    counts.licenses = licenses;
    counts.devices = (device_id - first_device) as u64;
    counts.events = (event_id - first_event) as u64;
    // The usage report's daily counts, from the events just written.
    crate::models::usage::rebuild(conn)?;

    if pg {
        for t in [
            "products",
            "customers",
            "orders",
            "licenses",
            "devices",
            "license_events",
        ] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
            ))?;
        }
        conn.batch_execute("ANALYZE")?;
    } else {
        conn.batch_execute("ANALYZE; PRAGMA synchronous = NORMAL;")?;
    }
    Ok(counts)
}
