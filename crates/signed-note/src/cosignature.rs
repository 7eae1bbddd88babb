//! Timestamped Ed25519 witness cosignatures (signature type 0x04).
//!
//! [C2SP tlog-cosignature](https://c2sp.org/tlog-cosignature): the signature bytes are an
//! 8-byte big-endian POSIX timestamp followed by a 64-byte Ed25519 signature over
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint's note text.

use std::sync::Arc;

use crate::error::NoteError;
use crate::key_id::cosignature_key_id;
use crate::note::{KeyName, NoteSignature, NoteSigner, NoteVerifier};

/// Header line of the Ed25519 cosigned message.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Length of an Ed25519 cosignature (timestamp and signature, without the key ID).
pub const COSIGNATURE_V1_LEN: usize = 8 + 64;

/// Largest timestamp the spec allows (2^63 - 1).
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// The message an Ed25519 cosigner signs for `note_text` at `timestamp`.
pub fn cosigned_message(timestamp: u64, note_text: &[u8]) -> Vec<u8> {
    let header = format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n");
    let mut msg = Vec::with_capacity(header.len() + note_text.len());
    msg.extend_from_slice(header.as_bytes());
    msg.extend_from_slice(note_text);
    msg
}

/// The timestamp of a signature line, if it has the shape of an Ed25519 cosignature (72
/// bytes after the key ID). Check the signature first; the timestamp is only as trustworthy
/// as the cosigner.
pub fn cosignature_timestamp(signature: &NoteSignature) -> Option<u64> {
    let bytes = signature.signature();
    if bytes.len() != COSIGNATURE_V1_LEN {
        return None;
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&bytes[..8]);
    Some(u64::from_be_bytes(ts))
}

/// Verifies Ed25519 cosignatures of one witness.
#[derive(Debug, Clone)]
pub struct CosignatureVerifier {
    name: KeyName,
    key_id: u32,
    public_key: keys::PublicKey,
}

impl CosignatureVerifier {
    /// A verifier for the witness `name` with Ed25519 key `public_key`.
    pub fn new(name: impl Into<String>, public_key: keys::PublicKey) -> Result<Self, NoteError> {
        let name = KeyName::new(name)?;
        let Some(raw) = public_key.ed25519_raw() else {
            return Err(NoteError::UnsupportedKey {
                kind: public_key.kind(),
                rule: crate::KeyIdRule::C2sp,
            });
        };
        Ok(CosignatureVerifier {
            key_id: cosignature_key_id(&name, &raw),
            name,
            public_key,
        })
    }

    /// The witness's public key.
    pub fn public_key(&self) -> &keys::PublicKey {
        &self.public_key
    }
}

/// Verify an Ed25519 cosignature (timestamp ‖ signature) of `msg` with `key`.
pub(crate) fn verify_cosignature(key: &keys::PublicKey, msg: &[u8], signature: &[u8]) -> bool {
    if signature.len() != COSIGNATURE_V1_LEN {
        return false;
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&signature[..8]);
    let timestamp = u64::from_be_bytes(ts);
    if timestamp > MAX_COSIGNATURE_TIMESTAMP {
        return false;
    }
    key.verify(&cosigned_message(timestamp, msg), &signature[8..])
        .is_ok()
}

impl NoteVerifier for CosignatureVerifier {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        verify_cosignature(&self.public_key, msg, signature)
    }
}

/// Makes Ed25519 cosignatures for one witness at a fixed timestamp (the caller supplies the
/// time, so this crate stays free of clocks).
#[derive(Debug, Clone)]
pub struct CosignatureSigner {
    name: KeyName,
    key_id: u32,
    signer: Arc<dyn keys::Signer>,
    timestamp: u64,
}

impl CosignatureSigner {
    /// A cosigner `name` with Ed25519 signer `signer`, stamping `timestamp` (POSIX seconds,
    /// at most 2^63 - 1).
    pub fn new(
        name: impl Into<String>,
        signer: Arc<dyn keys::Signer>,
        timestamp: u64,
    ) -> Result<Self, NoteError> {
        let name = KeyName::new(name)?;
        let key = signer.public_key();
        let Some(raw) = key.ed25519_raw() else {
            return Err(NoteError::UnsupportedKey {
                kind: key.kind(),
                rule: crate::KeyIdRule::C2sp,
            });
        };
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(NoteError::CosignatureTimestampTooLarge { timestamp });
        }
        Ok(CosignatureSigner {
            key_id: cosignature_key_id(&name, &raw),
            name,
            signer,
            timestamp,
        })
    }

    /// A verifier for this cosigner's signatures.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.signer.public_key().clone(),
        }
    }
}

impl NoteSigner for CosignatureSigner {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, keys::SignError> {
        let signature = self.signer.sign(&cosigned_message(self.timestamp, msg))?;
        let mut out = Vec::with_capacity(8 + signature.len());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&signature);
        Ok(out)
    }
}
