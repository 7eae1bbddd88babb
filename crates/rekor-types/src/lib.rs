#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O, no async runtime, no clock. The log service calls
//! [`canonicalize`] from its `POST /api/v1/log/entries` handler and maps every [`EntryError`]
//! to HTTP 400 with the error's text as the message.

mod api;
mod dsse_envelope;
pub mod ed25519ph;
mod encoding;
mod entry;
mod error;
mod ids;
pub mod jcs;
mod kinds;
pub mod pem;
mod statement;
mod verifier;

pub use api::{
    ConsistencyProof, ErrorBody, InactiveShardLogInfo, InclusionProof, IndexLookup, LogEntry,
    LogEntryAnon, LogEntryAttestation, LogEntryVerification, LogInfo, MAX_SEARCH_QUERIES,
    SearchIndex, SearchIndexError, SearchIndexPublicKey, SearchLogQuery, SearchOperator,
    SearchQueryError, ValidSearchLogQuery, set_payload,
};
pub use entry::{
    CanonicalEntry, ClientSigningAlgorithm, DEFAULT_MAX_ENTRY_BYTES, EntryKind, EntryPolicy,
    UnknownClientSigningAlgorithm, canonicalize, canonicalize_value,
};
pub use error::EntryError;
pub use ids::{
    ENTRY_ID_HEX_LEN, EntryId, EntryRef, EntryUuid, IdError, TREE_ID_HEX_LEN, TreeId, UUID_HEX_LEN,
};
pub use pem::PemError;
