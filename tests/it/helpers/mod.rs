//! Shared test helpers: the spawned application, its database, the HTTP client and the
//! headless browser.

pub mod browser;
pub mod db;

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
        let db = TestDb::fresh();
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
