//! PKCS#10 certificate signing requests (RFC 2986), read the way Fulcio reads them: only the
//! public key and the self-signature matter, every other field is ignored.

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use keys::{HashAlgorithm, PublicKey};
use spki::AlgorithmIdentifierRef;

use crate::goodkey::{KeyStrengthError, check_key_strength};
use crate::oid;
use crate::verify::{SignatureCheckError, verify_x509_signature};

/// Largest CSR accepted, PEM or DER, in bytes.
pub const MAX_CSR_LEN: usize = 64 * 1024;

/// Why a CSR was refused, in Fulcio's order of checks: parse, key strength, signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsrError {
    /// Larger than [`MAX_CSR_LEN`].
    #[error("certificate signing request of {len} bytes (at most {max})")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a PEM `CERTIFICATE REQUEST` nor a DER `CertificationRequest`.
    #[error("the certificate signing request could not be parsed: {0}")]
    Malformed(String),
    /// The requested key fails the key policy.
    #[error("the public key in the certificate signing request is not acceptable: {0}")]
    Key(#[from] KeyStrengthError),
    /// The CSR is signed with an algorithm Cairn does not verify.
    #[error("unsupported CSR signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(ObjectIdentifier),
    /// The self-signature does not verify under the requested key.
    #[error("the certificate signing request's signature does not verify")]
    BadSignature,
}

/// The key a CSR asks to certify, after its self-signature verified.
#[derive(Clone, Debug)]
pub struct VerifiedCsr {
    /// The requested public key (it passed the key policy).
    pub public_key: PublicKey,
    /// The CSR's signature algorithm.
    pub signature_algorithm: ObjectIdentifier,
    /// The hash of that algorithm (`None` for pure Ed25519), which Fulcio checks against its
    /// signing-algorithm allow-list.
    pub hash: Option<HashAlgorithm>,
}

fn malformed(err: impl std::fmt::Display) -> CsrError {
    CsrError::Malformed(err.to_string())
}

/// Parse a CSR (PEM `CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`, or DER), check the key
/// policy on its key and verify its self-signature over the exact `certificationRequestInfo`
/// bytes received.
pub fn verify_csr(input: &[u8]) -> Result<VerifiedCsr, CsrError> {
    if input.len() > MAX_CSR_LEN {
        return Err(CsrError::TooLarge {
            len: input.len(),
            max: MAX_CSR_LEN,
        });
    }
    let pem_der;
    let der = if input.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (label, der) = pem_rfc7468::decode_vec(input.trim_ascii()).map_err(malformed)?;
        if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
            return Err(CsrError::Malformed(format!(
                "PEM label {label:?} (expected CERTIFICATE REQUEST)"
            )));
        }
        pem_der = der;
        pem_der.as_slice()
    } else {
        input
    };

    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
    let outer = AnyRef::from_der(der).map_err(malformed)?;
    if outer.tag() != Tag::Sequence {
        return Err(CsrError::Malformed("not a SEQUENCE".into()));
    }
    let body = outer.value();
    let mut reader = SliceReader::new(body).map_err(malformed)?;
    let info_start = usize::try_from(reader.position()).map_err(malformed)?;
    let info = AnyRef::decode(&mut reader).map_err(malformed)?;
    let info_end = usize::try_from(reader.position()).map_err(malformed)?;
    let algorithm = AlgorithmIdentifierRef::decode(&mut reader).map_err(malformed)?;
    let signature = BitStringRef::decode(&mut reader).map_err(malformed)?;
    reader.finish().map_err(malformed)?;
    let signed = body
        .get(info_start..info_end)
        .ok_or_else(|| CsrError::Malformed("certificationRequestInfo out of bounds".into()))?;
    if info.tag() != Tag::Sequence {
        return Err(CsrError::Malformed(
            "certificationRequestInfo is not a SEQUENCE".into(),
        ));
    }

    // CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
    //     subjectPKInfo, attributes [0] } — only the key is used.
    let mut info_reader = SliceReader::new(info.value()).map_err(malformed)?;
    let version = u8::decode(&mut info_reader).map_err(malformed)?;
    if version != 0 {
        return Err(CsrError::Malformed(format!(
            "version {version} (expected v1 = 0)"
        )));
    }
    let _subject = AnyRef::decode(&mut info_reader).map_err(malformed)?;
    let spki_start = usize::try_from(info_reader.position()).map_err(malformed)?;
    let _spki = AnyRef::decode(&mut info_reader).map_err(malformed)?;
    let spki_end = usize::try_from(info_reader.position()).map_err(malformed)?;
    let spki = info
        .value()
        .get(spki_start..spki_end)
        .ok_or_else(|| CsrError::Malformed("subjectPKInfo out of bounds".into()))?;

    let public_key = check_key_strength(spki)?;

    let signature = signature
        .as_bytes()
        .ok_or_else(|| CsrError::Malformed("signature BIT STRING has unused bits".into()))?;
    let hash = hash_of(algorithm.oid)?;
    verify_x509_signature(&public_key, algorithm.oid, signed, signature).map_err(|e| match e {
        SignatureCheckError::UnsupportedAlgorithm(oid) => {
            CsrError::UnsupportedSignatureAlgorithm(oid)
        }
        _ => CsrError::BadSignature,
    })?;
    Ok(VerifiedCsr {
        public_key,
        signature_algorithm: algorithm.oid,
        hash,
    })
}

/// The hash of an X.509 signature algorithm that `verify_x509_signature` supports.
fn hash_of(algorithm: ObjectIdentifier) -> Result<Option<HashAlgorithm>, CsrError> {
    const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
    const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
    const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
    Ok(match algorithm {
        oid::ECDSA_WITH_SHA256 | oid::SHA256_WITH_RSA => Some(HashAlgorithm::Sha256),
        oid::ECDSA_WITH_SHA384 | SHA384_WITH_RSA => Some(HashAlgorithm::Sha384),
        ECDSA_WITH_SHA512 | SHA512_WITH_RSA => Some(HashAlgorithm::Sha512),
        oid::ED25519 => None,
        other => return Err(CsrError::UnsupportedSignatureAlgorithm(other)),
    })
}
