//! The license portal's route table: what a license manager may reach. Pages for an
//! order will declare the grant they need on that order (a later issue).

use actix_web::http::Method;

use super::{Access, Sink};
use crate::models::license_manager::LicenseManager as ManagerAccount;
use crate::web::{portal, sign_in};

/// The license portal's routes.
pub(super) fn declare(r: &mut impl Sink) {
    use Access::*;
    let (get, post) = (Method::GET, Method::POST);

    // License-manager sign-in.
    r.add(
        get.clone(),
        "/portal/login",
        Public,
        sign_in::login_form::<ManagerAccount>,
    );
    r.add(
        post.clone(),
        "/portal/login",
        Public,
        sign_in::login_submit::<ManagerAccount>,
    );
    r.add(
        post.clone(),
        "/portal/logout",
        LicenseManager,
        sign_in::logout::<ManagerAccount>,
    );

    // One-time links and "forgot password" (no session needed; the link is the key).
    use portal::links;
    r.add(
        get.clone(),
        "/portal/invite/{token}",
        Public,
        links::invite_form,
    );
    r.add(
        post.clone(),
        "/portal/invite/{token}",
        Public,
        links::invite_submit,
    );
    r.add(
        get.clone(),
        "/portal/offline",
        Public,
        portal::offline::form,
    );
    r.add(
        post.clone(),
        "/portal/offline",
        Public,
        portal::offline::submit,
    );
    r.add(
        get.clone(),
        "/portal/forgot-password",
        Public,
        links::forgot_form,
    );
    r.add(
        post.clone(),
        "/portal/forgot-password",
        Public,
        links::forgot_submit,
    );
    r.add(
        get.clone(),
        "/portal/reset-password/{token}",
        Public,
        links::reset_form,
    );
    r.add(
        post.clone(),
        "/portal/reset-password/{token}",
        Public,
        links::reset_submit,
    );

    // A license user's set-password link (the link is the key; it signs nobody in).
    r.add(
        get.clone(),
        "/portal/users/password/{token}",
        Public,
        portal::user_links::form,
    );
    r.add(
        post.clone(),
        "/portal/users/password/{token}",
        Public,
        portal::user_links::submit,
    );

    // A managed order and its licenses: the grant guard turns the URL's order (or the
    // license's order) into a GrantedOrder, or answers 404 / 403.
    use crate::domain::{OnOrder::*, Permission::*};
    use portal::{licenses as pl, orders as po};
    r.add(
        get.clone(),
        "/portal/orders/{id}",
        Grant(AnyGrant),
        po::show,
    );
    r.add(
        get.clone(),
        "/portal/orders/{id}/activity",
        Grant(AnyGrant),
        po::activity,
    );
    r.add(
        get.clone(),
        "/portal/orders/{id}/managers",
        Grant(Needs(ManageManagers)),
        crate::web::shared::managers::index::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/managers",
        Grant(Needs(ManageManagers)),
        crate::web::shared::managers::add::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/managers/{grant}/permissions",
        Grant(Needs(ManageManagers)),
        crate::web::shared::managers::permissions::<PortalCtx>,
    );
    r.add(
        get.clone(),
        "/portal/orders/{id}/managers/{grant}/remove",
        Grant(Needs(ManageManagers)),
        crate::web::shared::managers::remove_confirm::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/managers/{grant}/remove",
        Grant(Needs(ManageManagers)),
        crate::web::shared::managers::remove::<PortalCtx>,
    );
    use portal::issuing as pi;
    r.add(
        get.clone(),
        "/portal/orders/{id}/issue",
        Grant(AnyGrant),
        pi::index,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/issue",
        Grant(Needs(IssueLicense)),
        pi::issue,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/create-order",
        Grant(Needs(CreateOrder)),
        pi::create_order,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/create-bundle-order",
        Grant(Needs(CreateBundleOrder)),
        pi::create_bundle_order,
    );
    use crate::web::portal::PortalCtx;
    use crate::web::shared::license_users as pu;
    r.add(
        get.clone(),
        "/portal/orders/{id}/users",
        Grant(AnyGrant),
        pu::index::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/users",
        Grant(Needs(ManageLicenseUsers)),
        pu::add::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/users/{user}",
        Grant(Needs(ManageLicenseUsers)),
        pu::edit::<PortalCtx>,
    );
    r.add(
        get.clone(),
        "/portal/orders/{id}/users/{user}/remove",
        Grant(Needs(ManageLicenseUsers)),
        pu::remove_confirm::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/users/{user}/remove",
        Grant(Needs(ManageLicenseUsers)),
        pu::remove::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/users/{user}/password-link",
        Grant(Needs(ManageLicenseUserCredentials)),
        pu::send_link::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/orders/{id}/users/{user}/password",
        Grant(Needs(ManageLicenseUserCredentials)),
        pu::set_password::<PortalCtx>,
    );
    r.add(
        get.clone(),
        "/portal/licenses/{id}",
        Grant(AnyGrant),
        pl::show,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/users",
        Grant(Needs(ManageLicenseUsers)),
        pu::assign::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/users/remove",
        Grant(Needs(ManageLicenseUsers)),
        pu::unassign::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/devices/borrow",
        Grant(Needs(BorrowLicense)),
        pl::borrow,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/devices/return",
        Grant(Needs(BorrowLicense)),
        pl::return_seat,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/devices/reset",
        Grant(Needs(ResetDevice)),
        pl::reset_device,
    );
    r.add(
        get.clone(),
        "/portal/licenses/{id}/offline",
        Grant(Needs(ResetDevice)),
        crate::web::shared::offline::offline_form::<PortalCtx>,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/offline",
        Grant(Needs(ResetDevice)),
        crate::web::shared::offline::offline_submit::<PortalCtx>,
    );
    r.add(
        get.clone(),
        "/portal/licenses/{id}/reset",
        Grant(Needs(ResetLicense)),
        pl::reset_confirm,
    );
    r.add(
        post.clone(),
        "/portal/licenses/{id}/reset",
        Grant(Needs(ResetLicense)),
        pl::reset,
    );

    // The manager's home (their orders) and own account.
    r.add(get.clone(), "/portal", LicenseManager, portal::home::index);
    r.add(
        get.clone(),
        "/portal/licenses",
        LicenseManager,
        portal::my_licenses::index,
    );
    r.add(
        get.clone(),
        "/portal/licenses.csv",
        LicenseManager,
        portal::my_licenses::export,
    );
    use portal::account;
    r.add(
        get.clone(),
        "/portal/account",
        LicenseManager,
        account::show,
    );
    r.add(
        post.clone(),
        "/portal/account/password",
        LicenseManager,
        account::password,
    );
    r.add(
        post.clone(),
        "/portal/account/sign-out-everywhere",
        LicenseManager,
        account::sign_out_everywhere,
    );
}
