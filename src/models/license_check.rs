//! Checks of licenses through the license API, counted per license and day, and the
//! devices' last checks. The API counts both in memory and writes them here every few
//! seconds, in one transaction, so a check's request path never writes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::schema::{devices, license_check_counts, licenses};
use crate::db::DbConnection;
use crate::domain::{DeviceId, LicenseId};

/// Adds counted checks to each license's count of the day.
pub fn add_counts(
    conn: &mut DbConnection,
    counts: &[(LicenseId, NaiveDate, i64)],
) -> QueryResult<()> {
    // A license deleted since its checks were counted takes them with it.
    let ids: Vec<LicenseId> = counts.iter().map(|c| c.0).collect();
    let live: std::collections::HashSet<LicenseId> = licenses::table
        .filter(licenses::id.eq_any(&ids))
        .select(licenses::id)
        .load::<LicenseId>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<_> = counts
        .iter()
        .filter(|c| live.contains(&c.0))
        .map(|(license, day, n)| {
            (
                license_check_counts::license_id.eq(*license),
                license_check_counts::day.eq(*day),
                license_check_counts::checks.eq(*n),
            )
        })
        .collect();
    // A few hundred rows a statement (SQLite binds at most 32,766 values).
    for chunk in rows.chunks(500) {
        let upsert = diesel::insert_into(license_check_counts::table)
            .values(chunk)
            .on_conflict((license_check_counts::license_id, license_check_counts::day))
            .do_update()
            .set(
                license_check_counts::checks
                    .eq(license_check_counts::checks + excluded(license_check_counts::checks)),
            );
        // Each backend has its own upsert; diesel's multi-backend connection has none.
        match conn {
            DbConnection::Pg(pg) => upsert.execute(pg)?,
            DbConnection::Sqlite(lite) => upsert.execute(lite)?,
        };
    }
    Ok(())
}

/// Moves devices' last check forward (never back).
pub fn touch_devices(
    conn: &mut DbConnection,
    seen: &[(DeviceId, NaiveDateTime)],
) -> QueryResult<()> {
    for (device, at) in seen {
        diesel::update(
            devices::table.find(device).filter(
                devices::last_check_at
                    .is_null()
                    .or(devices::last_check_at.lt(at)),
            ),
        )
        .set(devices::last_check_at.eq(at))
        .execute(conn)?;
    }
    Ok(())
}

/// A license's checks per day, newest first.
pub fn for_license(
    conn: &mut DbConnection,
    license: LicenseId,
    days: i64,
) -> QueryResult<Vec<(NaiveDate, i64)>> {
    license_check_counts::table
        .filter(license_check_counts::license_id.eq(license))
        .order(license_check_counts::day.desc())
        .limit(days)
        .select((license_check_counts::day, license_check_counts::checks))
        .load(conn)
}
