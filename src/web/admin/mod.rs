//! The admin portal's handlers, one module per area.

/// Declares one-button POST handlers (a form with only the CSRF token) that each call a
/// shared function with the id from the path and a fixed argument, e.g. disable/enable.
macro_rules! buttons {
    ($id:ty; $( $(#[$doc:meta])* $name:ident => $target:ident($arg:expr); )*) => {$(
        $(#[$doc])*
        pub async fn $name(
            state: $crate::web::State,
            ctx: $crate::web::admin::AdminCtx,
            path: actix_web::web::Path<$id>,
            _form: $crate::auth::CsrfForm<$crate::web::EmptyForm>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $target(state, ctx, path.into_inner(), $arg).await
        }
    )*};
}

pub mod account;
pub mod audit;
pub mod customer_accounts;
pub mod customers;
pub mod exports;
pub mod forms;
pub mod imports;
pub mod labels;
pub mod license_bulk;
pub mod license_managers;
pub mod licenses;
pub mod notifications;
pub mod order_actions;
pub mod order_managers;
pub mod orders;
pub mod product_parts;
pub mod products;
pub mod reports;
pub mod search;
pub mod settings;
pub mod staff;

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::cookie::{self, Flash, FlashLevel};
use crate::auth::{ClientIp, CurrentStaff};
use crate::domain::{Action, Role};
use crate::error::AppResult;
use crate::models::audit::Actor;
use crate::models::staff::StaffUser;
use crate::ops::Reach;
use crate::web::shared::{self, Area, Confirm};

/// The one extractor an admin handler asks for: the signed-in staff user, their client
/// address, the CSRF token for the page's forms, the session (for flash messages), and
/// what the layout needs (flashes, the current navigation entry).
pub struct AdminCtx {
    pub staff: CurrentStaff,
    pub user: StaffUser,
    pub role: Role,
    pub ip: ClientIp,
    pub session: Session,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub nav: &'static str,
}

impl AdminCtx {
    fn new(req: &HttpRequest, signed: shared::Signed<StaffUser>) -> Self {
        let nav = match req.path().split('/').nth(1).unwrap_or("") {
            "orders" => "orders",
            "licenses" => "licenses",
            "customers" | "customer-accounts" | "labels" => "customers",
            "products" => "products",
            "audit-log" => "audit-log",
            "reports" => "reports",
            "staff" => "staff",
            "settings" => "settings",
            "license-managers" => "license-managers",
            "notifications" => "notifications",
            "imports" => "imports",
            _ => "",
        };
        let staff = signed.current;
        AdminCtx {
            user: staff.user.clone(),
            role: staff.role(),
            csrf: signed.csrf,
            staff,
            ip: signed.ip,
            session: signed.session,
            flashes: signed.flashes,
            nav,
        }
    }

    /// The signed-in user as the actor of an audited change.
    pub fn actor(&self) -> Actor {
        self.staff.actor(&self.ip)
    }

    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }

    /// Queues a message for the next page.
    pub fn flash(&self, level: FlashLevel, text: impl Into<String>) {
        cookie::flash(&self.session, level, text);
    }
}

#[derive(askama::Template)]
#[template(path = "admin/orders/managers.html")]
struct ManagersPage {
    ctx: AdminCtx,
    order: crate::models::order::Order,
    m: shared::managers::ManagersTab,
}

impl shared::managers::ManagersArea for AdminCtx {
    fn may_manage(&self) -> bool {
        self.can(Action::ManageLicenseManagers)
    }

    fn managers_page(
        self,
        status: actix_web::http::StatusCode,
        order: crate::models::order::Order,
        m: shared::managers::ManagersTab,
    ) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::render(
            status,
            &ManagersPage {
                ctx: self,
                order,
                m,
            },
        )
    }
}

impl crate::web::forms::Flasher for AdminCtx {
    fn session(&self) -> &Session {
        &self.session
    }
}

impl FromRequest for AdminCtx {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(
            shared::Signed::<StaffUser>::from_request(req, payload)
                .map(|signed| AdminCtx::new(req, signed)),
        )
    }
}

/// A confirmation page before a destructive action: what will happen, one button.
#[derive(askama::Template)]
#[template(path = "admin/confirm.html")]
pub struct ConfirmPage {
    pub ctx: AdminCtx,
    pub page: Confirm,
}

impl ConfirmPage {
    pub fn new(
        ctx: AdminCtx,
        title: String,
        lines: Vec<String>,
        action: String,
        button: &'static str,
        cancel: String,
    ) -> Self {
        ConfirmPage {
            ctx,
            page: Confirm::danger(title, lines, action, button, cancel),
        }
    }

    pub fn render_ok(&self) -> crate::error::AppResult<actix_web::HttpResponse> {
        crate::web::forms::ok(self)
    }
}

impl Area for AdminCtx {
    const ORDERS: &'static str = "/orders";
    const LICENSES: &'static str = "/licenses";

    fn actor(&self) -> Actor {
        AdminCtx::actor(self)
    }

    fn reach(&self) -> AppResult<Reach> {
        Ok(Reach::Staff(self.role))
    }

    fn confirm(self, page: Confirm) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::ok(&ConfirmPage { ctx: self, page })
    }
}

#[derive(askama::Template)]
#[template(path = "admin/orders/users.html")]
struct UsersPage {
    ctx: AdminCtx,
    order: crate::models::order::Order,
    users: shared::license_users::UsersTab,
}

impl shared::license_users::UsersArea for AdminCtx {
    fn may(&self, _: &Reach) -> (bool, bool) {
        (
            self.can(Action::ManageLicenses),
            self.can(Action::ControlLicenses),
        )
    }

    fn users_page(
        self,
        status: actix_web::http::StatusCode,
        order: crate::models::order::Order,
        users: shared::license_users::UsersTab,
    ) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::render(
            status,
            &UsersPage {
                ctx: self,
                order,
                users,
            },
        )
    }
}

#[derive(askama::Template)]
#[template(path = "admin/licenses/offline.html")]
struct OfflinePage {
    ctx: AdminCtx,
    license: crate::models::license::License,
    errors: crate::domain::FieldErrors,
    offline_action: String,
    offline_csrf: String,
    ask_key: bool,
    license_key: String,
}

impl shared::offline::OfflineArea for AdminCtx {
    fn offline_page(
        self,
        status: actix_web::http::StatusCode,
        license: crate::models::license::License,
        errors: crate::domain::FieldErrors,
    ) -> AppResult<actix_web::HttpResponse> {
        crate::web::forms::render(
            status,
            &OfflinePage {
                offline_action: format!("/licenses/{}/offline", license.id),
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
