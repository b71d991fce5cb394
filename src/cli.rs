//! The command line: `serve` (default), `demo`, `migrate`, `create-admin`, `seed`,
//! `import`, `export`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::io::BufRead;
use std::net::ToSocketAddrs;

use crate::config::Config;
use crate::db::write_tx;
use crate::domain::{EmailAddress, NewPassword, Role};
use crate::models::audit::Actor;
use crate::models::staff::{self, NewStaff};
use crate::models::ModelError;
use crate::seed::demo;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(name = "keyfold", version, about = "Self-hosted software licensing")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the admin portal, the license portal and the APIs (the default).
    Serve,
    /// Seed demo data into a database that has no staff user yet, then serve.
    Demo {
        /// Allow the demo (with its well-known password) on a non-loopback address.
        #[arg(long)]
        allow_public: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Create a staff administrator (password from --password or standard input).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Seed bulk synthetic data for benchmarks.
    Seed {
        #[arg(long)]
        licenses: u64,
    },
    /// Import customers or licenses from a CSV file: checked like an upload, then all rows
    /// or none.
    Import {
        #[arg(value_enum)]
        kind: ImportKind,
        file: std::path::PathBuf,
        /// Check the file and report; import nothing.
        #[arg(long)]
        dry_run: bool,
        /// Update customers that already exist (matched by email) instead of skipping them.
        #[arg(long)]
        update: bool,
    },
    /// Export customers or licenses as CSV to standard output (the lists' filters).
    Export {
        #[arg(value_enum)]
        kind: ExportKind,
        /// Licenses: a product id.
        #[arg(long)]
        product: Option<crate::domain::ProductId>,
        /// Licenses: an order id.
        #[arg(long)]
        order: Option<crate::domain::OrderId>,
        /// Licenses: active, inactive, expired or disabled. Customers: active, disabled or deleted.
        #[arg(long, default_value = "")]
        status: String,
        /// Licenses: perpetual, time_limited, subscription or consumption.
        #[arg(long = "type", default_value = "")]
        license_type: String,
        /// Licenses created on or after this day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Licenses created on or before this day (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// Customers: a prefix of the email, a name, the company or the reference.
        #[arg(long, default_value = "")]
        q: String,
        /// Customers: a label id.
        #[arg(long)]
        label: Option<crate::domain::LabelId>,
        /// Customers: a customer account id.
        #[arg(long)]
        account: Option<crate::domain::CustomerAccountId>,
    },
    /// The license API's signing keys: list them, or rotate in stages (rotate adds a next
    /// key, promote makes it active while the old one still signs, retire ends that
    /// overlap, revoke withdraws a key).
    SigningKey {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Writes a consistent copy of the SQLite database to FILE while Keyfold serves
    /// (SQLite's `VACUUM INTO`). The secret key (KEYFOLD_SECRET_KEY or data/secret.key)
    /// is not in it: back it up separately and keep it apart. For PostgreSQL use pg_dump.
    Backup { file: std::path::PathBuf },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeyAction {
    /// Every key with its state.
    List,
    /// Add a key: the first becomes active, later ones wait as next (published).
    Rotate,
    /// Make the next key active; the active one goes on signing beside it.
    Promote,
    /// Stop the previous key signing (it stays published for verifying).
    Retire,
    /// Withdraw a key: it neither signs nor is published.
    Revoke { kid: String },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ImportKind {
    Customers,
    Licenses,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportKind {
    Customers,
    Licenses,
}

/// Runs the parsed command; every failure is one line on stderr and a non-zero exit.
pub fn run(cli: Cli) -> ExitCode {
    init_tracing();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keyfold: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn execute(cli: Cli) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, None),
        Command::Demo { allow_public } => demo(config, allow_public),
        Command::Migrate => {
            crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateAdmin {
            email,
            password,
            name,
        } => create_admin(&config, &email, password, &name),
        Command::Seed { licenses } => seed(&config, licenses),
        Command::Import {
            kind,
            file,
            dry_run,
            update,
        } => match kind {
            ImportKind::Customers => crate::csv_io::cli::import::<
                crate::csv_io::customer_import::Customers,
            >(&config, &file, dry_run, update),
            ImportKind::Licenses => crate::csv_io::cli::import::<
                crate::csv_io::license_import::Licenses,
            >(&config, &file, dry_run, false),
        },
        Command::SigningKey { action } => signing_key(&config, action),
        Command::Backup { file } => backup(&config, &file),
        Command::Export {
            kind,
            product,
            order,
            status,
            license_type,
            from,
            to,
            q,
            label,
            account,
        } => {
            use crate::csv_io::cli::{date, export, Export};
            let what = match kind {
                ExportKind::Licenses => Export::Licenses(crate::models::license::Filter {
                    product_id: product,
                    order_id: order,
                    status,
                    license_type,
                    created_from: date("from", &from)?,
                    created_to: date("to", &to)?,
                    ..Default::default()
                }),
                ExportKind::Customers => Export::Customers(crate::models::customer::Filter {
                    q: crate::domain::values::search_term(&q, 100),
                    label_id: label,
                    account_id: account,
                    status,
                }),
            };
            export(&config, what)
        }
    }
}

/// Builds the application and serves until stopped; `banner` is printed once listening.
fn serve(config: Config, banner: Option<String>) -> Result<(), String> {
    let public_url = config.public_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).map_err(|e| e.to_string())?;
        // With port 0 the system chose the port: the banner's links name the real one.
        let actual = app.public_url().to_owned();
        println!("Keyfold is listening on {actual}");
        if let Some(banner) = banner {
            println!("{}", banner.replace(&public_url, &actual));
        }
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// `create-admin`: a staff admin with a password from `--password` or standard input.
fn create_admin(
    config: &Config,
    email: &str,
    password: Option<String>,
    name: &str,
) -> Result<(), String> {
    let email = EmailAddress::parse(email)?;
    let password = match password {
        Some(p) => p,
        None => {
            eprintln!("Password for {email} (one line on standard input):");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let password = NewPassword::parse(&password).map_err(|e| format!("password: {e}"))?;
    let hash = crate::auth::password::hash_blocking(password.expose(), config.bcrypt_cost)?;
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    let name = if name.trim().is_empty() {
        "Administrator"
    } else {
        name
    };
    write_tx(&mut conn, |conn| {
        staff::create(
            conn,
            &Actor::system("create-admin"),
            NewStaff {
                email: &email,
                name,
                role: Role::Admin,
                password_hash: Some(&hash),
            },
        )
    })
    .map_err(|e| match e {
        ModelError::Invalid { message, .. } => message,
        other => other.to_string(),
    })?;
    println!("Created admin {email}.");
    Ok(())
}

/// Whether every address `bind` resolves to is a loopback address.
fn is_loopback_bind(bind: &str) -> bool {
    match bind.to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// `demo`: seeds the demo company into a database without staff users, then serves.
fn demo(config: Config, allow_public: bool) -> Result<(), String> {
    if !allow_public && !is_loopback_bind(&config.bind) {
        return Err(format!(
            "refusing to serve the demo (with its well-known password) on {}; bind to 127.0.0.1 or pass --allow-public",
            config.bind
        ));
    }
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    let has_staff = staff::any_exists(&mut conn).map_err(|e| e.to_string())?;
    let banner = if has_staff {
        println!("The database already has staff users: serving it as it is.");
        None
    } else {
        let email = EmailAddress::parse(&config.admin_email)
            .map_err(|e| format!("KEYFOLD_ADMIN_EMAIL: {e}"))?;
        let password = config.admin_password.expose().to_owned();
        crate::domain::password::check_length(&password)
            .map_err(|e| format!("KEYFOLD_ADMIN_PASSWORD: {e}"))?;
        let hash = crate::auth::password::hash_blocking(&password, config.bcrypt_cost)?;
        let secret = crate::models::settings::server_secret(&mut conn, &config)?;
        let mailer = crate::mail::Mailer::new(&secret, &config);
        let (seeded, managers) = write_tx(&mut conn, |conn| {
            let seeded = demo::seed(conn, &email, &hash)?;
            Ok::<_, crate::models::ModelError>((seeded, demo::seed_managers(conn, &mailer, &hash)?))
        })
        .map_err(|e| e.to_string())?;
        println!(
            "Seeded the demo company: {} products, {} customers, {} orders, {} licenses, {} devices, {} license events.",
            seeded.products, seeded.customers, seeded.orders, seeded.licenses, seeded.devices, seeded.events
        );
        let mut lines = vec![
            format!("Sign in at {}/login", config.public_url),
            format!("  admin:     {email} / {password}"),
        ];
        for (other, _, role) in demo::DEMO_STAFF {
            if other != email.normalized() {
                lines.push(format!(
                    "  {:<10} {other} / {password}",
                    format!("{}:", role.as_str().replace('_', "-"))
                ));
            }
        }
        lines.push(format!(
            "License portal at {}/portal/login",
            config.public_url
        ));
        lines.push(format!(
            "  license manager: {} / {password}  (orders {})",
            managers.login_email,
            managers.orders.join(", ")
        ));
        lines.push(format!(
            "  pending invite of {}: {}",
            demo::DEMO_INVITED.0,
            managers.invite_link
        ));
        if let Some((key, product, hardware)) =
            demo::api_example(&mut conn).map_err(|e| e.to_string())?
        {
            lines.push(format!(
                "License API: demo license {key} ({product}), active on {hardware}:"
            ));
            lines.push(format!(
                "  curl -s -H 'Keyfold-Nonce: ZGVtby1ub25jZS0wMDAx' -H 'Content-Type: application/json' -d '{{\"product_code\":\"{product}\",\"license_key\":\"{key}\",\"hardware_id\":\"{hardware}\"}}' {}/api/v1/check",
                config.public_url
            ));
        }
        Some(lines.join("\n"))
    };
    drop(conn);
    serve(config, banner)
}

/// `seed --licenses N`: bulk synthetic data for benchmarks, plus a staff admin when the
/// database has none.
fn seed(config: &Config, licenses: u64) -> Result<(), String> {
    if licenses == 0 || licenses > 50_000_000 {
        return Err("--licenses must be between 1 and 50,000,000".to_owned());
    }
    let started = std::time::Instant::now();
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    if !staff::any_exists(&mut conn).map_err(|e| e.to_string())? {
        let email = EmailAddress::parse(&config.admin_email)
            .map_err(|e| format!("KEYFOLD_ADMIN_EMAIL: {e}"))?;
        let hash = crate::auth::password::hash_blocking(
            config.admin_password.expose(),
            config.bcrypt_cost,
        )?;
        write_tx(&mut conn, |conn| {
            staff::create(
                conn,
                &Actor::system("seed"),
                NewStaff {
                    email: &email,
                    name: "Administrator",
                    role: Role::Admin,
                    password_hash: Some(&hash),
                },
            )
        })
        .map_err(|e| e.to_string())?;
        println!("Created staff admin {email} (password from KEYFOLD_ADMIN_PASSWORD, default keyfold-demo).");
    }
    let counts =
        crate::seed::bulk::seed(&mut conn, licenses).map_err(|e| format!("seeding failed: {e}"))?;
    println!(
        "Seeded {} licenses, {} customers, {} orders, {} devices, {} license events in {:.1} s.",
        counts.licenses,
        counts.customers,
        counts.orders,
        counts.devices,
        counts.events,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `keyfold signing-key …`: one transaction per change, printed as one line per key.
fn backup(config: &Config, file: &std::path::Path) -> Result<(), String> {
    if config.backend() != crate::config::Backend::Sqlite {
        return Err("keyfold backup copies an SQLite database; for PostgreSQL use pg_dump (see README → Backups)".to_owned());
    }
    if file.exists() {
        return Err(format!(
            "{} exists already: choose a new file",
            file.display()
        ));
    }
    let target = file
        .to_str()
        .ok_or("the backup file's path must be UTF-8")?
        .replace('\'', "''");
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        &format!("VACUUM INTO '{target}'"),
    )
    .map_err(|e| format!("the backup failed: {e}"))?;
    println!(
        "Backed up the database to {}. The secret key is not in it: keep a copy of KEYFOLD_SECRET_KEY (or data/secret.key) apart from database backups.",
        file.display()
    );
    Ok(())
}

fn signing_key(config: &Config, action: KeyAction) -> Result<(), String> {
    use crate::models::signing_key::{self, KeySealer};
    let mut conn =
        crate::db::open_single(config.database_url.expose()).map_err(|e| e.to_string())?;
    let changed = match action {
        KeyAction::List => None,
        KeyAction::Rotate => {
            let secret = config.signing_secret(true)?.ok_or(
                "set KEYFOLD_SECRET_KEY (the same on every instance) before adding a signing key",
            )?;
            let sealer = KeySealer::new(secret.expose().as_bytes());
            Some(write_tx(&mut conn, |c| signing_key::rotate(c, &sealer)))
        }
        KeyAction::Promote => Some(write_tx(&mut conn, signing_key::promote)),
        KeyAction::Retire => Some(write_tx(&mut conn, signing_key::retire)),
        KeyAction::Revoke { kid } => Some(write_tx(&mut conn, |c| signing_key::revoke(c, &kid))),
    };
    if let Some(result) = changed {
        let key = result.map_err(|e| match e {
            ModelError::NotFound => "no such key".to_owned(),
            other => other.to_string(),
        })?;
        println!("{} is now {}.", key.kid, key.state);
    }
    for key in signing_key::all(&mut conn).map_err(|e| e.to_string())? {
        println!(
            "{}  {:<8}  {}  since {}",
            key.kid,
            key.state.as_str(),
            key.public_key,
            key.state_changed_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}
