//! Failed sign-ins, counted per area, email and client address. Kept in the database so
//! throttling holds across every instance behind a load balancer.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::login_attempts;
use crate::db::DbConnection;

/// Failures within [`WINDOW_SECONDS`] after which further attempts are refused.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECONDS: i64 = 60;

/// Whether sign-ins for this email from this address are refused for now.
pub fn is_throttled(
    conn: &mut DbConnection,
    area: &str,
    email_norm: &str,
    ip: &str,
) -> QueryResult<bool> {
    let since = super::now() - Duration::seconds(WINDOW_SECONDS);
    let failures: i64 = login_attempts::table
        .filter(login_attempts::area.eq(area))
        .filter(login_attempts::email_norm.eq(email_norm))
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok(failures >= MAX_FAILURES)
}

/// Counts one failed attempt and forgets attempts older than a day.
pub fn record_failure(
    conn: &mut DbConnection,
    area: &str,
    email_norm: &str,
    ip: &str,
) -> QueryResult<()> {
    let now = super::now();
    diesel::delete(
        login_attempts::table.filter(login_attempts::attempted_at.lt(now - Duration::days(1))),
    )
    .execute(conn)?;
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::area.eq(area),
            login_attempts::email_norm.eq(email_norm),
            login_attempts::ip.eq(ip),
            login_attempts::attempted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the failures of a now successful sign-in.
pub fn clear(conn: &mut DbConnection, area: &str, email_norm: &str, ip: &str) -> QueryResult<()> {
    diesel::delete(
        login_attempts::table
            .filter(login_attempts::area.eq(area))
            .filter(login_attempts::email_norm.eq(email_norm))
            .filter(login_attempts::ip.eq(ip)),
    )
    .execute(conn)?;
    Ok(())
}
