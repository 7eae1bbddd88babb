#![doc = include_str!("../README.md")]

mod log;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Executor;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tlog_engine::LogStorage;

use crate::log::PostgresLog;

/// The schema, embedded at compile time from `migrations/postgres/`.
static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Connections per store.
const MAX_CONNECTIONS: u32 = 8;
/// How long a caller waits for a free connection before the operation fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a PostgreSQL store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresOpenError {
    /// The URL given to [`PostgresStore::connect`] is not a PostgreSQL URL sqlx understands.
    #[error("invalid PostgreSQL URL {url}: {source}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What sqlx objected to.
        source: sqlx::Error,
    },
    /// No connection could be made (server down, authentication, unknown database).
    #[error("cannot connect to PostgreSQL at {location}: {source}")]
    Connect {
        /// Host, port and database.
        location: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The schema migrations could not be applied (including a database migrated by a newer
    /// version of Cairn, or an applied migration that has since been edited).
    #[error("cannot migrate PostgreSQL database at {location}: {source}")]
    Migrate {
        /// Host, port and database.
        location: String,
        /// The migrator's error.
        source: MigrateError,
    },
}

/// One PostgreSQL database holding any number of logs. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    location: Arc<str>,
}

impl PostgresStore {
    /// Connect to the database `url` names (`postgres://user:password@host:5432/cairn`), open a
    /// pool and apply the migrations. Safe to call from several processes at once: sqlx holds an
    /// advisory lock on the database while it migrates.
    pub async fn connect(url: &str) -> Result<PostgresStore, PostgresOpenError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|source| PostgresOpenError::InvalidUrl {
                url: redact_password(url),
                source,
            })?;
        Self::connect_with(options).await
    }

    /// Like [`PostgresStore::connect`], from options built in code (for example with a password
    /// read from a secret file).
    pub async fn connect_with(
        options: PgConnectOptions,
    ) -> Result<PostgresStore, PostgresOpenError> {
        let location = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // `Committed` must mean durable: undo a server-wide `synchronous_commit = off`
                    // for our sessions (`local`, `on` and the replica levels are all durable here).
                    let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
                        .fetch_one(&mut *conn)
                        .await?;
                    if setting == "off" {
                        conn.execute("SET synchronous_commit = on").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| PostgresOpenError::Connect {
                location: location.clone(),
                source,
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| PostgresOpenError::Migrate {
                location: location.clone(),
                source,
            })?;
        tracing::debug!(location = %location, "connected PostgreSQL log store");
        Ok(PostgresStore {
            pool,
            location: location.into(),
        })
    }

    /// The storage of the log called `name` (created by its first commit), sharing this store's
    /// pool.
    pub fn log(&self, name: &str) -> Arc<dyn LogStorage> {
        Arc::new(PostgresLog::new(name, self.pool.clone()))
    }

    /// The connection pool, for the services' own tables.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Host, port and database of this store (no credentials), for logs.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Close every connection, waiting for the ones in use. Not needed for durability.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `url` with the password (in the user part or a `password=` parameter) replaced by `***`, fit
/// for error messages and logs.
pub fn redact_password(url: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    let authority_start = main.find("://").map(|i| i + 3);
    let userinfo = authority_start.and_then(|start| {
        let authority_end = main[start..].find('/').map_or(main.len(), |i| start + i);
        let at = main[start..authority_end].rfind('@')? + start;
        let colon = main[start..at].find(':')? + start;
        Some((colon, at))
    });
    match userinfo {
        Some((colon, at)) => {
            out.push_str(&main[..=colon]);
            out.push_str("***");
            out.push_str(&main[at..]);
        }
        None => out.push_str(main),
    }
    if let Some(query) = query {
        out.push('?');
        let parameters: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&parameters.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_redacted_and_nothing_else_changes() {
        assert_eq!(
            redact_password("postgres://cairn:s3cret@db:5432/cairn?sslmode=disable"),
            "postgres://cairn:***@db:5432/cairn?sslmode=disable"
        );
        assert_eq!(
            redact_password("postgres://cairn:p@ss@db/cairn"),
            "postgres://cairn:***@db/cairn"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(
            redact_password("postgres://db/x?user=a"),
            "postgres://db/x?user=a"
        );
        assert_eq!(
            redact_password("postgres://db/x?user=a&password=b&sslmode=require"),
            "postgres://db/x?user=a&password=***&sslmode=require"
        );
        assert_eq!(redact_password("postgres://u:p@db"), "postgres://u:***@db");
        assert_eq!(redact_password("not a url"), "not a url");
    }
}
