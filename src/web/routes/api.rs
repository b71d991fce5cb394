//! The license API's route table: every route public (a client authenticates by what
//! its body holds, never by a cookie), every answer signed by `web::api::signing`.

use actix_web::http::Method;

use super::{Access, Sink};
use crate::web::api;

/// The license API's routes.
pub(super) fn declare(r: &mut impl Sink) {
    r.add(Method::GET, "/api/v1/keys", Access::Public, api::keys);
    r.add(
        Method::GET,
        "/api/v1/openapi.json",
        Access::Public,
        api::openapi::openapi,
    );
    r.add(
        Method::POST,
        "/api/v1/activate",
        Access::Public,
        api::client::activate,
    );
    r.add(
        Method::POST,
        "/api/v1/check",
        Access::Public,
        api::client::check,
    );
    r.add(
        Method::POST,
        "/api/v1/deactivate",
        Access::Public,
        api::client::deactivate,
    );
    r.add(
        Method::POST,
        "/api/v1/password",
        Access::Public,
        api::client::change_password,
    );
    r.add(
        Method::POST,
        "/api/v1/seats/checkout",
        Access::Public,
        api::seats::check_out,
    );
    r.add(
        Method::POST,
        "/api/v1/seats/heartbeat",
        Access::Public,
        api::seats::heartbeat,
    );
    r.add(
        Method::POST,
        "/api/v1/seats/release",
        Access::Public,
        api::seats::release,
    );
    r.add(
        Method::POST,
        "/api/v1/seats/borrow",
        Access::Public,
        api::seats::borrow,
    );
    r.add(
        Method::POST,
        "/api/v1/seats/return",
        Access::Public,
        api::seats::return_seat,
    );
    r.add(
        Method::POST,
        "/api/v1/consumption",
        Access::Public,
        api::usage::add,
    );
    r.add(
        Method::POST,
        "/api/v1/consumption/batch",
        Access::Public,
        api::usage::add_batch,
    );
    r.add(
        Method::POST,
        "/api/v1/variables",
        Access::Public,
        api::usage::variables,
    );
    r.add(
        Method::POST,
        "/api/v1/trial",
        Access::Public,
        api::trials::start,
    );
    r.add(
        Method::GET,
        "/api/v1/products/{code}",
        Access::Public,
        api::product_details,
    );
}
