//! The license API's building blocks that know no web framework: signed answers
//! (RFC 9421 / RFC 9530). Its handlers and route table come with the license API.

pub mod signature;
