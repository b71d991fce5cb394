//! The end-user portal's route table: what a license manager may reach. Pages for an
//! order will declare the grant they need on that order (a later issue).

use actix_web::http::Method;

use super::{Access, Sink};
use crate::models::license_manager::LicenseManager as Manager;
use crate::web::{portal, sign_in};

/// The end-user portal's routes.
pub(super) fn declare(r: &mut impl Sink) {
    use Access::*;
    let (get, post) = (Method::GET, Method::POST);

    // License-manager sign-in.
    r.add(
        get.clone(),
        "/portal/login",
        Public,
        sign_in::login_form::<Manager>,
    );
    r.add(
        post.clone(),
        "/portal/login",
        Public,
        sign_in::login_submit::<Manager>,
    );
    r.add(
        post.clone(),
        "/portal/logout",
        LicenseManager,
        sign_in::logout::<Manager>,
    );

    // The manager's home: their orders.
    r.add(get.clone(), "/portal", LicenseManager, portal::home::index);
}
