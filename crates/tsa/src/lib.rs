#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O, no async runtime. The HTTP API lives in `services/tsa-server`.

pub mod asn1;
mod authority;
mod request;
mod status;

pub use authority::{
    Accuracy, AuthorityError, IssueError, SERIAL_BYTES, TimestampAuthority, random_serial,
};
pub use request::{
    MAX_NONCE_BYTES, MAX_REQUEST_BYTES, Nonce, RequestError, TimestampRequest, hash_name, hash_oid,
};
pub use status::{MAX_STATUS_TEXT, PkiFailureInfo, PkiStatus, rejection_response};
