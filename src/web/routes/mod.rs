//! Every route of the product, one readable table per area (`admin.rs`, `portal.rs`),
//! each route with who may use it.
//!
//! The same `declare` functions both register the routes with actix and list them (see
//! [`table`]), so tests can walk every route — a route without a declared access cannot
//! exist.

mod admin;
mod api;
mod portal;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{guard, web, FromRequest, Handler, HttpResponse, Responder};

use super::{health, static_files};
use crate::auth::guard::{require, require_grant, Scope};
use crate::domain::{Action, Area, OnOrder};
use crate::error::AppError;
use crate::models::license_manager::LicenseManager;
use crate::models::staff::StaffUser;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in pages, health, static assets).
    Public,
    /// A signed-in staff user whose role may perform the action.
    Staff(Action),
    /// A signed-in license manager (the license portal), whatever their grants.
    LicenseManager,
    /// A signed-in license manager with a live grant on the order the URL addresses
    /// (`/portal/orders/{id}…`, or `/portal/licenses/{id}…` through the license's
    /// order), holding the permission when the route names one.
    Grant(OnOrder),
}

/// A route as the table declares it.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub area: Area,
}

/// Something routes are declared into: actix's configuration, or a plain list. Routes
/// belong to the area last set.
pub(crate) trait Sink {
    fn set_area(&mut self, area: Area);

    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;
}

fn declare(r: &mut impl Sink) {
    declare_in_order(r, false);
}

/// Every route; `api_first` puts the license API's before the portals'. The server
/// registers them so ([`configure`]): a fleet's checks are the hottest path and routes
/// are matched in registration order (no API path overlaps another area's). The table
/// keeps the order in which the areas are documented.
fn declare_in_order(r: &mut impl Sink, api_first: bool) {
    use Access::*;
    let get = Method::GET;
    r.add(get.clone(), "/healthz", Public, health::healthz);
    r.add(
        get.clone(),
        "/static/{path:.*}",
        Public,
        static_files::serve,
    );
    if api_first {
        r.set_area(Area::Api);
        api::declare(r);
    }
    r.set_area(Area::Admin);
    admin::declare(r);
    r.set_area(Area::Portal);
    portal::declare(r);
    if !api_first {
        r.set_area(Area::Api);
        api::declare(r);
    }
}

struct Registrar<'a>(&'a mut web::ServiceConfig, Area);

impl Sink for Registrar<'_> {
    fn set_area(&mut self, area: Area) {
        self.1 = area;
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::method(method.clone()).to(handler);
        // Every resource carries its area (error pages, the sign-in page to send to).
        let area = self.1;
        match access {
            Access::Public => {
                self.0.service(
                    web::resource(path)
                        .guard(guard::Method(method))
                        .app_data(area)
                        .route(route),
                );
            }
            Access::Staff(action) => {
                self.0.service(
                    web::resource(path)
                        .guard(guard::Method(method))
                        .app_data(area)
                        .wrap(from_fn(move |req, next| {
                            require::<StaffUser>(move |s| s.can(action), req, next)
                        }))
                        .route(route),
                );
            }
            Access::LicenseManager => {
                self.0.service(
                    web::resource(path)
                        .guard(guard::Method(method))
                        .app_data(area)
                        .wrap(from_fn(|req, next| {
                            require::<LicenseManager>(|_| true, req, next)
                        }))
                        .route(route),
                );
            }
            Access::Grant(on) => {
                let scope = Scope::of(path).unwrap_or_else(|| {
                    panic!("{path}: a grant route must start /portal/orders/{{id}} or /portal/licenses/{{id}}")
                });
                self.0.service(
                    web::resource(path)
                        .guard(guard::Method(method))
                        .app_data(area)
                        .wrap(from_fn(move |req, next| {
                            require_grant(on, scope, req, next)
                        }))
                        .route(route),
                );
            }
        }
    }
}

struct Recorder(Vec<RouteInfo>, Area);

impl Sink for Recorder {
    fn set_area(&mut self, area: Area) {
        self.1 = area;
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, _handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.0.push(RouteInfo {
            method,
            path,
            access,
            area: self.1,
        });
    }
}

/// Registers every route with actix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    declare_in_order(&mut Registrar(cfg, Area::Admin), true);
}

/// Every route with its method, path and access, in declaration order.
pub fn table() -> Vec<RouteInfo> {
    let mut recorder = Recorder(Vec::new(), Area::Admin);
    declare(&mut recorder);
    recorder.0
}

/// Anything no route matched.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
