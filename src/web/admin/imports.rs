//! CSV imports in the admin portal: upload a file (a dry run: nothing is written but the
//! file and its preview), see what it would do and every problem with its line and
//! column, then import it — all its rows at once, or none. The Imports page lists who
//! imported what and when.

use actix_multipart::form::{bytes::Bytes as UploadBytes, text::Text, MultipartForm};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::AdminCtx;
use crate::auth::cookie::FlashLevel;
use crate::auth::{CsrfForm, CsrfMultipart, HasCsrfToken};
use crate::csv_io::customer_import::{self, Customers};
use crate::csv_io::license_import::{self, Licenses};
use crate::csv_io::run;
use crate::csv_io::Committed;
use crate::domain::{Action, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::models::import::{self, Import, RowProblem, PROBLEMS_SHOWN};
use crate::models::Page;
use crate::web::forms::{ok, render, see_other};
use crate::web::{EmptyForm, State};

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/imports/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    page: Page<Import>,
    pager_base: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: String,
}

/// `GET /imports`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let paging = crate::models::Paging::parse(&query.page, PER_PAGE);
    let page = state
        .db(move |conn| {
            import::sweep_lapsed(conn)?;
            Ok(import::list(conn, paging)?)
        })
        .await?;
    ok(&IndexPage {
        ctx,
        page,
        pager_base: "/imports".to_owned(),
    })
}

#[derive(Template)]
#[template(path = "admin/imports/new.html")]
struct NewPage {
    ctx: AdminCtx,
    errors: FieldErrors,
    update_existing: bool,
    /// "customers" or "licenses".
    kind: &'static str,
}

/// `GET /imports/customers/new`: the upload form.
pub async fn new_customers(ctx: AdminCtx) -> AppResult<HttpResponse> {
    new_form(ctx, "customers")
}

/// `GET /imports/licenses/new`: the upload form.
pub async fn new_licenses(ctx: AdminCtx) -> AppResult<HttpResponse> {
    new_form(ctx, "licenses")
}

fn new_form(ctx: AdminCtx, kind: &'static str) -> AppResult<HttpResponse> {
    ok(&NewPage {
        ctx,
        errors: FieldErrors::new(),
        update_existing: false,
        kind,
    })
}

/// The upload: a CSV file and whether matched customers are updated or skipped.
#[derive(MultipartForm)]
pub struct UploadForm {
    csrf_token: Option<Text<String>>,
    update_existing: Option<Text<String>>,
    file: Option<UploadBytes>,
}

impl HasCsrfToken for UploadForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

/// `POST /imports/customers/new`: checks the file (a dry run) and shows its preview.
pub async fn upload_customers(
    state: State,
    ctx: AdminCtx,
    CsrfMultipart(form): CsrfMultipart<UploadForm>,
) -> AppResult<HttpResponse> {
    upload(state, ctx, form, "customers").await
}

/// `POST /imports/licenses/new`: checks the file (a dry run) and shows its preview.
pub async fn upload_licenses(
    state: State,
    ctx: AdminCtx,
    CsrfMultipart(form): CsrfMultipart<UploadForm>,
) -> AppResult<HttpResponse> {
    upload(state, ctx, form, "licenses").await
}

async fn upload(
    state: State,
    ctx: AdminCtx,
    form: UploadForm,
    kind: &'static str,
) -> AppResult<HttpResponse> {
    let update_existing = form.update_existing.is_some();
    let file = match form.file {
        Some(f) if f.file_name.as_deref().is_some_and(|n| !n.is_empty()) => f,
        _ => {
            let mut errors = FieldErrors::new();
            errors.add("file", "Choose a CSV file to upload.");
            return render(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    ctx,
                    errors,
                    update_existing,
                    kind,
                },
            );
        }
    };
    let name: String = file
        .file_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let actor = ctx.actor();
    let bytes = file.data;
    let created = state
        .db(move |conn| {
            Ok(if kind == "licenses" {
                run::preview::<Licenses>(conn, &actor, &name, &bytes, false)?
            } else {
                run::preview::<Customers>(conn, &actor, &name, &bytes, update_existing)?
            })
        })
        .await?;
    Ok(see_other(&format!("/imports/{}", created.id)))
}

/// `GET /imports/customers/template.csv`: the header and one example row.
pub async fn customers_template() -> HttpResponse {
    template("customers", customer_import::template())
}

/// `GET /imports/licenses/template.csv`: the header and one example row.
pub async fn licenses_template() -> HttpResponse {
    template("licenses", license_import::template())
}

fn template(kind: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"keyfold-{kind}-template.csv\""),
        ))
        .body(body)
}

#[derive(Template)]
#[template(path = "admin/imports/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    import: Import,
    kinds: Vec<(String, i64)>,
    problems: Vec<RowProblem>,
    can_commit: bool,
    /// A licenses file's new orders and customers (a preview that can be imported).
    would_create: Option<crate::models::license_import::WouldCreate>,
}

/// `GET /imports/{id}`: the preview (or what the import did).
pub async fn show(state: State, ctx: AdminCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (import, kinds, problems, would_create) = state
        .db(move |conn| {
            import::sweep_lapsed(conn)?;
            let i = import::find(conn, id)?.ok_or(AppError::NotFound)?;
            let kinds = import::problem_counts(conn, id)?;
            let problems = import::problems(conn, id, 0, PROBLEMS_SHOWN)?
                .into_iter()
                .map(|(_, p)| p)
                .collect();
            let would_create = if i.kind == "licenses" && i.can_commit() {
                i.preview_details
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
            } else {
                None
            };
            Ok((i, kinds, problems, would_create))
        })
        .await?;
    let can_commit = import.can_commit() && ctx.can(commit_action(&import.kind));
    ok(&ShowPage {
        ctx,
        import,
        kinds,
        problems,
        can_commit,
        would_create,
    })
}

/// `GET /imports/{id}/progress`: how far a commit is, as JSON, for the page's progress bar.
pub async fn progress(state: State, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let import = state
        .db(move |conn| {
            import::sweep_lapsed(conn)?;
            import::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await?;
    let p = import.progress();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "status": import.status,
            "done": p.done,
            "total": p.total,
            "percent": p.percent,
            "summary": p.summary(),
        })))
}

/// `GET /imports/{id}/problems.csv`: every problem (line, column, kind, message).
pub async fn problems_csv(state: State, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    state
        .db(move |conn| {
            import::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(())
        })
        .await?;
    let body = crate::csv_io::stream::csv_stream(state.pool.clone(), move |conn, sink| {
        crate::csv_io::stream::export_pages(
            conn,
            sink,
            ["line", "column", "kind", "message"],
            PROBLEMS_SHOWN,
            |conn, after| import::problems(conn, id, after, PROBLEMS_SHOWN),
            |(pid, _)| *pid,
            |out, (_, p)| {
                let line = p.line.to_string();
                crate::csv_io::stream::write_cells(out, [&line, &p.column, &p.kind, &p.message])
            },
        )
        .map(|_| ())
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"import-{id}-problems.csv\""),
        ))
        .streaming(body))
}

/// What committing an import of this kind needs: licenses are changed by those who
/// manage licenses, customers by those who edit customers.
fn commit_action(kind: &str) -> Action {
    if kind == "licenses" {
        Action::ManageLicenses
    } else {
        Action::EditCustomers
    }
}

/// `POST /imports/{id}/commit`: imports a previewed file without problems.
pub async fn commit(
    state: State,
    ctx: AdminCtx,
    path: web::Path<i64>,
    _form: CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let back = format!("/imports/{id}");
    let kind = state
        .db(move |conn| Ok(import::find(conn, id)?.ok_or(AppError::NotFound)?.kind))
        .await?;
    if !ctx.can(commit_action(&kind)) {
        return Err(AppError::Forbidden);
    }
    let pool = state.pool.clone();
    let result = state
        .db(move |conn| Ok(crate::csv_io::commit(conn, &pool, &actor, id)))
        .await?;
    match result {
        Ok(Committed::InBackground(i)) => ctx.flash(
            FlashLevel::Info,
            format!(
                "Importing {} rows in the background: this page shows how far it is, and the rest of the portal stays usable meanwhile.",
                i.total_rows
            ),
        ),
        other => crate::web::forms::flash_result(&ctx, other, |done| {
            let (Committed::Done(i) | Committed::InBackground(i)) = done;
            format!(
                "Imported {}: {} created, {} updated, {} skipped.",
                i.file_name, i.create_count, i.update_count, i.skip_count
            )
        })?,
    }
    Ok(see_other(&back))
}
