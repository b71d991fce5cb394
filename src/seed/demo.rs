//! The demo company seeded by `keyfold demo` into a database without staff users:
//! products (one a bundle, one with consumption features), customer accounts, labels,
//! customers, orders (some test, some trial), licenses of every type and status, devices
//! and license events over the last 90 days, and one staff user per role.

use crate::domain::ProductId;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::prelude::*;
use rand::rngs::StdRng;

use crate::db::schema::*;
use crate::db::DbConnection;
use crate::domain::LicenseId;
use crate::domain::{license_key, EmailAddress, Role};
use crate::models::activation::{self, ActivatedBy, DeviceInfo};
use crate::models::audit::Actor;
use crate::models::staff::{self, NewStaff};
use crate::models::{now, ModelError};

/// The staff users the demo creates besides the admin: (email, name, role).
pub const DEMO_STAFF: [(&str, &str, Role); 3] = [
    ("manager@example.com", "Morgan Manager", Role::StaffManager),
    ("support@example.com", "Sam Support", Role::Support),
    ("readonly@example.com", "Robin Reader", Role::ReadOnly),
];

/// What the demo seeded, for the banner.
#[derive(Debug, Default)]
pub struct Seeded {
    pub products: usize,
    pub customers: usize,
    pub orders: usize,
    pub licenses: usize,
    pub devices: usize,
    pub events: usize,
}

struct ProductSpec {
    code: &'static str,
    name: &'static str,
    license_type: &'static str,
    max_activations: i64,
    validity_days: Option<i64>,
    maintenance_days: Option<i64>,
    trial_days: i64,
    floating_seats: i64,
    /// License users per license (0 = not user-based).
    max_license_users: i64,
    features: &'static [(&'static str, &'static str, &'static str, Option<i64>)],
}

const PRODUCTS: [ProductSpec; 4] = [
    ProductSpec {
        code: "STUDIO",
        name: "Keyfold Studio",
        license_type: "perpetual",
        max_activations: 3,
        validity_days: None,
        maintenance_days: Some(365),
        trial_days: 14,
        floating_seats: 0,
        max_license_users: 5,
        features: &[
            ("export-pdf", "PDF export", "activation", None),
            ("batch", "Batch processing", "activation", None),
        ],
    },
    ProductSpec {
        code: "RENDER",
        name: "Render Node",
        license_type: "subscription",
        max_activations: 1,
        validity_days: Some(365),
        maintenance_days: None,
        trial_days: 0,
        floating_seats: 5,
        max_license_users: 0,
        features: &[("gpu", "GPU acceleration", "activation", None)],
    },
    ProductSpec {
        code: "ANALYTICS",
        name: "Analytics API",
        license_type: "consumption",
        max_activations: 2,
        validity_days: None,
        maintenance_days: None,
        trial_days: 0,
        floating_seats: 0,
        max_license_users: 0,
        features: &[
            ("api-calls", "API calls", "consumption", Some(10_000)),
            ("exports", "Data exports", "consumption", Some(500)),
        ],
    },
    ProductSpec {
        code: "FIELD",
        name: "Field Inspector",
        license_type: "time_limited",
        max_activations: 1,
        validity_days: Some(30),
        maintenance_days: None,
        trial_days: 30,
        floating_seats: 0,
        max_license_users: 2,
        features: &[],
    },
];

const ACCOUNTS: [(&str, &str, &str); 3] = [
    (
        "NORTHWIND",
        "Northwind Group",
        "Holding with offices in Hamburg, Lyon and Leeds.",
    ),
    (
        "CONTOSO",
        "Contoso Ltd",
        "Engineering consultancy; central IT buys for all units.",
    ),
    ("INITECH", "Initech", "Software house; buys per team."),
];

const LABELS: [(&str, &str); 4] = [
    ("Enterprise", "#4f46e5"),
    ("Education", "#059669"),
    ("Partner", "#d97706"),
    ("Priority support", "#dc2626"),
];

const FIRST: [&str; 12] = [
    "Ada",
    "Grace",
    "Linus",
    "Margaret",
    "Alan",
    "Katherine",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
];
const LAST: [&str; 12] = [
    "Lovelace", "Hopper", "Nyberg", "Hamilton", "Turing", "Johnson", "Ritchie", "Liskov",
    "Thompson", "Allen", "Dijkstra", "Perlman",
];
const COMPANIES: [&str; 8] = [
    "Northwind Traders",
    "Northwind Logistics",
    "Contoso Engineering",
    "Contoso Labs",
    "Initech",
    "Globex",
    "Umbrella Analytics",
    "Hooli",
];
const CITIES: [(&str, &str, &str); 6] = [
    ("Hamburg", "20095", "DE"),
    ("Lyon", "69002", "FR"),
    ("Leeds", "LS1 4DY", "GB"),
    ("Austin", "78701", "US"),
    ("Utrecht", "3511", "NL"),
    ("Porto", "4000-322", "PT"),
];
const OSES: [&str; 4] = [
    "Windows 11 23H2",
    "macOS 14.5",
    "Ubuntu 24.04",
    "Windows Server 2022",
];

/// Seeds the demo company and its staff. Runs inside the caller's transaction.
pub fn seed(
    conn: &mut DbConnection,
    admin_email: &EmailAddress,
    password_hash: &str,
) -> Result<Seeded, ModelError> {
    let mut rng = StdRng::seed_from_u64(20261123);
    let now = now();
    let actor = Actor::system("demo");
    let mut seeded = Seeded::default();

    staff::create(
        conn,
        &actor,
        NewStaff {
            email: admin_email,
            name: "Alex Admin",
            role: Role::Admin,
            password_hash: Some(password_hash),
        },
    )?;
    for (email, name, role) in DEMO_STAFF {
        let email = EmailAddress::parse(email).map_err(|m| ModelError::invalid("email", m))?;
        if email.normalized() == admin_email.normalized() {
            continue;
        }
        staff::create(
            conn,
            &actor,
            NewStaff {
                email: &email,
                name,
                role,
                password_hash: Some(password_hash),
            },
        )?;
    }

    // Products, their features, a custom field, and a bundle of the first two.
    let mut product_ids = Vec::new();
    for p in &PRODUCTS {
        let created = now - Duration::days(120);
        let id: i64 = diesel::insert_into(products::table)
            .values((
                products::name.eq(p.name),
                products::name_norm.eq(p.name.to_lowercase()),
                products::code.eq(p.code),
                products::code_norm.eq(p.code.to_lowercase()),
                products::description.eq(""),
                products::license_type.eq(p.license_type),
                products::max_activations.eq(p.max_activations),
                products::validity_days.eq(p.validity_days),
                products::maintenance_days.eq(p.maintenance_days),
                products::trial_days.eq(p.trial_days),
                products::floating_seats.eq(p.floating_seats),
                products::borrow_limit_hours.eq(if p.floating_seats > 0 { 72 } else { 0 }),
                products::max_license_users.eq(p.max_license_users),
                products::created_at.eq(created),
                products::updated_at.eq(created),
            ))
            .returning(products::id)
            .get_result(conn)?;
        for (code, name, kind, max) in p.features {
            diesel::insert_into(product_features::table)
                .values((
                    product_features::product_id.eq(id),
                    product_features::code.eq(*code),
                    product_features::name.eq(*name),
                    product_features::kind.eq(*kind),
                    product_features::max_consumption.eq(*max),
                    product_features::created_at.eq(created),
                ))
                .execute(conn)?;
        }
        diesel::insert_into(product_custom_fields::table)
            .values((
                product_custom_fields::product_id.eq(id),
                product_custom_fields::name.eq("support_tier"),
                product_custom_fields::default_value.eq("standard"),
                product_custom_fields::created_at.eq(created),
            ))
            .execute(conn)?;
        product_ids.push(id);
    }
    let bundle_created = now - Duration::days(100);
    let bundle_id: i64 = diesel::insert_into(products::table)
        .values((
            products::name.eq("Studio Suite"),
            products::name_norm.eq("studio suite"),
            products::code.eq("SUITE"),
            products::code_norm.eq("suite"),
            products::description.eq("Keyfold Studio with a Render Node subscription."),
            products::license_type.eq("perpetual"),
            products::max_activations.eq(3),
            products::is_bundle.eq(true),
            products::created_at.eq(bundle_created),
            products::updated_at.eq(bundle_created),
        ))
        .returning(products::id)
        .get_result(conn)?;
    for part in &product_ids[..2] {
        diesel::insert_into(bundle_items::table)
            .values((
                bundle_items::bundle_id.eq(bundle_id),
                bundle_items::product_id.eq(*part),
            ))
            .execute(conn)?;
    }
    seeded.products = PRODUCTS.len() + 1;

    // Customer accounts, labels, customers.
    let mut account_ids = Vec::new();
    for (code, name, description) in ACCOUNTS {
        let at = now - Duration::days(110);
        let id: i64 = diesel::insert_into(customer_accounts::table)
            .values((
                customer_accounts::name.eq(name),
                customer_accounts::name_norm.eq(name.to_lowercase()),
                customer_accounts::code.eq(code),
                customer_accounts::code_norm.eq(code.to_lowercase()),
                customer_accounts::description.eq(description),
                customer_accounts::created_at.eq(at),
                customer_accounts::updated_at.eq(at),
            ))
            .returning(customer_accounts::id)
            .get_result(conn)?;
        account_ids.push(id);
    }
    let mut label_ids = Vec::new();
    for (name, colour) in LABELS {
        let id: i64 = diesel::insert_into(labels::table)
            .values((
                labels::name.eq(name),
                labels::name_norm.eq(name.to_lowercase()),
                labels::colour.eq(colour),
                labels::created_at.eq(now - Duration::days(110)),
                labels::updated_at.eq(now - Duration::days(110)),
            ))
            .returning(labels::id)
            .get_result(conn)?;
        label_ids.push(id);
    }
    let mut customer_ids = Vec::new();
    for i in 0..24usize {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i * 5 + 3) % LAST.len()];
        let company = COMPANIES[i % COMPANIES.len()];
        let domain = company.to_lowercase().replace(' ', "-");
        let email = format!(
            "{}.{}@{}.example",
            first.to_lowercase(),
            last.to_lowercase(),
            domain
        );
        let (city, postcode, country) = CITIES[i % CITIES.len()];
        let account = if i % 4 == 3 {
            None
        } else {
            Some(account_ids[i % account_ids.len()])
        };
        let status = if i == 7 { "disabled" } else { "active" };
        let created = now - Duration::days(100 - (i as i64 * 3));
        let id: i64 = diesel::insert_into(customers::table)
            .values((
                customers::email.eq(&email),
                customers::email_norm.eq(email.to_lowercase()),
                customers::first_name.eq(first),
                customers::last_name.eq(last),
                customers::first_name_norm.eq(first.to_lowercase()),
                customers::last_name_norm.eq(last.to_lowercase()),
                customers::company.eq(company),
                customers::company_norm.eq(company.to_lowercase()),
                customers::phone.eq(format!("+44 20 7946 {:04}", 100 + i)),
                customers::reference.eq(format!("CRM-{:05}", 1000 + i)),
                customers::reference_norm.eq(format!("crm-{:05}", 1000 + i)),
                customers::external_id.eq(format!("ext-{}", 7000 + i)),
                customers::address_line1.eq(format!("{} Market Street", 10 + i)),
                customers::postcode.eq(postcode),
                customers::city.eq(city),
                customers::country.eq(country),
                customers::customer_account_id.eq(account),
                customers::status.eq(status),
                customers::metadata.eq(format!(
                    "{{\"segment\":\"{}\"}}",
                    if i % 3 == 0 { "smb" } else { "enterprise" }
                )),
                customers::created_at.eq(created),
                customers::updated_at.eq(created),
            ))
            .returning(customers::id)
            .get_result(conn)?;
        crate::db::search_words::reindex(conn, &[id])?;
        for (j, label) in label_ids.iter().enumerate() {
            if (i + j) % 3 == 0 {
                diesel::insert_into(customer_labels::table)
                    .values((
                        customer_labels::customer_id.eq(id),
                        customer_labels::label_id.eq(*label),
                    ))
                    .execute(conn)?;
            }
        }
        customer_ids.push(id);
    }
    seeded.customers = customer_ids.len();

    // Orders with licenses, devices and events.
    for n in 0..36i64 {
        let created =
            now - Duration::days(88 - n * 2) - Duration::minutes(rng.random_range(0..600));
        let is_test = n % 9 == 4;
        let is_trial = n % 7 == 2;
        let customer = if n % 12 == 11 {
            None
        } else {
            Some(customer_ids[(n as usize * 7) % customer_ids.len()])
        };
        let reference = format!("ORD-2026-{:04}", 1001 + n);
        let order_id: i64 = diesel::insert_into(orders::table)
            .values((
                orders::reference.eq(&reference),
                orders::reference_norm.eq(reference.to_lowercase()),
                orders::customer_id.eq(customer),
                orders::is_test.eq(is_test),
                orders::is_trial.eq(is_trial),
                orders::campaign_params.eq(if n % 4 == 0 {
                    "utm_source=newsletter&utm_campaign=autumn"
                } else {
                    ""
                }),
                orders::download_id.eq(format!("DL-{:06}", 500_000 + n * 37)),
                orders::metadata.eq("{}"),
                orders::created_by.eq("demo"),
                orders::created_at.eq(created),
                orders::updated_at.eq(created),
            ))
            .returning(orders::id)
            .get_result(conn)?;
        seeded.orders += 1;
        let lines = 4 + (n % 3) as usize;
        for line in 0..lines {
            let pi = if is_trial {
                3
            } else {
                (n as usize + line) % PRODUCTS.len()
            };
            let spec = &PRODUCTS[pi];
            let counts = issue_demo_license(
                conn,
                &mut rng,
                order_id,
                product_ids[pi],
                spec,
                created,
                is_trial,
                now,
            )?;
            seeded.licenses += 1;
            seeded.devices += counts.0;
            seeded.events += counts.1;
        }
        seed_license_users(conn, order_id, n as usize, created)?;
    }
    // The usage report's daily counts of the events written above, then two weeks of
    // license API usage through the real operations (counted as they happen).
    crate::models::usage::rebuild(conn)?;
    super::demo_usage::seed(conn, &mut rng, now)?;
    Ok(seeded)
}

/// Two license users on an order: the first on every user-based license of it, the
/// second on none yet (someone to assign). Neither has a password: they would choose one
/// through a set-password link.
fn seed_license_users(
    conn: &mut DbConnection,
    order_id: i64,
    n: usize,
    created: NaiveDateTime,
) -> Result<(), ModelError> {
    let user_based: Vec<i64> = licenses::table
        .filter(licenses::order_id.eq(order_id))
        .filter(licenses::max_license_users.gt(0))
        .select(licenses::id)
        .load(conn)?;
    if user_based.is_empty() {
        return Ok(());
    }
    for k in 0..2 {
        let (first, last) = (
            FIRST[(n + 5 * k + 2) % FIRST.len()],
            LAST[(n * 3 + k) % LAST.len()],
        );
        let email = format!(
            "{}.{}@users.example",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let id: i64 = diesel::insert_into(license_users::table)
            .values((
                license_users::order_id.eq(order_id),
                license_users::email_norm.eq(&email),
                license_users::email.eq(&email),
                license_users::first_name.eq(first),
                license_users::last_name.eq(last),
                license_users::created_at.eq(created),
                license_users::updated_at.eq(created),
            ))
            .returning(license_users::id)
            .get_result(conn)?;
        if k == 0 {
            for license in &user_based {
                diesel::insert_into(license_user_assignments::table)
                    .values((
                        license_user_assignments::license_id.eq(*license),
                        license_user_assignments::license_user_id.eq(id),
                        license_user_assignments::created_at.eq(created),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// One license with its features, custom field, devices and events; returns the number
/// of devices and events made.
#[allow(clippy::too_many_arguments)]
fn issue_demo_license(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    order_id: i64,
    product_id: i64,
    spec: &ProductSpec,
    created: NaiveDateTime,
    trial: bool,
    now: NaiveDateTime,
) -> Result<(usize, usize), ModelError> {
    let key = license_key::generate();
    let enabled = !rng.random_bool(0.07);
    let activate = rng.random_bool(0.7);
    let first_activation = created + Duration::hours(rng.random_range(1..72));
    let first_activation = if activate && first_activation < now {
        Some(first_activation)
    } else {
        None
    };
    // Validity: a duration starts at first activation; a few have a fixed date instead.
    let fixed_expiry = spec.validity_days.is_some() && rng.random_bool(0.15);
    let (valid_until, validity_days) = match (spec.validity_days, fixed_expiry) {
        (Some(_), true) => (
            Some(created + Duration::days(rng.random_range(20..60))),
            None,
        ),
        (Some(days), false) => (
            first_activation.map(|a| a + Duration::days(days)),
            Some(days),
        ),
        (None, _) => (None, None),
    };
    // A duration's end (validity and maintenance) is set by the first real activation.
    let valid_until = if fixed_expiry { valid_until } else { None };
    let license_id: i64 = diesel::insert_into(licenses::table)
        .values((
            licenses::license_key.eq(&key),
            licenses::key_norm.eq(license_key::normalize(&key)),
            licenses::product_id.eq(product_id),
            licenses::order_id.eq(order_id),
            licenses::license_type.eq(spec.license_type),
            licenses::max_activations.eq(spec.max_activations),
            licenses::start_date.eq(created.date()),
            licenses::valid_until.eq(valid_until),
            licenses::validity_days.eq(validity_days),
            licenses::maintenance_days.eq(spec.maintenance_days),
            licenses::is_trial.eq(trial),
            licenses::floating_seats.eq(spec.floating_seats),
            licenses::borrow_limit_hours.eq(if spec.floating_seats > 0 { 72 } else { 0 }),
            licenses::max_license_users.eq(spec.max_license_users),
            licenses::note.eq(if rng.random_bool(0.1) {
                "Renewal negotiated by account manager."
            } else {
                ""
            }),
            licenses::metadata.eq("{}"),
            licenses::created_at.eq(created),
            licenses::updated_at.eq(created),
        ))
        .returning(licenses::id)
        .get_result(conn)?;
    for (code, name, kind, max) in spec.features {
        diesel::insert_into(license_features::table)
            .values((
                license_features::license_id.eq(license_id),
                license_features::code.eq(*code),
                license_features::name.eq(*name),
                license_features::kind.eq(*kind),
                license_features::max_consumption.eq(*max),
                license_features::consumed.eq(0),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(license_custom_fields::table)
        .values((
            license_custom_fields::license_id.eq(license_id),
            license_custom_fields::name.eq("support_tier"),
            license_custom_fields::value.eq(if rng.random_bool(0.2) {
                "premium"
            } else {
                "standard"
            }),
        ))
        .execute(conn)?;

    let mut events = 0;
    let event = |conn: &mut DbConnection,
                 device: Option<i64>,
                 kind: &str,
                 amount: i64,
                 at: NaiveDateTime| {
        diesel::insert_into(license_events::table)
            .values((
                license_events::license_id.eq(license_id),
                license_events::device_id.eq(device),
                license_events::kind.eq(kind),
                license_events::amount.eq(amount),
                license_events::at.eq(at),
                license_events::source.eq("license_api"),
            ))
            .execute(conn)
    };
    // Disabled on the vendor's behalf (not by an application): the event's source says so.
    let disable = |conn: &mut DbConnection, at: NaiveDateTime| {
        diesel::update(licenses::table.find(license_id))
            .set(licenses::enabled.eq(false))
            .execute(conn)?;
        diesel::insert_into(license_events::table)
            .values((
                license_events::license_id.eq(license_id),
                license_events::kind.eq("disabled"),
                license_events::amount.eq(0),
                license_events::at.eq(at),
                license_events::source.eq("system"),
            ))
            .execute(conn)
    };
    let Some(first) = first_activation else {
        if !enabled {
            disable(conn, created + Duration::hours(2))?;
            events += 1;
        }
        return Ok((0, events));
    };
    // The devices come from real activations and deactivations (the license API's own
    // model functions, at their moment in the past), so seats, durations, transfers
    // and their events are what a client would have made.
    let license = LicenseId(license_id);
    let devices = rng.random_range(1..=spec.max_activations);
    let mut made = 0;
    for d in 0..devices {
        let activated = first + Duration::hours(d * rng.random_range(2..48));
        if activated >= now {
            continue;
        }
        let deactivated = if rng.random_bool(0.2) {
            Some(activated + Duration::hours(rng.random_range(1..200))).filter(|t| *t < now)
        } else {
            None
        };
        let info = DeviceInfo {
            hardware_id: format!("{:016x}", rng.random::<u64>()),
            hostname: format!(
                "{}-{:03}",
                ["WS", "LAPTOP", "RENDER", "BUILD"][rng.random_range(0..4)],
                rng.random_range(1..400)
            ),
            os: OSES[rng.random_range(0..OSES.len())].to_owned(),
            app_version: format!("3.{}.{}", rng.random_range(0..4), rng.random_range(0..10)),
            sdk_version: "1.4.0".to_owned(),
            ip: format!("203.0.113.{}", rng.random_range(2..250)),
        };
        // A refusal (a fixed end already passed) is a device that never was.
        let Ok(a) = activation::activate(conn, license, &info, ActivatedBy::Key, activated)? else {
            continue;
        };
        made += 1;
        events += 1;
        let device_id = a.device.id;
        // A deactivation the product's limits refuse leaves the device active.
        let deactivated = match deactivated {
            Some(at) => match activation::deactivate(conn, license, device_id, at) {
                Ok(_) => Some(at),
                Err(ModelError::Refused(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        if deactivated.is_some() {
            events += 1;
        }
        let last_check = deactivated.unwrap_or(now - Duration::hours(rng.random_range(1..48)));
        diesel::update(devices::table.find(device_id))
            .set(devices::last_check_at.eq(Some(last_check)))
            .execute(conn)?;
        let mut at = activated;
        for _ in 0..rng.random_range(1..5) {
            at += Duration::hours(rng.random_range(6..96));
            if at >= last_check {
                break;
            }
            event(conn, Some(device_id.0), "checked", 0, at)?;
            events += 1;
            if spec.license_type == "consumption" {
                event(
                    conn,
                    Some(device_id.0),
                    "consumed",
                    rng.random_range(5..120),
                    at,
                )?;
                events += 1;
            }
        }
    }
    if spec.license_type == "consumption" {
        diesel::update(license_features::table.filter(license_features::license_id.eq(license_id)))
            .set(license_features::consumed.eq(rng.random_range(0..400)))
            .execute(conn)?;
    }
    if !enabled {
        disable(conn, first + Duration::days(3))?;
        events += 1;
    }
    Ok((made, events))
}

/// The demo's license managers: one who signs in with the demo password, one invited.
pub const DEMO_MANAGER: (&str, &str) = ("it-admin@example.com", "Lee Licenses");
pub const DEMO_INVITED: (&str, &str) = ("new-admin@example.com", "Nico Newcomer");

/// What the demo's license managers need printed.
#[derive(Debug)]
pub struct DemoManagers {
    pub login_email: String,
    pub orders: Vec<String>,
    /// The pending invite's link (printed by `keyfold demo`; never shown on a page).
    pub invite_link: String,
}

/// Adds the demo's license managers to the orders of one demo customer with two or more
/// orders: [`DEMO_MANAGER`] (password `password_hash`) with every permission on the
/// first order and only Reset device on the second, and [`DEMO_INVITED`] with a pending
/// invite on the first. Runs inside the caller's transaction; the emails go to the
/// outbox as they would from the admin portal.
pub fn seed_managers(
    conn: &mut DbConnection,
    mailer: &crate::mail::Mailer,
    password_hash: &str,
) -> Result<DemoManagers, ModelError> {
    use crate::domain::{OrderId, Permission, Permissions};
    use crate::models::grant;
    use crate::models::grant_change::NewGrant;
    use crate::models::{license_manager, order};
    use crate::ops::grants::{self, Added};
    use crate::ops::Reach;

    let actor = Actor::system("demo");
    // The demo acts as the vendor would in the admin portal.
    const STAFF: Reach = Reach::Staff(crate::domain::Role::Admin);
    let rows: Vec<(i64, Option<i64>)> = orders::table
        .select((orders::id, orders::customer_id))
        .order(orders::id.asc())
        .load(conn)?;
    let mut pair = None;
    for (i, (first, customer)) in rows.iter().enumerate() {
        let Some(customer) = customer else { continue };
        if let Some((second, _)) = rows[i + 1..].iter().find(|(_, c)| *c == Some(*customer)) {
            pair = Some((*first, *second));
            break;
        }
    }
    let (first, second) = pair.ok_or_else(|| {
        ModelError::refused(
            "demo_data_missing",
            "no demo customer has two orders".to_owned(),
        )
    })?;
    let first = order::find(conn, OrderId(first))?.ok_or(ModelError::NotFound)?;
    let second = order::find(conn, OrderId(second))?.ok_or(ModelError::NotFound)?;

    // The first order's floating licenses each get an active device, so the demo
    // manager (every permission there) can show borrowing a seat.
    let idle_floating: Vec<i64> = licenses::table
        .filter(licenses::order_id.eq(first.id))
        .filter(licenses::floating_seats.gt(0))
        .filter(licenses::active_devices.eq(0))
        .filter(licenses::enabled.eq(true))
        .select(licenses::id)
        .load(conn)?;
    for (n, id) in idle_floating.into_iter().enumerate() {
        let info = DeviceInfo {
            hardware_id: format!("demo-floating-{n:02}"),
            hostname: format!("RENDER-{:03}", 500 + n),
            os: OSES[0].to_owned(),
            app_version: "3.2.1".to_owned(),
            sdk_version: "1.4.0".to_owned(),
            ip: "203.0.113.40".to_owned(),
        };
        let at = now() - Duration::hours(3);
        // A license past its fixed end refuses: then there is nothing to borrow.
        let _ = activation::activate(conn, LicenseId(id), &info, ActivatedBy::Key, at)?;
    }

    let email = |s: &str| EmailAddress::parse(s).map_err(|m| ModelError::invalid("email", m));
    let lee = email(DEMO_MANAGER.0)?;
    license_manager::create(conn, &actor, &lee, DEMO_MANAGER.1, Some(password_hash))?;
    // On the first order: every product on it with a quota of 10 licenses, and the
    // bundle (2 licenses' worth) for Create bundle order.
    use crate::models::grant_products::{self, ProductChoice};
    let mut allowed: Vec<ProductChoice> = grant_products::products_on_order(conn, first.id)?
        .into_iter()
        .map(|product_id| ProductChoice {
            product_id,
            quota: Some(10),
        })
        .collect();
    let bundles: Vec<ProductId> = products::table
        .filter(products::is_bundle.eq(true))
        .select(products::id)
        .load(conn)?;
    allowed.extend(bundles.into_iter().map(|product_id| ProductChoice {
        product_id,
        quota: Some(4),
    }));
    for (order, permissions, products) in [
        (&first, Permissions::all(), Some(allowed)),
        (
            &second,
            Permissions::from_iter([Permission::ResetDevice]),
            None,
        ),
    ] {
        let input = NewGrant {
            email: lee.clone(),
            name: DEMO_MANAGER.1.to_owned(),
            permissions,
            products,
        };
        grants::add(conn, mailer, &actor, &STAFF, order.id, &input)?;
    }
    let invited = NewGrant {
        email: email(DEMO_INVITED.0)?,
        name: DEMO_INVITED.1.to_owned(),
        permissions: Permissions::from_iter([Permission::ResetDevice, Permission::ResetLicense]),
        products: None,
    };
    // Lee invited them (a delegate below Lee's grant, which Lee may change or remove).
    let lee_account =
        license_manager::find_by_email(conn, lee.normalized())?.ok_or(ModelError::NotFound)?;
    let lee_grant =
        grant::check(conn, lee_account.id, first.id, None)?.map_err(|_| ModelError::NotFound)?;
    let lee_actor = Actor::license_manager(lee_account.id, &lee_account.email, None);
    let invite_link = match grants::add(
        conn,
        mailer,
        &lee_actor,
        &Reach::LicenseManager(lee_grant),
        first.id,
        &invited,
    )?
    .1
    {
        Added::Invited { link } => link,
        Added::Granted => {
            return Err(ModelError::refused(
                "demo_invited_has_password",
                "the invited manager has a password".to_owned(),
            ))
        }
    };
    Ok(DemoManagers {
        login_email: lee.as_str().to_owned(),
        orders: vec![first.reference, second.reference],
        invite_link,
    })
}

/// A demo license with an active device, for the printed `curl` line of the license API:
/// (license key, product code, hardware id).
pub fn api_example(conn: &mut DbConnection) -> QueryResult<Option<(String, String, String)>> {
    use crate::db::schema::{devices, licenses};
    licenses::table
        .inner_join(products::table)
        .inner_join(devices::table)
        .filter(licenses::enabled.eq(true))
        .filter(devices::deactivated_at.is_null())
        .filter(devices::hardware_id.is_not_null())
        .filter(products::archived_at.is_null())
        .filter(
            licenses::valid_until
                .is_null()
                .or(licenses::valid_until.gt(crate::db::now())),
        )
        .order(licenses::id.asc())
        .select((
            licenses::license_key,
            products::code,
            devices::hardware_id.assume_not_null(),
        ))
        .first(conn)
        .optional()
}
