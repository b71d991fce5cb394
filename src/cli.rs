//! The command line: `serve` (default), `demo`, `migrate`, `create-admin`, `seed`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::startup::{self, Application};

#[derive(Debug, Parser)]
#[command(name = "keyfold", version, about = "Self-hosted software licensing")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the vendor portal, the end-user portal and the APIs (the default).
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
        Command::Demo { .. } => Err("`demo` is not available yet".to_owned()),
        Command::Migrate => {
            startup::open_pool(&config).map_err(|e| e.to_string())?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateAdmin { .. } => Err("`create-admin` is not available yet".to_owned()),
        Command::Seed { .. } => Err("`seed` is not available yet".to_owned()),
    }
}

/// Builds the application and serves until stopped; `banner` is printed once listening.
fn serve(config: Config, banner: Option<String>) -> Result<(), String> {
    let public_url = config.public_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).map_err(|e| e.to_string())?;
        println!("Keyfold is listening on {public_url}");
        if let Some(banner) = banner {
            println!("{banner}");
        }
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
