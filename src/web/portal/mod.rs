//! The end-user portal's handlers: what a license manager sees and does.

pub mod account;
pub mod forms;
pub mod home;
pub mod issuing;
pub mod licenses;
pub mod links;
pub mod managers;
pub mod orders;
pub mod user_links;
pub mod users;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::cookie::{csrf_token, take_flashes, Flash};
use crate::auth::{ClientIp, CurrentManager};
use crate::models::audit::Actor;
use crate::models::license_manager::LicenseManager;

/// The one extractor a portal handler asks for: the signed-in license manager, their
/// client address, the CSRF token, the session and the layout's flashes.
pub struct PortalCtx {
    pub manager: CurrentManager,
    pub user: LicenseManager,
    pub ip: ClientIp,
    pub session: Session,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// The vendor's name, shown in the portal's header.
    pub vendor: String,
}

impl PortalCtx {
    /// The signed-in manager as the actor of an audited change.
    pub fn actor(&self) -> Actor {
        self.manager.actor(&self.ip)
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
        let manager = match CurrentManager::from_request(req, payload).into_inner() {
            Ok(m) => m,
            Err(e) => return std::future::ready(Err(e)),
        };
        let ip = match ClientIp::from_request(req, payload).into_inner() {
            Ok(ip) => ip,
            Err(e) => return std::future::ready(Err(e)),
        };
        let session = req.get_session();
        let flashes = if req.method() == actix_web::http::Method::GET {
            take_flashes(&session)
        } else {
            Vec::new()
        };
        let vendor = req
            .app_data::<actix_web::web::Data<crate::web::AppState>>()
            .map(|s| s.config.vendor_name.clone())
            .unwrap_or_else(|| "Keyfold".to_owned());
        std::future::ready(Ok(PortalCtx {
            user: manager.user.clone(),
            manager,
            ip,
            csrf: csrf_token(&session),
            session,
            flashes,
            vendor,
        }))
    }
}
