//! Labels: list, create, rename and recolour, delete (removing the assignments).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{AdminCtx, ConfirmPage};
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::LabelId;
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::label::{self, Label, LabelInput};
use crate::web::forms::{render, see_other, submit};
use crate::web::State;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct LabelForm {
    name: String,
    colour: String,
}

#[derive(Template)]
#[template(path = "admin/labels/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    labels: Vec<(Label, i64)>,
    /// The new-label form's input and errors.
    form: LabelForm,
    errors: FieldErrors,
    /// A failed edit: which label, its input and errors.
    editing: Option<(LabelId, LabelForm, FieldErrors)>,
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
    ctx: AdminCtx,
    form: LabelForm,
    errors: FieldErrors,
    editing: Option<(LabelId, LabelForm, FieldErrors)>,
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
pub async fn index(state: State, ctx: AdminCtx) -> AppResult<HttpResponse> {
    let (form, errors) = (LabelForm::default(), FieldErrors::new());
    index_page(&state, ctx, form, errors, None, StatusCode::OK).await
}

/// `POST /labels`.
pub async fn create(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let created = submit(
        &ctx,
        &state,
        LabelInput::parse(&form.name, &form.colour),
        move |conn, input| label::create(conn, &actor, &input),
        |l| ("/labels".to_owned(), format!("Label {} created.", l.name)),
    )
    .await?;
    match created {
        Ok(done) => Ok(done),
        Err(p) => {
            let status = p.status;
            index_page(&state, ctx, form, p.field_errors("name"), None, status).await
        }
    }
}

/// `POST /labels/{id}`: rename or recolour.
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LabelId>,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        LabelInput::parse(&form.name, &form.colour),
        move |conn, input| label::update(conn, &actor, id, &input),
        |l| ("/labels".to_owned(), format!("Label {} saved.", l.name)),
    )
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(p) => {
            let status = p.status;
            let editing = Some((id, form, p.field_errors("name")));
            let blank = LabelForm::default();
            index_page(&state, ctx, blank, FieldErrors::new(), editing, status).await
        }
    }
}

/// `GET /labels/{id}/delete`: asks first, saying how many customers carry it.
pub async fn delete_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LabelId>,
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
            "The label is removed from {}. The customers themselves are not changed.",
            crate::web::plural(n, "customer", "customers")
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
    ctx: AdminCtx,
    path: web::Path<LabelId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let n = state
        .write(move |conn| label::delete(conn, &actor, id))
        .await??;
    ctx.flash(
        FlashLevel::Success,
        format!(
            "Label deleted and removed from {}.",
            crate::web::plural(n as i64, "customer", "customers")
        ),
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
