#![doc = include_str!("../README.md")]

mod cache;
mod log;
pub mod memory;
mod metrics;
pub mod storage;
#[cfg(feature = "test-support")]
pub mod story;

pub use log::{
    AppendError, AppendOutcome, Appended, CheckpointSigner, Log, LogConfig, OpenError,
    PendingEntry, ReadError,
};
pub use metrics::EngineMetrics;
pub use storage::{
    BatchCommit, CommitOutcome, LogStorage, NewEntry, StorageError, StoredEntry, StoredHead,
};
