//! Checking that one certificate was signed by another's key.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, SHA_256_WITH_RSA_ENCRYPTION,
    SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use const_oid::db::rfc8410::ID_ED_25519;
use der::Encode;
use keys::{HashAlgorithm, KeyKind, PublicKey, SignatureScheme};
use sha2::Digest;
use x509_cert::Certificate;

/// Why a certificate's signature did not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureCheckError {
    /// The certificate's signature algorithm is not one Cairn verifies.
    #[error("unsupported certificate signature algorithm {0}")]
    UnsupportedAlgorithm(ObjectIdentifier),
    /// The issuer's public key could not be parsed.
    #[error("issuer public key: {0}")]
    IssuerKey(String),
    /// The certificate could not be re-encoded.
    #[error("certificate encoding: {0}")]
    Encoding(String),
    /// The signature does not verify under the issuer's key.
    #[error("certificate signature does not verify under the issuer's key")]
    BadSignature,
    /// The certificate's outer `signatureAlgorithm` differs from the `signature` field inside
    /// its TBS (RFC 5280 §4.1.1.2 requires them to be identical).
    #[error("the certificate's signature algorithm differs from the one in its TBS")]
    AlgorithmMismatch,
}

/// How a certificate signature algorithm hashes and signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertSignature {
    Ecdsa(HashAlgorithm),
    Rsa(SignatureScheme),
    Ed25519,
}

fn classify(oid: ObjectIdentifier) -> Result<CertSignature, SignatureCheckError> {
    Ok(match oid {
        ECDSA_WITH_SHA_256 => CertSignature::Ecdsa(HashAlgorithm::Sha256),
        ECDSA_WITH_SHA_384 => CertSignature::Ecdsa(HashAlgorithm::Sha384),
        ECDSA_WITH_SHA_512 => CertSignature::Ecdsa(HashAlgorithm::Sha512),
        SHA_256_WITH_RSA_ENCRYPTION => CertSignature::Rsa(SignatureScheme::RsaPkcs1Sha256),
        SHA_384_WITH_RSA_ENCRYPTION => CertSignature::Rsa(SignatureScheme::RsaPkcs1Sha384),
        SHA_512_WITH_RSA_ENCRYPTION => CertSignature::Rsa(SignatureScheme::RsaPkcs1Sha512),
        ID_ED_25519 => CertSignature::Ed25519,
        other => return Err(SignatureCheckError::UnsupportedAlgorithm(other)),
    })
}

fn digest(hash: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match hash {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

/// Verify `signature` made by `key` over `signed` with the X.509 signature algorithm `algorithm`
/// (ECDSA with SHA-256/384/512 under either curve, RSA PKCS#1 v1.5, Ed25519).
pub fn verify_x509_signature(
    key: &PublicKey,
    algorithm: ObjectIdentifier,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), SignatureCheckError> {
    let result = match classify(algorithm)? {
        CertSignature::Ecdsa(hash)
            if matches!(key.kind(), KeyKind::EcdsaP256 | KeyKind::EcdsaP384) =>
        {
            key.verify_prehashed(hash, &digest(hash, signed), signature)
        }
        CertSignature::Rsa(scheme) => key.verify_with(scheme, signed, signature),
        CertSignature::Ed25519 => key.verify_with(SignatureScheme::Ed25519, signed, signature),
        CertSignature::Ecdsa(_) => return Err(SignatureCheckError::BadSignature),
    };
    result.map_err(|_| SignatureCheckError::BadSignature)
}

/// Check that `child` carries a valid signature by `issuer`'s key. Names, validity and
/// extensions are not looked at: this is the signature step of chain validation only. The
/// outer signature algorithm must equal the TBS's (RFC 5280 §4.1.1.2).
pub fn verify_issued_by(
    child: &Certificate,
    issuer: &Certificate,
) -> Result<(), SignatureCheckError> {
    if child.signature_algorithm() != child.tbs_certificate().signature() {
        return Err(SignatureCheckError::AlgorithmMismatch);
    }
    let issuer_spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| SignatureCheckError::Encoding(e.to_string()))?;
    let key = PublicKey::from_spki_der(&issuer_spki)
        .map_err(|e| SignatureCheckError::IssuerKey(e.to_string()))?;
    let tbs = child
        .tbs_certificate()
        .to_der()
        .map_err(|e| SignatureCheckError::Encoding(e.to_string()))?;
    let signature = child
        .signature()
        .as_bytes()
        .ok_or(SignatureCheckError::BadSignature)?;
    verify_x509_signature(&key, child.signature_algorithm().oid, &tbs, signature)
}
