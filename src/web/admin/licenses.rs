//! Licenses: the list with key search and filters, the license detail view, and its
//! actions (disable/enable, reset with a confirmation page, reset device, edit, delete).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::license::LicenseForm;
use super::{AdminCtx, ConfirmPage};
use crate::auth::cookie::FlashLevel;
use crate::auth::CsrfForm;
use crate::domain::DeviceId;
use crate::domain::{values, Action, FieldErrors};
use crate::domain::{LicenseId, OrderId};
use crate::error::{AppError, AppResult};
use crate::models::device::{self, Device};
use crate::models::device_variable::{self, ShownVariable};
use crate::models::license::{
    self, Filter, License, LicenseCustomField, LicenseFeature, LicenseSummary,
};
use crate::models::license_columns::{self, Columns};
use crate::models::license_ops::{self, ResetPlan};
use crate::models::license_timeline::{self, Moment};
use crate::models::license_user::{self, LicenseUser, UserRow};
use crate::models::product::{self, Product, LICENSE_TYPES};
use crate::models::usage;
use crate::models::Page;
use crate::ops::license_users::LIST_LIMIT;
use crate::ops::{licenses, Reach};
use crate::web::forms::{act, ok, render, see_other, submit, Problem};
use crate::web::State;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/licenses/index.html")]
struct IndexPage {
    ctx: AdminCtx,
    filter: Filter,
    order: String,
    page: Page<LicenseSummary>,
    products: Vec<Product>,
    types: [(&'static str, &'static str); 4],
    pager_base: String,
    errors: FieldErrors,
    from: String,
    to: String,
    import: String,
    /// Whether the role may disable and enable licenses (the bulk form).
    can_control: bool,
    /// The export link (the same filters), for roles that may export.
    export: Option<String>,
    /// The columns this user chose.
    cols: Columns,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    key: String,
    product: String,
    status: String,
    license_type: String,
    order: String,
    from: String,
    to: String,
    import: String,
    page: String,
}

impl ListQuery {
    /// The list's filters (shared with the CSV export), with a message beside a bad date.
    pub fn filter(&self, errors: &mut FieldErrors) -> Filter {
        let (created_from, created_to) =
            crate::web::forms::date_range(errors, &self.from, &self.to);
        // The order as people see it (its reference) or its number.
        let order = values::search_term(&self.order, 100);
        let (order_id, order_reference) = match order.parse::<OrderId>() {
            Ok(id) if i64::from(id) > 0 => (Some(id), None),
            _ if order.is_empty() => (None, None),
            _ => (None, Some(order.to_lowercase())),
        };
        let import_id = match self.import.trim() {
            "" => None,
            i => match i.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.add("import", "Choose an import from the Imports page.");
                    Some(0)
                }
            },
        };
        Filter {
            key: values::search_term(&self.key, 100),
            product_id: self.product.trim().parse().ok(),
            order_id,
            order_reference,
            import_id,
            within_orders: None,
            status: self.status.trim().to_owned(),
            license_type: LICENSE_TYPES
                .iter()
                .find(|(k, _)| *k == self.license_type.trim())
                .map(|(k, _)| k.to_string())
                .unwrap_or_default(),
            created_from,
            created_to,
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(&self, filter: &Filter) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("key", &filter.key)
            .append_pair("product", &self.product)
            .append_pair("status", &filter.status)
            .append_pair("license_type", &filter.license_type)
            .append_pair("order", &self.order)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("import", self.import.trim())
            .finish()
    }
}

/// `GET /licenses`.
pub async fn index(
    state: State,
    ctx: AdminCtx,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let filter = q.filter(&mut errors);
    let paging = crate::models::Paging::parse(&q.page, PER_PAGE);
    let query_string = q.query_string(&filter);
    let pager_base = format!("/licenses?{query_string}");
    let can_control = ctx.can(Action::ControlLicenses);
    let cols = Columns::parse(&ctx.user.license_columns);
    let export = ctx
        .can(Action::ControlLicenses)
        .then(|| format!("/licenses/export.csv?{query_string}"));
    let f = filter.clone();
    let (page, products, order_known) = state
        .db(move |conn| {
            let order_known = match &f.order_reference {
                Some(r) => crate::models::order::find_by_reference(conn, r)?.is_some(),
                None => true,
            };
            Ok((
                license::list(conn, &f, paging)?,
                product::list(conn, true)?,
                order_known,
            ))
        })
        .await?;
    if !order_known {
        errors.add(
            "order",
            format!("No order has the reference “{}”.", q.order.trim()),
        );
    }
    ok(&IndexPage {
        ctx,
        filter,
        order: q.order,
        page,
        products,
        types: LICENSE_TYPES,
        pager_base,
        export,
        errors,
        from: q.from,
        to: q.to,
        import: q.import,
        can_control,
        cols,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ColumnsForm {
    columns: Vec<String>,
    back: String,
}

/// `POST /licenses/columns`: remembers the columns this user wants on the license list,
/// and returns to the list as it was filtered.
pub async fn save_columns(
    state: State,
    ctx: AdminCtx,
    CsrfForm(form): CsrfForm<ColumnsForm>,
) -> AppResult<HttpResponse> {
    let cols = Columns::of(form.columns.iter().map(String::as_str));
    let staff_id = ctx.user.staff_id();
    state
        .write(move |conn| Ok(license_columns::save(conn, staff_id, &cols)?))
        .await??;
    ctx.flash(FlashLevel::Success, "Columns saved for your account.");
    Ok(see_other(&crate::web::shared::local_back(
        &form.back,
        "/licenses",
    )))
}

#[derive(Template)]
#[template(path = "admin/licenses/show.html")]
struct ShowPage {
    ctx: AdminCtx,
    license: License,
    order_reference: String,
    product_name: String,
    customer: Option<(i64, String)>,
    features: Vec<LicenseFeature>,
    custom_fields: Vec<LicenseCustomField>,
    devices: Vec<Device>,
    variables: Vec<ShownVariable>,
    usage: crate::web::chart::UsageView,
    timeline: Vec<Moment>,
    metadata: String,
    can_control: bool,
    can_manage: bool,
    /// The license's users, and the order's (to choose one to assign).
    users: Vec<LicenseUser>,
    order_users: Vec<UserRow>,
}

impl ShowPage {
    fn can_manage_users(&self) -> bool {
        self.can_manage
    }

    /// Order users not yet on this license.
    fn assignable(&self) -> Vec<&LicenseUser> {
        license_user::not_among(&self.order_users, &self.users)
    }
}

/// `GET /licenses/{id}`: the license detail view.
pub async fn show(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let to = crate::models::now().date();
    let from = to - chrono::Duration::days(29);
    let (license, context, features, custom_fields, (devices, variables, days), timeline, users) =
        state
            .read(move |conn| {
                let l = license::find(conn, id)?.ok_or(AppError::NotFound)?;
                let context = license::context(conn, &l)?;
                let users = (
                    license_user::for_license(conn, id)?,
                    license_user::for_order(conn, l.order_id, LIST_LIMIT)?,
                );
                Ok((
                    l,
                    context,
                    license::features(conn, id)?,
                    license::custom_fields(conn, id)?,
                    (
                        device::for_license(conn, id, 200)?,
                        device_variable::of_license(conn, id)?,
                        usage::of_licenses(conn, usage::LicenseSet::License(id), from, to)?,
                    ),
                    license_timeline::of_license(conn, id, 100)?,
                    users,
                ))
            })
            .await?;
    let license::LicenseContext {
        order_reference,
        product_name,
        customer,
    } = context;
    let metadata = values::pretty_json(&license.metadata);
    let can_control = ctx.role.can(Action::ControlLicenses);
    let can_manage = ctx.role.can(Action::ManageLicenses);
    ok(&ShowPage {
        ctx,
        license,
        order_reference,
        product_name,
        customer,
        features,
        custom_fields,
        devices,
        variables,
        usage: crate::web::chart::UsageView::of("Usage of this license", from, to, days),
        timeline,
        metadata,
        can_control,
        can_manage,
        users: users.0,
        order_users: users.1,
    })
}

async fn set_enabled(
    state: State,
    ctx: AdminCtx,
    id: LicenseId,
    enabled: bool,
) -> AppResult<HttpResponse> {
    let (actor, reach) = (ctx.actor(), Reach::Staff(ctx.role));
    let l = state
        .write(move |conn| licenses::set_enabled(conn, &actor, &reach, id, enabled))
        .await??;
    let text = if enabled {
        format!(
            "License enabled; its status is now {}.",
            l.status().label().to_lowercase()
        )
    } else {
        "License disabled: every check fails until it is enabled again. Its data is kept."
            .to_owned()
    };
    ctx.flash(FlashLevel::Success, text);
    Ok(see_other(&format!("/licenses/{id}")))
}

buttons! {
    LicenseId;
    /// `POST /licenses/{id}/disable`.
    disable => set_enabled(false);
    /// `POST /licenses/{id}/enable`.
    enable => set_enabled(true);
}

#[derive(Template)]
#[template(path = "admin/licenses/reset.html")]
struct ResetPage {
    ctx: AdminCtx,
    plan: ResetPlan,
}

/// `GET /licenses/{id}/reset`: shows exactly what a reset will change.
pub async fn reset_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reach = Reach::Staff(ctx.role);
    let plan = state
        .db(move |conn| Ok(licenses::reset_plan(conn, &reach, id)?))
        .await?;
    ok(&ResetPage { ctx, plan })
}

/// `POST /licenses/{id}/reset`.
pub async fn reset(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (actor, reach) = (ctx.actor(), Reach::Staff(ctx.role));
    state
        .write(move |conn| licenses::reset(conn, &actor, &reach, id))
        .await??;
    ctx.flash(
        FlashLevel::Success,
        "License reset: its devices are deactivated and it can be activated again.",
    );
    Ok(see_other(&format!("/licenses/{id}")))
}

/// `POST /licenses/{id}/devices/{device_id}/reset`: frees one device's seat.
pub async fn reset_device(
    state: State,
    ctx: AdminCtx,
    path: web::Path<(LicenseId, DeviceId)>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let (id, device_id) = path.into_inner();
    let (actor, reach) = (ctx.actor(), Reach::Staff(ctx.role));
    let back = format!("/licenses/{id}");
    let reset = move |conn: &mut _| licenses::reset_device(conn, &actor, &reach, id, device_id);
    act(&ctx, &state, &back, reset, |d| {
        format!("Device {} reset; its seat is free.", d.hostname)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/licenses/edit.html")]
struct EditPage {
    ctx: AdminCtx,
    license: License,
    features: Vec<LicenseFeature>,
    custom_fields: Vec<LicenseCustomField>,
    form: LicenseForm,
    errors: FieldErrors,
    message: Option<String>,
}

async fn edit_page(
    state: &State,
    ctx: AdminCtx,
    id: LicenseId,
    form: Option<LicenseForm>,
    problem: Problem,
) -> AppResult<HttpResponse> {
    let Problem {
        errors,
        message,
        status,
    } = problem;
    let (license, features, custom_fields) = state
        .db(move |conn| {
            let l = license::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((
                l,
                license::features(conn, id)?,
                license::custom_fields(conn, id)?,
            ))
        })
        .await?;
    let form =
        form.unwrap_or_else(|| LicenseForm::from_license(&license, &features, &custom_fields));
    render(
        status,
        &EditPage {
            ctx,
            license,
            features,
            custom_fields,
            form,
            errors,
            message,
        },
    )
}

/// `GET /licenses/{id}/edit`.
pub async fn edit(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let (id, none) = (path.into_inner(), Problem::none());
    edit_page(&state, ctx, id, None, none).await
}

/// `POST /licenses/{id}`: save an edit of the license's terms (refused when someone
/// else saved first: the form then shows their version).
pub async fn update(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
    CsrfForm(form): CsrfForm<LicenseForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let saved = submit(
        &ctx,
        &state,
        form.parse(),
        move |conn, input| license_ops::edit(conn, &actor, id, &input),
        |_| (format!("/licenses/{id}"), "License saved.".to_owned()),
    )
    .await?;
    match saved {
        Ok(done) => Ok(done),
        Err(p) => {
            let form = (!p.is_conflict()).then_some(form);
            edit_page(&state, ctx, id, form, p).await
        }
    }
}

/// `GET /licenses/{id}/delete`.
pub async fn delete_confirm(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let l = state
        .db(move |conn| license::find(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    ConfirmPage::new(
        ctx,
        format!("Delete license {}?", l.license_key),
        vec![
            format!("The license, its {}, its events, features and custom fields are deleted for good.", crate::web::plural(l.active_devices, "active device", "active devices")),
            "Applications using this key will stop working. To stop it temporarily, disable it instead.".to_owned(),
        ],
        format!("/licenses/{id}/delete"),
        "Delete license",
        format!("/licenses/{id}"),
    )
    .render_ok()
}

/// `POST /licenses/{id}/delete`.
pub async fn delete(
    state: State,
    ctx: AdminCtx,
    path: web::Path<LicenseId>,
    CsrfForm(_): CsrfForm<crate::web::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = ctx.actor();
    let order_id = state
        .write(move |conn| license_ops::delete(conn, &actor, id))
        .await??;
    ctx.flash(FlashLevel::Success, "License deleted.");
    Ok(see_other(&format!("/orders/{order_id}")))
}
