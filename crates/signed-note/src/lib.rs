#![doc = include_str!("../README.md")]

pub mod checkpoint;
mod cosignature;
mod error;
mod key;
mod key_id;
mod note;
mod vkey;

pub use checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
pub use cosignature::{
    COSIGNATURE_V1_HEADER, COSIGNATURE_V1_LEN, CosignatureSigner, CosignatureVerifier,
    MAX_COSIGNATURE_TIMESTAMP, cosignature_timestamp, cosigned_message,
};
pub use error::{KeyNameProblem, NoteError, VerifierKeyError};
pub use key::{NoteKeySigner, NoteKeyVerifier};
pub use key_id::{
    KeyIdRule, RSA_PKCS1V15_IDENTIFIER, SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ECDSA,
    SIGNATURE_TYPE_ED25519, SIGNATURE_TYPE_UNDEFINED, cosignature_key_id, ed25519_key_id,
    rekor_v1_key_hint,
};
pub use note::{
    DEFAULT_MAX_NOTE_BYTES, DEFAULT_MAX_SIGNATURES, KeyName, Note, NoteLimits, NoteSignature,
    NoteSigner, NoteVerifier, SIGNATURE_LINE_PREFIX, VerifiedNote,
};
pub use vkey::{VerifierKey, VerifierKeyType};
