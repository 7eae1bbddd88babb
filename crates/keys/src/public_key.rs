//! [`PublicKey`]: a canonical SPKI plus parsed aws-lc-rs verifiers.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use sha2::{Digest as _, Sha256};

use crate::asn1::{self, Curve, SpkiContents, SpkiParams};
use crate::{HashAlgorithm, KeyError, KeyKind, SignatureScheme, VerifyError, pem};

/// A parsed public key: its DER SPKI plus a verifier ready to use.
///
/// Construct with [`PublicKey::from_spki_der`] or [`PublicKey::from_pem`]. Cheap to clone (the
/// parsed key is shared). Two keys are equal when their canonical SPKI bytes are equal.
///
/// Spec: SPKI is [RFC 5280 §4.1.2.7](https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.7);
/// algorithms per RFC 5480 (EC), RFC 8410 (Ed25519) and RFC 3279 (RSA).
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<Inner>,
}

struct Inner {
    kind: KeyKind,
    /// Canonical DER SPKI.
    spki: Vec<u8>,
    spki_sha256: [u8; 32],
    pem: String,
    backend: Backend,
}

/// The parsed backend keys. A `ParsedPublicKey` is bound to one algorithm (curve or padding plus
/// hash), so each key holds one per scheme it supports, all parsed up front: that keeps
/// `PublicKey` free of interior mutability (usable as a `HashMap` key without lint noise) and
/// costs a few microseconds per extra scheme at construction (see `benches/verify.rs`, `parse`).
enum Backend {
    Ecdsa {
        curve: Curve,
        /// Uncompressed SEC1 point.
        point: Vec<u8>,
        /// Indexed by [`hash_index`].
        by_hash: [ParsedPublicKey; 3],
    },
    Ed25519 {
        raw: [u8; 32],
        key: ParsedPublicKey,
    },
    Rsa {
        /// Indexed by [`rsa_index`].
        by_scheme: [ParsedPublicKey; 4],
    },
}

fn hash_index(hash: HashAlgorithm) -> usize {
    match hash {
        HashAlgorithm::Sha256 => 0,
        HashAlgorithm::Sha384 => 1,
        HashAlgorithm::Sha512 => 2,
    }
}

fn ecdsa_algorithm(curve: Curve, hash: HashAlgorithm) -> &'static dyn VerificationAlgorithm {
    match (curve, hash) {
        (Curve::P256, HashAlgorithm::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, HashAlgorithm::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
        (Curve::P256, HashAlgorithm::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
        (Curve::P384, HashAlgorithm::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, HashAlgorithm::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        (Curve::P384, HashAlgorithm::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
    }
}

fn curve_default_hash(curve: Curve) -> HashAlgorithm {
    match curve {
        Curve::P256 => HashAlgorithm::Sha256,
        Curve::P384 => HashAlgorithm::Sha384,
    }
}

/// The RSA schemes, as indexes into `Backend::Rsa::by_scheme`.
#[derive(Clone, Copy)]
enum RsaScheme {
    Pkcs1(HashAlgorithm),
    PssSha256,
}

fn rsa_index(scheme: RsaScheme) -> usize {
    match scheme {
        RsaScheme::Pkcs1(hash) => hash_index(hash),
        RsaScheme::PssSha256 => 3,
    }
}

fn rsa_algorithm(scheme: RsaScheme) -> &'static dyn VerificationAlgorithm {
    match scheme {
        RsaScheme::Pkcs1(HashAlgorithm::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
        RsaScheme::Pkcs1(HashAlgorithm::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
        RsaScheme::Pkcs1(HashAlgorithm::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
        RsaScheme::PssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
    }
}

fn rejected(err: aws_lc_rs::error::KeyRejected) -> KeyError {
    KeyError::Rejected(err.to_string())
}

/// The uncompressed form of a compressed SEC1 point. The backend decompresses (and checks the
/// point is on the curve) when parsing, and always writes SPKIs with uncompressed points.
fn decompress(curve: Curve, compressed: &[u8]) -> Result<Vec<u8>, KeyError> {
    let parsed = ParsedPublicKey::new(
        ecdsa_algorithm(curve, curve_default_hash(curve)),
        compressed,
    )
    .map_err(rejected)?;
    let backend_spki = parsed
        .as_der()
        .map_err(|_| KeyError::Rejected("cannot re-encode EC point".into()))?;
    match asn1::parse_spki(backend_spki.as_ref())? {
        SpkiContents::Ec { curve: c, point } if c == curve && point.first() == Some(&0x04) => {
            Ok(point.to_vec())
        }
        _ => Err(KeyError::Rejected(
            "backend did not decompress the EC point".into(),
        )),
    }
}

impl PublicKey {
    /// Parse a DER `SubjectPublicKeyInfo`. Accepts id-ecPublicKey with the P-256 or P-384
    /// named curve (uncompressed or compressed point), id-Ed25519, and rsaEncryption (≥ 2048 bits).
    ///
    /// A compressed EC point is normalised to the uncompressed form, so [`PublicKey::spki_der`]
    /// may differ from `der`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        match asn1::parse_spki(der)? {
            SpkiContents::Ec { curve, point } => Self::from_ec_point(curve, point),
            SpkiContents::Ed25519 { key } => Self::from_ed25519_raw(*key),
            SpkiContents::Rsa { bits, pkcs1 } => Self::from_rsa_pkcs1(bits, pkcs1),
        }
    }

    /// Parse a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (_, der) = pem::decode(pem, &[pem::PUBLIC_KEY], pem::PUBLIC_KEY)?;
        Self::from_spki_der(&der)
    }

    /// An Ed25519 key from its raw 32 bytes (RFC 8032 §5.1.5), as C2SP signed-note key
    /// strings carry it.
    pub fn from_ed25519_raw(raw: [u8; 32]) -> Result<Self, KeyError> {
        let key = ParsedPublicKey::new(&sig::ED25519, raw).map_err(rejected)?;
        let spki = asn1::encode_spki(asn1::ID_ED25519, SpkiParams::Absent, &raw)?;
        Self::new(KeyKind::Ed25519, spki, Backend::Ed25519 { raw, key })
    }

    /// An ECDSA key from a SEC1 point (compressed or uncompressed) on `curve`.
    pub(crate) fn from_ec_point(curve: Curve, point: &[u8]) -> Result<Self, KeyError> {
        asn1::check_ec_point(curve, point)?;
        let uncompressed = if point.first() == Some(&0x04) {
            point.to_vec()
        } else {
            decompress(curve, point)?
        };
        let parse = |hash| {
            ParsedPublicKey::new(ecdsa_algorithm(curve, hash), &uncompressed).map_err(rejected)
        };
        let by_hash = [
            parse(HashAlgorithm::Sha256)?,
            parse(HashAlgorithm::Sha384)?,
            parse(HashAlgorithm::Sha512)?,
        ];
        let spki = asn1::encode_spki(
            asn1::ID_EC_PUBLIC_KEY,
            SpkiParams::Curve(curve),
            &uncompressed,
        )?;
        let kind = match curve {
            Curve::P256 => KeyKind::EcdsaP256,
            Curve::P384 => KeyKind::EcdsaP384,
        };
        Self::new(
            kind,
            spki,
            Backend::Ecdsa {
                curve,
                point: uncompressed,
                by_hash,
            },
        )
    }

    fn from_rsa_pkcs1(bits: u32, pkcs1: Vec<u8>) -> Result<Self, KeyError> {
        let parse = |scheme| ParsedPublicKey::new(rsa_algorithm(scheme), &pkcs1).map_err(rejected);
        let by_scheme = [
            parse(RsaScheme::Pkcs1(HashAlgorithm::Sha256))?,
            parse(RsaScheme::Pkcs1(HashAlgorithm::Sha384))?,
            parse(RsaScheme::Pkcs1(HashAlgorithm::Sha512))?,
            parse(RsaScheme::PssSha256)?,
        ];
        let spki = asn1::encode_spki(asn1::RSA_ENCRYPTION, SpkiParams::Null, &pkcs1)?;
        Self::new(KeyKind::Rsa { bits }, spki, Backend::Rsa { by_scheme })
    }

    fn new(kind: KeyKind, spki: Vec<u8>, backend: Backend) -> Result<Self, KeyError> {
        let pem = pem::encode(pem::PUBLIC_KEY, &spki)
            .map_err(|e| KeyError::Malformed(format!("PEM: {e}")))?;
        let spki_sha256 = Sha256::digest(&spki).into();
        Ok(PublicKey {
            inner: Arc::new(Inner {
                kind,
                spki,
                spki_sha256,
                pem,
                backend,
            }),
        })
    }

    /// The DER SPKI, in the canonical form (as re-encoded, not as given).
    pub fn spki_der(&self) -> &[u8] {
        &self.inner.spki
    }

    /// PEM `PUBLIC KEY` with 64-column base64 lines and a trailing newline.
    pub fn to_pem(&self) -> String {
        self.inner.pem.clone()
    }

    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        self.inner.kind
    }

    /// The scheme a signature by this key uses unless told otherwise (P-256 → SHA-256, P-384 →
    /// SHA-384, Ed25519 → pure, RSA → PKCS#1 v1.5 SHA-256).
    pub fn default_scheme(&self) -> SignatureScheme {
        match self.inner.kind {
            KeyKind::EcdsaP256 => SignatureScheme::EcdsaP256Sha256,
            KeyKind::EcdsaP384 => SignatureScheme::EcdsaP384Sha384,
            KeyKind::Ed25519 => SignatureScheme::Ed25519,
            KeyKind::Rsa { .. } => SignatureScheme::RsaPkcs1Sha256,
        }
    }

    /// The raw 32-byte Ed25519 public key, if this is one.
    pub fn ed25519_raw(&self) -> Option<[u8; 32]> {
        match &self.inner.backend {
            Backend::Ed25519 { raw, .. } => Some(*raw),
            _ => None,
        }
    }

    /// The uncompressed SEC1 point (`04 || X || Y`), if this is an ECDSA key.
    pub fn ec_point_uncompressed(&self) -> Option<&[u8]> {
        match &self.inner.backend {
            Backend::Ecdsa { point, .. } => Some(point),
            _ => None,
        }
    }

    /// SHA-256 of the DER SPKI (Rekor's log ID, and the source of its 4-byte key hints).
    pub fn spki_sha256(&self) -> [u8; 32] {
        self.inner.spki_sha256
    }

    /// Verify `signature` over `message` with [`PublicKey::default_scheme`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        self.verify_with(self.default_scheme(), message, signature)
    }

    /// Verify `signature` over `message` with an explicit scheme.
    ///
    /// ECDSA keys accept only the scheme of their curve; RSA keys accept every RSA scheme.
    pub fn verify_with(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let mismatch = || VerifyError::SchemeMismatch {
            scheme,
            kind: self.inner.kind,
        };
        let key = match (&self.inner.backend, scheme) {
            (
                Backend::Ecdsa { curve, by_hash, .. },
                SignatureScheme::EcdsaP256Sha256 | SignatureScheme::EcdsaP384Sha384,
            ) => {
                let hash = curve_default_hash(*curve);
                if scheme.hash_algorithm() != Some(hash) {
                    return Err(mismatch());
                }
                &by_hash[hash_index(hash)]
            }
            (Backend::Ed25519 { key, .. }, SignatureScheme::Ed25519) => key,
            (Backend::Rsa { by_scheme }, _) => {
                let rsa = match scheme {
                    SignatureScheme::RsaPkcs1Sha256 => RsaScheme::Pkcs1(HashAlgorithm::Sha256),
                    SignatureScheme::RsaPkcs1Sha384 => RsaScheme::Pkcs1(HashAlgorithm::Sha384),
                    SignatureScheme::RsaPkcs1Sha512 => RsaScheme::Pkcs1(HashAlgorithm::Sha512),
                    SignatureScheme::RsaPssSha256 => RsaScheme::PssSha256,
                    _ => return Err(mismatch()),
                };
                &by_scheme[rsa_index(rsa)]
            }
            _ => return Err(mismatch()),
        };
        key.verify_sig(message, signature)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// Verify a signature over a message of which only the digest is known (ECDSA and RSA
    /// PKCS#1 v1.5). `digest.len()` must equal `hash.digest_len()`.
    ///
    /// ECDSA keys of either curve accept SHA-256, SHA-384 and SHA-512 digests (ECDSA does not
    /// bind the hash; Sigstore has used P-384 keys with SHA-256). Ed25519 keys return
    /// [`VerifyError::PrehashUnsupported`].
    pub fn verify_prehashed(
        &self,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        if matches!(self.inner.backend, Backend::Ed25519 { .. }) {
            return Err(VerifyError::PrehashUnsupported(self.inner.kind));
        }
        let length_error = VerifyError::DigestLength {
            alg: hash,
            got: digest.len(),
            want: hash.digest_len(),
        };
        if digest.len() != hash.digest_len() {
            return Err(length_error);
        }
        let digest = Digest::import_less_safe(digest, hash.aws_lc()).map_err(|_| length_error)?;
        let key = match &self.inner.backend {
            Backend::Ecdsa { by_hash, .. } => &by_hash[hash_index(hash)],
            Backend::Rsa { by_scheme } => &by_scheme[rsa_index(RsaScheme::Pkcs1(hash))],
            Backend::Ed25519 { .. } => return Err(VerifyError::PrehashUnsupported(self.kind())),
        };
        key.verify_digest_sig(&digest, signature)
            .map_err(|_| VerifyError::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hash = String::with_capacity(64);
        for byte in self.inner.spki_sha256 {
            hash.push_str(&format!("{byte:02x}"));
        }
        f.debug_struct("PublicKey")
            .field("kind", &self.inner.kind)
            .field("spki_sha256", &hash)
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner.spki == other.inner.spki
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.spki.hash(state);
    }
}
