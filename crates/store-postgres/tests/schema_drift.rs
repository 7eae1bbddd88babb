//! The SQLite and PostgreSQL migrations must describe the same logical schema: the same tables,
//! the same columns in the same order with the same kind of type and nullability, the same
//! primary keys and unique constraints. Both are applied to real databases and read back from
//! their catalogues.

mod common;

use std::collections::BTreeMap;

use common::TestDb;
use sqlx::Row;
use sqlx::sqlite::SqlitePoolOptions;
use store_postgres::PostgresStore;

/// Per table: columns `(name, type kind, not null)` in order, primary key columns in key order,
/// and unique constraints (each a column list in key order, sorted).
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: Vec<(String, &'static str, bool)>,
    primary_key: Vec<String>,
    unique: Vec<Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

fn kind_sqlite(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => "integer",
        "BLOB" => "bytes",
        "TEXT" => "text",
        other => panic!("SQLite column type {other} has no counterpart in this test; add it"),
    }
}

fn kind_postgres(declared: &str) -> &'static str {
    match declared {
        "bigint" | "integer" | "smallint" => "integer",
        "bytea" => "bytes",
        "text" => "text",
        other => panic!("PostgreSQL column type {other} has no counterpart in this test; add it"),
    }
}

async fn sqlite_schema() -> Schema {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    sqlx::migrate!("../../migrations/sqlite")
        .run(&pool)
        .await
        .expect("SQLite migrations apply");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut schema = Schema::new();
    for table in tables {
        let mut entry = Table::default();
        let columns = sqlx::query(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(&pool)
        .await
        .expect("columns");
        let mut primary: Vec<(i64, String)> = Vec::new();
        for row in columns {
            let name: String = row.get(0);
            let declared: String = row.get(1);
            let not_null: bool = row.get(2);
            let pk: i64 = row.get(3);
            if pk > 0 {
                primary.push((pk, name.clone()));
            }
            entry.columns.push((name, kind_sqlite(&declared), not_null));
        }
        primary.sort();
        entry.primary_key = primary.into_iter().map(|(_, name)| name).collect();
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM pragma_index_list(?) WHERE origin = 'u' ORDER BY name",
        )
        .bind(&table)
        .fetch_all(&pool)
        .await
        .expect("indexes");
        for index in indexes {
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&pool)
                    .await
                    .expect("index columns");
            entry.unique.push(columns);
        }
        entry.unique.sort();
        schema.insert(table, entry);
    }
    schema
}

async fn postgres_schema(store: &PostgresStore) -> Schema {
    let pool = store.pool();
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    for row in columns {
        let table: String = row.get(0);
        let name: String = row.get(1);
        let declared: String = row.get(2);
        let nullable: String = row.get(3);
        schema.entry(table).or_default().columns.push((
            name,
            kind_postgres(&declared),
            nullable == "NO",
        ));
    }
    let keys = sqlx::query(
        "SELECT tc.table_name::text, tc.constraint_name::text, tc.constraint_type::text, \
                kcu.column_name::text \
         FROM information_schema.table_constraints AS tc \
         JOIN information_schema.key_column_usage AS kcu \
           ON kcu.constraint_schema = tc.constraint_schema \
          AND kcu.constraint_name = tc.constraint_name \
          AND kcu.table_name = tc.table_name \
         WHERE tc.table_schema = 'public' AND tc.table_name <> '_sqlx_migrations' \
           AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE') \
         ORDER BY tc.table_name, tc.constraint_name, kcu.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("keys");
    let mut unique: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in keys {
        let table: String = row.get(0);
        let constraint: String = row.get(1);
        let kind: String = row.get(2);
        let column: String = row.get(3);
        if kind == "PRIMARY KEY" {
            schema.entry(table).or_default().primary_key.push(column);
        } else {
            unique.entry((table, constraint)).or_default().push(column);
        }
    }
    for ((table, _), columns) in unique {
        schema.entry(table).or_default().unique.push(columns);
    }
    for table in schema.values_mut() {
        table.unique.sort();
    }
    schema
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_reach_the_same_logical_schema() {
    let Some(db) = TestDb::create("schema_drift").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url)
        .await
        .expect("connect and migrate");
    let postgres = postgres_schema(&store).await;
    let sqlite = sqlite_schema().await;

    // The comparison has teeth only if it sees the tables the adapters use.
    for table in ["log_heads", "log_entries", "log_nodes", "log_search_keys"] {
        assert!(
            sqlite.contains_key(table),
            "SQLite schema lacks {table}: {sqlite:#?}"
        );
    }
    assert_eq!(
        sqlite["log_entries"].unique,
        vec![vec!["log_name".to_owned(), "leaf_hash".to_owned()]]
    );
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres have drifted apart"
    );
}
