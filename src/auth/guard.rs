//! The guards: each area's routes pass through the guard of its kind of account. A
//! guard looks up the signed-in session of that kind on every request, reloads the
//! account (a role change or a disable applies at once), checks what the route
//! declared, and hands the handler a [`Current`] account. A staff session grants
//! nothing in `/portal`, and a manager session nothing outside it: each kind has its
//! own session id in the cookie and its own rows.

use actix_session::SessionExt;
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::account::Account;
use super::cookie::{forget_session, session_token};
use super::csrf::return_path;
use crate::domain::{Action, LicenseId, OnOrder, OrderId, Role, StaffId};
use crate::error::AppError;
use crate::models::grant::{self, Denied, GrantedOrder};
use crate::models::license_manager::LicenseManager;
use crate::models::session::{self, Timeouts};
use crate::models::staff::StaffUser;
use crate::state::AppState;

/// The signed-in account of this request, and its session.
#[derive(Clone, Debug)]
pub struct Current<A> {
    pub user: A,
    pub session_id: i64,
}

/// The signed-in staff user (admin portal).
pub type CurrentStaff = Current<StaffUser>;
/// The signed-in license manager (license portal).
pub type CurrentLicenseManager = Current<LicenseManager>;

impl<A: Account> Current<A> {
    /// This account as the actor of an audited change made from `ip`.
    pub fn actor(&self, ip: &super::ClientIp) -> crate::models::audit::Actor {
        self.user.actor(&ip.0)
    }
}

impl CurrentStaff {
    pub fn id(&self) -> StaffId {
        self.user.staff_id()
    }

    pub fn role(&self) -> Role {
        self.user.role()
    }

    pub fn can(&self, action: Action) -> bool {
        self.role().can(action)
    }
}

/// Looks up the live session of kind `A` for this cookie token, and its active account.
pub fn load<A: Account>(
    state: &AppState,
    token: String,
) -> impl FnOnce(&mut crate::db::DbConnection) -> Result<Option<Current<A>>, AppError> + Send + 'static
{
    let timeouts = timeouts(state);
    move |conn| {
        let Some(row) = session::find_live(conn, A::KIND, &token, timeouts)? else {
            return Ok(None);
        };
        match A::find(conn, row.user_id)? {
            Some(user) if user.is_active() => Ok(Some(Current {
                user,
                session_id: row.id,
            })),
            _ => Ok(None),
        }
    }
}

pub fn timeouts(state: &AppState) -> Timeouts {
    Timeouts {
        idle: state.config.session_idle,
        absolute: state.config.session_absolute,
    }
}

fn state_of(req: &ServiceRequest) -> Result<actix_web::web::Data<AppState>, AppError> {
    req.app_data::<actix_web::web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()))
}

/// The signed-in account of kind `A`, or the answer that sends to its sign-in page.
async fn signed_in<A: Account>(
    state: &AppState,
    req: &ServiceRequest,
) -> Result<Current<A>, AppError> {
    let session = req.get_session();
    let current = match session_token(&session, A::KIND) {
        Some(token) => state.db(load::<A>(state, token)).await?,
        None => None,
    };
    current.ok_or_else(|| {
        forget_session(&session, A::KIND);
        AppError::SignInRequired {
            login: A::LOGIN,
            next: return_path(req.request()),
        }
    })
}

/// The guard of kind `A`, as a middleware function: `allowed` says whether the signed-in
/// account may use the route (the route table's declaration).
pub async fn require<A: Account>(
    allowed: impl Fn(&Current<A>) -> bool,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    // Errors become responses here (not `Err`), so the session cookie change is kept.
    let current = match signed_in::<A>(&state, &req).await {
        Ok(c) => c,
        Err(e) => return Ok(req.error_response(e)),
    };
    if !allowed(&current) {
        return Ok(req.error_response(AppError::Forbidden));
    }
    req.extensions_mut().insert(current);
    next.call(req).await
}

/// What a portal route's `{id}` names: an order, or a license (whose order is checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Order,
    License,
}

impl Scope {
    /// The scope of a portal route path, from where its `{id}` sits.
    pub fn of(path: &str) -> Option<Scope> {
        if path.starts_with("/portal/orders/{id}") {
            Some(Scope::Order)
        } else if path.starts_with("/portal/licenses/{id}") {
            Some(Scope::License)
        } else {
            None
        }
    }
}

/// The portal's grant guard: a signed-in license manager, and a live grant on the order
/// the URL addresses holding the route's permission. No grant (or no such order or
/// license) → 404, exactly as a missing page; a grant without the permission → 403.
/// The handler receives the [`GrantedOrder`] handle.
pub async fn require_grant(
    on: OnOrder,
    scope: Scope,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let current = match signed_in::<LicenseManager>(&state, &req).await {
        Ok(c) => c,
        Err(e) => return Ok(req.error_response(e)),
    };
    let Some(id) = req
        .match_info()
        .get("id")
        .and_then(|v| v.parse::<i64>().ok())
    else {
        return Ok(req.error_response(AppError::NotFound));
    };
    let manager = current.user.manager_id();
    let checked = state
        .db(move |conn| {
            let order = match scope {
                Scope::Order => Some(OrderId(id)),
                Scope::License => grant::order_of_license(conn, LicenseId(id))?,
            };
            Ok(match order {
                Some(order) => grant::check(conn, manager, order, on.permission())?,
                None => Err(Denied::NotFound),
            })
        })
        .await;
    match checked {
        Ok(Ok(granted)) => {
            req.extensions_mut().insert(current);
            req.extensions_mut().insert(granted);
            next.call(req).await
        }
        Ok(Err(Denied::NotFound)) => Ok(req.error_response(AppError::NotFound)),
        Ok(Err(Denied::Forbidden)) => Ok(req.error_response(AppError::Forbidden)),
        Err(e) => Ok(req.error_response(e)),
    }
}

impl FromRequest for GrantedOrder {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<GrantedOrder>()
                .cloned()
                .ok_or_else(|| {
                    AppError::Internal("route is not behind the grant guard".to_owned()).into()
                }),
        )
    }
}

impl<A: Account> FromRequest for Current<A> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<Current<A>>()
                .cloned()
                .ok_or_else(|| {
                    AppError::Internal("route is not behind its area's guard".to_owned()).into()
                }),
        )
    }
}
