//! The staff guard: every vendor route passes through it. It looks up the signed-in
//! session on every request, reloads the user (so a role change or a disable applies at
//! once), checks the route's declared action against the permission table, and hands the
//! handler a [`CurrentStaff`].

use actix_session::SessionExt;
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::cookie::{forget_staff_session, staff_session_token};
use super::csrf::return_path;
use crate::domain::{Action, Role, StaffId};
use crate::error::AppError;
use crate::models::session::{self, Kind, Timeouts};
use crate::models::staff::{self, StaffUser};
use crate::web::AppState;

/// The signed-in staff user of this request.
#[derive(Clone, Debug)]
pub struct CurrentStaff {
    pub user: StaffUser,
    pub session_id: i64,
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

    /// This user as the actor of an audited change made from `ip`.
    pub fn actor(&self, ip: &super::ClientIp) -> crate::models::audit::Actor {
        crate::models::audit::Actor::staff(self.user.id, &self.user.email, Some(ip.0.clone()))
    }
}

/// Looks up the live staff session for this cookie token and its active user.
pub fn load(
    state: &AppState,
    token: String,
) -> impl FnOnce(&mut crate::db::DbConnection) -> Result<Option<CurrentStaff>, AppError> + Send + 'static
{
    let timeouts = timeouts(state);
    move |conn| {
        let Some(row) = session::find_live(conn, Kind::Staff, &token, timeouts)? else {
            return Ok(None);
        };
        match staff::find(conn, StaffId(row.user_id))? {
            Some(user) if user.active => Ok(Some(CurrentStaff {
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

/// The guard, as a middleware function; `action` is what the route declared.
pub async fn require_staff(
    action: Action,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<actix_web::web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()))?;
    let session = req.get_session();
    let current = match staff_session_token(&session) {
        Some(token) => match state.db(load(&state, token)).await {
            Ok(found) => found,
            Err(e) => return Ok(req.error_response(e)),
        },
        None => None,
    };
    // Errors become responses here (not `Err`), so the session cookie change is kept.
    let Some(current) = current else {
        forget_staff_session(&session);
        let next = return_path(req.request());
        return Ok(req.error_response(AppError::SignInRequired {
            login: "/login",
            next,
        }));
    };
    if !current.can(action) {
        return Ok(req.error_response(AppError::Forbidden));
    }
    req.extensions_mut().insert(current);
    next.call(req).await
}

impl FromRequest for CurrentStaff {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<CurrentStaff>()
                .cloned()
                .ok_or_else(|| {
                    AppError::Internal("route is not behind the staff guard".to_owned()).into()
                }),
        )
    }
}
