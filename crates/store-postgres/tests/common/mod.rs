//! A throw-away PostgreSQL database per test.
//!
//! The server is `$CAIRN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Each test creates `cairn_test_<pid>_<nanos>_<n>` and drops it when the guard goes out of scope,
//! also when the test panics. An unreachable server fails the test, unless
//! `CAIRN_SKIP_POSTGRES=1`, which turns it into a `SKIPPED` line.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn server_url() -> String {
    std::env::var("CAIRN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// `url` with its database replaced by `database` (query parameters kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let authority_start = main.find("://").map_or(0, |i| i + 3);
    let base = match main[authority_start..].find('/') {
        Some(slash) => &main[..authority_start + slash],
        None => main,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// A database that exists for the lifetime of this guard.
#[derive(Debug)]
pub struct TestDb {
    /// URL of the test database.
    pub url: String,
    /// Its name.
    pub name: String,
    server: String,
}

impl TestDb {
    /// Create a fresh database, or `None` (after printing `SKIPPED`) when the server is
    /// unreachable and `CAIRN_SKIP_POSTGRES=1`.
    pub async fn create(test: &str) -> Option<TestDb> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let shown = store_postgres::redact_password(&server);
        let connected =
            tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&server)).await;
        let mut admin = match connected {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => return unreachable(test, &shown, &err.to_string()),
            Err(_) => return unreachable(test, &shown, "timed out after 10 s"),
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "cairn_test_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name} on {shown}: {e}"));
        let _ = admin.close().await;
        Some(TestDb {
            url: with_database(&server, &name),
            name,
            server,
        })
    }
}

fn unreachable(test: &str, shown: &str, err: &str) -> Option<TestDb> {
    if std::env::var("CAIRN_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!(
            "SKIPPED: {test}: PostgreSQL at {shown} is unreachable ({err}); CAIRN_SKIP_POSTGRES=1"
        );
        return None;
    }
    panic!(
        "PostgreSQL at {shown} is unreachable: {err}. Set CAIRN_TEST_POSTGRES_URL to a server \
         these tests may create databases on, or CAIRN_SKIP_POSTGRES=1 to skip them."
    );
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, where blocking on async work is not allowed: do it
        // on a thread of its own with a runtime of its own.
        let server = self.server.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        if let Ok(Err(err)) | Err(err) = dropped.map_err(|_| "panicked".to_owned()) {
            eprintln!("could not drop test database {}: {err}", self.name);
        }
    }
}
