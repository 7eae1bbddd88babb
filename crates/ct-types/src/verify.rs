//! Signing and verifying SCTs and tree heads with `keys`.

use keys::{KeyKind, PublicKey, Signer};
use sha2::{Digest, Sha256};

use crate::leaf::{SignedEntry, sct_signed_input};
use crate::sct::{
    DigitallySigned, HashAlgorithm, SignatureAlgorithm, SignedCertificateTimestamp, SignedTreeHead,
    sth_signed_input,
};
use crate::tls::EncodeError;

/// Why a CT signature could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtSignError {
    /// CT signatures are SHA-256 ECDSA here: the log key must be ECDSA P-256.
    #[error("a CT log key must be ECDSA P-256, not {0:?}")]
    UnsupportedKey(KeyKind),
    /// The signer failed.
    #[error(transparent)]
    Signer(#[from] keys::SignError),
    /// The signed input could not be encoded.
    #[error(transparent)]
    Encoding(#[from] EncodeError),
}

/// Why an SCT or STH did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CtVerifyError {
    /// The SCT names another log (its `log_id` is not SHA-256 of this key's SPKI).
    #[error("the SCT was issued by another log")]
    LogIdMismatch,
    /// The signature algorithm does not fit the key (ECDSA signature, RSA key or the reverse).
    #[error("signature algorithm {algorithm:?} does not fit a {key:?} key")]
    AlgorithmMismatch {
        /// The algorithm in the `digitally-signed` struct.
        algorithm: SignatureAlgorithm,
        /// The key's kind.
        key: KeyKind,
    },
    /// The signature does not verify.
    #[error("the CT signature does not verify")]
    BadSignature,
    /// The signed input could not be rebuilt.
    #[error(transparent)]
    Encoding(#[from] EncodeError),
}

/// Sign `message` as an RFC 6962 `digitally-signed` struct (SHA-256, ECDSA). The signer must
/// hold an ECDSA P-256 key, whose default scheme hashes with SHA-256.
pub fn sign_digitally(signer: &dyn Signer, message: &[u8]) -> Result<DigitallySigned, CtSignError> {
    let kind = signer.public_key().kind();
    if kind != KeyKind::EcdsaP256 {
        return Err(CtSignError::UnsupportedKey(kind));
    }
    Ok(DigitallySigned {
        hash: HashAlgorithm::Sha256,
        signature_algorithm: SignatureAlgorithm::Ecdsa,
        signature: signer.sign(message)?,
    })
}

/// Verify a `digitally-signed` struct over `message` with `key` (ECDSA of any supported curve
/// or RSA PKCS#1 v1.5, always over SHA-256).
pub fn verify_digitally_signed(
    signed: &DigitallySigned,
    key: &PublicKey,
    message: &[u8],
) -> Result<(), CtVerifyError> {
    let HashAlgorithm::Sha256 = signed.hash;
    let fits = match signed.signature_algorithm {
        SignatureAlgorithm::Ecdsa => matches!(key.kind(), KeyKind::EcdsaP256 | KeyKind::EcdsaP384),
        SignatureAlgorithm::Rsa => matches!(key.kind(), KeyKind::Rsa { .. }),
    };
    if !fits {
        return Err(CtVerifyError::AlgorithmMismatch {
            algorithm: signed.signature_algorithm,
            key: key.kind(),
        });
    }
    let digest = Sha256::digest(message);
    key.verify_prehashed(keys::HashAlgorithm::Sha256, &digest, &signed.signature)
        .map_err(|_| CtVerifyError::BadSignature)
}

impl SignedCertificateTimestamp {
    /// Issue an SCT for `entry` at `timestamp` (milliseconds) with `extensions`, as the log
    /// whose key `signer` holds.
    pub fn sign(
        signer: &dyn Signer,
        timestamp: u64,
        entry: &SignedEntry,
        extensions: Vec<u8>,
    ) -> Result<Self, CtSignError> {
        let input = sct_signed_input(timestamp, entry, &extensions)?;
        Ok(SignedCertificateTimestamp {
            log_id: signer.public_key().spki_sha256(),
            timestamp,
            signature: sign_digitally(signer, &input)?,
            extensions,
        })
    }
}

/// Verify `sct` for `entry` under the log key `log_key`: the SCT's `log_id` must be SHA-256 of
/// the key's SPKI, and the signature must cover `entry`, the SCT's timestamp and extensions.
///
/// For an SCT embedded in a final certificate, build `entry` with
/// [`crate::precert_entry_from_final_cert`]. The caller checks what else its policy needs
/// (timestamp within the key's validity, number of SCTs, empty extensions).
pub fn verify_sct(
    sct: &SignedCertificateTimestamp,
    log_key: &PublicKey,
    entry: &SignedEntry,
) -> Result<(), CtVerifyError> {
    if sct.log_id != log_key.spki_sha256() {
        return Err(CtVerifyError::LogIdMismatch);
    }
    let input = sct_signed_input(sct.timestamp, entry, &sct.extensions)?;
    verify_digitally_signed(&sct.signature, log_key, &input)
}

impl SignedTreeHead {
    /// Sign a tree head as the log whose key `signer` holds.
    pub fn sign(
        signer: &dyn Signer,
        timestamp: u64,
        tree_size: u64,
        sha256_root_hash: [u8; 32],
    ) -> Result<Self, CtSignError> {
        let input = sth_signed_input(timestamp, tree_size, &sha256_root_hash);
        Ok(SignedTreeHead {
            tree_size,
            timestamp,
            sha256_root_hash,
            tree_head_signature: sign_digitally(signer, &input)?,
        })
    }

    /// Verify the tree head's signature under `log_key`.
    pub fn verify(&self, log_key: &PublicKey) -> Result<(), CtVerifyError> {
        verify_digitally_signed(&self.tree_head_signature, log_key, &self.signed_input())
    }
}
