//! Structured logging to stderr.

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directive did not parse.
    #[error("invalid log filter {filter:?}: {reason}")]
    BadFilter {
        /// The directive given.
        filter: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A global subscriber was already installed.
    #[error("logging already initialised")]
    AlreadyInitialised,
}

/// Check a filter directive (e.g. `info,cairn=debug`) without installing anything.
pub fn parse_filter(filter: &str) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::try_new(filter).map_err(|e| TelemetryError::BadFilter {
        filter: filter.to_owned(),
        reason: e.to_string(),
    })
}

/// Install the global subscriber. `RUST_LOG`, when set, overrides `filter`.
pub fn init(format: LogFormat, filter: &str) -> Result<(), TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.is_empty() => parse_filter(&from_env)?,
        _ => parse_filter(filter)?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInitialised)
}
