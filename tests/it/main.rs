//! Keyfold's one integration-test binary. Every test spawns the real application on
//! port 0 with a fresh database: a temporary SQLite file, or a fresh PostgreSQL database
//! when `TEST_DATABASE_URL` is set.

#[allow(dead_code)]
mod helpers;
/// The example client of the license API, compiled as it is.
#[allow(dead_code)]
#[path = "../../examples/license_client.rs"]
mod license_client;
/// The example offline verifier of license files, compiled as it is.
#[allow(dead_code)]
#[path = "../../examples/verify_license_file.rs"]
mod verify_license_file;

mod admin_license_users;
mod api_activation;
mod api_consumption;
mod api_example_client;
mod api_openapi;
mod api_seats;
mod api_signing;
mod api_trials;
mod api_variables;
mod auth;
mod browser_auth;
mod browser_catalogue;
mod browser_import;
mod browser_layout;
mod browser_orders;
mod browser_portal;
mod browser_smoke;
mod catalogue_accounts_labels;
mod catalogue_customers;
mod catalogue_products;
mod cli;
mod consumption_props;
mod csv_export;
mod csv_import;
mod dead_links;
mod grant_props;
mod grant_tree;
mod hostile;
mod layers;
mod lease_props;
mod license_import;
mod license_managers;
mod licenses;
mod lists;
mod log_secrets;
mod migrations;
mod offline;
mod orders;
mod outbox;
mod page_contract;
mod portal_auth;
mod portal_issue;
mod portal_orders;
mod portal_search;
mod portal_users;
mod readable;
mod resilience;
mod role_matrix;
mod search;
mod seat_props;
mod signing_keys;
mod skeleton;
mod staff_admin;
mod usage_report;
