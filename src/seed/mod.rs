//! Data seeding: the demo company (`keyfold demo`) and, later, bulk benchmark data.

pub mod bulk;
pub mod demo;
pub mod demo_usage;
