//! Configuration from the environment (a `.env` file may set the same variables),
//! with typed defaults so that a bare start works with nothing configured.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// Which database backend a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value that must not appear in logs or debug output.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Secret,
    pub bind: String,
    pub public_url: String,
    pub secret_key: Option<Secret>,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// The vendor's name, shown in the license portal and in emails.
    pub vendor_name: String,
    pub bcrypt_cost: u32,
    pub secure_cookies: bool,
    pub trusted_proxies: Vec<IpAddr>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub admin_email: String,
    pub admin_password: Secret,
    /// Worker threads of the HTTP server; `None` lets actix pick one per core.
    pub workers: Option<usize>,
    /// The largest upload (a CSV import), in bytes (`KEYFOLD_UPLOAD_LIMIT_MB`, default 50).
    pub upload_limit: usize,
    /// Mail delivery: days an invite link lives, the first retry delay (doubled per
    /// attempt), the attempts before an email is marked failed, and how long a worker's
    /// claim on an email lasts before another instance may take it over.
    pub mail: MailConfig,
    /// The license API's rate limits.
    pub api: ApiLimits,
}

/// The license API's rate limits, per minute (settable by environment; the concurrency
/// tests raise them). Product settings limit activations and deactivations further.
#[derive(Clone, Debug)]
pub struct ApiLimits {
    /// Requests per license once it is found (`KEYFOLD_API_LICENSE_PER_MINUTE`, 1,200).
    pub license_per_minute: u32,
    /// Unknown keys, wrong tokens and other failures per client address (IPv6 by /64)
    /// before the address is refused for a while (`KEYFOLD_API_FAILURES_PER_MINUTE`, 60).
    pub failures_per_minute: u32,
    /// How often an instance reloads the signing keys, so a rotation reaches every
    /// instance within it (`KEYFOLD_API_KEY_RELOAD_SECONDS`, 60; at most 60).
    pub key_reload: Duration,
    /// Tests only (`KEYFOLD_TEST_CLOCK=1`): the database clock floating leases compare
    /// against is moved by the offset a test stores in `settings`.
    pub test_clock: bool,
    /// Trials one client address may start per UTC day
    /// (`KEYFOLD_API_TRIALS_PER_ADDRESS_PER_DAY`, 5).
    pub trials_per_address_per_day: i64,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            license_per_minute: 1200,
            failures_per_minute: 60,
            key_reload: Duration::from_secs(60),
            test_clock: false,
            trials_per_address_per_day: 5,
        }
    }
}

/// How the outbox worker delivers mail.
#[derive(Clone, Debug)]
pub struct MailConfig {
    pub invite_days: i64,
    pub retry_base: Duration,
    pub max_attempts: i32,
    pub lease: Duration,
}

/// A configuration value that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/keyfold.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEMO_ADMIN_EMAIL: &str = "admin@example.com";
pub const DEMO_PASSWORD: &str = "keyfold-demo";

/// Where the server's secret comes from when `KEYFOLD_SECRET_KEY` is not set: a file
/// beside the SQLite database (generated at first use, mode 0600). It never lives in
/// the database, so a dump alone cannot sign.
pub const SECRET_FILE: &str = "secret.key";

impl Config {
    /// The secret the license API's signing keys are sealed with: `KEYFOLD_SECRET_KEY`
    /// (at least 32 characters; the same on every instance), else the file
    /// [`SECRET_FILE`] beside an SQLite database, created when `create` and missing.
    /// `Ok(None)` on PostgreSQL without `KEYFOLD_SECRET_KEY`: the API does not sign.
    pub fn signing_secret(&self, create: bool) -> Result<Option<Secret>, String> {
        if let Some(secret) = &self.secret_key {
            if secret.expose().len() < 32 {
                return Err("KEYFOLD_SECRET_KEY must be at least 32 characters long".to_owned());
            }
            return Ok(Some(secret.clone()));
        }
        let url = self.database_url.expose();
        let Some(path) = url.strip_prefix("sqlite://") else {
            return Ok(None);
        };
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return Ok(None);
        }
        let file = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(SECRET_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) if text.trim().len() >= 32 => {
                return Ok(Some(Secret::new(text.trim().to_owned())))
            }
            Ok(_) => {
                return Err(format!(
                    "{} holds no secret of 32 characters or more",
                    file.display()
                ))
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot read {}: {e}", file.display()))
            }
            Err(_) if !create => return Ok(None),
            Err(_) => {}
        }
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let text = hex::encode(bytes);
        write_private(&file, &text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        Ok(Some(Secret::new(text)))
    }

    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds a configuration from any lookup function (the environment, or a test's map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        backend_of(&database_url)?;
        let bind = get("KEYFOLD_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let public_url = get("KEYFOLD_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let secure_default = public_url.starts_with("https://");
        let secure_cookies = match get("KEYFOLD_SECURE_COOKIES") {
            Some(v) => parse_bool("KEYFOLD_SECURE_COOKIES", &v)?,
            None => secure_default,
        };
        let bcrypt_cost = match get("KEYFOLD_BCRYPT_COST") {
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|c| (4..=31).contains(c))
                .ok_or(ConfigError {
                    name: "KEYFOLD_BCRYPT_COST",
                    message: format!("expected a number from 4 to 31, got {v:?}"),
                })?,
            None => 12,
        };
        let trusted_proxies = match get("KEYFOLD_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<IpAddr>().map_err(|_| ConfigError {
                        name: "KEYFOLD_TRUSTED_PROXIES",
                        message: format!("{s:?} is not an IP address"),
                    })
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let minutes = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|m| *m > 0)
                    .map(|m| Duration::from_secs(m * 60))
                    .ok_or(ConfigError {
                        name,
                        message: format!("expected a whole number of minutes, got {v:?}"),
                    }),
                None => Ok(Duration::from_secs(default * 60)),
            }
        };
        let number = |name: &'static str, default: f64, max: f64| -> Result<f64, ConfigError> {
            match get(name) {
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n > 0.0 && *n <= max)
                    .ok_or(ConfigError {
                        name,
                        message: format!("expected a number above 0 and at most {max}, got {v:?}"),
                    }),
                None => Ok(default),
            }
        };
        let mail = MailConfig {
            invite_days: number("KEYFOLD_INVITE_DAYS", 7.0, 365.0)?.ceil() as i64,
            retry_base: Duration::from_secs_f64(number(
                "KEYFOLD_MAIL_RETRY_BASE_SECONDS",
                30.0,
                86_400.0,
            )?),
            max_attempts: number("KEYFOLD_MAIL_MAX_ATTEMPTS", 8.0, 100.0)?.ceil() as i32,
            lease: Duration::from_secs_f64(number("KEYFOLD_MAIL_LEASE_SECONDS", 60.0, 86_400.0)?),
        };
        let api = ApiLimits {
            license_per_minute: number("KEYFOLD_API_LICENSE_PER_MINUTE", 1200.0, 1e9)?.ceil()
                as u32,
            failures_per_minute: number("KEYFOLD_API_FAILURES_PER_MINUTE", 60.0, 1e9)?.ceil()
                as u32,
            key_reload: Duration::from_secs_f64(number(
                "KEYFOLD_API_KEY_RELOAD_SECONDS",
                60.0,
                60.0,
            )?),
            test_clock: std::env::var("KEYFOLD_TEST_CLOCK").is_ok_and(|v| v == "1"),
            trials_per_address_per_day: number("KEYFOLD_API_TRIALS_PER_ADDRESS_PER_DAY", 5.0, 1e9)?
                as i64,
        };
        Ok(Config {
            mail,
            api,
            database_url: Secret::new(database_url),
            bind,
            public_url,
            secret_key: get("KEYFOLD_SECRET_KEY").map(Secret::new),
            smtp_url: get("KEYFOLD_SMTP_URL").map(Secret::new),
            mail_from: get("KEYFOLD_MAIL_FROM")
                .unwrap_or_else(|| "Keyfold <keyfold@localhost>".to_owned()),
            vendor_name: get("KEYFOLD_VENDOR_NAME")
                .map(|v| {
                    v.trim()
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(100)
                        .collect::<String>()
                })
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "Keyfold".to_owned()),
            bcrypt_cost,
            secure_cookies,
            trusted_proxies,
            session_idle: minutes("KEYFOLD_SESSION_IDLE_MINUTES", 120)?,
            session_absolute: minutes("KEYFOLD_SESSION_ABSOLUTE_MINUTES", 720)?,
            admin_email: get("KEYFOLD_ADMIN_EMAIL").unwrap_or_else(|| DEMO_ADMIN_EMAIL.to_owned()),
            admin_password: Secret::new(
                get("KEYFOLD_ADMIN_PASSWORD").unwrap_or_else(|| DEMO_PASSWORD.to_owned()),
            ),
            workers: None,
            upload_limit: (number("KEYFOLD_UPLOAD_LIMIT_MB", 50.0, 4096.0)? * 1024.0 * 1024.0)
                as usize,
        })
    }

    pub fn backend(&self) -> Backend {
        // Validated when the configuration was built.
        backend_of(self.database_url.expose()).unwrap_or(Backend::Sqlite)
    }
}

/// Selects the backend from a database URL.
pub fn backend_of(url: &str) -> Result<Backend, ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite://") {
        Ok(Backend::Sqlite)
    } else {
        Err(ConfigError {
            name: "DATABASE_URL",
            message:
                "expected sqlite://PATH, sqlite:///ABSOLUTE/PATH, postgres://… or postgresql://…"
                    .to_owned(),
        })
    }
}

fn parse_bool(name: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            name,
            message: format!("expected true or false, got {v:?}"),
        }),
    }
}

/// Writes a file only its owner may read (mode 0600 on Unix), refusing to replace one.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_work_with_nothing_set() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(c.backend(), Backend::Sqlite);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.secure_cookies);
        assert_eq!(c.bcrypt_cost, 12);
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let c = cfg(&[("KEYFOLD_PUBLIC_URL", "https://licenses.example.com/")]).unwrap();
        assert!(c.secure_cookies);
        assert_eq!(c.public_url, "https://licenses.example.com");
    }

    #[test]
    fn postgres_urls_select_postgres_and_others_are_refused() {
        assert_eq!(
            cfg(&[("DATABASE_URL", "postgresql://u@h/db")])
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        let err = cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        assert!(cfg(&[("KEYFOLD_BCRYPT_COST", "three")]).is_err());
        assert!(cfg(&[("KEYFOLD_TRUSTED_PROXIES", "10.0.0.1, nope")]).is_err());
    }
}
