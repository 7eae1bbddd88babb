#![doc = include_str!("../README.md")]

pub mod audit;
pub mod fulcio;
pub mod http;
pub mod rekor;
pub mod targets;
pub mod timestamp;
pub mod token;

pub use audit::{
    AuditError, AuditOutcome, AuditState, CheckError, KeyringError, LogKeyring, VerifiedCheckpoint,
    verify_consistency, verify_log_entry, verify_rekor_checkpoint,
};
pub use fulcio::{FulcioClient, FulcioError, SigningCertificate};
pub use http::{DEFAULT_TIMEOUT, HttpError, MAX_RESPONSE_BYTES};
pub use rekor::{RekorClient, RekorError, SearchQuery};
pub use targets::{SigningTargets, TargetsError};
pub use timestamp::{TimestampError, TsaClient};
pub use token::{IdentityToken, TokenError};
pub mod self_check;
pub mod signing;

pub use self_check::SelfCheckError;
pub use signing::{BundleSigner, Credential, SignError, SignedSubject, in_toto_statement};
