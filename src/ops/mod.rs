//! The operations every area calls: one function per business operation, told who acts
//! (an [`Actor`](crate::models::audit::Actor)) and what they may reach ([`Reach`]). The
//! reach is checked once, here; the models below keep storage and queries, and the
//! emails an operation sends are queued here too.

pub mod accounts;
pub mod client;
pub mod grant_mail;
pub mod grants;
pub mod issuing;
pub mod license_users;
pub mod licenses;
pub mod orders;
pub mod outbox;
pub mod reach;
pub mod seats;
pub mod usage;

pub use reach::Reach;

use crate::db::DbConnection;

/// One write transaction of an operation (or of several): `f`, then every queued email
/// whose link `f` spent is given up (see [`crate::mail::outbox::void_spent_links`]), all
/// or nothing.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    crate::db::write_tx(conn, |conn| {
        let value = f(conn)?;
        crate::mail::outbox::void_spent_links(conn)?;
        Ok(value)
    })
}
