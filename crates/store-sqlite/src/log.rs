//! [`LogStorage`] for one log in a SQLite database.
//!
//! Every SQL statement whose length depends on a list (multi-row `INSERT`, `IN (…)`) is built in
//! a small set of shapes, powers of two up to a cap, so that sqlx's per-connection statement cache
//! prepares each shape once instead of once per batch size.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tlog_core::{Hash, NodeId};
use tlog_engine::{BatchCommit, CommitOutcome, LogStorage, StorageError, StoredEntry, StoredHead};

/// Rows per multi-row `INSERT` into `log_entries` (5 variables each).
const ENTRY_ROWS: usize = 512;
/// Rows per multi-row `INSERT` into `log_nodes` (4 variables each).
const NODE_ROWS: usize = 1024;
/// Rows per multi-row `INSERT` into `log_search_keys` (3 variables each).
const KEY_ROWS: usize = 1024;
/// Items per lookup query (`read_nodes`: 2 variables each, `find_leaf_hashes`: 1).
const LOOKUP_ITEMS: usize = 1024;
// All of these stay far below SQLite's limit of 32,766 variables per statement.
const _: () = assert!(ENTRY_ROWS * 5 < 32_766 && NODE_ROWS * 4 < 32_766 && KEY_ROWS * 3 < 32_766);

/// SQLite's extended result code for a violated `UNIQUE` constraint (the one on
/// `(log_name, leaf_hash)`); a `PRIMARY KEY` violation has a different code (1555).
const SQLITE_CONSTRAINT_UNIQUE: &str = "2067";

/// One log's storage: a name and the store's pools.
#[derive(Debug)]
pub(crate) struct SqliteLog {
    name: Arc<str>,
    writer: SqlitePool,
    reader: SqlitePool,
    /// Keeps the store's background checkpointer running while this handle lives.
    _checkpointer: Option<Arc<crate::Checkpointer>>,
}

impl SqliteLog {
    pub(crate) fn new(
        name: &str,
        writer: SqlitePool,
        reader: SqlitePool,
        checkpointer: Option<Arc<crate::Checkpointer>>,
    ) -> Self {
        SqliteLog {
            name: name.into(),
            writer,
            reader,
            _checkpointer: checkpointer,
        }
    }
}

/// A batch checked and converted to the database's integer type before the transaction starts.
struct Rows<'a> {
    expected_size: i64,
    new_size: i64,
    entries: Vec<EntryRow<'a>>,
    nodes: Vec<(i64, i64, &'a [u8])>,
    keys: Vec<(&'a [u8], i64)>,
}

struct EntryRow<'a> {
    index: i64,
    leaf_hash: &'a [u8],
    leaf: &'a [u8],
    integrated_time: i64,
}

impl<'a> Rows<'a> {
    fn new(batch: &'a BatchCommit) -> Result<Self, StorageError> {
        batch.check_shape()?;
        let expected_size = to_db(batch.expected_size, "expected tree size")?;
        let new_size = to_db(batch.new_head.size, "new tree size")?;
        let mut entries = Vec::with_capacity(batch.entries.len());
        let mut keys = Vec::new();
        for (offset, new) in batch.entries.iter().enumerate() {
            let index = to_db(batch.expected_size + offset as u64, "entry index")?;
            entries.push(EntryRow {
                index,
                leaf_hash: new.entry.leaf_hash.as_bytes(),
                leaf: &new.entry.leaf,
                integrated_time: new.entry.integrated_time,
            });
            // A key listed twice for one entry is one row (the primary key would refuse two).
            let mut entry_keys: Vec<&[u8]> = new.search_keys.iter().map(|k| k.as_bytes()).collect();
            entry_keys.sort_unstable();
            entry_keys.dedup();
            keys.extend(entry_keys.into_iter().map(|k| (k, index)));
        }
        let nodes = batch
            .nodes
            .iter()
            .map(|(node, hash)| {
                Ok((
                    i64::from(node.level),
                    to_db(node.index, "node index")?,
                    hash.as_bytes().as_slice(),
                ))
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(Rows {
            expected_size,
            new_size,
            entries,
            nodes,
            keys,
        })
    }
}

#[async_trait]
impl LogStorage for SqliteLog {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, checkpoint FROM log_heads WHERE log_name = ?",
        )
        .bind(&*self.name)
        .fetch_optional(&self.reader)
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
        let rows = Rows::new(batch)?;
        // IMMEDIATE takes the write lock now, so nothing can move the head between our
        // compare-and-swap and the commit (and a busy database waits here, not mid-transaction).
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("beginning the commit transaction"))?;

        let head_moved = if rows.expected_size == 0 {
            create_or_move_empty_head(&mut tx, &self.name, &rows, batch).await?
        } else {
            sqlx::query(
                "UPDATE log_heads SET tree_size = ?, root_hash = ?, checkpoint = ? \
                 WHERE log_name = ? AND tree_size = ?",
            )
            .bind(rows.new_size)
            .bind(batch.new_head.root.as_bytes().as_slice())
            .bind(batch.new_head.checkpoint.as_slice())
            .bind(&*self.name)
            .bind(rows.expected_size)
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

        match insert_entries(&mut tx, &self.name, &rows.entries).await {
            Ok(()) => {}
            Err(err) if is_leaf_hash_conflict(&err) => {
                tx.rollback().await.map_err(backend("rolling back"))?;
                return Ok(CommitOutcome::Conflict);
            }
            Err(err) => return Err(write_error("inserting entries", err)),
        }
        insert_nodes(&mut tx, &self.name, &rows.nodes)
            .await
            .map_err(|e| write_error("inserting nodes", e))?;
        insert_keys(&mut tx, &self.name, &rows.keys)
            .await
            .map_err(|e| write_error("inserting search keys", e))?;
        tx.commit().await.map_err(backend("committing the batch"))?;
        Ok(CommitOutcome::Committed)
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        let mut wanted = Vec::with_capacity(nodes.len());
        for node in nodes {
            // An index beyond i64 cannot have been stored.
            let index = i64::try_from(node.index)
                .map_err(|_| StorageError::Corrupt(format!("missing node {node}")))?;
            wanted.push((i64::from(node.level), index));
        }
        let mut found: HashMap<(i64, i64), Hash> = HashMap::with_capacity(wanted.len());
        for chunk in wanted.chunks(LOOKUP_ITEMS) {
            let padded = padded(chunk);
            let mut query = QueryBuilder::<Sqlite>::new("SELECT n.level, n.idx, n.hash FROM (");
            // A join (rather than `(level, idx) IN (VALUES …)`) lets SQLite use the whole
            // primary key for every lookup.
            query.push_values(padded, |mut row, (level, index)| {
                row.push_bind(*level).push_bind(*index);
            });
            query.push(
                ") AS q JOIN log_nodes AS n \
                 ON n.level = q.column1 AND n.idx = q.column2 AND n.log_name = ",
            );
            query.push_bind(&*self.name);
            let rows = query
                .build()
                .fetch_all(&self.reader)
                .await
                .map_err(backend("reading nodes"))?;
            for row in rows {
                let level: i64 = row.try_get(0).map_err(backend("reading level"))?;
                let index: i64 = row.try_get(1).map_err(backend("reading idx"))?;
                found.insert((level, index), hash_column(&row, 2, "node hash")?);
            }
        }
        nodes
            .iter()
            .zip(&wanted)
            .map(|(node, key)| {
                found
                    .get(key)
                    .copied()
                    .ok_or_else(|| StorageError::Corrupt(format!("missing node {node}")))
            })
            .collect()
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        let Ok(db_index) = i64::try_from(index) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT leaf_hash, leaf, integrated_time FROM log_entries \
             WHERE log_name = ? AND idx = ?",
        )
        .bind(&*self.name)
        .bind(db_index)
        .fetch_optional(&self.reader)
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
        let mut found: HashMap<Hash, u64> = HashMap::new();
        for chunk in hashes.chunks(LOOKUP_ITEMS) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT leaf_hash, idx FROM log_entries WHERE log_name = ",
            );
            query.push_bind(&*self.name);
            query.push(" AND leaf_hash IN (");
            let mut list = query.separated(", ");
            for hash in padded(chunk) {
                list.push_bind(hash.as_bytes().as_slice());
            }
            query.push(")");
            let rows = query
                .build()
                .fetch_all(&self.reader)
                .await
                .map_err(backend("looking up leaf hashes"))?;
            for row in rows {
                let hash = hash_column(&row, 0, "leaf hash")?;
                let index = from_db(
                    row.try_get(1).map_err(backend("reading idx"))?,
                    "entry index",
                )?;
                found.insert(hash, index);
            }
        }
        Ok(hashes.iter().map(|h| found.get(h).copied()).collect())
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT idx FROM log_search_keys WHERE log_name = ? AND search_key = ? \
             ORDER BY idx LIMIT ?",
        )
        .bind(&*self.name)
        .bind(key.as_bytes())
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(backend("searching"))?;
        rows.into_iter()
            .map(|i| from_db(i, "entry index"))
            .collect()
    }
}

/// Create the head of a new log, or move an existing empty one. Returns whether it moved.
async fn create_or_move_empty_head(
    tx: &mut SqliteConnection,
    name: &str,
    rows: &Rows<'_>,
    batch: &BatchCommit,
) -> Result<bool, StorageError> {
    let root = batch.new_head.root.as_bytes().as_slice();
    let checkpoint = batch.new_head.checkpoint.as_slice();
    let inserted = sqlx::query(
        "INSERT INTO log_heads (log_name, tree_size, root_hash, checkpoint) VALUES (?, ?, ?, ?) \
         ON CONFLICT (log_name) DO NOTHING",
    )
    .bind(name)
    .bind(rows.new_size)
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
        "UPDATE log_heads SET tree_size = ?, root_hash = ?, checkpoint = ? \
         WHERE log_name = ? AND tree_size = 0",
    )
    .bind(rows.new_size)
    .bind(root)
    .bind(checkpoint)
    .bind(name)
    .execute(&mut *tx)
    .await
    .map_err(backend("moving the empty head"))?
    .rows_affected();
    Ok(updated == 1)
}

async fn insert_entries(
    tx: &mut SqliteConnection,
    name: &str,
    entries: &[EntryRow<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in shaped_chunks(entries, ENTRY_ROWS) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO log_entries (log_name, idx, leaf_hash, leaf, integrated_time) ",
        );
        query.push_values(chunk, |mut row, e| {
            row.push_bind(name)
                .push_bind(e.index)
                .push_bind(e.leaf_hash)
                .push_bind(e.leaf)
                .push_bind(e.integrated_time);
        });
        query.build().execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_nodes(
    tx: &mut SqliteConnection,
    name: &str,
    nodes: &[(i64, i64, &[u8])],
) -> Result<(), sqlx::Error> {
    for chunk in shaped_chunks(nodes, NODE_ROWS) {
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO log_nodes (log_name, level, idx, hash) ");
        query.push_values(chunk, |mut row, (level, index, hash)| {
            row.push_bind(name)
                .push_bind(*level)
                .push_bind(*index)
                .push_bind(*hash);
        });
        query.build().execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_keys(
    tx: &mut SqliteConnection,
    name: &str,
    keys: &[(&[u8], i64)],
) -> Result<(), sqlx::Error> {
    for chunk in shaped_chunks(keys, KEY_ROWS) {
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO log_search_keys (log_name, search_key, idx) ");
        query.push_values(chunk, |mut row, (key, index)| {
            row.push_bind(name).push_bind(*key).push_bind(*index);
        });
        query.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Split `items` into chunks of `cap` rows, then the rest into descending powers of two, so that
/// every chunk length is a power of two (given a power-of-two `cap`): at most `log2(cap) + 1`
/// statement shapes in all.
fn shaped_chunks<T>(items: &[T], cap: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = if rest.len() >= cap {
            cap
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        Some(chunk)
    })
}

/// `items` (not empty) padded with copies of its last item to the next power of two, so that
/// lookups come in few shapes. Duplicates in a lookup list change nothing.
fn padded<T>(items: &[T]) -> impl Iterator<Item = &T> {
    let target = items.len().next_power_of_two();
    let last = items.last();
    items
        .iter()
        .chain(std::iter::repeat_n(last, target - items.len()).flatten())
}

/// The leaf-hash uniqueness constraint fired: another writer stored one of the batch's leaves.
fn is_leaf_hash_conflict(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| {
        db.is_unique_violation() && db.code().as_deref() == Some(SQLITE_CONSTRAINT_UNIQUE)
    })
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

/// A `u64` as the database's `INTEGER`.
fn to_db(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| {
        StorageError::Backend(format!(
            "{what} {value} does not fit SQLite's 64-bit signed integer"
        ))
    })
}

/// A stored `INTEGER` that must be a `u64`.
fn from_db(value: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(value)
        .map_err(|_| StorageError::Corrupt(format!("stored {what} {value} is negative")))
}

/// A stored blob that must be a 32-byte hash.
fn hash_column(row: &SqliteRow, column: usize, what: &str) -> Result<Hash, StorageError> {
    let bytes: &[u8] = row
        .try_get(column)
        .map_err(|e| StorageError::Backend(format!("reading {what}: {e}")))?;
    Hash::from_slice(bytes).map_err(|_| {
        StorageError::Corrupt(format!("stored {what} is {} bytes, not 32", bytes.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_up_to_the_cap_and_cover_everything() {
        for n in 0..3_000usize {
            let items: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = shaped_chunks(&items, 512).collect();
            let joined: Vec<usize> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(joined, items, "n = {n}");
            for chunk in &chunks {
                assert!(
                    chunk.len().is_power_of_two() && chunk.len() <= 512,
                    "n = {n}"
                );
            }
        }
        let items = [0u8; 700];
        let lengths: Vec<usize> = shaped_chunks(&items, 512).map(<[u8]>::len).collect();
        assert_eq!(lengths, vec![512, 128, 32, 16, 8, 4]);
    }

    #[test]
    fn padding_repeats_the_last_item_up_to_a_power_of_two() {
        let five: Vec<u8> = padded(&[1u8, 2, 3, 4, 5]).copied().collect();
        assert_eq!(five, vec![1, 2, 3, 4, 5, 5, 5, 5]);
        let one: Vec<u8> = padded(&[9u8]).copied().collect();
        assert_eq!(one, vec![9]);
        let four: Vec<u8> = padded(&[1u8, 2, 3, 4]).copied().collect();
        assert_eq!(four, vec![1, 2, 3, 4]);
    }
}
