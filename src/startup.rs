//! Building and running the HTTP server: pool, migrations, secrets, middleware, bind.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::config::{Backend, Config};
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::mail::{worker, Mailer};
use crate::models::settings;
use crate::web::{errors, routes, security, AppState};

/// Extra routes a caller (a test) mounts beside the product's own.
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbOpenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Secret(String),
}

/// A built, bound, not yet running Keyfold server.
pub struct Application {
    port: u16,
    public_url: String,
    pool: Pool,
    server: Server,
    mailer: Mailer,
    mail_worker: Option<worker::Settings>,
    api: web::Data<crate::web::api::runtime::ApiRuntime>,
}

impl Application {
    /// Opens (and migrates) the database, binds the listener and builds the server.
    pub fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with(config, None)
    }

    /// As [`Application::build`], with extra routes mounted (tests use this).
    pub fn build_with(config: Config, extra: Option<ExtraRoutes>) -> Result<Self, StartError> {
        let pool = open_pool(&config)?;
        let listener = TcpListener::bind(&config.bind).map_err(|source| StartError::Bind {
            addr: config.bind.clone(),
            source,
        })?;
        Self::from_parts(config, pool, listener, extra)
    }

    fn from_parts(
        config: Config,
        pool: Pool,
        listener: TcpListener,
        extra: Option<ExtraRoutes>,
    ) -> Result<Self, StartError> {
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.bind.clone(),
                source,
            })?
            .port();
        let mut config = config;
        // Without KEYFOLD_PUBLIC_URL, links in emails point at the port actually bound
        // (port 0 asks the system for a free one).
        if let Some(base) = config.public_url.strip_suffix(":0") {
            config.public_url = format!("{base}:{port}");
        }
        let mut conn = pool.get().map_err(|e| StartError::Secret(e.to_string()))?;
        let secret = settings::server_secret(&mut conn, &config).map_err(StartError::Secret)?;
        drop(conn);
        let cookie_key = settings::cookie_key(&secret);
        let signing_secret = config.signing_secret(true).map_err(StartError::Secret)?;
        let signer = web::Data::new(crate::web::api::signing::ApiSigner::new(
            signing_secret.as_ref().map(|s| s.expose().as_bytes()),
            pool.clone(),
            config.api.key_reload,
        ));
        signer.ensure_key().map_err(StartError::Secret)?;
        let api = web::Data::new(crate::web::api::runtime::ApiRuntime::new(&config.api));
        let mailer = Mailer::new(&secret, &config);
        let mail_worker = worker::Settings::from_config(&config);
        let state = web::Data::new(AppState {
            config: Arc::new(config.clone()),
            pool: pool.clone(),
            mailer: Arc::new(mailer.clone()),
        });
        let api_for_flusher = api.clone();
        let key = Key::from(&cookie_key);
        let secure = config.secure_cookies;
        let upload_limit = config.upload_limit;
        let mut server = HttpServer::new(move || {
            let extra = extra.clone();
            App::new()
                .wrap(session_middleware(key.clone(), secure))
                .wrap(from_fn(errors::error_pages))
                // Outside the error pages, so the API's error answers are signed too.
                .wrap(from_fn(crate::web::api::signing::sign_answers))
                .wrap(security::headers())
                .wrap(TracingLogger::<crate::web::request_log::RedactedRootSpan>::new())
                .app_data(state.clone())
                .app_data(signer.clone())
                .app_data(api.clone())
                .app_data(
                    actix_multipart::form::MultipartFormConfig::default()
                        .total_limit(upload_limit)
                        .memory_limit(upload_limit),
                )
                // A malformed id in a URL is a page that does not exist; a malformed query
                // string is the user's mistake, answered with a page rather than bare text.
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    AppError::Unprocessable(format!("The address has a malformed query: {e}."))
                        .into()
                }))
                .configure(move |cfg| {
                    if let Some(extra) = &extra {
                        extra(cfg);
                    }
                })
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        });
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartError::Bind {
                addr: config.bind.clone(),
                source,
            })?
            .run();
        Ok(Application {
            port,
            public_url: config.public_url.clone(),
            pool,
            server,
            mailer,
            mail_worker,
            api: api_for_flusher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base of links in emails (with the real port when port 0 was asked for).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    /// Serves until the process is stopped (Ctrl-C or SIGTERM), with the mail worker
    /// running beside the server when SMTP is configured.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = match self.mail_worker {
            Some(settings) => worker::spawn(self.pool.clone(), self.mailer, settings)
                .or_else(|| Some(worker::spawn_sweeper(self.pool.clone()))),
            None => Some(worker::spawn_sweeper(self.pool.clone())),
        };
        let flusher = crate::web::api::runtime::spawn_flusher(self.api.clone(), self.pool.clone());
        let result = self.server.await;
        if let Some(w) = worker {
            w.stop();
        }
        flusher.stop();
        // The checks counted since the last flush.
        let (api, pool) = (self.api.clone(), self.pool.clone());
        let _ = tokio::task::spawn_blocking(move || api.flush(&pool)).await;
        result
    }
}

/// The cookie session: private (encrypted and authenticated), HttpOnly, SameSite=Lax,
/// Secure per configuration. It carries only session ids, the CSRF token and flashes.
fn session_middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name("keyfold".to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// Opens the configured database with a pool sized for the backend.
pub fn open_pool(config: &Config) -> Result<Pool, db::DbOpenError> {
    let size = match config.backend() {
        Backend::Sqlite => 8,
        Backend::Postgres => 16,
    };
    db::open(config.database_url.expose(), size)
}
