#![doc = include_str!("../README.md")]

mod log;
pub mod page_cache;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tlog_engine::LogStorage;

use crate::log::SqliteLog;

/// The schema, embedded at compile time from `migrations/sqlite/`.
static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// How long a connection waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (the batch inserts use a few dozen shapes).
const STATEMENT_CACHE: usize = 256;
/// WAL pages (4 KiB each) after which a commit copies the WAL back into the database.
const WAL_AUTOCHECKPOINT_PAGES: &str = "65536";
/// How often the background checkpointer copies committed WAL pages into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// How often the background checkpointer flushes the pages it copied to disk (see
/// [`Checkpointer`]). Shorter flushes less at a time but writes hot pages more often: 250 ms
/// cost more CPU per entry than it saved, 2 s left stalls of up to 450 ms, at a million entries.
const DATABASE_SYNC_INTERVAL: Duration = Duration::from_millis(500);
/// Read connections per store.
const READERS: u32 = 4;
/// Attempts at migrating when another process migrates the same new file at the same moment.
const MIGRATION_ATTEMPTS: u32 = 3;

/// Why a SQLite store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteOpenError {
    /// The URL given to [`SqliteStore::open_url`] is not a SQLite URL sqlx understands.
    #[error("invalid SQLite URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened or configured (missing directory, permissions, not a
    /// database, locked for longer than the busy timeout).
    #[error("cannot open SQLite database {location}: {source}")]
    Open {
        /// The file (or URL) opened.
        location: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The schema migrations could not be applied (including a database migrated by a newer
    /// version of Cairn, or an applied migration that has since been edited).
    #[error("cannot migrate SQLite database {location}: {source}")]
    Migrate {
        /// The file (or URL) opened.
        location: String,
        /// The migrator's error.
        source: MigrateError,
    },
}

/// One SQLite database holding any number of logs.
///
/// Cheap to clone (the pools are shared). Writes go through a single connection (SQLite has one
/// writer at a time anyway; queueing in-process beats polling on the file lock), reads through a
/// pool of four connections. Dropping the last clone closes the connections; committed data
/// is already durable, no explicit close is needed.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    checkpointer: Option<Arc<Checkpointer>>,
    writer: SqlitePool,
    reader: SqlitePool,
    location: Arc<str>,
}

impl SqliteStore {
    /// Open (creating it if missing) the database file at `path` and apply the migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, SqliteOpenError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_with(options, path.display().to_string(), false).await
    }

    /// Open the database a sqlx SQLite URL names (`sqlite:///var/lib/cairn/log.db?mode=rwc`) and
    /// apply the migrations. The URL's `mode` is honoured: without `mode=rwc` a missing file is an
    /// error. `sqlite::memory:` gives a private in-memory database on one connection, for tests.
    pub async fn open_url(url: &str) -> Result<SqliteStore, SqliteOpenError> {
        let invalid = |reason: String| SqliteOpenError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        // sqlx would take any other text for a file name.
        if !url.starts_with("sqlite:") {
            return Err(invalid("it does not start with `sqlite:`".to_owned()));
        }
        let options = SqliteConnectOptions::from_str(url).map_err(|e| invalid(e.to_string()))?;
        // sqlx keeps "in memory" private; these are the spellings its parser accepts.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        Self::open_with(options, url.to_owned(), in_memory).await
    }

    async fn open_with(
        base: SqliteConnectOptions,
        location: String,
        in_memory: bool,
    ) -> Result<SqliteStore, SqliteOpenError> {
        let open_error = |source| SqliteOpenError::Open {
            location: location.clone(),
            source,
        };
        // Before the first connection of the process: SQLite accepts a page cache only then.
        if let Err(err) = page_cache::install() {
            tracing::warn!(error = %err, "SQLite keeps its own page cache (slower commits)");
        }
        let database_file = base.get_filename().to_owned();
        let common = base
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .statement_cache_capacity(STATEMENT_CACHE)
            // Statement journals (every multi-row INSERT that may hit a constraint has one) and
            // temporary b-trees stay in memory instead of temporary files.
            .pragma("temp_store", "MEMORY");

        // The writer sets WAL (a persistent property of the file) before anything else touches it.
        let writer_options = common
            .clone()
            // 1 KiB pages (set when the file is created; existing files keep theirs): every
            // random-key index insert rewrites one page into the WAL, so smaller pages cut the
            // write volume per entry about fourfold once the indexes outgrow the cache.
            .page_size(1024)
            .journal_mode(SqliteJournalMode::Wal)
            // 256 MiB of page cache for the random-key indexes (leaf hashes, search keys): they
            // fit up to about a million hashedrekord entries (server CPU per entry 314 µs at 10k,
            // 319 µs at 1M; with 128 MiB, 301 and 341 µs). Its cost used to grow with its size:
            // SQLite walked the whole cache at every commit while the file was under 1 GiB,
            // which `page_cache` (installed in `open_with`) now skips; see that module.
            .pragma("cache_size", "-262144")
            .pragma("journal_size_limit", "67108864")
            // Checkpoint every 32 MiB of WAL instead of 4 MiB: hot pages (index interiors) are
            // copied back once per checkpoint, not once per few batches.
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            // On macOS a plain fsync does not reach the platter; elsewhere these do nothing.
            .pragma("fullfsync", "ON")
            .pragma("checkpoint_fullfsync", "ON");
        let writer_pool = || {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                // An in-memory database lives as long as its one connection.
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(3600))
                })
                .connect_with(writer_options.clone())
        };
        // `PRAGMA journal_mode = WAL` needs a lock that SQLite's busy handler does not wait for,
        // so an open racing another connection's write can fail with SQLITE_BUSY at once. Retry
        // those for as long as the busy timeout would have waited.
        let started = std::time::Instant::now();
        let writer = loop {
            match writer_pool().await {
                Ok(pool) => break pool,
                Err(err) if is_busy(&err) && started.elapsed() < BUSY_TIMEOUT => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(err) => return Err(open_error(err)),
            }
        };

        migrate(&writer, &location).await?;

        let reader = if in_memory {
            writer.clone()
        } else {
            let reader_options = common
                .clone()
                .create_if_missing(false)
                .pragma("cache_size", "-16384")
                .pragma("query_only", "ON");
            SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(reader_options)
                .await
                .map_err(open_error)?
        };
        let checkpointer = if in_memory {
            None
        } else {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(common.create_if_missing(false))
                .await
                .map_err(open_error)?;
            Some(Arc::new(Checkpointer::start(
                pool,
                database_file,
                location.clone(),
            )))
        };
        tracing::debug!(location = %location, "opened SQLite log store");
        Ok(SqliteStore {
            checkpointer,
            writer,
            reader,
            location: location.into(),
        })
    }

    /// The storage of the log called `name` (created by its first commit), sharing this store's
    /// connections.
    pub fn log(&self, name: &str) -> Arc<dyn LogStorage> {
        Arc::new(SqliteLog::new(
            name,
            self.writer.clone(),
            self.reader.clone(),
            self.checkpointer.clone(),
        ))
    }

    /// The write pool (one connection), for the services' own tables. Whatever holds a
    /// transaction on it holds up every log commit of this store: keep transactions short.
    pub fn pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// The read pool (`query_only` connections), for read-only queries of the services.
    pub fn read_pool(&self) -> &SqlitePool {
        &self.reader
    }

    /// Where this store was opened (path or URL), for logs.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Close every connection, waiting for the ones in use. Not needed for durability.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Apply the migrations. SQLite has no migration lock in sqlx, so two processes migrating one new
/// file at once can collide ("table already exists", a busy snapshot); the loser's transaction
/// rolls back and a retry finds the migration applied.
async fn migrate(writer: &SqlitePool, location: &str) -> Result<(), SqliteOpenError> {
    let mut attempt = 1;
    loop {
        match MIGRATOR.run(writer).await {
            Ok(()) => return Ok(()),
            Err(err @ (MigrateError::Execute(_) | MigrateError::ExecuteMigration(..)))
                if attempt < MIGRATION_ATTEMPTS =>
            {
                tracing::warn!(location, error = %err, attempt, "SQLite migration failed; retrying");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(source) => {
                return Err(SqliteOpenError::Migrate {
                    location: location.to_owned(),
                    source,
                });
            }
        }
    }
}

/// Whether an error is SQLite's "database is locked/busy" (primary codes 5 and 6).
fn is_busy(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

/// Copies committed pages from the WAL into the database file on its own connection
/// (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks writers), so that commits do not stop to
/// do it: with a large database the copy is random I/O that grows with the log, and doing it
/// inline made append latency grow with the log. The writer's own auto-checkpoint stays on, with
/// a far larger threshold, as a backstop. Stops when the last store or log handle is dropped.
///
/// It also flushes the database file every [`DATABASE_SYNC_INTERVAL`]. SQLite syncs the file only
/// when a checkpoint reaches the end of the WAL, which under steady appends is almost never the
/// background one (a commit lands while it copies) but the writer's auto-checkpoint, a few
/// seconds apart: that sync then wrote every page copied since the last one, and the commit
/// waiting on it stalled for 100-400 ms once the log held a million entries.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    fn start(pool: SqlitePool, database_file: PathBuf, location: String) -> Self {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The writer created the file before the checkpointer starts.
            let file = match std::fs::File::open(&database_file) {
                Ok(file) => Some(Arc::new(file)),
                Err(e) => {
                    tracing::warn!(%location, error = %e, "cannot open the database file to flush it");
                    None
                }
            };
            let mut last_sync = tokio::time::Instant::now();
            loop {
                tick.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(%location, error = %e, "background WAL checkpoint failed");
                    continue;
                }
                if last_sync.elapsed() < DATABASE_SYNC_INTERVAL {
                    continue;
                }
                let Some(file) = file.clone() else { continue };
                last_sync = tokio::time::Instant::now();
                // Only an extra flush of pages SQLite has already written: durability never
                // depends on it, so a failure is logged and the next flush tries again.
                match tokio::task::spawn_blocking(move || file.sync_data()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(%location, error = %e, "syncing the database file failed");
                    }
                    Err(e) => tracing::warn!(%location, error = %e, "database sync task failed"),
                }
            }
        });
        Checkpointer { task }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
