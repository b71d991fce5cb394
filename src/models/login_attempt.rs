//! Failed sign-ins, counted per area, email and client address. Kept in the database so
//! throttling holds across every instance behind a load balancer.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::login_attempts;
use crate::db::DbConnection;

/// Failures of one email from one address within [`WINDOW_SECONDS`] after which further
/// attempts are refused.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECONDS: i64 = 60;
/// Failures of one account from any address within [`WIDE_WINDOW_SECONDS`] after which
/// that account's sign-ins are refused from everywhere (a spread-out guessing attack).
pub const MAX_ACCOUNT_FAILURES: i64 = 20;
/// Failures from one address for any accounts within [`WIDE_WINDOW_SECONDS`] after which
/// that address is refused (one address trying many accounts).
pub const MAX_ADDRESS_FAILURES: i64 = 50;
pub const WIDE_WINDOW_SECONDS: i64 = 15 * 60;

/// Whether sign-ins for this email from this address are refused for now: too many
/// failures of the pair, of the account from anywhere, or of the address for anyone.
pub fn is_throttled(
    conn: &mut DbConnection,
    area: &str,
    email_norm: &str,
    ip: &str,
) -> QueryResult<bool> {
    let now = super::now();
    let since = now - Duration::seconds(WINDOW_SECONDS);
    let wide = now - Duration::seconds(WIDE_WINDOW_SECONDS);
    let in_area = || login_attempts::table.filter(login_attempts::area.eq(area));
    let pair: i64 = in_area()
        .filter(login_attempts::email_norm.eq(email_norm))
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(since))
        .count()
        .get_result(conn)?;
    if pair >= MAX_FAILURES {
        return Ok(true);
    }
    let account: i64 = in_area()
        .filter(login_attempts::email_norm.eq(email_norm))
        .filter(login_attempts::attempted_at.gt(wide))
        .count()
        .get_result(conn)?;
    if account >= MAX_ACCOUNT_FAILURES {
        return Ok(true);
    }
    let address: i64 = in_area()
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(wide))
        .count()
        .get_result(conn)?;
    Ok(address >= MAX_ADDRESS_FAILURES)
}

/// Reserves an attempt before the password is checked: refuses (`false`) when the
/// attempt is throttled, otherwise counts it as a failure at once (`true`). A successful
/// sign-in then forgets it with [`clear`]. Counting before checking is what keeps the
/// limit exact when many wrong passwords arrive at the same moment: each waits for the
/// one before it (SQLite's one writer; on PostgreSQL, locks on the account and on the
/// address, taken in that order). Call it in a write transaction. Also forgets attempts
/// older than a day.
pub fn reserve(
    conn: &mut DbConnection,
    area: &str,
    email_norm: &str,
    ip: &str,
) -> QueryResult<bool> {
    if let DbConnection::Pg(pg) = conn {
        for key in [
            format!("account {area} {email_norm}"),
            format!("address {area} {ip}"),
        ] {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(lock_key(&key))
                .execute(pg)?;
        }
    }
    if is_throttled(conn, area, email_norm, ip)? {
        return Ok(false);
    }
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
    Ok(true)
}

/// Password-reset requests ("forgot password") from one address within
/// [`WIDE_WINDOW_SECONDS`], whatever the accounts, after which that address is refused.
pub const MAX_RESET_REQUESTS: i64 = 10;

/// Counts a password-reset request from `ip` in `area`, or refuses it (`false`) when the
/// address made [`MAX_RESET_REQUESTS`] in the window. Every request counts, whether or
/// not its email has an account, so the answer tells nothing about the address. Call it
/// in a write transaction.
pub fn reserve_reset_request(conn: &mut DbConnection, area: &str, ip: &str) -> QueryResult<bool> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock_key(&format!("reset {area} {ip}")))
            .execute(pg)?;
    }
    let now = super::now();
    let recent: i64 = login_attempts::table
        .filter(login_attempts::area.eq(area))
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(now - Duration::seconds(WIDE_WINDOW_SECONDS)))
        .count()
        .get_result(conn)?;
    if recent >= MAX_RESET_REQUESTS {
        return Ok(false);
    }
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::area.eq(area),
            login_attempts::email_norm.eq(""),
            login_attempts::ip.eq(ip),
            login_attempts::attempted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A PostgreSQL advisory-lock key for a text.
fn lock_key(text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
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
