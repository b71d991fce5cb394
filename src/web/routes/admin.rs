//! The admin portal's route table: every page and action, with the staff action
//! (from the one permission table) that it needs.

use actix_web::http::Method;
use actix_web::HttpResponse;

use super::{Access, Sink};
use crate::domain::Action;
use crate::models::staff::StaffUser;
use crate::web::{admin, sign_in};

/// The admin portal's routes.
pub(super) fn declare(r: &mut impl Sink) {
    use Access::*;
    use Action::*;
    let (get, post) = (Method::GET, Method::POST);

    r.add(get.clone(), "/", Public, home);

    // Staff sign-in and own account.
    r.add(
        get.clone(),
        "/login",
        Public,
        sign_in::login_form::<StaffUser>,
    );
    r.add(
        post.clone(),
        "/login",
        Public,
        sign_in::login_submit::<StaffUser>,
    );
    r.add(
        post.clone(),
        "/logout",
        Staff(SignOut),
        sign_in::logout::<StaffUser>,
    );
    r.add(
        get.clone(),
        "/account/password",
        Staff(ChangeOwnPassword),
        admin::account::password_form,
    );
    r.add(
        post.clone(),
        "/account/password",
        Staff(ChangeOwnPassword),
        admin::account::password_submit,
    );

    // Staff administration, and the page where an invited user chooses a password.
    use admin::staff as st;
    r.add(
        get.clone(),
        "/settings",
        Staff(AdministerStaff),
        admin::settings::index,
    );
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
    use admin::{order_actions as oa, orders as o};
    r.add(get.clone(), "/orders", Staff(View), o::index);
    r.add(
        get.clone(),
        "/orders/export.csv",
        Staff(EditCustomers),
        admin::exports::orders,
    );
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

    // Licenses.
    use admin::licenses as li;
    r.add(get.clone(), "/licenses", Staff(View), li::index);
    r.add(
        get.clone(),
        "/licenses/export.csv",
        Staff(ControlLicenses),
        admin::exports::licenses,
    );
    r.add(get.clone(), "/licenses/{id}", Staff(View), li::show);
    r.add(
        post.clone(),
        "/licenses/bulk",
        Staff(ControlLicenses),
        admin::license_bulk::submit,
    );
    r.add(
        post.clone(),
        "/licenses/columns",
        Staff(View),
        li::save_columns,
    );
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
        "/licenses/{id}/devices/{device_id}/license-file",
        Staff(ControlLicenses),
        crate::web::shared::offline::device_license_file::<AdminCtx>,
    );
    r.add(
        get.clone(),
        "/licenses/{id}/offline",
        Staff(ControlLicenses),
        crate::web::shared::offline::offline_form::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/offline",
        Staff(ControlLicenses),
        crate::web::shared::offline::offline_submit::<AdminCtx>,
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
    use admin::customers as c;
    r.add(get.clone(), "/customers", Staff(View), c::index);
    r.add(
        get.clone(),
        "/customers/export.csv",
        Staff(EditCustomers),
        admin::exports::customers,
    );
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
    use admin::{product_parts as pp, products as p};
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
    // An order's license managers (the order page's "License managers" tab).
    use admin::order_managers as om;
    r.add(
        get.clone(),
        "/orders/{id}/managers",
        Staff(View),
        crate::web::shared::managers::index::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers",
        Staff(ManageLicenseManagers),
        crate::web::shared::managers::add::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers/{grant}/permissions",
        Staff(ManageLicenseManagers),
        crate::web::shared::managers::permissions::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers/{grant}/resend",
        Staff(ManageLicenseManagers),
        om::resend,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers/{grant}/revoke",
        Staff(ManageLicenseManagers),
        om::revoke,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers/{grant}/link",
        Staff(ManageLicenseManagers),
        om::link,
    );
    r.add(
        get.clone(),
        "/orders/{id}/managers/{grant}/remove",
        Staff(ManageLicenseManagers),
        crate::web::shared::managers::remove_confirm::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/managers/{grant}/remove",
        Staff(ManageLicenseManagers),
        crate::web::shared::managers::remove::<AdminCtx>,
    );

    // An order's license users (the order page's "License users" tab), and assigning them
    // on a license's page.
    use crate::web::admin::AdminCtx;
    use crate::web::shared::license_users as lu;
    r.add(
        get.clone(),
        "/orders/{id}/users",
        Staff(View),
        lu::index::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/users",
        Staff(ManageLicenses),
        lu::add::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/users/{user}",
        Staff(ManageLicenses),
        lu::edit::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/users/{user}/password-link",
        Staff(ControlLicenses),
        lu::send_link::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/users/{user}/password",
        Staff(ControlLicenses),
        lu::set_password::<AdminCtx>,
    );
    r.add(
        get.clone(),
        "/orders/{id}/users/{user}/remove",
        Staff(ManageLicenses),
        lu::remove_confirm::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/orders/{id}/users/{user}/remove",
        Staff(ManageLicenses),
        lu::remove::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/users",
        Staff(ManageLicenses),
        lu::assign::<AdminCtx>,
    );
    r.add(
        post.clone(),
        "/licenses/{id}/users/remove",
        Staff(ManageLicenses),
        lu::unassign::<AdminCtx>,
    );

    // License managers across orders, and the outbox.
    use admin::license_managers as lm;
    r.add(get.clone(), "/license-managers", Staff(View), lm::index);
    r.add(
        get.clone(),
        "/license-managers/export.csv",
        Staff(EditCustomers),
        admin::exports::license_managers,
    );
    r.add(get.clone(), "/license-managers/{id}", Staff(View), lm::show);
    r.add(
        post.clone(),
        "/license-managers/{id}/disable",
        Staff(ManageLicenseManagers),
        lm::disable,
    );
    r.add(
        post.clone(),
        "/license-managers/{id}/enable",
        Staff(ManageLicenseManagers),
        lm::enable,
    );
    use admin::notifications as nt;
    r.add(get.clone(), "/notifications", Staff(View), nt::index);
    r.add(get.clone(), "/notifications/{id}", Staff(View), nt::show);
    r.add(
        post.clone(),
        "/notifications/{id}/resend",
        Staff(ManageLicenseManagers),
        nt::resend,
    );

    r.add(get.clone(), "/audit-log", Staff(View), admin::audit::index);
    r.add(
        get.clone(),
        "/audit-log/export.csv",
        Staff(EditCustomers),
        admin::exports::audit_log,
    );
    r.add(get.clone(), "/search", Staff(View), admin::search::index);
    r.add(
        get.clone(),
        "/reports/usage",
        Staff(View),
        admin::reports::usage,
    );
    r.add(
        get.clone(),
        "/reports/usage.csv",
        Staff(View),
        admin::reports::usage_csv,
    );

    // CSV imports: upload (a dry run), preview, commit.
    use admin::imports as im;
    r.add(get.clone(), "/imports", Staff(View), im::index);
    r.add(
        get.clone(),
        "/imports/customers/new",
        Staff(EditCustomers),
        im::new_customers,
    );
    r.add(
        post.clone(),
        "/imports/customers/new",
        Staff(EditCustomers),
        im::upload_customers,
    );
    r.add(
        get.clone(),
        "/imports/customers/template.csv",
        Staff(View),
        im::customers_template,
    );
    r.add(
        get.clone(),
        "/imports/licenses/new",
        Staff(ManageLicenses),
        im::new_licenses,
    );
    r.add(
        post.clone(),
        "/imports/licenses/new",
        Staff(ManageLicenses),
        im::upload_licenses,
    );
    r.add(
        get.clone(),
        "/imports/licenses/template.csv",
        Staff(View),
        im::licenses_template,
    );
    r.add(get.clone(), "/imports/{id}", Staff(View), im::show);
    r.add(
        get.clone(),
        "/imports/{id}/progress",
        Staff(View),
        im::progress,
    );
    r.add(
        get.clone(),
        "/imports/{id}/problems.csv",
        Staff(View),
        im::problems_csv,
    );
    r.add(
        post.clone(),
        "/imports/{id}/commit",
        Staff(EditCustomers),
        im::commit,
    );

    // Customer accounts and labels.
    use admin::{customer_accounts as ca, labels as l};
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

async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/orders"))
        .finish()
}
