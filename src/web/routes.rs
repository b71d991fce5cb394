//! Every route of the product in one readable table, each with who may use it.
//!
//! The same `declare` function both registers the routes with actix and lists them
//! (see [`table`]), so tests can walk every route — a route without a declared access
//! cannot exist.

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{guard, web, FromRequest, Handler, HttpResponse, Responder};

use super::{health, static_files, vendor};
use crate::auth::staff_guard::require_staff;
use crate::domain::Action;
use crate::error::AppError;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in pages, health, static assets).
    Public,
    /// A signed-in staff user whose role may perform the action.
    Staff(Action),
}

/// A route as the table declares it.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Something routes are declared into: actix's configuration, or a plain list.
trait Sink {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;
}

fn declare(r: &mut impl Sink) {
    use Access::*;
    use Action::*;
    let (get, post) = (Method::GET, Method::POST);

    r.add(get.clone(), "/healthz", Public, health::healthz);
    r.add(
        get.clone(),
        "/static/{path:.*}",
        Public,
        static_files::serve,
    );
    r.add(get.clone(), "/", Public, home);

    // Staff sign-in and own account.
    r.add(get.clone(), "/login", Public, vendor::auth::login_form);
    r.add(post.clone(), "/login", Public, vendor::auth::login_submit);
    r.add(
        post.clone(),
        "/logout",
        Staff(SignOut),
        vendor::auth::logout,
    );
    r.add(
        get.clone(),
        "/account/password",
        Staff(ChangeOwnPassword),
        vendor::account::password_form,
    );
    r.add(
        post.clone(),
        "/account/password",
        Staff(ChangeOwnPassword),
        vendor::account::password_submit,
    );

    // Staff administration, and the page where an invited user chooses a password.
    use vendor::staff as st;
    r.add(get.clone(), "/staff", Staff(AdministerStaff), st::index);
    r.add(get.clone(), "/staff/new", Staff(AdministerStaff), st::new);
    r.add(post.clone(), "/staff", Staff(AdministerStaff), st::create);
    r.add(get.clone(), "/staff/{id}", Staff(AdministerStaff), st::show);
    r.add(
        post.clone(),
        "/staff/{id}/role",
        Staff(AdministerStaff),
        st::set_role,
    );
    r.add(
        post.clone(),
        "/staff/{id}/disable",
        Staff(AdministerStaff),
        st::disable,
    );
    r.add(
        post.clone(),
        "/staff/{id}/enable",
        Staff(AdministerStaff),
        st::enable,
    );
    r.add(
        post.clone(),
        "/staff/{id}/link",
        Staff(AdministerStaff),
        st::new_link,
    );
    r.add(
        get.clone(),
        "/account/setup/{token}",
        Public,
        st::setup_form,
    );
    r.add(
        post.clone(),
        "/account/setup/{token}",
        Public,
        st::setup_submit,
    );

    // Orders.
    use vendor::{order_actions as oa, orders as o};
    r.add(get.clone(), "/orders", Staff(View), o::index);
    r.add(get.clone(), "/orders/new", Staff(ManageOrders), o::new);
    r.add(post.clone(), "/orders", Staff(ManageOrders), o::create);
    r.add(get.clone(), "/orders/{id}", Staff(View), o::show);
    r.add(
        post.clone(),
        "/orders/{id}",
        Staff(ManageOrders),
        oa::update,
    );
    r.add(
        post.clone(),
        "/orders/{id}/customer",
        Staff(ManageOrders),
        oa::set_customer,
    );
    r.add(
        get.clone(),
        "/orders/{id}/licenses/new",
        Staff(ManageOrders),
        oa::issue_form,
    );
    r.add(
        post.clone(),
        "/orders/{id}/licenses",
        Staff(ManageOrders),
        oa::issue,
    );
    r.add(
        get.clone(),
        "/orders/{id}/export.csv",
        Staff(View),
        oa::export,
    );
    r.add(
        get.clone(),
        "/orders/{id}/delete",
        Staff(ManageOrders),
        oa::delete_confirm,
    );
    r.add(
        post.clone(),
        "/orders/{id}/delete",
        Staff(ManageOrders),
        oa::delete,
    );

    // Licences.
    use vendor::licenses as li;
    r.add(get.clone(), "/licenses", Staff(View), li::index);
    r.add(get.clone(), "/licenses/{id}", Staff(View), li::show);
    r.add(
        post.clone(),
        "/licenses/{id}/disable",
        Staff(ControlLicenses),
        li::disable,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/enable",
        Staff(ControlLicenses),
        li::enable,
    );
    r.add(
        get.clone(),
        "/licenses/{id}/reset",
        Staff(ControlLicenses),
        li::reset_confirm,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/reset",
        Staff(ControlLicenses),
        li::reset,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/devices/{device_id}/reset",
        Staff(ControlLicenses),
        li::reset_device,
    );
    r.add(
        get.clone(),
        "/licenses/{id}/edit",
        Staff(ManageLicenses),
        li::edit,
    );
    r.add(
        post.clone(),
        "/licenses/{id}",
        Staff(ManageLicenses),
        li::update,
    );
    r.add(
        get.clone(),
        "/licenses/{id}/delete",
        Staff(ManageLicenses),
        li::delete_confirm,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/delete",
        Staff(ManageLicenses),
        li::delete,
    );

    // Customers.
    use vendor::customers as c;
    r.add(get.clone(), "/customers", Staff(View), c::index);
    r.add(get.clone(), "/customers/new", Staff(EditCustomers), c::new);
    r.add(post.clone(), "/customers", Staff(EditCustomers), c::create);
    r.add(get.clone(), "/customers/{id}", Staff(View), c::show);
    r.add(
        get.clone(),
        "/customers/{id}/edit",
        Staff(EditCustomers),
        c::edit,
    );
    r.add(
        post.clone(),
        "/customers/{id}",
        Staff(EditCustomers),
        c::update,
    );
    r.add(
        post.clone(),
        "/customers/{id}/disable",
        Staff(EditCustomers),
        c::disable,
    );
    r.add(
        post.clone(),
        "/customers/{id}/enable",
        Staff(EditCustomers),
        c::enable,
    );
    r.add(
        get.clone(),
        "/customers/{id}/delete",
        Staff(EditCustomers),
        c::delete_confirm,
    );
    r.add(
        post.clone(),
        "/customers/{id}/delete",
        Staff(EditCustomers),
        c::delete,
    );
    r.add(
        post.clone(),
        "/customers/{id}/restore",
        Staff(EditCustomers),
        c::restore,
    );
    r.add(
        post.clone(),
        "/customers/{id}/labels",
        Staff(EditCustomers),
        c::add_label,
    );
    r.add(
        post.clone(),
        "/customers/{id}/labels/{label_id}/remove",
        Staff(EditCustomers),
        c::remove_label,
    );

    // Products.
    use vendor::{product_parts as pp, products as p};
    r.add(get.clone(), "/products", Staff(View), p::index);
    r.add(get.clone(), "/products/new", Staff(ManageCatalogue), p::new);
    r.add(post.clone(), "/products", Staff(ManageCatalogue), p::create);
    r.add(get.clone(), "/products/{id}", Staff(View), p::show);
    r.add(
        get.clone(),
        "/products/{id}/edit",
        Staff(ManageCatalogue),
        p::edit,
    );
    r.add(
        post.clone(),
        "/products/{id}",
        Staff(ManageCatalogue),
        p::update,
    );
    r.add(
        post.clone(),
        "/products/{id}/features",
        Staff(ManageCatalogue),
        pp::add_feature,
    );
    r.add(
        post.clone(),
        "/products/{id}/features/{feature_id}/remove",
        Staff(ManageCatalogue),
        pp::remove_feature,
    );
    r.add(
        post.clone(),
        "/products/{id}/custom-fields",
        Staff(ManageCatalogue),
        pp::add_custom_field,
    );
    r.add(
        post.clone(),
        "/products/{id}/custom-fields/{field_id}/remove",
        Staff(ManageCatalogue),
        pp::remove_custom_field,
    );
    r.add(
        post.clone(),
        "/products/{id}/bundle-items",
        Staff(ManageCatalogue),
        pp::add_bundle_part,
    );
    r.add(
        post.clone(),
        "/products/{id}/bundle-items/{item_id}/remove",
        Staff(ManageCatalogue),
        pp::remove_bundle_part,
    );
    r.add(
        post.clone(),
        "/products/{id}/archive",
        Staff(ManageCatalogue),
        p::archive,
    );
    r.add(
        post.clone(),
        "/products/{id}/unarchive",
        Staff(ManageCatalogue),
        p::unarchive,
    );
    r.add(
        get.clone(),
        "/products/{id}/delete",
        Staff(ManageCatalogue),
        p::delete_confirm,
    );
    r.add(
        post.clone(),
        "/products/{id}/delete",
        Staff(ManageCatalogue),
        p::delete,
    );

    // The audit log (read-only: no route changes an entry).
    r.add(get.clone(), "/audit-log", Staff(View), vendor::audit::index);

    // Customer accounts and labels.
    use vendor::{customer_accounts as ca, labels as l};
    r.add(get.clone(), "/customer-accounts", Staff(View), ca::index);
    r.add(
        post.clone(),
        "/customer-accounts",
        Staff(ManageCatalogue),
        ca::create,
    );
    r.add(
        get.clone(),
        "/customer-accounts/{id}",
        Staff(View),
        ca::show,
    );
    r.add(
        post.clone(),
        "/customer-accounts/{id}",
        Staff(ManageCatalogue),
        ca::update,
    );
    r.add(get.clone(), "/labels", Staff(View), l::index);
    r.add(get.clone(), "/labels.css", Staff(View), l::stylesheet);
    r.add(post.clone(), "/labels", Staff(ManageCatalogue), l::create);
    r.add(
        post.clone(),
        "/labels/{id}",
        Staff(ManageCatalogue),
        l::update,
    );
    r.add(
        get.clone(),
        "/labels/{id}/delete",
        Staff(ManageCatalogue),
        l::delete_confirm,
    );
    r.add(
        post.clone(),
        "/labels/{id}/delete",
        Staff(ManageCatalogue),
        l::delete,
    );
}

struct Registrar<'a>(&'a mut web::ServiceConfig);

impl Sink for Registrar<'_> {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::method(method.clone()).to(handler);
        match access {
            Access::Public => {
                self.0.route(path, route);
            }
            Access::Staff(action) => {
                self.0.service(
                    web::resource(path)
                        .guard(guard::Method(method))
                        .wrap(from_fn(move |req, next| require_staff(action, req, next)))
                        .route(route),
                );
            }
        }
    }
}

struct Recorder(Vec<RouteInfo>);

impl Sink for Recorder {
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
        });
    }
}

/// Registers every route with actix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    declare(&mut Registrar(cfg));
}

/// Every route with its method, path and access, in declaration order.
pub fn table() -> Vec<RouteInfo> {
    let mut recorder = Recorder(Vec::new());
    declare(&mut recorder);
    recorder.0
}

async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/orders"))
        .finish()
}

/// Anything no route matched.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
