//! [`LogStorage`] for one log in a PostgreSQL database.
//!
//! Lists travel as arrays (`UNNEST`), so every statement has one fixed text (prepared once per
//! connection) and a batch of any size is a handful of round trips.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use tlog_core::{Hash, NodeId};
use tlog_engine::{BatchCommit, CommitOutcome, LogStorage, StorageError, StoredEntry, StoredHead};

/// The unique constraint on `(log_name, leaf_hash)` (named in the migration).
const LEAF_HASH_CONSTRAINT: &str = "log_entries_leaf_hash_key";

/// One log's storage: a name and the store's pool.
#[derive(Debug)]
pub(crate) struct PostgresLog {
    name: Arc<str>,
    pool: PgPool,
}

impl PostgresLog {
    pub(crate) fn new(name: &str, pool: PgPool) -> Self {
        PostgresLog {
            name: name.into(),
            pool,
        }
    }
}

/// A batch checked and converted to column arrays before the transaction starts.
struct Columns<'a> {
    expected_size: i64,
    new_size: i64,
    entry_index: Vec<i64>,
    entry_leaf_hash: Vec<&'a [u8]>,
    entry_leaf: Vec<&'a [u8]>,
    entry_time: Vec<i64>,
    node_level: Vec<i16>,
    node_index: Vec<i64>,
    node_hash: Vec<&'a [u8]>,
    key_key: Vec<&'a [u8]>,
    key_index: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn new(batch: &'a BatchCommit) -> Result<Self, StorageError> {
        batch.check_shape()?;
        let n = batch.entries.len();
        let mut columns = Columns {
            expected_size: to_db(batch.expected_size, "expected tree size")?,
            new_size: to_db(batch.new_head.size, "new tree size")?,
            entry_index: Vec::with_capacity(n),
            entry_leaf_hash: Vec::with_capacity(n),
            entry_leaf: Vec::with_capacity(n),
            entry_time: Vec::with_capacity(n),
            node_level: Vec::with_capacity(batch.nodes.len()),
            node_index: Vec::with_capacity(batch.nodes.len()),
            node_hash: Vec::with_capacity(batch.nodes.len()),
            key_key: Vec::new(),
            key_index: Vec::new(),
        };
        for (offset, new) in batch.entries.iter().enumerate() {
            let index = to_db(batch.expected_size + offset as u64, "entry index")?;
            columns.entry_index.push(index);
            columns.entry_leaf_hash.push(new.entry.leaf_hash.as_bytes());
            columns.entry_leaf.push(&new.entry.leaf);
            columns.entry_time.push(new.entry.integrated_time);
            // A key listed twice for one entry is one row (the primary key would refuse two).
            let mut keys: Vec<&[u8]> = new.search_keys.iter().map(|k| k.as_bytes()).collect();
            keys.sort_unstable();
            keys.dedup();
            columns
                .key_index
                .extend(std::iter::repeat_n(index, keys.len()));
            columns.key_key.extend(keys);
        }
        for (node, hash) in &batch.nodes {
            columns.node_level.push(i16::from(node.level));
            columns.node_index.push(to_db(node.index, "node index")?);
            columns.node_hash.push(hash.as_bytes());
        }
        Ok(columns)
    }
}

#[async_trait]
impl LogStorage for PostgresLog {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, checkpoint FROM log_heads WHERE log_name = $1",
        )
        .bind(&*self.name)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("loading the head"))?;
        row.map(|row| {
            Ok(StoredHead {
                size: from_db(
                    row.try_get(0).map_err(backend("reading tree_size"))?,
                    "tree size",
                )?,
                root: hash_column(&row, 1, "root hash")?,
                checkpoint: row.try_get(2).map_err(backend("reading checkpoint"))?,
            })
        })
        .transpose()
    }

    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError> {
        let columns = Columns::new(batch)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(backend("beginning the commit transaction"))?;

        // The conditional UPDATE row-locks the head: a concurrent writer waits on the lock, then
        // re-checks `tree_size` against the committed row and affects nothing (a conflict).
        let head_moved = if columns.expected_size == 0 {
            create_or_move_empty_head(&mut tx, &self.name, columns.new_size, batch).await?
        } else {
            sqlx::query(
                "UPDATE log_heads SET tree_size = $2, root_hash = $3, checkpoint = $4 \
                 WHERE log_name = $1 AND tree_size = $5",
            )
            .bind(&*self.name)
            .bind(columns.new_size)
            .bind(batch.new_head.root.as_bytes().as_slice())
            .bind(batch.new_head.checkpoint.as_slice())
            .bind(columns.expected_size)
            .execute(&mut *tx)
            .await
            .map_err(backend("moving the head"))?
            .rows_affected()
                == 1
        };
        if !head_moved {
            tx.rollback().await.map_err(backend("rolling back"))?;
            return Ok(CommitOutcome::Conflict);
        }

        if !columns.entry_index.is_empty() {
            let inserted = sqlx::query(
                "INSERT INTO log_entries (log_name, idx, leaf_hash, leaf, integrated_time) \
                 SELECT $1, t.idx, t.leaf_hash, t.leaf, t.integrated_time \
                 FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[]) \
                   AS t(idx, leaf_hash, leaf, integrated_time)",
            )
            .bind(&*self.name)
            .bind(&columns.entry_index)
            .bind(&columns.entry_leaf_hash)
            .bind(&columns.entry_leaf)
            .bind(&columns.entry_time)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(err) if is_leaf_hash_conflict(&err) => {
                    tx.rollback().await.map_err(backend("rolling back"))?;
                    return Ok(CommitOutcome::Conflict);
                }
                Err(err) => return Err(write_error("inserting entries", err)),
            }
        }
        if !columns.node_index.is_empty() {
            sqlx::query(
                "INSERT INTO log_nodes (log_name, level, idx, hash) \
                 SELECT $1, t.level, t.idx, t.hash \
                 FROM UNNEST($2::smallint[], $3::bigint[], $4::bytea[]) AS t(level, idx, hash)",
            )
            .bind(&*self.name)
            .bind(&columns.node_level)
            .bind(&columns.node_index)
            .bind(&columns.node_hash)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error("inserting nodes", e))?;
        }
        if !columns.key_index.is_empty() {
            sqlx::query(
                "INSERT INTO log_search_keys (log_name, search_key, idx) \
                 SELECT $1, t.search_key, t.idx \
                 FROM UNNEST($2::bytea[], $3::bigint[]) AS t(search_key, idx)",
            )
            .bind(&*self.name)
            .bind(&columns.key_key)
            .bind(&columns.key_index)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error("inserting search keys", e))?;
        }
        tx.commit().await.map_err(backend("committing the batch"))?;
        Ok(CommitOutcome::Committed)
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        if nodes.is_empty() {
            return Ok(Vec::new());
        }
        let mut levels = Vec::with_capacity(nodes.len());
        let mut indexes = Vec::with_capacity(nodes.len());
        for node in nodes {
            // An index beyond i64 cannot have been stored.
            let index = i64::try_from(node.index)
                .map_err(|_| StorageError::Corrupt(format!("missing node {node}")))?;
            levels.push(i16::from(node.level));
            indexes.push(index);
        }
        let rows = sqlx::query(
            "SELECT n.hash FROM UNNEST($2::smallint[], $3::bigint[]) WITH ORDINALITY \
               AS q(level, idx, ord) \
             LEFT JOIN log_nodes AS n \
               ON n.log_name = $1 AND n.level = q.level AND n.idx = q.idx \
             ORDER BY q.ord",
        )
        .bind(&*self.name)
        .bind(&levels)
        .bind(&indexes)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("reading nodes"))?;
        if rows.len() != nodes.len() {
            return Err(StorageError::Backend(format!(
                "asked for {} nodes, the query returned {} rows",
                nodes.len(),
                rows.len()
            )));
        }
        rows.iter()
            .zip(nodes)
            .map(|(row, node)| {
                let bytes: Option<&[u8]> = row.try_get(0).map_err(backend("reading hash"))?;
                let bytes =
                    bytes.ok_or_else(|| StorageError::Corrupt(format!("missing node {node}")))?;
                Hash::from_slice(bytes).map_err(|_| {
                    StorageError::Corrupt(format!(
                        "stored hash of node {node} is {} bytes, not 32",
                        bytes.len()
                    ))
                })
            })
            .collect()
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        let Ok(db_index) = i64::try_from(index) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT leaf_hash, leaf, integrated_time FROM log_entries \
             WHERE log_name = $1 AND idx = $2",
        )
        .bind(&*self.name)
        .bind(db_index)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("reading an entry"))?;
        row.map(|row| {
            Ok(StoredEntry {
                index,
                leaf_hash: hash_column(&row, 0, "leaf hash")?,
                leaf: row.try_get(1).map_err(backend("reading leaf"))?,
                integrated_time: row.try_get(2).map_err(backend("reading integrated_time"))?,
            })
        })
        .transpose()
    }

    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<&[u8]> = hashes.iter().map(|h| h.as_bytes().as_slice()).collect();
        let found: Vec<Option<i64>> = sqlx::query_scalar(
            "SELECT e.idx FROM UNNEST($2::bytea[]) WITH ORDINALITY AS q(leaf_hash, ord) \
             LEFT JOIN log_entries AS e ON e.log_name = $1 AND e.leaf_hash = q.leaf_hash \
             ORDER BY q.ord",
        )
        .bind(&*self.name)
        .bind(&wanted)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("looking up leaf hashes"))?;
        if found.len() != hashes.len() {
            return Err(StorageError::Backend(format!(
                "asked for {} leaf hashes, the query returned {} rows",
                hashes.len(),
                found.len()
            )));
        }
        found
            .into_iter()
            .map(|i| i.map(|i| from_db(i, "entry index")).transpose())
            .collect()
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT idx FROM log_search_keys WHERE log_name = $1 AND search_key = $2 \
             ORDER BY idx LIMIT $3",
        )
        .bind(&*self.name)
        .bind(key.as_bytes())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("searching"))?;
        rows.into_iter()
            .map(|i| from_db(i, "entry index"))
            .collect()
    }
}

/// Create the head of a new log, or move an existing empty one. Returns whether it moved.
async fn create_or_move_empty_head(
    tx: &mut PgConnection,
    name: &str,
    new_size: i64,
    batch: &BatchCommit,
) -> Result<bool, StorageError> {
    let root = batch.new_head.root.as_bytes().as_slice();
    let checkpoint = batch.new_head.checkpoint.as_slice();
    let inserted = sqlx::query(
        "INSERT INTO log_heads (log_name, tree_size, root_hash, checkpoint) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (log_name) DO NOTHING",
    )
    .bind(name)
    .bind(new_size)
    .bind(root)
    .bind(checkpoint)
    .execute(&mut *tx)
    .await
    .map_err(backend("creating the head"))?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    let updated = sqlx::query(
        "UPDATE log_heads SET tree_size = $2, root_hash = $3, checkpoint = $4 \
         WHERE log_name = $1 AND tree_size = 0",
    )
    .bind(name)
    .bind(new_size)
    .bind(root)
    .bind(checkpoint)
    .execute(&mut *tx)
    .await
    .map_err(backend("moving the empty head"))?
    .rows_affected();
    Ok(updated == 1)
}

/// The leaf-hash uniqueness constraint fired: another writer stored one of the batch's leaves.
fn is_leaf_hash_conflict(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|db| db.is_unique_violation() && db.constraint() == Some(LEAF_HASH_CONSTRAINT))
}

/// A failed insert of records the head does not cover yet. A primary-key violation there means
/// records beyond the head exist, which atomic commits never leave behind.
fn write_error(doing: &str, err: sqlx::Error) -> StorageError {
    if err
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
    {
        StorageError::Corrupt(format!(
            "{doing}: records beyond the head already exist: {err}"
        ))
    } else {
        StorageError::Backend(format!("{doing}: {err}"))
    }
}

fn backend(doing: &'static str) -> impl Fn(sqlx::Error) -> StorageError {
    move |err| StorageError::Backend(format!("{doing}: {err}"))
}

/// A `u64` as the database's `bigint`.
fn to_db(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| {
        StorageError::Backend(format!("{what} {value} does not fit PostgreSQL's bigint"))
    })
}

/// A stored `bigint` that must be a `u64`.
fn from_db(value: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(value)
        .map_err(|_| StorageError::Corrupt(format!("stored {what} {value} is negative")))
}

/// A stored `bytea` that must be a 32-byte hash.
fn hash_column(row: &PgRow, column: usize, what: &str) -> Result<Hash, StorageError> {
    let bytes: &[u8] = row
        .try_get(column)
        .map_err(|e| StorageError::Backend(format!("reading {what}: {e}")))?;
    Hash::from_slice(bytes).map_err(|_| {
        StorageError::Corrupt(format!("stored {what} is {} bytes, not 32", bytes.len()))
    })
}
