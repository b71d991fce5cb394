//! "Export order data": one row per license with the order's and customer's columns.

use diesel::prelude::*;

use super::stream::{page_writer, take, write_cells, Sink};
use crate::db::schema::{licenses, products};
use crate::db::DbConnection;
use crate::models::customer::Customer;
use crate::models::license::{License, Status};
use crate::models::order::Order;

const HEADER: [&str; 24] = [
    "order_reference",
    "order_created_at",
    "is_test",
    "is_trial",
    "campaign_params",
    "download_id",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "customer_company",
    "customer_reference",
    "license_key",
    "product_code",
    "product_name",
    "license_type",
    "status",
    "enabled",
    "max_activations",
    "active_devices",
    "start_date",
    "valid_until",
    "maintenance_until",
    "trial_license",
    "note",
];

fn when(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Streams the CSV of an order, its customer and its licenses (read in pages of 1,000)
/// into `sink`: the same machinery as the list exports.
pub fn export(
    conn: &mut DbConnection,
    sink: &mut Sink,
    order: &Order,
    customer: Option<&Customer>,
) -> Result<(), String> {
    let mut out = page_writer();
    write_cells(&mut out, HEADER)?;
    let order_cells = [
        order.reference.clone(),
        when(Some(order.created_at)),
        order.is_test.to_string(),
        order.is_trial.to_string(),
        order.campaign_params.clone(),
        order.download_id.clone(),
    ];
    let customer_cells = match customer {
        Some(c) => [
            c.email.clone(),
            c.first_name.clone(),
            c.last_name.clone(),
            c.company.clone(),
            c.reference.clone(),
        ],
        None => Default::default(),
    };
    let row = |out: &mut csv::Writer<Vec<u8>>, license: &[String; 13]| {
        write_cells(
            out,
            order_cells
                .iter()
                .chain(&customer_cells)
                .chain(license.iter()),
        )
    };
    let mut after = 0i64;
    loop {
        let page: Vec<(License, String, String)> = licenses::table
            .inner_join(products::table)
            .filter(licenses::order_id.eq(order.id))
            .filter(licenses::id.gt(after))
            .order(licenses::id.asc())
            .limit(1000)
            .select((License::as_select(), products::code, products::name))
            .load(conn)
            .map_err(|e| e.to_string())?;
        if after == 0 && page.is_empty() {
            // An order without licenses is still one row.
            row(&mut out, &Default::default())?;
        }
        let now = crate::models::now();
        for (l, code, name) in &page {
            let status = Status::derive(l.enabled, l.valid_until, l.active_devices, now);
            row(
                &mut out,
                &[
                    l.license_key.clone(),
                    code.clone(),
                    name.clone(),
                    l.license_type.clone(),
                    status.as_str().to_owned(),
                    l.enabled.to_string(),
                    l.max_activations.to_string(),
                    l.active_devices.to_string(),
                    l.start_date.map(|d| d.to_string()).unwrap_or_default(),
                    when(l.valid_until),
                    when(l.maintenance_until),
                    l.is_trial.to_string(),
                    l.note.clone(),
                ],
            )?;
        }
        sink.rows += page.len() as u64;
        let done = std::mem::replace(&mut out, page_writer());
        if !sink.send(take(done)?) {
            return Ok(());
        }
        match page.last() {
            Some((l, _, _)) if page.len() == 1000 => after = l.id.into(),
            _ => return Ok(()),
        }
    }
}
