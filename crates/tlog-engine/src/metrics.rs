//! Engine metrics, labelled by log name: appended entries, batch sizes, commit and append
//! latency, conflicts, rejections, tree size and checkpoint time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::storage::StoredHead;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LogLabel {
    log: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    log: String,
    reason: String,
}

type HistogramFamily = Family<LogLabel, Histogram, fn() -> Histogram>;

/// The metrics of every log in the process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EngineMetrics {
    appended: Family<LogLabel, Counter>,
    rejected: Family<ReasonLabel, Counter>,
    conflicts: Family<LogLabel, Counter>,
    batch_size: HistogramFamily,
    commit_seconds: HistogramFamily,
    append_seconds: HistogramFamily,
    tree_size: Family<LogLabel, Gauge>,
    checkpoint_time: Family<LogLabel, Gauge>,
}

fn batch_buckets() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 12))
}

fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl EngineMetrics {
    /// Create the metrics and register them (names start `log_`; the registry adds its prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::unregistered();
        registry.register(
            "log_entries_appended",
            "Entries appended",
            metrics.appended.clone(),
        );
        registry.register(
            "log_appends_rejected",
            "Appends refused by the engine, by reason",
            metrics.rejected.clone(),
        );
        registry.register(
            "log_commit_conflicts",
            "Batches that lost the head compare-and-swap to another writer",
            metrics.conflicts.clone(),
        );
        registry.register(
            "log_batch_entries",
            "Entries per sequenced batch",
            metrics.batch_size.clone(),
        );
        registry.register(
            "log_commit_duration_seconds",
            "Time to durably commit one batch",
            metrics.commit_seconds.clone(),
        );
        registry.register(
            "log_append_duration_seconds",
            "Time from enqueue to a verified inclusion proof",
            metrics.append_seconds.clone(),
        );
        registry.register(
            "log_tree_size",
            "Leaves in the newest known tree",
            metrics.tree_size.clone(),
        );
        registry.register(
            "log_checkpoint_timestamp_seconds",
            "Unix time at which this process last saw the head move (checkpoint age = now - this)",
            metrics.checkpoint_time.clone(),
        );
        metrics
    }

    /// Metrics that are recorded but not exported (tests, tools).
    pub fn unregistered() -> Self {
        EngineMetrics {
            appended: Family::default(),
            rejected: Family::default(),
            conflicts: Family::default(),
            batch_size: Family::new_with_constructor(batch_buckets),
            commit_seconds: Family::new_with_constructor(latency_buckets),
            append_seconds: Family::new_with_constructor(latency_buckets),
            tree_size: Family::default(),
            checkpoint_time: Family::default(),
        }
    }

    fn label(log: &str) -> LogLabel {
        LogLabel {
            log: log.to_owned(),
        }
    }

    pub(crate) fn batch(&self, log: &str, entries: usize) {
        self.batch_size
            .get_or_create(&Self::label(log))
            .observe(entries as f64);
    }

    pub(crate) fn commit_latency(&self, log: &str, took: Duration) {
        self.commit_seconds
            .get_or_create(&Self::label(log))
            .observe(took.as_secs_f64());
    }

    pub(crate) fn append_latency(&self, log: &str, took: Duration) {
        self.append_seconds
            .get_or_create(&Self::label(log))
            .observe(took.as_secs_f64());
    }

    pub(crate) fn conflict(&self, log: &str) {
        self.conflicts.get_or_create(&Self::label(log)).inc();
    }

    /// Count an append refused for `reason` (the engine's own reasons, or a personality's).
    pub fn rejected(&self, log: &str, reason: &str) {
        self.rejected
            .get_or_create(&ReasonLabel {
                log: log.to_owned(),
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub(crate) fn committed(&self, log: &str, entries: usize, head: &StoredHead) {
        self.appended
            .get_or_create(&Self::label(log))
            .inc_by(entries as u64);
        self.observe_head(log, head);
    }

    pub(crate) fn observe_head(&self, log: &str, head: &StoredHead) {
        let label = Self::label(log);
        let size = i64::try_from(head.size).unwrap_or(i64::MAX);
        if self.tree_size.get_or_create(&label).get() != size {
            self.tree_size.get_or_create(&label).set(size);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            self.checkpoint_time.get_or_create(&label).set(now);
        }
    }
}
