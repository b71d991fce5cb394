//! Labels: list, create, rename and recolour, delete (removing the assignments).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{ConfirmPage, VendorCtx};
use crate::auth::cookie::{flash, FlashLevel};
use crate::auth::{ClientIp, CsrfForm, CurrentStaff};
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::label::{self, Label, LabelInput};
use crate::web::forms::{render, see_other};
use crate::web::{outcome, Outcome, State};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct LabelForm {
    name: String,
    colour: String,
}

#[derive(Template)]
#[template(path = "vendor/labels/index.html")]
struct IndexPage {
    ctx: VendorCtx,
    labels: Vec<(Label, i64)>,
    /// The new-label form's input and errors.
    form: LabelForm,
    errors: FieldErrors,
    /// A failed edit: which label, its input and errors.
    editing: Option<(i64, LabelForm, FieldErrors)>,
    can_edit: bool,
}

impl IndexPage {
    /// The values an edit row shows: the failed input for the label being edited.
    fn row_form(&self, label: &Label) -> (String, String, Option<&FieldErrors>) {
        match &self.editing {
            Some((id, form, errors)) if *id == label.id => {
                (form.name.clone(), form.colour.clone(), Some(errors))
            }
            _ => (label.name.clone(), label.colour.clone(), None),
        }
    }
}

async fn index_page(
    state: &State,
    ctx: VendorCtx,
    form: LabelForm,
    errors: FieldErrors,
    editing: Option<(i64, LabelForm, FieldErrors)>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let labels = state.db(|conn| Ok(label::list_with_counts(conn)?)).await?;
    let can_edit = ctx.role.can(Action::ManageCatalogue);
    let form = if form.colour.is_empty() {
        LabelForm {
            colour: "#4f46e5".to_owned(),
            ..form
        }
    } else {
        form
    };
    render(
        status,
        &IndexPage {
            ctx,
            labels,
            form,
            errors,
            editing,
            can_edit,
        },
    )
}

/// `GET /labels`.
pub async fn index(state: State, ctx: VendorCtx) -> AppResult<HttpResponse> {
    index_page(
        &state,
        ctx,
        LabelForm::default(),
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /labels`.
pub async fn create(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let ctx = || VendorCtx::new(&req, &staff);
    let input = match LabelInput::parse(&form.name, &form.colour) {
        Ok(i) => i,
        Err(errors) => {
            return index_page(
                &state,
                ctx(),
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| label::create(conn, &actor, &input))
            .await?,
    )? {
        Outcome::Done(l) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Label {} created.", l.name),
            );
            Ok(see_other("/labels"))
        }
        Outcome::Form(errors, _) => {
            index_page(
                &state,
                ctx(),
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /labels/{id}`: rename or recolour.
pub async fn update(
    state: State,
    req: HttpRequest,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let ctx = || VendorCtx::new(&req, &staff);
    let failed = |form: LabelForm, errors: FieldErrors| Some((id, form, errors));
    let input = match LabelInput::parse(&form.name, &form.colour) {
        Ok(i) => i,
        Err(errors) => {
            return index_page(
                &state,
                ctx(),
                LabelForm::default(),
                FieldErrors::new(),
                failed(form, errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let actor = staff.actor(&ip);
    match outcome(
        state
            .write(move |conn| label::update(conn, &actor, id, &input))
            .await?,
    )? {
        Outcome::Done(l) => {
            flash(
                &session,
                FlashLevel::Success,
                format!("Label {} saved.", l.name),
            );
            Ok(see_other("/labels"))
        }
        Outcome::Form(errors, _) => {
            index_page(
                &state,
                ctx(),
                LabelForm::default(),
                FieldErrors::new(),
                failed(form, errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `GET /labels/{id}/delete`: asks first, saying how many customers carry it.
pub async fn delete_confirm(
    state: State,
    ctx: VendorCtx,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (l, n) = state
        .db(move |conn| {
            label::list_with_counts(conn)?
                .into_iter()
                .find(|(l, _)| l.id == id)
                .ok_or(AppError::NotFound)
        })
        .await?;
    ConfirmPage::new(
        ctx,
        format!("Delete label {}?", l.name),
        vec![format!(
            "The label is removed from {n} customer(s). The customers themselves are not changed."
        )],
        format!("/labels/{id}/delete"),
        "Delete label",
        "/labels".to_owned(),
    )
    .render_ok()
}

/// `POST /labels/{id}/delete`.
pub async fn delete(
    state: State,
    session: Session,
    staff: CurrentStaff,
    ip: ClientIp,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = staff.actor(&ip);
    let n = state
        .write(move |conn| label::delete(conn, &actor, id))
        .await??;
    flash(
        &session,
        FlashLevel::Success,
        format!("Label deleted and removed from {n} customer(s)."),
    );
    Ok(see_other("/labels"))
}

/// `GET /labels.css`: each label's colour as a class (inline styles are not allowed by
/// the Content-Security-Policy).
pub async fn stylesheet(state: State) -> AppResult<HttpResponse> {
    let labels = state.db(|conn| Ok(label::all(conn)?)).await?;
    let mut css = String::new();
    for l in labels {
        // Colours are validated as #rrggbb on the way in; check again before emitting CSS.
        if crate::domain::values::colour(&l.colour).is_ok() {
            css.push_str(&format!(
                ".kf-label-{} {{ background: {}; }}\n",
                l.id, l.colour
            ));
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(css))
}
