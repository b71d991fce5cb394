//! Shared test helpers: the spawned application, its database, the HTTP client and the
//! headless browser.

pub mod browser;
pub mod db;
pub mod forms;
pub mod props;
pub mod smtp;

use std::collections::HashMap;
use std::sync::Arc;

use keyfold::config::Config;
use keyfold::startup::{Application, ExtraRoutes};

pub use db::TestDb;

/// The real application, serving on a free loopback port with its own database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDb,
    pub pool: keyfold::db::Pool,
    /// Cookie-keeping client that does not follow redirects.
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}, None).await
    }

    /// Spawns the app after letting the test adjust the configuration, optionally with
    /// extra routes mounted beside the product's own.
    pub async fn spawn_with(
        adjust: impl FnOnce(&mut Config),
        extra: Option<ExtraRoutes>,
    ) -> TestApp {
        Self::spawn_on(TestDb::fresh(), adjust, extra).await
    }

    /// Spawns the app on an existing test database (e.g. one the CLI has seeded).
    pub async fn spawn_on(
        db: TestDb,
        adjust: impl FnOnce(&mut Config),
        extra: Option<ExtraRoutes>,
    ) -> TestApp {
        let mut config = test_config(db.url());
        adjust(&mut config);
        let app = Application::build_with(config, extra).expect("the application starts");
        let port = app.port();
        let pool = app.pool();
        tokio::spawn(app.run_until_stopped());
        let client = client();
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            db,
            pool,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request is sent")
    }

    /// A GET to the license API, with the nonce every API request carries.
    pub async fn api_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("Keyfold-Nonce", "dGVzdC1ub25jZS0xMjM0NTY")
            .send()
            .await
            .expect("request is sent")
    }

    /// A JSON POST to the license API (with a nonce); the status and the answer's JSON.
    pub async fn api_post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let r = reqwest::Client::new()
            .post(self.url(path))
            .header("Keyfold-Nonce", "dGVzdC1ub25jZS0xMjM0NTY")
            .json(body)
            .send()
            .await
            .expect("request is sent");
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("a body");
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    /// The body of a GET as text.
    pub async fn page(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The newest `n` messages of the outbox, as the Notifications page lists them.
    pub fn outbox(&self, n: i64) -> Vec<keyfold::mail::outbox::OutboxRow> {
        let paging = keyfold::models::Paging::parse("1", n);
        keyfold::mail::outbox::list(&mut self.conn(), &Default::default(), paging)
            .unwrap()
            .rows
    }

    pub fn conn(&self) -> keyfold::db::PooledConn {
        self.pool.get().expect("a database connection")
    }
}

/// A configuration for tests: loopback port 0, a low bcrypt cost, two workers.
pub fn test_config(database_url: &str) -> Config {
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.to_owned()),
        ("KEYFOLD_BIND", "127.0.0.1:0".to_owned()),
        ("KEYFOLD_BCRYPT_COST", "4".to_owned()),
    ]);
    let mut config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
    config.workers = Some(2);
    config
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Whether this run must not skip anything (CI sets `CI=true`).
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Extra routes for a test, in the shape [`Application::build_with`] takes.
#[allow(dead_code)]
pub fn extra_routes(
    f: impl Fn(&mut actix_web::web::ServiceConfig) + Send + Sync + 'static,
) -> Option<ExtraRoutes> {
    Some(Arc::new(f))
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Creates a staff user directly in the database (password [`PASSWORD`]).
    pub fn create_staff(
        &self,
        email: &str,
        role: keyfold::domain::Role,
    ) -> keyfold::models::staff::StaffUser {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let email = keyfold::domain::EmailAddress::parse(email).unwrap();
        let mut conn = self.conn();
        keyfold::models::staff::create(
            &mut conn,
            &keyfold::models::audit::Actor::system("test"),
            keyfold::models::staff::NewStaff {
                email: &email,
                name: "Test User",
                role,
                password_hash: Some(&hash),
            },
        )
        .expect("staff user created")
    }

    /// The CSRF token of this client's session, read from a page with a form.
    pub async fn csrf_token(&self) -> String {
        self.csrf_token_with(&self.client).await
    }

    pub async fn csrf_token_with(&self, client: &reqwest::Client) -> String {
        for path in ["/account/password", "/login"] {
            let r = client.get(self.url(path)).send().await.unwrap();
            if r.status() == 200 {
                return csrf_in(&r.text().await.unwrap()).expect("a csrf_token field on the page");
            }
        }
        panic!("no page with a CSRF token answered");
    }

    /// Signs this app's client in; returns the sign-in response.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.client, email, password, None).await
    }

    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> reqwest::Response {
        let r = client.get(self.url("/login")).send().await.unwrap();
        let token = csrf_in(&r.text().await.unwrap()).expect("sign-in form has a token");
        let mut form = vec![
            ("csrf_token", token),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        if let Some(next) = next {
            form.push(("next", next.to_owned()));
        }
        client
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Creates a staff user with this role and signs the app's client in as them.
    pub async fn signed_in_as(
        &self,
        email: &str,
        role: keyfold::domain::Role,
    ) -> keyfold::models::staff::StaffUser {
        let user = self.create_staff(email, role);
        let r = self.sign_in(email, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in as {email}");
        user
    }

    /// POSTs a form with this client's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// The body of a GET by `c`.
    pub async fn page_with(&self, c: &reqwest::Client, path: &str) -> String {
        c.get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POSTs a license-portal form as the manager signed in on `c` (with the CSRF token
    /// of their session); returns the status.
    pub async fn portal_post(
        &self,
        c: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> u16 {
        let token = csrf_in(&self.page_with(c, "/portal/account").await).unwrap();
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        c.post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// Sends the requests at the same moment; returns their statuses in order.
pub async fn statuses_at_once(
    requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
) -> Vec<u16> {
    futures_util::future::join_all(requests.into_iter().map(|r| r.send()))
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect()
}

/// The value of the first `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The `Location` header of a redirect.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Counting rows and inserting fixtures the portal cannot create yet.
impl TestApp {
    /// A mailer with this app's secret (to queue emails as the app would).
    pub fn mailer(&self) -> keyfold::mail::Mailer {
        let config = test_config(self.db.url());
        let key = keyfold::models::settings::server_secret(&mut self.conn(), &config).unwrap();
        keyfold::mail::Mailer::new(&key, &config)
    }

    /// The demo company with its staff (password [`PASSWORD`]) and its license managers
    /// (grant 1 on order 1; outbox rows 1 and 2 are notices, 3 an invite).
    pub fn seed_demo(&self, admin_email: &str) -> keyfold::seed::demo::DemoManagers {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let email = keyfold::domain::EmailAddress::parse(admin_email).unwrap();
        let mailer = self.mailer();
        let mut conn = self.conn();
        keyfold::db::write_tx(&mut conn, |c| {
            keyfold::seed::demo::seed(c, &email, &hash)?;
            keyfold::seed::demo::seed_managers(c, &mailer, &hash)
        })
        .expect("the demo seeds")
    }

    pub fn count(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result(&mut self.conn())
            .expect("count rows");
        n.n
    }

    /// An order row (for tests of what depends on orders).
    pub fn insert_order(&self, customer_id: Option<i64>, reference: &str) -> i64 {
        use diesel::prelude::*;
        use keyfold::db::schema::orders;
        let now = keyfold::models::now();
        diesel::insert_into(orders::table)
            .values((
                orders::reference.eq(reference),
                orders::reference_norm.eq(reference.to_lowercase()),
                orders::customer_id.eq(customer_id),
                orders::created_at.eq(now),
                orders::updated_at.eq(now),
            ))
            .returning(orders::id)
            .get_result(&mut self.conn())
            .expect("insert order")
    }

    /// A license row in an order.
    /// Inserts `n` licenses in one transaction (for tests that need many).
    pub fn insert_licenses(&self, order_id: i64, product_id: i64, n: usize) {
        use diesel::prelude::*;
        use keyfold::db::schema::licenses;
        let now = keyfold::models::now();
        let mut conn = self.conn();
        keyfold::db::write_tx(&mut conn, |c| {
            for _ in 0..n {
                let key = keyfold::domain::license_key::generate();
                diesel::insert_into(licenses::table)
                    .values((
                        licenses::license_key.eq(&key),
                        licenses::key_norm.eq(keyfold::domain::license_key::normalize(&key)),
                        licenses::product_id.eq(product_id),
                        licenses::order_id.eq(order_id),
                        licenses::license_type.eq("perpetual"),
                        licenses::created_at.eq(now),
                        licenses::updated_at.eq(now),
                    ))
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("insert licenses");
    }

    /// Issues one license of a product into an order the way staff do (the product's
    /// terms, features and custom fields copied), starting today.
    pub fn issue_license(&self, order_id: i64, product_id: i64) -> i64 {
        use keyfold::models::issue::{issue, LineInput};
        let line = LineInput {
            index: 0,
            product_id: keyfold::domain::ProductId(product_id),
            count: 1,
            license_type: None,
            max_activations: None,
            validity_days: None,
            maintenance_days: None,
            charged_to: None,
        };
        let mut conn = self.conn();
        let today = keyfold::models::now().date();
        keyfold::db::write_tx(&mut conn, |c| {
            issue(c, keyfold::domain::OrderId(order_id), &[line], false, today)
        })
        .expect("issue a license")[0]
    }

    pub fn insert_license(&self, order_id: i64, product_id: i64) -> i64 {
        use diesel::prelude::*;
        use keyfold::db::schema::licenses;
        let now = keyfold::models::now();
        let key = keyfold::domain::license_key::generate();
        diesel::insert_into(licenses::table)
            .values((
                licenses::license_key.eq(&key),
                licenses::key_norm.eq(keyfold::domain::license_key::normalize(&key)),
                licenses::product_id.eq(product_id),
                licenses::order_id.eq(order_id),
                licenses::license_type.eq("perpetual"),
                licenses::created_at.eq(now),
                licenses::updated_at.eq(now),
            ))
            .returning(licenses::id)
            .get_result(&mut self.conn())
            .expect("insert license")
    }
}

/// The id at the end of a redirect such as `/customers/12`.
pub fn id_from_location(r: &reqwest::Response) -> i64 {
    let loc = location(r);
    loc.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {loc:?}"))
}

/// The value of the hidden `updated_at` field of an edit form.
pub fn version_in(html: &str) -> String {
    let marker = "name=\"updated_at\" value=\"";
    let start = html.find(marker).expect("an updated_at field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

impl TestApp {
    /// An active device on a license, as the license API will record one (keeps
    /// `active_devices` and `first_activated_at` in step, as that API must).
    pub fn insert_device(&self, license_id: i64, hardware_id: &str, hostname: &str) -> i64 {
        use diesel::prelude::*;
        use keyfold::db::schema::{devices, licenses};
        let now = keyfold::models::now();
        let mut conn = self.conn();
        let id = diesel::insert_into(devices::table)
            .values((
                devices::license_id.eq(license_id),
                devices::hardware_id.eq(hardware_id),
                devices::hostname.eq(hostname),
                devices::first_activated_at.eq(now),
                devices::last_check_at.eq(Some(now)),
            ))
            .returning(devices::id)
            .get_result(&mut conn)
            .expect("insert device");
        diesel::update(licenses::table.find(license_id))
            .set(licenses::active_devices.eq(licenses::active_devices + 1))
            .execute(&mut conn)
            .unwrap();
        diesel::update(
            licenses::table
                .find(license_id)
                .filter(licenses::first_activated_at.is_null()),
        )
        .set(licenses::first_activated_at.eq(Some(now)))
        .execute(&mut conn)
        .unwrap();
        id
    }

    /// The license ids of an order, oldest first.
    pub fn license_ids(&self, order_id: i64) -> Vec<i64> {
        use diesel::prelude::*;
        use keyfold::db::schema::licenses;
        licenses::table
            .filter(licenses::order_id.eq(order_id))
            .order(licenses::id.asc())
            .select(licenses::id)
            .load(&mut self.conn())
            .unwrap()
    }

    pub fn license(&self, id: i64) -> keyfold::models::license::License {
        keyfold::models::license::find(&mut self.conn(), keyfold::domain::LicenseId(id))
            .unwrap()
            .expect("the license exists")
    }
}

impl TestApp {
    /// Creates a license manager directly in the database (password [`PASSWORD`]).
    pub fn create_license_manager(
        &self,
        email: &str,
    ) -> keyfold::models::license_manager::LicenseManager {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let email = keyfold::domain::EmailAddress::parse(email).unwrap();
        keyfold::models::license_manager::create(
            &mut self.conn(),
            &keyfold::models::audit::Actor::system("test"),
            &email,
            "Test Manager",
            Some(&hash),
        )
        .expect("license manager created")
    }

    /// Signs `client` in to the license portal; returns the response.
    pub async fn portal_sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let r = client.get(self.url("/portal/login")).send().await.unwrap();
        let token = csrf_in(&r.text().await.unwrap()).expect("portal sign-in form has a token");
        client
            .post(self.url("/portal/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// An order's reference (the delete confirmation asks for it).
    pub fn order_reference(&self, id: i64) -> String {
        use diesel::prelude::*;
        use keyfold::db::schema::orders;
        orders::table
            .find(id)
            .select(orders::reference)
            .first(&mut self.conn())
            .expect("the order exists")
    }
}

impl TestApp {
    /// Some active device: (license id, device id).
    pub fn an_active_device(&self) -> (i64, i64) {
        use diesel::prelude::*;
        use keyfold::db::schema::devices;
        devices::table
            .filter(devices::deactivated_at.is_null())
            .order(devices::id.desc())
            .select((devices::license_id, devices::id))
            .first(&mut self.conn())
            .expect("an active device")
    }
}

impl TestApp {
    /// The newest user-based license of an order, with one of its license users and one
    /// of the order's license users not assigned to it.
    pub fn user_based_license_on(&self, order_id: i64) -> (i64, i64, i64) {
        use diesel::prelude::*;
        use keyfold::db::schema::{license_user_assignments as a, license_users, licenses};
        let mut conn = self.conn();
        let license: i64 = licenses::table
            .filter(licenses::order_id.eq(order_id))
            .filter(licenses::max_license_users.gt(0))
            .order(licenses::id.desc())
            .select(licenses::id)
            .first(&mut conn)
            .expect("a user-based license");
        let assigned: Vec<i64> = a::table
            .filter(a::license_id.eq(license))
            .select(a::license_user_id)
            .load(&mut conn)
            .unwrap();
        let users: Vec<i64> = license_users::table
            .filter(license_users::order_id.eq(order_id))
            .order(license_users::id.asc())
            .select(license_users::id)
            .load(&mut conn)
            .unwrap();
        let free = users.iter().find(|u| !assigned.contains(u)).copied();
        (
            license,
            assigned.first().copied().unwrap_or(-1),
            free.unwrap_or(-1),
        )
    }

    /// The newest license that is not in `order_id`.
    pub fn a_license_outside_order(&self, order_id: i64) -> i64 {
        use diesel::prelude::*;
        use keyfold::db::schema::licenses;
        licenses::table
            .filter(licenses::order_id.ne(order_id))
            .order(licenses::id.desc())
            .select(licenses::id)
            .first(&mut self.conn())
            .expect("a license")
    }
}

impl TestApp {
    /// The highest id of a table.
    pub fn newest_id(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(format!("SELECT MAX(id) AS n FROM {table}"))
            .get_result(&mut self.conn())
            .expect("a newest id");
        n.n
    }
}

impl TestApp {
    /// A license user of `order` without a password; returns its id.
    pub fn insert_license_user(&self, order: i64, email: &str) -> i64 {
        use diesel::prelude::*;
        use keyfold::db::schema::license_users;
        let now = keyfold::models::now();
        diesel::insert_into(license_users::table)
            .values((
                license_users::order_id.eq(order),
                license_users::email.eq(email),
                license_users::email_norm.eq(email.to_lowercase()),
                license_users::first_name.eq("Lou"),
                license_users::created_at.eq(now),
                license_users::updated_at.eq(now),
            ))
            .returning(license_users::id)
            .get_result(&mut self.conn())
            .expect("insert license user")
    }

    pub fn assign_license_user(&self, license: i64, user: i64) {
        use diesel::prelude::*;
        use keyfold::db::schema::license_user_assignments as a;
        diesel::insert_into(a::table)
            .values((
                a::license_id.eq(license),
                a::license_user_id.eq(user),
                a::created_at.eq(keyfold::models::now()),
            ))
            .execute(&mut self.conn())
            .expect("assign license user");
    }

    /// Marks a device as holding a borrowed seat for the next hour.
    pub fn borrow_seat(&self, device: i64) {
        use diesel::prelude::*;
        use keyfold::db::schema::devices;
        diesel::update(devices::table.find(device))
            .set(
                devices::borrowed_until
                    .eq(Some(keyfold::models::now() + chrono::Duration::hours(1))),
            )
            .execute(&mut self.conn())
            .expect("borrow a seat");
    }
}
