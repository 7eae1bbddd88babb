-- Transparency-log storage (SQLite). Many logs share one database, told apart by `log_name`.
-- Keep the logical schema (tables, columns, keys) identical to ../postgres/0001_log.sql;
-- store-postgres/tests/schema_drift.rs checks that.
--
-- u64 values are stored as INTEGER (i64) and are never negative; hashes are exactly 32 bytes.

-- The head of each log: the only row a commit updates, by compare-and-swap on tree_size.
CREATE TABLE log_heads (
    log_name   TEXT    NOT NULL PRIMARY KEY,
    tree_size  INTEGER NOT NULL CHECK (tree_size >= 0),
    root_hash  BLOB    NOT NULL CHECK (length(root_hash) = 32),
    checkpoint BLOB    NOT NULL
) WITHOUT ROWID;

-- Entries, immutable once committed. Leaves can be kilobytes, so this is a rowid table
-- (WITHOUT ROWID suits small rows only).
CREATE TABLE log_entries (
    log_name        TEXT    NOT NULL,
    idx             INTEGER NOT NULL CHECK (idx >= 0),
    leaf_hash       BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    leaf            BLOB    NOT NULL,
    integrated_time INTEGER NOT NULL,
    PRIMARY KEY (log_name, idx),
    -- A leaf is stored once per log; a batch repeating one conflicts as a whole.
    UNIQUE (log_name, leaf_hash)
);

-- Perfect Merkle subtrees (level 0 = leaf hashes), immutable once complete.
CREATE TABLE log_nodes (
    log_name TEXT    NOT NULL,
    level    INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx      INTEGER NOT NULL CHECK (idx >= 0),
    hash     BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (log_name, level, idx)
) WITHOUT ROWID;

-- Exact-match search keys (UTF-8 bytes of the personality's normalised key) to entry indexes.
CREATE TABLE log_search_keys (
    log_name   TEXT    NOT NULL,
    search_key BLOB    NOT NULL,
    idx        INTEGER NOT NULL CHECK (idx >= 0),
    PRIMARY KEY (log_name, search_key, idx)
) WITHOUT ROWID;
