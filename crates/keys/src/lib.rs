#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O, no async runtime. Key *storage* (files, PKCS#11) lives in the
//! services, which hand bytes to this crate.

mod asn1;
mod pem;
mod public_key;
mod signer;

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

pub use public_key::PublicKey;
pub use signer::{Signer, SoftwareSigner};

/// Hash algorithms used by Sigstore signatures and digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256 (32-byte digests).
    Sha256,
    /// SHA-384 (48-byte digests).
    Sha384,
    /// SHA-512 (64-byte digests).
    Sha512,
}

impl HashAlgorithm {
    /// Length in bytes of a digest of this algorithm.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }
}

/// What kind of key a [`PublicKey`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// RSA with a modulus of `bits` bits (verification only).
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
}

/// Key types that Cairn can generate and sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// ECDSA P-256 with SHA-256, ASN.1 DER signatures.
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384, ASN.1 DER signatures.
    EcdsaP384Sha384,
    /// Pure Ed25519.
    Ed25519,
}

/// A signature scheme: a key kind plus how the message is hashed and the signature encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ECDSA P-256, SHA-256, ASN.1 DER signature.
    EcdsaP256Sha256,
    /// ECDSA P-384, SHA-384, ASN.1 DER signature.
    EcdsaP384Sha384,
    /// Pure Ed25519 over the message.
    Ed25519,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (modulus ≥ 2048 bits).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (modulus ≥ 2048 bits).
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (modulus ≥ 2048 bits).
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256 (modulus ≥ 2048 bits).
    RsaPssSha256,
}

/// Why a key could not be parsed, loaded or generated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The input is not valid DER of the expected structure.
    #[error("malformed key encoding: {0}")]
    Malformed(String),
    /// The PEM label was not one this function accepts.
    #[error("unexpected PEM label {found:?} (expected {expected})")]
    UnexpectedPemLabel {
        /// The label found in the PEM header.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The key's algorithm or curve is not supported.
    #[error("unsupported key algorithm: {0}")]
    Unsupported(String),
    /// An RSA key smaller than 2048 bits.
    #[error("RSA key of {bits} bits is too small (minimum 2048)")]
    RsaTooSmall {
        /// Modulus size in bits.
        bits: u32,
    },
    /// The key material was rejected by the crypto backend (for example, not on the curve).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// The crypto backend failed to generate or export a key.
    #[error("key generation failed")]
    GenerationFailed,
    /// An encrypted private key could not be decrypted: the passphrase is wrong or the
    /// ciphertext is corrupt (the two cannot be told apart).
    #[error("could not decrypt the private key (wrong passphrase or corrupt key file)")]
    Decryption,
    /// An encrypted private key uses an encryption scheme this crate does not decrypt.
    #[error("unsupported private key encryption: {0}")]
    UnsupportedEncryption(String),
}

/// Why a signature did not verify.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature is well-formed or not, but it does not verify for this key and message.
    #[error("signature verification failed")]
    BadSignature,
    /// The scheme does not fit this key (for example, an Ed25519 scheme with an ECDSA key).
    #[error("signature scheme {scheme:?} does not apply to a {kind:?} key")]
    SchemeMismatch {
        /// The scheme asked for.
        scheme: SignatureScheme,
        /// The key's kind.
        kind: KeyKind,
    },
    /// A prehashed digest whose length does not match its hash algorithm.
    #[error("digest is {got} bytes, {alg:?} needs {want}")]
    DigestLength {
        /// The algorithm named.
        alg: HashAlgorithm,
        /// The length given.
        got: usize,
        /// The length required.
        want: usize,
    },
    /// Prehashed verification is not possible for this key kind (pure Ed25519).
    #[error("prehashed verification is not supported for {0:?} keys")]
    PrehashUnsupported(KeyKind),
}

/// Why signing failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignError {
    /// The backend failed to produce a signature.
    #[error("signing failed: {0}")]
    Backend(String),
}

/// A string that names no [`SigningAlgorithm`].
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("unknown signing algorithm {input:?} (expected ecdsa-p256, ecdsa-p384 or ed25519)")]
pub struct UnknownSigningAlgorithm {
    /// The string given.
    pub input: String,
}

impl SigningAlgorithm {
    /// Every algorithm, in a stable order (for CLI help and tests).
    pub const ALL: [SigningAlgorithm; 3] = [
        SigningAlgorithm::EcdsaP256Sha256,
        SigningAlgorithm::EcdsaP384Sha384,
        SigningAlgorithm::Ed25519,
    ];

    /// The configuration name: `ecdsa-p256`, `ecdsa-p384` or `ed25519`.
    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::EcdsaP256Sha256 => "ecdsa-p256",
            SigningAlgorithm::EcdsaP384Sha384 => "ecdsa-p384",
            SigningAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// The kind of key this algorithm signs with.
    pub fn key_kind(self) -> KeyKind {
        match self {
            SigningAlgorithm::EcdsaP256Sha256 => KeyKind::EcdsaP256,
            SigningAlgorithm::EcdsaP384Sha384 => KeyKind::EcdsaP384,
            SigningAlgorithm::Ed25519 => KeyKind::Ed25519,
        }
    }

    /// The scheme of the signatures this algorithm produces.
    pub fn scheme(self) -> SignatureScheme {
        match self {
            SigningAlgorithm::EcdsaP256Sha256 => SignatureScheme::EcdsaP256Sha256,
            SigningAlgorithm::EcdsaP384Sha384 => SignatureScheme::EcdsaP384Sha384,
            SigningAlgorithm::Ed25519 => SignatureScheme::Ed25519,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = UnknownSigningAlgorithm;

    /// Parse a configuration name as written by `Display` (exact, lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SigningAlgorithm::ALL
            .into_iter()
            .find(|alg| alg.name() == s)
            .ok_or_else(|| UnknownSigningAlgorithm {
                input: s.to_owned(),
            })
    }
}

impl SignatureScheme {
    /// The hash applied to the message, or `None` for pure Ed25519.
    pub fn hash_algorithm(self) -> Option<HashAlgorithm> {
        match self {
            SignatureScheme::EcdsaP256Sha256
            | SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPssSha256 => Some(HashAlgorithm::Sha256),
            SignatureScheme::EcdsaP384Sha384 | SignatureScheme::RsaPkcs1Sha384 => {
                Some(HashAlgorithm::Sha384)
            }
            SignatureScheme::RsaPkcs1Sha512 => Some(HashAlgorithm::Sha512),
            SignatureScheme::Ed25519 => None,
        }
    }
}

impl HashAlgorithm {
    /// The aws-lc-rs digest algorithm with this output.
    fn aws_lc(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
            HashAlgorithm::Sha384 => &aws_lc_rs::digest::SHA384,
            HashAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}
