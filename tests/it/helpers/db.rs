//! A fresh database per test: a temporary SQLite file, or (with `TEST_DATABASE_URL`) a new
//! PostgreSQL database copied from a migrated template and dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

pub enum TestDb {
    /// Another handle on a database owned elsewhere (dropping it removes nothing).
    Borrowed { url: String },
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    pub fn fresh() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                Self::fresh_postgres(&without_tls(&admin_url))
            }
            _ => Self::fresh_sqlite(),
        }
    }

    pub fn fresh_sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keyfold.db");
        TestDb::Sqlite {
            url: format!("sqlite://{}", path.display()),
            _dir: dir,
            path,
        }
    }

    /// A new PostgreSQL database, created from a template migrated once per schema version.
    pub fn fresh_postgres(admin_url: &str) -> TestDb {
        let template = ensure_template(admin_url);
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "kf_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL answers");
        let mut tries = 0;
        loop {
            // Copying fails while another session still holds the template open; retry.
            match admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")) {
                Ok(()) => break,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
        TestDb::Postgres {
            url: database_url(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. }
            | TestDb::Postgres { url, .. }
            | TestDb::Borrowed { url } => url,
        }
    }

    pub fn borrowed(other: &TestDb) -> TestDb {
        TestDb::Borrowed {
            url: other.url().to_owned(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    #[allow(dead_code)]
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            TestDb::Sqlite { path, .. } => Some(path),
            TestDb::Postgres { .. } | TestDb::Borrowed { .. } => None,
        }
    }

    /// Ends every connection to this database and removes it (PostgreSQL) — the
    /// database stops answering, as when a server goes away.
    pub fn kill(&self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL answers");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .expect("drop test database");
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn rand_suffix() -> String {
    use rand::Rng;
    let n: u32 = rand::rng().random();
    format!("{n:08x}")
}

/// The URL with `sslmode=disable` unless it names a mode. Tests talk to a loopback
/// server; with TLS, libpq's OpenSSL clean-up at process exit raced the pool's threads
/// still holding connections and aborted a passed test ("free(): invalid pointer").
pub fn without_tls(url: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    if !parsed.query_pairs().any(|(k, _)| k == "sslmode") {
        parsed.query_pairs_mut().append_pair("sslmode", "disable");
    }
    parsed.to_string()
}

/// The same server and credentials as `admin_url`, another database name.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The name of a migrated template database for the current migrations, created once
/// (an advisory lock keeps parallel test processes from racing).
fn ensure_template(admin_url: &str) -> String {
    let template = format!("kf_tpl_{}", migrations_hash());
    let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL answers");
    admin
        .batch_execute("SELECT pg_advisory_lock(4242001)")
        .expect("advisory lock");
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found: Found = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{template}'"
    ))
    .get_result(&mut admin)
    .expect("query pg_database");
    if found.n == 0 {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .expect("drop half-built template");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .expect("create template");
        {
            let mut conn = keyfold::db::Manager::new(&database_url(admin_url, &building))
                .and_then(|m| {
                    use diesel::r2d2::ManageConnection;
                    m.connect()
                        .map_err(|e| keyfold::db::DbOpenError::Connect(e.to_string()))
                })
                .expect("connect to template");
            keyfold::db::run_migrations(&mut conn).expect("migrate template");
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .expect("rename template");
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(4242001)")
        .expect("advisory unlock");
    template
}

/// A short hash of the PostgreSQL migrations, so a changed schema gets a new template.
fn migrations_hash() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("migrations folder") {
        let dir = dir.expect("entry").path();
        for file in ["up.sql", "down.sql"] {
            let path = dir.join(file);
            if let Ok(text) = std::fs::read_to_string(&path) {
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for (path, text) in files {
        hasher.update(path.as_bytes());
        hasher.update(text.as_bytes());
    }
    hex::encode(&hasher.finalize()[..6])
}
