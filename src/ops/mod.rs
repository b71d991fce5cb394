//! The operations every area calls: one function per business operation, told who acts
//! (an [`Actor`](crate::models::audit::Actor)) and what they may reach ([`Reach`]). The
//! reach is checked once, here; the models below keep storage and queries, and the
//! emails an operation sends are queued here too.

pub mod grants;
pub mod issuing;
pub mod license_users;
pub mod licenses;
pub mod orders;
pub mod outbox;
pub mod reach;

pub use reach::Reach;
