//! Staff administration (admins only): the list, inviting a user through a one-time
//! link, changing roles, disabling and enabling; and the page where an invited user
//! chooses their password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::cookie::{csrf_token, flash, FlashLevel};
use crate::auth::{password, CsrfForm};
use crate::domain::{values, EmailAddress, FieldErrors, NewPassword, Role, StaffId};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditRow};
use crate::models::staff::{self, StaffUser, INVITE_HOURS};
use crate::web::forms::{act, ok, render, see_other};
use crate::web::{outcome, Outcome, State};

#[derive(Template)]
#[template(path = "admin/staff/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    users: Vec<StaffUser>,
}

/// `GET /staff`.
pub async fn index(state: State, ctx: AdminCtx) -> AppResult<HttpResponse> {
    let users = state.db(|conn| Ok(staff::list(conn)?)).await?;
    ok(&IndexPage { ctx, users })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewStaffForm {
    email: String,
    name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "admin/staff/new.html")]
struct NewPage {
    ctx: AdminCtx,
    form: NewStaffForm,
    errors: FieldErrors,
    roles: [Role; 4],
}

/// `GET /staff/new`.
pub async fn new(ctx: AdminCtx) -> AppResult<HttpResponse> {
    let form = NewStaffForm {
        role: Role::ReadOnly.as_str().to_owned(),
        ..Default::default()
    };
    ok(&NewPage {
        ctx,
        form,
        errors: FieldErrors::new(),
        roles: Role::ALL,
    })
}

#[derive(Template)]
#[template(path = "admin/staff/link.html")]
struct LinkPage {
    ctx: AdminCtx,
    user: StaffUser,
    link: String,
    hours: i64,
}

fn link_page(
    state: &State,
    ctx: AdminCtx,
    user: StaffUser,
    token: &str,
) -> AppResult<HttpResponse> {
    let link = format!("{}/account/setup/{token}", state.config.public_url);
    ok(&LinkPage {
        ctx,
        user,
        link,
        hours: INVITE_HOURS,
    })
}

/// `POST /staff`: creates the user and shows their one-time link, once.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<NewStaffForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let name = errors.check("name", values::text(&form.name, values::SHORT, true));
    let role = errors.check("role", Role::parse(&form.role));
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPage {
                ctx,
                form,
                errors,
                roles: Role::ALL,
            },
        );
    };
    let actor = ctx.actor();
    match outcome(
        state
            .write(move |conn| staff::invite(conn, &actor, &email, &name, role))
            .await?,
    )? {
        Outcome::Done((user, token)) => link_page(&state, ctx, user, &token),
        Outcome::Form(errors, _) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPage {
                ctx,
                form,
                errors,
                roles: Role::ALL,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "admin/staff/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    user: StaffUser,
    audit: Vec<AuditRow>,
    roles: [Role; 4],
    is_self: bool,
}

/// `GET /staff/{id}`.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<StaffId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (user, audit) = state
        .db(move |conn| {
            let user = staff::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((user, audit::for_object(conn, "staff_user", id, 50)?))
        })
        .await?;
    let is_self = ctx.staff.id() == id;
    ok(&ShowPage {
        ctx,
        user,
        audit,
        roles: Role::ALL,
        is_self,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// `POST /staff/{id}/role`.
pub async fn set_role(
    state: State,
    ctx: AdminCtx,
    path: web::Path<StaffId>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let back = format!("/staff/{id}");
    let Ok(role) = Role::parse(&form.role) else {
        ctx.flash(FlashLevel::Error, "Choose one of the listed roles.");
        return Ok(see_other(&back));
    };
    let actor = ctx.actor();
    let change = move |conn: &mut _| staff::set_role(conn, &actor, id, role);
    act(&ctx, &state, &back, change, |u| {
        format!("{} is now {}.", u.email, u.role().label())
    })
    .await
}

async fn set_active(
    state: State,
    ctx: AdminCtx,
    id: StaffId,
    active: bool,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let back = format!("/staff/{id}");
    let change = move |conn: &mut _| staff::set_active(conn, &actor, id, active);
    act(&ctx, &state, &back, change, |u| match active {
        true => format!("{} can sign in again.", u.email),
        false => format!("{} is disabled and signed out everywhere.", u.email),
    })
    .await
}

buttons! {
    StaffId;
    /// `POST /staff/{id}/disable`.
    disable => set_active(false);
    /// `POST /staff/{id}/enable`.
    enable => set_active(true);
}

/// `POST /staff/{id}/link`: a new one-time link (the previous one stops working).
pub async fn new_link(
    state: State,
    ctx: AdminCtx,
    path: web::Path<StaffId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let (user, token) = state
        .write(move |conn| {
            let token = staff::new_link(conn, &actor, id)?;
            let user = staff::find(conn, id)?.ok_or(crate::models::ModelError::NotFound)?;
            Ok((user, token))
        })
        .await??;
    link_page(&state, ctx, user, &token)
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    csrf: String,
    email: String,
    action: String,
    errors: FieldErrors,
}

/// `GET /account/setup/{token}`: an invited staff user chooses a password.
pub async fn setup_form(
    state: State,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let t = token.clone();
    let user = state.db(move |conn| Ok(staff::for_link(conn, &t))).await?;
    let user = match user {
        Ok(u) => u,
        Err(crate::models::ModelError::Refused(r)) => return Err(AppError::Gone(r.message)),
        Err(_) => return Err(AppError::NotFound),
    };
    let page = SetupPage {
        csrf: csrf_token(&session),
        email: user.email,
        action: format!("/account/setup/{token}"),
        errors: FieldErrors::new(),
    };
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    new_password: String,
    confirm_password: String,
}

/// `POST /account/setup/{token}`: sets the password and uses the link up.
pub async fn setup_submit(
    state: State,
    session: Session,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let t = token.clone();
    let user = match state.db(move |conn| Ok(staff::for_link(conn, &t))).await? {
        Ok(u) => u,
        Err(crate::models::ModelError::Refused(r)) => return Err(AppError::Gone(r.message)),
        Err(_) => return Err(AppError::NotFound),
    };
    let mut errors = FieldErrors::new();
    let new = errors.check("new_password", NewPassword::parse(&form.new_password));
    if new.is_some() && form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two passwords differ.");
    }
    let new = match new {
        Some(n) if errors.is_empty() => n,
        _ => {
            let page = SetupPage {
                csrf: csrf_token(&session),
                email: user.email,
                action: format!("/account/setup/{token}"),
                errors,
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let hash = password::hash(new.expose().to_owned(), state.config.bcrypt_cost).await?;
    match state
        .write(move |conn| staff::set_password_by_link(conn, &token, &hash))
        .await?
    {
        Ok(u) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Password set for {}. Sign in with it now.", u.email),
            );
            Ok(see_other("/login"))
        }
        Err(crate::models::ModelError::Refused(r)) => Err(AppError::Gone(r.message)),
        Err(e) => Err(e.into()),
    }
}
