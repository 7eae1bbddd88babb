//! Certificate chains as Fulcio and the TSA configure them (issuing certificate or TSA leaf
//! first, root last), their PEM form, and the checks both run when they load one.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use keys::PublicKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use crate::cert::{CertBuildError, IssuerCert, unix_seconds};
use crate::goodkey::{KeyStrengthError, check_public_key_strength};
use crate::oid;
use crate::verify::verify_issued_by;

/// Most certificates a chain may hold.
pub const MAX_CHAIN_LEN: usize = 10;

/// Largest PEM chain accepted, in bytes.
pub const MAX_CHAIN_PEM_LEN: usize = 1024 * 1024;

/// Why a chain was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// No certificates.
    #[error("the certificate chain is empty")]
    Empty,
    /// More than [`MAX_CHAIN_LEN`] certificates, or more PEM than [`MAX_CHAIN_PEM_LEN`].
    #[error("the certificate chain is too large")]
    TooLarge,
    /// Fewer certificates than the chain's use needs.
    #[error("the chain has {got} certificate(s); at least {min} are needed")]
    TooShort {
        /// How many there are.
        got: usize,
        /// How many are needed.
        min: usize,
    },
    /// The PEM text is malformed.
    #[error("PEM: {0}")]
    Pem(String),
    /// A PEM block that is not a `CERTIFICATE`.
    #[error("unexpected PEM block {0:?} in a certificate chain")]
    UnexpectedPemLabel(String),
    /// A certificate is not valid DER.
    #[error("certificate {index}: {reason}")]
    Malformed {
        /// Position in the chain (0 = first).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A certificate's issuer is not the next certificate's subject.
    #[error("certificate {index}'s issuer is not certificate {}'s subject", index + 1)]
    NameMismatch {
        /// The child's position.
        index: usize,
    },
    /// A certificate's signature does not verify under the next certificate's key.
    #[error("certificate {index}'s signature does not verify under its issuer's key: {reason}")]
    BadSignature {
        /// The child's position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The last certificate is not self-issued and self-signed.
    #[error("the last certificate is not a self-signed root")]
    RootNotSelfSigned,
    /// A certificate that issues another is not a CA (basicConstraints `cA` not TRUE), or the
    /// issuing certificate of a CA chain is not one.
    #[error("certificate {index} is not a CA")]
    NotCa {
        /// Its position.
        index: usize,
    },
    /// A CA certificate whose keyUsage lacks `keyCertSign`.
    #[error("certificate {index}'s key usage does not allow signing certificates")]
    NoCertSign {
        /// Its position.
        index: usize,
    },
    /// A CA's path length constraint is exceeded.
    #[error("certificate {index}'s path length constraint is exceeded")]
    PathLenExceeded {
        /// The constraining certificate's position.
        index: usize,
    },
    /// `at_unix` is before a certificate's `notBefore`.
    #[error("certificate {index} is not valid yet")]
    NotYetValid {
        /// Its position.
        index: usize,
    },
    /// `at_unix` is after a certificate's `notAfter`.
    #[error("certificate {index} has expired")]
    Expired {
        /// Its position.
        index: usize,
    },
    /// A critical extension this crate does not process.
    #[error("certificate {index} has an unhandled critical extension {oid}")]
    UnhandledCriticalExtension {
        /// Its position.
        index: usize,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// An extension that does not decode, or appears twice.
    #[error("certificate {index}: malformed or duplicated extension {oid}")]
    MalformedExtension {
        /// Its position.
        index: usize,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// A certificate's extended key usage excludes the purpose the chain is for (EKU
    /// nesting, as Go's `x509.Verify` applies it).
    #[error("certificate {index}'s extended key usage does not allow {purpose}")]
    EkuNotPermitted {
        /// Its position.
        index: usize,
        /// The purpose asked for.
        purpose: ObjectIdentifier,
    },
    /// The issuing certificate of a chain with an intermediate lacks the required EKU
    /// (Fulcio: code signing; the TSA: time stamping on each intermediate).
    #[error("certificate {index} must carry extended key usage {purpose}")]
    MissingEku {
        /// Its position.
        index: usize,
        /// The required purpose.
        purpose: ObjectIdentifier,
    },
    /// The TSA certificate is a CA.
    #[error("the timestamping certificate must be an end entity, not a CA")]
    LeafIsCa,
    /// The TSA certificate's extended key usage is not exactly `id-kp-timeStamping`, critical.
    #[error(
        "the timestamping certificate must have exactly one extended key usage, id-kp-timeStamping, marked critical"
    )]
    LeafEku,
    /// The signer's key is not the key certified by the chain's first certificate.
    #[error("the signing key does not match the chain's first certificate")]
    KeyMismatch,
    /// The first certificate's key cannot be read.
    #[error("certificate 0's public key: {0}")]
    PublicKey(String),
    /// The signing key fails the key policy.
    #[error("signing key: {0}")]
    WeakKey(#[from] KeyStrengthError),
}

/// A certificate chain, first certificate (issuing CA or TSA leaf) first, root last.
#[derive(Clone, Debug)]
pub struct CertificateChain {
    certificates: Vec<Certificate>,
    ders: Vec<Vec<u8>>,
}

impl CertificateChain {
    /// A chain of parsed certificates (1 to [`MAX_CHAIN_LEN`]).
    pub fn new(certificates: Vec<Certificate>) -> Result<Self, ChainError> {
        check_len(certificates.len())?;
        let ders = certificates
            .iter()
            .enumerate()
            .map(|(index, cert)| {
                cert.to_der().map_err(|e| ChainError::Malformed {
                    index,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CertificateChain { certificates, ders })
    }

    /// A chain from DER certificates (1 to [`MAX_CHAIN_LEN`]); each must be strict DER.
    pub fn from_der_certificates(ders: Vec<Vec<u8>>) -> Result<Self, ChainError> {
        check_len(ders.len())?;
        let mut certificates = Vec::with_capacity(ders.len());
        for (index, der) in ders.iter().enumerate() {
            let malformed = |reason: String| ChainError::Malformed { index, reason };
            let cert = Certificate::from_der(der).map_err(|e| malformed(e.to_string()))?;
            if cert.to_der().map_err(|e| malformed(e.to_string()))? != *der {
                return Err(malformed("not in canonical DER".into()));
            }
            certificates.push(cert);
        }
        Ok(CertificateChain { certificates, ders })
    }

    /// A chain from concatenated PEM `CERTIFICATE` blocks, in order. Text outside the blocks
    /// is ignored (as Go's `pem.Decode` skips it); any other PEM block is an error.
    pub fn from_pem(pem: &str) -> Result<Self, ChainError> {
        if pem.len() > MAX_CHAIN_PEM_LEN {
            return Err(ChainError::TooLarge);
        }
        const BEGIN: &str = "-----BEGIN ";
        const END: &str = "-----END ";
        const DASHES: &str = "-----";
        let mut ders = Vec::new();
        let mut rest = pem;
        while let Some(begin) = rest.find(BEGIN) {
            let block = &rest[begin..];
            let end = block
                .find(END)
                .ok_or_else(|| ChainError::Pem("a BEGIN line has no END line".into()))?;
            let close = block[end + END.len()..]
                .find(DASHES)
                .ok_or_else(|| ChainError::Pem("unterminated END line".into()))?;
            let block_len = end + END.len() + close + DASHES.len();
            let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..block_len])
                .map_err(|e| ChainError::Pem(e.to_string()))?;
            if label != "CERTIFICATE" {
                return Err(ChainError::UnexpectedPemLabel(label.to_owned()));
            }
            if ders.len() == MAX_CHAIN_LEN {
                return Err(ChainError::TooLarge);
            }
            ders.push(der);
            rest = &block[block_len..];
        }
        Self::from_der_certificates(ders)
    }

    /// The certificates, first to root.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificates' DER, first to root.
    pub fn der_certificates(&self) -> &[Vec<u8>] {
        &self.ders
    }

    /// How many certificates the chain has (at least one).
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Always false: a chain has at least one certificate.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The first certificate (the issuing CA, or the TSA's signing certificate).
    pub fn first(&self) -> &Certificate {
        &self.certificates[0]
    }

    /// The last certificate (the root).
    pub fn root(&self) -> &Certificate {
        &self.certificates[self.certificates.len() - 1]
    }

    /// The first certificate prepared for issuing code-signing certificates.
    pub fn issuer(&self) -> Result<IssuerCert, CertBuildError> {
        IssuerCert::from_der(&self.ders[0])
    }

    /// Each certificate as PEM, 64-column base64, LF line ends, **no trailing newline** (the
    /// strings Fulcio puts in `chain.certificates`).
    pub fn to_pem_strings(&self) -> Vec<String> {
        self.ders.iter().map(|der| pem_string(der)).collect()
    }

    /// The whole chain as PEM blocks joined by one newline, no trailing newline (the body of
    /// Fulcio's v1 `rootCert` and the TSA's `certchain`).
    pub fn to_pem(&self) -> String {
        self.to_pem_strings().join("\n")
    }
}

/// One certificate as trimmed PEM.
pub fn pem_string(der: &[u8]) -> String {
    // Encoding to a String only fails for labels with invalid characters; ours is fixed.
    pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
        .map(|pem| pem.trim_end().to_owned())
        .unwrap_or_default()
}

fn check_len(len: usize) -> Result<(), ChainError> {
    match len {
        0 => Err(ChainError::Empty),
        n if n > MAX_CHAIN_LEN => Err(ChainError::TooLarge),
        _ => Ok(()),
    }
}

/// What chain validation reads from one certificate.
struct CertFacts {
    subject: Vec<u8>,
    issuer: Vec<u8>,
    not_before: i64,
    not_after: i64,
    is_ca: bool,
    path_len: Option<u8>,
    /// `None` when the certificate has no keyUsage.
    cert_sign: Option<bool>,
    /// The EKU purposes and the extension's criticality, if present.
    eku: Option<(bool, Vec<ObjectIdentifier>)>,
}

/// Critical extensions this crate understands.
const HANDLED_CRITICAL: [ObjectIdentifier; 4] = [
    oid::KEY_USAGE,
    oid::BASIC_CONSTRAINTS,
    oid::EXT_KEY_USAGE,
    oid::SUBJECT_ALT_NAME,
];

fn facts(cert: &Certificate, index: usize) -> Result<CertFacts, ChainError> {
    let tbs = cert.tbs_certificate();
    let malformed = |reason: String| ChainError::Malformed { index, reason };
    let extensions = tbs.extensions().map(Vec::as_slice).unwrap_or(&[]);
    for (i, extension) in extensions.iter().enumerate() {
        if extensions[..i]
            .iter()
            .any(|e| e.extn_id == extension.extn_id)
        {
            return Err(ChainError::MalformedExtension {
                index,
                oid: extension.extn_id,
            });
        }
        if extension.critical && !HANDLED_CRITICAL.contains(&extension.extn_id) {
            return Err(ChainError::UnhandledCriticalExtension {
                index,
                oid: extension.extn_id,
            });
        }
    }
    let bad_extension = |oid| ChainError::MalformedExtension { index, oid };
    let basic = tbs
        .get_extension::<BasicConstraints>()
        .map_err(|_| bad_extension(oid::BASIC_CONSTRAINTS))?
        .map(|(_, bc)| bc);
    let key_usage = tbs
        .get_extension::<KeyUsage>()
        .map_err(|_| bad_extension(oid::KEY_USAGE))?
        .map(|(_, ku)| ku);
    let eku = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|_| bad_extension(oid::EXT_KEY_USAGE))?
        .map(|(critical, eku)| (critical, eku.0));
    Ok(CertFacts {
        subject: tbs
            .subject()
            .to_der()
            .map_err(|e| malformed(e.to_string()))?,
        issuer: tbs
            .issuer()
            .to_der()
            .map_err(|e| malformed(e.to_string()))?,
        not_before: unix_seconds(&tbs.validity().not_before),
        not_after: unix_seconds(&tbs.validity().not_after),
        is_ca: basic.as_ref().is_some_and(|bc| bc.ca),
        path_len: basic.and_then(|bc| bc.path_len_constraint),
        cert_sign: key_usage.map(|ku| ku.key_cert_sign()),
        eku,
    })
}

/// Verify the path `certs[0] → … → certs[n-1]` at `at_unix`: names chain, signatures verify,
/// every issuer is a CA allowed to sign certificates within its path length, the last
/// certificate is a self-signed root, every certificate is within its validity, and (when
/// `purpose` is given) every certificate with an extended key usage allows `purpose` or
/// `anyExtendedKeyUsage`. `first_is_ca` says whether `certs[0]` itself issues certificates
/// (then it counts towards its issuers' path lengths).
fn verify_path(
    chain: &CertificateChain,
    at_unix: i64,
    purpose: Option<ObjectIdentifier>,
    first_is_ca: bool,
) -> Result<Vec<CertFacts>, ChainError> {
    let certs = chain.certificates();
    let facts = certs
        .iter()
        .enumerate()
        .map(|(index, cert)| facts(cert, index))
        .collect::<Result<Vec<_>, _>>()?;
    if first_is_ca {
        check_can_issue(&facts[0], 0)?;
    }
    for (index, fact) in facts.iter().enumerate() {
        if at_unix < fact.not_before {
            return Err(ChainError::NotYetValid { index });
        }
        if at_unix > fact.not_after {
            return Err(ChainError::Expired { index });
        }
        if let (Some(purpose), Some((_, purposes))) = (purpose, &fact.eku)
            && !purposes.contains(&purpose)
            && !purposes.contains(&oid::ANY_EXTENDED_KEY_USAGE)
        {
            return Err(ChainError::EkuNotPermitted { index, purpose });
        }
    }
    for index in 0..certs.len() - 1 {
        let parent = index + 1;
        if facts[index].issuer != facts[parent].subject {
            return Err(ChainError::NameMismatch { index });
        }
        verify_issued_by(&certs[index], &certs[parent]).map_err(|e| ChainError::BadSignature {
            index,
            reason: e.to_string(),
        })?;
        check_can_issue(&facts[parent], parent)?;
        // CA certificates below `parent`, not counting a first certificate that is an end
        // entity (RFC 5280 §4.2.1.9).
        let below = if first_is_ca { parent } else { parent - 1 };
        if facts[parent]
            .path_len
            .is_some_and(|len| below > usize::from(len))
        {
            return Err(ChainError::PathLenExceeded { index: parent });
        }
    }
    let last = certs.len() - 1;
    if facts[last].issuer != facts[last].subject
        || verify_issued_by(&certs[last], &certs[last]).is_err()
    {
        return Err(ChainError::RootNotSelfSigned);
    }
    Ok(facts)
}

fn check_can_issue(fact: &CertFacts, index: usize) -> Result<(), ChainError> {
    if !fact.is_ca {
        return Err(ChainError::NotCa { index });
    }
    if fact.cert_sign == Some(false) {
        return Err(ChainError::NoCertSign { index });
    }
    Ok(())
}

/// The public key of the chain's first certificate.
fn first_key(chain: &CertificateChain) -> Result<PublicKey, ChainError> {
    let spki = chain
        .first()
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| ChainError::PublicKey(e.to_string()))?;
    PublicKey::from_spki_der(&spki).map_err(|e| ChainError::PublicKey(e.to_string()))
}

/// Fulcio's load-time check of a CA chain (`pkg/ca/common.go VerifyCertChain`), at `at_unix`:
///
/// - the chain verifies up to its last certificate, a self-signed root (see the path rules
///   on [`ChainError`]; path lengths count the issuing certificate, since it will issue);
/// - with `required_issuing_eku` (Fulcio: `id-kp-codeSigning`), every certificate's EKU, if
///   present, allows it, and when the chain has more than one certificate the issuing
///   certificate lists it explicitly (EKU chaining);
/// - the issuing certificate is a CA allowed to sign certificates;
/// - its key is `signer_public_key`, and that key passes the key policy.
pub fn validate_issuing_chain(
    chain: &CertificateChain,
    signer_public_key: &PublicKey,
    required_issuing_eku: Option<ObjectIdentifier>,
    at_unix: i64,
) -> Result<(), ChainError> {
    let facts = verify_path(chain, at_unix, required_issuing_eku, true)?;
    if let Some(purpose) = required_issuing_eku {
        let listed = facts[0]
            .eku
            .as_ref()
            .is_some_and(|(_, purposes)| purposes.contains(&purpose));
        if chain.len() > 1 && !listed {
            return Err(ChainError::MissingEku { index: 0, purpose });
        }
    }
    if first_key(chain)? != *signer_public_key {
        return Err(ChainError::KeyMismatch);
    }
    check_public_key_strength(signer_public_key)?;
    Ok(())
}

/// The timestamp authority's load-time check of its chain (timestamp-authority
/// `pkg/x509/x509.go VerifyCertChain` with intermediate EKU enforcement), at `at_unix`:
///
/// - at least two certificates; the chain verifies up to a self-signed root, for
///   `id-kp-timeStamping` (EKU nesting);
/// - every certificate after the first is a CA; the first is not;
/// - the first has exactly one EKU, `id-kp-timeStamping`, marked critical (RFC 3161 §2.3);
/// - every intermediate lists `id-kp-timeStamping`;
/// - the first certificate's key is `signer_public_key`.
pub fn validate_timestamping_chain(
    chain: &CertificateChain,
    signer_public_key: &PublicKey,
    at_unix: i64,
) -> Result<(), ChainError> {
    if chain.len() < 2 {
        return Err(ChainError::TooShort {
            got: chain.len(),
            min: 2,
        });
    }
    let purpose = oid::KP_TIME_STAMPING;
    let facts = verify_path(chain, at_unix, Some(purpose), false)?;
    if facts[0].is_ca {
        return Err(ChainError::LeafIsCa);
    }
    match &facts[0].eku {
        Some((true, purposes)) if purposes.as_slice() == [purpose] => {}
        _ => return Err(ChainError::LeafEku),
    }
    for (index, fact) in facts.iter().enumerate().take(chain.len() - 1).skip(1) {
        if !fact
            .eku
            .as_ref()
            .is_some_and(|(_, purposes)| purposes.contains(&purpose))
        {
            return Err(ChainError::MissingEku { index, purpose });
        }
    }
    if first_key(chain)? != *signer_public_key {
        return Err(ChainError::KeyMismatch);
    }
    Ok(())
}
