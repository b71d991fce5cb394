//! Page structs: one askama template per page.

pub mod errors;
