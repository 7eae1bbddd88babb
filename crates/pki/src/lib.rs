#![doc = include_str!("../README.md")]

mod ca;
mod cert;
mod chain;
mod csr;
mod der_write;
mod goodkey;
mod leaf;
pub mod oid;
mod tbs;
pub mod verify;

pub use ca::{generate_intermediate, generate_root, issue_timestamping_leaf};
pub use cert::{
    CertBuildError, DistinguishedName, IssuerCert, Serial, ValidityPeriod, key_identifier,
};
pub use chain::{
    CertificateChain, ChainError, MAX_CHAIN_LEN, MAX_CHAIN_PEM_LEN, pem_string,
    validate_issuing_chain, validate_timestamping_chain,
};
pub use csr::{CsrError, MAX_CSR_LEN, VerifiedCsr, verify_csr};
pub use goodkey::{
    InsecureKey, KeyStrengthError, MAX_SPKI_LEN, check_key_strength, check_public_key_strength,
};
pub use leaf::{
    DEFAULT_LEAF_VALIDITY_SECS, LeafRequest, MAX_EXTENSION_VALUE_LEN, MAX_SAN_LEN, PreparedLeaf,
    SigstoreExtension, SubjectAltName,
};
pub use tbs::{TbsEditError, tbs_without_extension};
pub use verify::{SignatureCheckError, verify_issued_by, verify_x509_signature};
pub use x509_cert::Certificate;
