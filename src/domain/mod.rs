//! Typed ids, validated values and permission enums. Each value has a `parse` that
//! returns a message fit to show beside the form field it came from.

pub mod actor;
pub mod area;
pub mod customer;
pub mod email;
pub mod errors;
pub mod ids;
pub mod license_key;
pub mod password;
pub mod permission;
pub mod role;
pub mod stored;
pub mod token;
pub mod values;

pub use actor::{ActorKind, Source};
pub use area::Area;
pub use email::EmailAddress;
pub use errors::FieldErrors;
pub use ids::*;
pub use password::NewPassword;
pub use permission::{OnOrder, Permission, Permissions};
pub use role::{Action, Role};
pub use stored::{ConsumptionPeriod, EventKind, GrantState, KeyState};
