//! The license portal's handlers: what a license manager sees and does.

pub mod account;
pub mod forms;
pub mod home;
pub mod issuing;
pub mod licenses;
pub mod links;
pub mod my_licenses;
pub mod offline;
pub mod orders;
pub mod user_links;

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::auth::cookie::Flash;
use crate::auth::{ClientIp, CurrentLicenseManager};
use crate::error::{AppError, AppResult};
use crate::models::audit::Actor;
use crate::models::grant::GrantedOrder;
use crate::models::license_manager::LicenseManager;
use crate::ops::Reach;
use crate::web::shared::{self, Area, Confirm};

/// The one extractor a portal handler asks for: the signed-in license manager, their
/// client address, the CSRF token, the session and the layout's flashes.
pub struct PortalCtx {
    pub manager: CurrentLicenseManager,
    pub user: LicenseManager,
    pub ip: ClientIp,
    pub session: Session,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// The vendor's name, shown in the portal's header.
    pub vendor: String,
    /// The grant guard's handle on the order the URL addresses (routes behind it only).
    pub granted: Option<GrantedOrder>,
    /// The navigation entry of the page: "orders", "licenses" or "account".
    pub nav: &'static str,
}

impl PortalCtx {
    /// The signed-in manager as the actor of an audited change.
    pub fn actor(&self) -> Actor {
        self.manager.actor(&self.ip)
    }
}

/// A confirmation page in the license portal's layout.
#[derive(askama::Template)]
#[template(path = "portal/confirm.html")]
struct ConfirmPage {
    ctx: PortalCtx,
    page: Confirm,
}

impl PortalCtx {
    /// The grant guard's handle (routes behind it only).
    fn granted(&self) -> AppResult<GrantedOrder> {
        self.granted
            .clone()
            .ok_or_else(|| AppError::Internal("route is not behind the grant guard".to_owned()))
    }
}

impl Area for PortalCtx {
    const ORDERS: &'static str = "/portal/orders";
    const LICENSES: &'static str = "/portal/licenses";

    fn actor(&self) -> Actor {
        PortalCtx::actor(self)
    }

    fn reach(&self) -> AppResult<Reach> {
        self.granted().map(Reach::LicenseManager)
    }

    fn confirm(self, page: Confirm) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::ok(&ConfirmPage { ctx: self, page })
    }
}

#[derive(askama::Template)]
#[template(path = "portal/orders/users.html")]
struct UsersPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: crate::models::order::Order,
    users: shared::license_users::UsersTab,
}

impl shared::license_users::UsersArea for PortalCtx {
    fn may(&self, reach: &Reach) -> (bool, bool) {
        match reach.grant() {
            Some(g) => (
                g.can(crate::domain::Permission::ManageLicenseUsers),
                g.can(crate::domain::Permission::ManageLicenseUserCredentials),
            ),
            None => (false, false),
        }
    }

    fn users_page(
        self,
        status: actix_web::http::StatusCode,
        order: crate::models::order::Order,
        users: shared::license_users::UsersTab,
    ) -> AppResult<actix_web::HttpResponse> {
        let granted = self.granted()?;
        crate::web::forms::render(
            status,
            &UsersPage {
                granted,
                ctx: self,
                order,
                users,
            },
        )
    }
}

#[derive(askama::Template)]
#[template(path = "portal/orders/managers.html")]
struct ManagersPage {
    ctx: PortalCtx,
    granted: GrantedOrder,
    order: crate::models::order::Order,
    m: shared::managers::ManagersTab,
}

impl shared::managers::ManagersArea for PortalCtx {
    fn may_manage(&self) -> bool {
        // The route table lets only holders of Manage managers reach the tab.
        true
    }

    fn managers_page(
        self,
        status: actix_web::http::StatusCode,
        order: crate::models::order::Order,
        m: shared::managers::ManagersTab,
    ) -> AppResult<actix_web::HttpResponse> {
        let granted = self.granted()?;
        crate::web::forms::render(
            status,
            &ManagersPage {
                granted,
                ctx: self,
                order,
                m,
            },
        )
    }
}

impl crate::web::forms::Flasher for PortalCtx {
    fn session(&self) -> &Session {
        &self.session
    }
}

impl FromRequest for PortalCtx {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = match shared::Signed::<LicenseManager>::from_request(req, payload) {
            Ok(s) => s,
            Err(e) => return std::future::ready(Err(e)),
        };
        let vendor = req
            .app_data::<actix_web::web::Data<crate::web::AppState>>()
            .map(|s| s.config.vendor_name.clone())
            .unwrap_or_else(|| "Keyfold".to_owned());
        std::future::ready(Ok(PortalCtx {
            user: signed.current.user.clone(),
            manager: signed.current,
            ip: signed.ip,
            csrf: signed.csrf,
            session: signed.session,
            flashes: signed.flashes,
            vendor,
            granted: req.extensions().get::<GrantedOrder>().cloned(),
            nav: match req.path() {
                "/portal/licenses" => "licenses",
                p if p.starts_with("/portal/account") => "account",
                _ => "orders",
            },
        }))
    }
}

#[derive(askama::Template)]
#[template(path = "portal/licenses/offline.html")]
struct OfflinePage {
    ctx: PortalCtx,
    license: crate::models::license::License,
    errors: crate::domain::FieldErrors,
    offline_action: String,
    offline_csrf: String,
    ask_key: bool,
    license_key: String,
}

impl shared::offline::OfflineArea for PortalCtx {
    fn offline_page(
        self,
        status: actix_web::http::StatusCode,
        license: crate::models::license::License,
        errors: crate::domain::FieldErrors,
    ) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::render(
            status,
            &OfflinePage {
                offline_action: format!("/portal/licenses/{}/offline", license.id),
                offline_csrf: self.csrf.clone(),
                ctx: self,
                license,
                errors,
                ask_key: false,
                license_key: String::new(),
            },
        )
    }
}
