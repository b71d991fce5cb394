//! License events: what happened to a license and its devices, counted by reports.

use crate::domain::DeviceId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::license_events;
use crate::db::DbConnection;
use crate::domain::LicenseId;

/// Where an event came from.
pub use crate::domain::{EventKind, Source};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = license_events)]
pub struct LicenseEvent {
    pub id: i64,
    pub license_id: LicenseId,
    pub device_id: Option<DeviceId>,
    pub kind: EventKind,
    pub amount: i64,
    pub at: NaiveDateTime,
    pub source: Source,
    /// A refused activation's code.
    pub code: Option<String>,
}

impl LicenseEvent {
    /// Where the event came from, as a person reads it.
    pub fn source_label(&self) -> &'static str {
        self.source.label()
    }
}

pub fn record(
    conn: &mut DbConnection,
    license_id: LicenseId,
    device_id: Option<DeviceId>,
    kind: EventKind,
    amount: i64,
    source: Source,
) -> QueryResult<()> {
    record_at(
        conn,
        license_id,
        device_id,
        kind,
        amount,
        source,
        super::now(),
    )
}

/// Records an event that happened at `at`.
pub fn record_at(
    conn: &mut DbConnection,
    license_id: LicenseId,
    device_id: Option<DeviceId>,
    kind: EventKind,
    amount: i64,
    source: Source,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(license_events::table)
        .values((
            license_events::license_id.eq(license_id),
            license_events::device_id.eq(device_id),
            license_events::kind.eq(kind),
            license_events::amount.eq(amount),
            license_events::at.eq(at),
            license_events::source.eq(source),
        ))
        .execute(conn)?;
    if let Some(c) = super::usage::Counts::of_event(kind, amount, None) {
        super::usage::count(conn, license_id, at, c)?;
    }
    Ok(())
}

/// A license's newest events.
pub fn for_license(
    conn: &mut DbConnection,
    license_id: LicenseId,
    limit: i64,
) -> QueryResult<Vec<LicenseEvent>> {
    license_events::table
        .filter(license_events::license_id.eq(license_id))
        .order((license_events::at.desc(), license_events::id.desc()))
        .limit(limit)
        .select(LicenseEvent::as_select())
        .load(conn)
}
