//! What both portals' handlers share: the [`Area`] a handler runs in (its context, reach
//! and URLs), and the pages both areas show the same way, written once and registered in
//! both route tables with the area as a type parameter.

pub mod license_users;
pub mod managers;
pub mod offline;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use crate::auth::account::Account;
use crate::auth::cookie::{csrf_token, take_flashes, Flash};
use crate::auth::{ClientIp, Current};

use crate::error::AppResult;
use crate::models::audit::Actor;
use crate::ops::Reach;
use crate::web::forms::Flasher;

/// What every area's context starts from: the signed-in account of kind `A` (the
/// route's guard put it on the request), the client address, the session with its CSRF
/// token, and the flashes a page shows (taken by a GET; a POST leaves them queued).
pub struct Signed<A> {
    pub current: Current<A>,
    pub ip: ClientIp,
    pub session: Session,
    pub csrf: String,
    pub flashes: Vec<Flash>,
}

impl<A: Account> Signed<A> {
    pub fn from_request(
        req: &HttpRequest,
        payload: &mut Payload,
    ) -> Result<Self, actix_web::Error> {
        let current = Current::<A>::from_request(req, payload).into_inner()?;
        let ip = ClientIp::from_request(req, payload).into_inner()?;
        let session = req.get_session();
        let flashes = if req.method() == Method::GET {
            take_flashes(&session)
        } else {
            Vec::new()
        };
        Ok(Signed {
            current,
            ip,
            csrf: csrf_token(&session),
            session,
            flashes,
        })
    }
}

/// A confirmation page before a destructive action: what will happen, one button.
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub action: String,
    pub button: &'static str,
    pub button_class: &'static str,
    pub cancel: String,
    /// Fields the confirming form carries (what to act on, `confirmed=yes`).
    pub hidden: Vec<(&'static str, String)>,
}

impl Confirm {
    /// A confirmation whose button does something that cannot be undone.
    pub fn danger(
        title: String,
        lines: Vec<String>,
        action: String,
        button: &'static str,
        cancel: String,
    ) -> Self {
        Confirm {
            title,
            lines,
            action,
            button,
            button_class: "kf-danger",
            cancel,
            hidden: Vec::new(),
        }
    }

    /// The same, with fields the confirming form posts.
    pub fn carrying(mut self, hidden: Vec<(&'static str, String)>) -> Self {
        self.hidden = hidden;
        self
    }
}

/// The area a shared handler runs in: the admin portal (staff) or the license portal
/// (license managers). Its context is the handler's one extractor.
pub trait Area: FromRequest + Flasher + Sized + 'static {
    /// Where the area's order pages live (`/orders`, `/portal/orders`).
    const ORDERS: &'static str;
    /// Where the area's license pages live (`/licenses`, `/portal/licenses`).
    const LICENSES: &'static str;

    /// The signed-in person as the actor of an audited change.
    fn actor(&self) -> Actor;

    /// What the signed-in person may reach (a license manager's comes from the grant
    /// guard of the route).
    fn reach(&self) -> AppResult<Reach>;

    /// Renders a confirmation page in the area's layout.
    fn confirm(self, page: Confirm) -> AppResult<HttpResponse>;

    /// An order's page in this area, with `tail` after it (`/users`, …).
    fn order_url(order: impl std::fmt::Display, tail: &str) -> String {
        format!("{}/{order}{tail}", Self::ORDERS)
    }

    /// A license's page in this area.
    fn license_url(license: impl std::fmt::Display) -> String {
        format!("{}/{license}", Self::LICENSES)
    }
}

/// A streamed CSV download named `<name>-<today>.csv`, never cached.
pub fn csv_download(
    name: &str,
    body: impl futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::Error>> + 'static,
) -> actix_web::HttpResponse {
    let file = format!("{name}-{}.csv", crate::models::now().format("%Y-%m-%d"));
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}

/// Where a form returns to: `back` when it is a local path under `prefix` (never another
/// site, never a header injection), else `prefix` itself.
pub fn local_back(back: &str, prefix: &str) -> String {
    let b = back.trim();
    if b.starts_with(prefix) && !b.starts_with("//") && !b.contains(['\r', '\n', '\\']) {
        b.to_owned()
    } else {
        prefix.to_owned()
    }
}
