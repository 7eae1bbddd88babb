//! Signing and verification keys for every Cairn service and the client.
//!
//! One abstraction over the key types Sigstore uses: ECDSA P-256 and P-384, Ed25519, and RSA
//! (verification only). Keys travel as DER `SubjectPublicKeyInfo` (SPKI) and PEM; private keys
//! load from PKCS#8 (and SEC1 `EC PRIVATE KEY`) PEM. The arithmetic is aws-lc-rs; the encodings
//! are RustCrypto's `der`/`spki`/`pkcs8`.
//!
//! This crate is pure: no I/O, no async runtime. Key *storage* (files, PKCS#11) lives in the
//! services, which hand bytes to this crate.
//!
//! API CONTRACT (stub written before the implementation; the implementation must keep these
//! names and signatures, and may add more).

use thiserror::Error;

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

/// A parsed public key: its DER SPKI plus a verifier ready to use.
///
/// Construct with [`PublicKey::from_spki_der`] or [`PublicKey::from_pem`]. Cheap to clone.
#[derive(Clone)]
pub struct PublicKey {
    _private: (),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").finish_non_exhaustive()
    }
}

#[allow(clippy::todo, unused_variables)]
impl PublicKey {
    /// Parse a DER `SubjectPublicKeyInfo`. Accepts id-ecPublicKey with the P-256 or P-384
    /// named curve (uncompressed or compressed point), id-Ed25519, and rsaEncryption (≥ 2048 bits).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        todo!()
    }
    /// Parse a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        todo!()
    }
    /// The DER SPKI, in the canonical form (as re-encoded, not as given).
    pub fn spki_der(&self) -> &[u8] {
        todo!()
    }
    /// PEM `PUBLIC KEY` with 64-column base64 lines and a trailing newline.
    pub fn to_pem(&self) -> String {
        todo!()
    }
    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        todo!()
    }
    /// The scheme a signature by this key uses unless told otherwise (P-256 → SHA-256, P-384 →
    /// SHA-384, Ed25519 → pure, RSA → PKCS#1 v1.5 SHA-256).
    pub fn default_scheme(&self) -> SignatureScheme {
        todo!()
    }
    /// The raw 32-byte Ed25519 public key, if this is one.
    pub fn ed25519_raw(&self) -> Option<[u8; 32]> {
        todo!()
    }
    /// SHA-256 of the DER SPKI (Rekor's log ID, and the source of its 4-byte key hints).
    pub fn spki_sha256(&self) -> [u8; 32] {
        todo!()
    }
    /// Verify `signature` over `message` with [`PublicKey::default_scheme`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        todo!()
    }
    /// Verify `signature` over `message` with an explicit scheme.
    pub fn verify_with(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        todo!()
    }
    /// Verify a signature over a message of which only the digest is known (ECDSA and RSA
    /// PKCS#1 v1.5). `digest.len()` must equal `hash.digest_len()`.
    pub fn verify_prehashed(
        &self,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        todo!()
    }
}

/// Anything that can sign: an in-memory key today, an HSM (PKCS#11) or KMS key later.
///
/// Implementations must be usable from many threads at once.
pub trait Signer: Send + Sync + std::fmt::Debug {
    /// The public half of the signing key.
    fn public_key(&self) -> &PublicKey;
    /// Sign `message` with the key's default scheme (ECDSA: DER signature over the scheme's hash
    /// of `message`; Ed25519: pure).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// A private key held in process memory (generated, or loaded from PKCS#8 / SEC1).
pub struct SoftwareSigner {
    _private: (),
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner").finish_non_exhaustive()
    }
}

#[allow(clippy::todo, unused_variables)]
impl SoftwareSigner {
    /// Generate a fresh key.
    pub fn generate(alg: SigningAlgorithm) -> Result<Self, KeyError> {
        todo!()
    }
    /// Load an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        todo!()
    }
    /// Load a PEM `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1) block.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        todo!()
    }
    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        todo!()
    }
    /// The private key as PKCS#8 PEM (`PRIVATE KEY`), zeroized on drop.
    pub fn to_pkcs8_pem(&self) -> zeroize::Zeroizing<String> {
        todo!()
    }
}

#[allow(clippy::todo, unused_variables)]
impl Signer for SoftwareSigner {
    fn public_key(&self) -> &PublicKey {
        todo!()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        todo!()
    }
}
