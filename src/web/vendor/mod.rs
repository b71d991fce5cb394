//! The vendor portal's handlers, one module per area.

pub mod account;
pub mod audit;
pub mod auth;
pub mod customer_accounts;
pub mod customers;
pub mod labels;
pub mod licenses;
pub mod order_actions;
pub mod orders;
pub mod product_parts;
pub mod products;
pub mod staff;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::cookie::{csrf_token, take_flashes, Flash};
use crate::auth::CurrentStaff;
use crate::domain::Role;
use crate::models::staff::StaffUser;

/// What the vendor layout needs on every page: the signed-in user, the CSRF token for
/// its forms, flash messages, and which navigation entry is current.
pub struct VendorCtx {
    pub user: StaffUser,
    pub role: Role,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub nav: &'static str,
}

impl VendorCtx {
    pub fn new(req: &HttpRequest, staff: &CurrentStaff) -> Self {
        let session = req.get_session();
        let nav = match req.path().split('/').nth(1).unwrap_or("") {
            "orders" => "orders",
            "licenses" => "licenses",
            "customers" | "customer-accounts" | "labels" => "customers",
            "products" => "products",
            "audit-log" => "audit-log",
            "staff" => "staff",
            _ => "",
        };
        VendorCtx {
            user: staff.user.clone(),
            role: staff.role(),
            csrf: csrf_token(&session),
            flashes: take_flashes(&session),
            nav,
        }
    }
}

impl FromRequest for VendorCtx {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = match CurrentStaff::from_request(req, payload).into_inner() {
            Ok(s) => s,
            Err(e) => return std::future::ready(Err(e)),
        };
        std::future::ready(Ok(VendorCtx::new(req, &staff)))
    }
}

/// A confirmation page before a destructive action: what will happen, one button.
#[derive(askama::Template)]
#[template(path = "vendor/confirm.html")]
pub struct ConfirmPage {
    pub ctx: VendorCtx,
    pub page: Confirm,
}

pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub action: String,
    pub button: &'static str,
    pub button_class: &'static str,
    pub cancel: String,
}

impl ConfirmPage {
    pub fn new(
        ctx: VendorCtx,
        title: String,
        lines: Vec<String>,
        action: String,
        button: &'static str,
        cancel: String,
    ) -> Self {
        ConfirmPage {
            ctx,
            page: Confirm {
                title,
                lines,
                action,
                button,
                button_class: "kf-danger",
                cancel,
            },
        }
    }

    pub fn render_ok(&self) -> crate::error::AppResult<actix_web::HttpResponse> {
        crate::web::forms::ok(self)
    }
}
