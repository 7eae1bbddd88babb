#![doc = include_str!("../README.md")]

mod api;
mod leaf;
mod sct;
mod tls;
mod verify;
mod x509;

pub use api::{
    AddChainRequest, AddChainResponse, ApiDecodeError, GetEntriesResponse,
    GetEntryAndProofResponse, GetProofByHashResponse, GetRootsResponse, GetSthConsistencyResponse,
    GetSthResponse, LeafEntry,
};
pub use leaf::{
    ExtraData, LogEntryType, MerkleTreeLeaf, PrecertChainEntry, SignedEntry, TimestampedEntry,
    leaf_hash, sct_signed_input,
};
pub use sct::{
    DigitallySigned, HashAlgorithm, SCT_VERSION_V1, SignatureAlgorithm, SignedCertificateTimestamp,
    SignedTreeHead, decode_sct_list, encode_sct_list, sct_list_extension_value,
    sct_list_from_extension_value, sth_signed_input,
};
pub use tls::{DecodeError, EncodeError};
pub use verify::{CtSignError, CtVerifyError, sign_digitally, verify_digitally_signed, verify_sct};
pub use x509::{
    CT_POISON_OID, CT_POISON_VALUE, PRECERT_SIGNING_EKU_OID, SCT_LIST_OID, X509Error,
    embedded_scts, is_precertificate, issuer_key_hash, precert_entry_from_final_cert,
    precert_entry_from_precert, spki_der, tbs_without_extension,
};
