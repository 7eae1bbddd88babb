-- Transparency-log storage (PostgreSQL). Many logs share one database, told apart by `log_name`.
-- Keep the logical schema (tables, columns, keys) identical to ../sqlite/0001_log.sql;
-- store-postgres/tests/schema_drift.rs checks that.
--
-- u64 values are stored as bigint and are never negative; hashes are exactly 32 bytes.
-- Constraint names are explicit: the adapter tells a repeated leaf (a conflict) from other
-- violations by the name log_entries_leaf_hash_key.

-- The head of each log: the only row a commit updates, by compare-and-swap on tree_size
-- (the conditional UPDATE takes the row lock that serialises writers).
CREATE TABLE log_heads (
    log_name   text   NOT NULL,
    tree_size  bigint NOT NULL CHECK (tree_size >= 0),
    root_hash  bytea  NOT NULL CHECK (octet_length(root_hash) = 32),
    checkpoint bytea  NOT NULL,
    CONSTRAINT log_heads_pkey PRIMARY KEY (log_name)
);

-- Entries, immutable once committed.
CREATE TABLE log_entries (
    log_name        text   NOT NULL,
    idx             bigint NOT NULL CHECK (idx >= 0),
    leaf_hash       bytea  NOT NULL CHECK (octet_length(leaf_hash) = 32),
    leaf            bytea  NOT NULL,
    integrated_time bigint NOT NULL,
    CONSTRAINT log_entries_pkey PRIMARY KEY (log_name, idx),
    -- A leaf is stored once per log; a batch repeating one conflicts as a whole.
    CONSTRAINT log_entries_leaf_hash_key UNIQUE (log_name, leaf_hash)
);

-- Perfect Merkle subtrees (level 0 = leaf hashes), immutable once complete.
CREATE TABLE log_nodes (
    log_name text     NOT NULL,
    level    smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx      bigint   NOT NULL CHECK (idx >= 0),
    hash     bytea    NOT NULL CHECK (octet_length(hash) = 32),
    CONSTRAINT log_nodes_pkey PRIMARY KEY (log_name, level, idx)
);

-- Exact-match search keys (UTF-8 bytes of the personality's normalised key; bytea because
-- text cannot hold NUL) to entry indexes.
CREATE TABLE log_search_keys (
    log_name   text   NOT NULL,
    search_key bytea  NOT NULL,
    idx        bigint NOT NULL CHECK (idx >= 0),
    CONSTRAINT log_search_keys_pkey PRIMARY KEY (log_name, search_key, idx)
);
