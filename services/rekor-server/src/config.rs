//! The `[rekor]` table of the configuration. Each field is documented in
//! `docs/configuration.md`; keep the two in step.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Configuration of the Rekor-compatible log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RekorConfig {
    /// Serve the Rekor API at all. Default true.
    pub enabled: bool,
    /// The log's name in checkpoints (origin `<hostname> - <treeID>` and the signature line).
    /// Clients match it against the host of the trusted root's `baseUrl`, so it must be that
    /// `host[:port]`. Default: host and port of `public_url`.
    pub hostname: Option<String>,
    /// PEM file of the log's ECDSA P-256 signing key; generated on first start when missing.
    /// Default `<data_dir>/keys/rekor.pem`.
    pub key_file: Option<PathBuf>,
    /// Largest accepted entry (request body) in bytes; larger ones get 413. Default 131072.
    pub max_entry_bytes: usize,
    /// Most entries sequenced in one batch (one transaction, one checkpoint). Default 1024.
    pub batch_max_entries: usize,
    /// Longest a batch waits for more entries, in milliseconds (0–1000). Default 2.
    pub batch_wait_ms: u64,
    /// Entries waiting to be sequenced before new ones get 503. Default 16384.
    pub queue_capacity: usize,
}

impl Default for RekorConfig {
    fn default() -> Self {
        RekorConfig {
            enabled: true,
            hostname: None,
            key_file: None,
            max_entry_bytes: 128 * 1024,
            batch_max_entries: 1024,
            batch_wait_ms: 2,
            queue_capacity: 16_384,
        }
    }
}

impl RekorConfig {
    /// Domain checks, run before anything is served.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(hostname) = &self.hostname
            && (hostname.is_empty()
                || hostname.contains(char::is_whitespace)
                || hostname.contains('+'))
        {
            return Err(format!(
                "rekor.hostname = {hostname:?} must be non-empty without spaces or '+'"
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.max_entry_bytes) {
            return Err(format!(
                "rekor.max_entry_bytes = {} is outside 1024..=67108864",
                self.max_entry_bytes
            ));
        }
        if !(1..=100_000).contains(&self.batch_max_entries) {
            return Err(format!(
                "rekor.batch_max_entries = {} is outside 1..=100000",
                self.batch_max_entries
            ));
        }
        if self.batch_wait_ms > 1000 {
            return Err(format!(
                "rekor.batch_wait_ms = {} exceeds 1000",
                self.batch_wait_ms
            ));
        }
        if !(1..=10_000_000).contains(&self.queue_capacity) {
            return Err(format!(
                "rekor.queue_capacity = {} is outside 1..=10000000",
                self.queue_capacity
            ));
        }
        Ok(())
    }

    /// The engine tuning these settings describe.
    pub fn engine_config(&self) -> tlog_engine::LogConfig {
        tlog_engine::LogConfig {
            name: "rekor".to_owned(),
            batch_max_entries: self.batch_max_entries,
            batch_wait: Duration::from_millis(self.batch_wait_ms),
            queue_capacity: self.queue_capacity,
            ..tlog_engine::LogConfig::default()
        }
    }
}
