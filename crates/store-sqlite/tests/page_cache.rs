//! The wrapper against a real SQLite file: random-key inserts (page splits that park pages at
//! the lock-byte page number) with commits, rollbacks and savepoint rollbacks, in a database far
//! below 1 GiB with a cache large enough to hold all of it. The data must read back exactly, the
//! file must pass `integrity_check`, and the wrapper must have skipped truncates (its whole
//! point) and forwarded the ones rollbacks need.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Connection, Row};

/// A small deterministic generator (xorshift64*), so that expected rows can be recomputed.
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            chunk.copy_from_slice(&self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        out
    }
}

fn value_for(key: &[u8; 32]) -> Vec<u8> {
    key.iter().rev().copied().cycle().take(96).collect()
}

/// Insert the generator's next key (and its value) and return the key.
async fn insert_next(conn: &mut sqlx::SqliteConnection, keys: &mut Keys) -> [u8; 32] {
    let key = keys.next();
    sqlx::query("INSERT INTO kv (k, v) VALUES (?, ?)")
        .bind(key.as_slice())
        .bind(value_for(&key))
        .execute(conn)
        .await
        .expect("insert");
    key
}

#[tokio::test]
async fn random_inserts_commits_and_rollbacks_read_back_exactly() {
    store_sqlite::page_cache::install().expect("installed before any SQLite connection");
    assert_eq!(
        store_sqlite::page_cache::install(),
        Ok(()),
        "install is idempotent"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pcache.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("url")
        .create_if_missing(true)
        .page_size(1024)
        .journal_mode(SqliteJournalMode::Wal)
        .pragma("cache_size", "-65536");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("open");
    sqlx::query("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        .execute(&pool)
        .await
        .expect("create table");
    sqlx::query("CREATE INDEX kv_v ON kv (v)")
        .execute(&pool)
        .await
        .expect("create index");

    let before = store_sqlite::page_cache::stats();
    let mut keys = Keys(0x9e37_79b9_7f4a_7c15);
    let mut committed = Vec::new();
    let mut conn = pool.acquire().await.expect("connection");
    for batch in 0..120 {
        let mut tx = conn.begin().await.expect("begin");
        let mut rows = Vec::new();
        for _ in 0..60 {
            rows.push(insert_next(&mut tx, &mut keys).await);
        }
        if batch % 7 == 3 {
            // A savepoint rolled back inside a committed transaction.
            let mut inner = tx.begin().await.expect("savepoint");
            for _ in 0..40 {
                insert_next(&mut inner, &mut keys).await;
            }
            inner.rollback().await.expect("rollback to savepoint");
        }
        if batch % 5 == 2 {
            tx.rollback().await.expect("rollback");
        } else {
            tx.commit().await.expect("commit");
            committed.extend(rows);
        }
    }
    let after = store_sqlite::page_cache::stats();

    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM kv")
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(count as usize, committed.len());
    for key in committed.iter().step_by(7) {
        let row = sqlx::query("SELECT v FROM kv WHERE k = ?")
            .bind(key.as_slice())
            .fetch_one(&mut *conn)
            .await
            .expect("committed row present");
        let value: Vec<u8> = row.get(0);
        assert_eq!(value, value_for(key));
    }
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await
        .expect("integrity_check");
    assert_eq!(check, "ok");

    let size: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut *conn)
        .await
        .expect("page_count");
    assert!(
        size < (1 << 20),
        "the database stays below the lock-byte page"
    );
    assert!(
        after.skipped > before.skipped,
        "commits skipped the empty cache walk: {before:?} -> {after:?}"
    );
    assert!(
        after.forwarded > before.forwarded,
        "rollbacks were passed on to SQLite's cache: {before:?} -> {after:?}"
    );
}
