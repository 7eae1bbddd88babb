//! The database chosen by `database_url`: SQLite (the default, a file in the data directory) or
//! PostgreSQL.

use std::sync::Arc;

use anyhow::Context;
use tlog_engine::LogStorage;

use crate::config::DatabaseUrl;

/// An open database holding every log of the process.
#[derive(Debug, Clone)]
pub(crate) enum Database {
    Sqlite(store_sqlite::SqliteStore),
    Postgres(store_postgres::PostgresStore),
}

impl Database {
    /// Open (and migrate) the database.
    pub(crate) async fn open(url: &DatabaseUrl) -> anyhow::Result<Database> {
        Ok(match url {
            DatabaseUrl::Sqlite(path) => Database::Sqlite(
                store_sqlite::SqliteStore::open(path)
                    .await
                    .context("opening the SQLite database")?,
            ),
            DatabaseUrl::Postgres(url) => Database::Postgres(
                store_postgres::PostgresStore::connect(url)
                    .await
                    .context("connecting to PostgreSQL")?,
            ),
        })
    }

    /// Storage for the log called `name`.
    pub(crate) fn log(&self, name: &str) -> Arc<dyn LogStorage> {
        match self {
            Database::Sqlite(store) => store.log(name),
            Database::Postgres(store) => store.log(name),
        }
    }

    /// Where the data lives, for the start-up log line (no password).
    pub(crate) fn location(&self) -> String {
        match self {
            Database::Sqlite(store) => format!("sqlite {}", store.location()),
            Database::Postgres(store) => format!("postgres {}", store.location()),
        }
    }
}
