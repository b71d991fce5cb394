//! Keyfold: a self-hosted software-licensing platform.
//!
//! Requests flow one way: route → auth/extractors → handler → model/domain → template.

pub mod auth;
pub mod cli;
pub mod config;
pub mod csv_io;
pub mod db;
pub mod domain;
pub mod error;
pub mod mail;
pub mod models;
pub mod ops;
pub mod seed;
pub mod startup;
pub mod state;
pub mod web;

pub use startup::Application;
