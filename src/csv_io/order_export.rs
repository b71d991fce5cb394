//! "Export order data": one row per license with the order's and customer's columns.

use diesel::prelude::*;

use super::neutralise;
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

/// The CSV of an order, its customer and its licenses (read in pages of 1,000).
pub fn order_csv(
    conn: &mut DbConnection,
    order: &Order,
    customer: Option<&Customer>,
) -> Result<Vec<u8>, String> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: &dyn std::fmt::Display| e.to_string();
    out.write_record(HEADER).map_err(|e| err(&e))?;
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
    let mut after = 0i64;
    let mut wrote_any = false;
    loop {
        let page: Vec<(License, String, String)> = licenses::table
            .inner_join(products::table)
            .filter(licenses::order_id.eq(order.id))
            .filter(licenses::id.gt(after))
            .order(licenses::id.asc())
            .limit(1000)
            .select((License::as_select(), products::code, products::name))
            .load(conn)
            .map_err(|e| err(&e))?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        let now = crate::models::now();
        for (l, code, name) in &page {
            let status = Status::derive(l.enabled, l.valid_until, l.active_devices, now);
            let license_cells = [
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
            ];
            write_row(&mut out, &order_cells, &customer_cells, &license_cells)
                .map_err(|e| err(&e))?;
            wrote_any = true;
        }
    }
    if !wrote_any {
        write_row(&mut out, &order_cells, &customer_cells, &Default::default())
            .map_err(|e| err(&e))?;
    }
    out.into_inner().map_err(|e| err(&e))
}

fn write_row(
    out: &mut csv::Writer<Vec<u8>>,
    order: &[String; 6],
    customer: &[String; 5],
    license: &[String; 13],
) -> csv::Result<()> {
    let cells = order
        .iter()
        .chain(customer)
        .chain(license)
        .map(|c| neutralise(c).into_owned());
    out.write_record(cells)
}
