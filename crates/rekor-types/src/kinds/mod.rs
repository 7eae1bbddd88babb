//! The entry kinds this log accepts. Each module turns a proposed `spec` into the canonical
//! `spec` Rekor stores and the index keys it writes, after verifying the signatures.

pub(crate) mod dsse;
pub(crate) mod hashedrekord;
pub(crate) mod intoto;
pub(crate) mod rekord;
