//! The `[ct]` table of the configuration.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Most entries a `get-entries` call returns, as certificate-transparency-go's CTFE.
pub const MAX_GET_ENTRIES: u64 = 1000;

/// Configuration of the RFC 6962 CT log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CtConfig {
    /// Serve the CT log at all. Default true.
    pub enabled: bool,
    /// PEM file of the log's ECDSA P-256 signing key (read by the binary); generated on first
    /// start when missing. Default `<data_dir>/keys/ct.pem`. The log ID is SHA-256 of its SPKI.
    pub key_file: Option<PathBuf>,
    /// PEM file of root certificates the log accepts besides Cairn's own CA root (read by the
    /// binary). Default none.
    pub extra_roots_file: Option<PathBuf>,
    /// Require `id-kp-codeSigning` in the submitted leaf's extended key usage, and refuse issuing
    /// CAs whose extended key usage excludes it (Fulcio's CT log runs with
    /// `--ext_key_usages CodeSigning`). Default true.
    pub require_code_signing: bool,
    /// Most certificates in a submitted chain. Default 10.
    pub max_chain_length: usize,
    /// Largest `add-chain` / `add-pre-chain` request body, and largest total DER size of a chain
    /// submitted in-process, in bytes; larger ones get 413. Default 262144.
    pub max_request_bytes: usize,
    /// Most entries sequenced in one batch (one transaction, one STH). Default 256.
    pub batch_max_entries: usize,
    /// Longest a batch waits for more entries, in milliseconds (0–1000). Default 2.
    pub batch_wait_ms: u64,
    /// Submissions waiting to be sequenced before new ones get 503. Default 4096.
    pub queue_capacity: usize,
}

impl Default for CtConfig {
    fn default() -> Self {
        CtConfig {
            enabled: true,
            key_file: None,
            extra_roots_file: None,
            require_code_signing: true,
            max_chain_length: 10,
            max_request_bytes: 256 * 1024,
            batch_max_entries: 256,
            batch_wait_ms: 2,
            queue_capacity: 4096,
        }
    }
}

impl CtConfig {
    /// Domain checks, run before anything is served.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.max_chain_length) {
            return Err(format!(
                "ct.max_chain_length = {} is outside 1..=100",
                self.max_chain_length
            ));
        }
        if !(4096..=16 * 1024 * 1024).contains(&self.max_request_bytes) {
            return Err(format!(
                "ct.max_request_bytes = {} is outside 4096..=16777216",
                self.max_request_bytes
            ));
        }
        if !(1..=100_000).contains(&self.batch_max_entries) {
            return Err(format!(
                "ct.batch_max_entries = {} is outside 1..=100000",
                self.batch_max_entries
            ));
        }
        if self.batch_wait_ms > 1000 {
            return Err(format!(
                "ct.batch_wait_ms = {} exceeds 1000",
                self.batch_wait_ms
            ));
        }
        if !(1..=1_000_000).contains(&self.queue_capacity) {
            return Err(format!(
                "ct.queue_capacity = {} is outside 1..=1000000",
                self.queue_capacity
            ));
        }
        Ok(())
    }

    /// The engine tuning these settings describe (log name `ct`).
    pub fn engine_config(&self) -> tlog_engine::LogConfig {
        tlog_engine::LogConfig {
            name: "ct".to_owned(),
            batch_max_entries: self.batch_max_entries,
            batch_wait: Duration::from_millis(self.batch_wait_ms),
            queue_capacity: self.queue_capacity,
            ..tlog_engine::LogConfig::default()
        }
    }
}
