//! What a submitted chain must satisfy before the log signs anything for it.
//!
//! The rules follow certificate-transparency-go's CTFE (`trillian/ctfe/cert_checker.go`) as
//! Fulcio deploys it (`--ext_key_usages CodeSigning`):
//!
//! - every certificate parses as strict DER; the chain has 1..=`max_chain_length` elements;
//! - the leaf is a precertificate (critical poison, value DER NULL) exactly when it was sent to
//!   `add-pre-chain`; a malformed poison is refused either way;
//! - the leaf's EKU contains `id-kp-codeSigning`, and an issuing CA with an EKU extension lists
//!   it (or `anyExtendedKeyUsage`), as Go's nested EKU check does (when `require_code_signing`);
//! - each certificate is signed by the next one, whose subject is its issuer and which is a CA
//!   (basicConstraints `cA`) whose `pathLenConstraint` allows the intermediates below it;
//! - the last certificate is a configured root, or is issued by one (which is then appended, as
//!   CTFE stores the verified path);
//! - precertificate signing certificates (EKU 1.3.6.1.4.1.11129.2.4.4) are not supported: the
//!   precertificate must be signed by the CA that signs the final certificate (Fulcio does so).
//!
//! Validity periods are not checked (CTFE's default), nor are name constraints and policies.

use const_oid::db::rfc5280::{ANY_EXTENDED_KEY_USAGE, ID_KP_CODE_SIGNING};
use ct_types::{ExtraData, LogEntryType, PrecertChainEntry, SignedEntry};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};

/// Why a submitted chain was refused. Every variant is the submitter's problem (400/413).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// No certificates.
    #[error("the certificate chain is empty")]
    Empty,
    /// More certificates than allowed.
    #[error("the certificate chain has {len} certificates, more than the maximum {max}")]
    TooLong {
        /// Certificates sent.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The chain's DER is larger than allowed (413).
    #[error("the certificate chain is {bytes} bytes, more than the maximum {max}")]
    TooLarge {
        /// Total DER bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate is not strict DER X.509.
    #[error("certificate {index} of the chain does not parse: {detail}")]
    Malformed {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// What the parser said.
        detail: String,
    },
    /// `add-pre-chain` with a leaf that has no poison extension.
    #[error("the leaf is not a precertificate (no CT poison extension)")]
    NotPrecertificate,
    /// `add-chain` with a precertificate.
    #[error("the leaf is a precertificate; submit it to add-pre-chain")]
    UnexpectedPrecertificate,
    /// The poison extension is not critical, not DER NULL or repeated.
    #[error("the CT poison extension must appear once, critical, with value DER NULL")]
    MalformedPoison,
    /// The leaf's extended key usage does not allow code signing.
    #[error("the leaf's extended key usage must include codeSigning")]
    LeafKeyUsage,
    /// An issuing CA's extended key usage excludes code signing.
    #[error("certificate {index} of the chain has an extended key usage without codeSigning")]
    IssuerKeyUsage {
        /// Position of the CA in the verified path.
        index: usize,
    },
    /// A certificate's issuer name is not the next certificate's subject.
    #[error("certificate {index} is not issued by the next certificate (names differ)")]
    IssuerMismatch {
        /// Position of the issued certificate.
        index: usize,
    },
    /// A signature does not verify.
    #[error("the signature of certificate {index} does not verify under its issuer: {detail}")]
    BadSignature {
        /// Position of the issued certificate.
        index: usize,
        /// Why.
        detail: String,
    },
    /// An issuing certificate is not a CA.
    #[error("certificate {index} of the chain is not a CA")]
    NotCa {
        /// Position of the issuer in the verified path.
        index: usize,
    },
    /// An issuing CA's path length constraint is exceeded.
    #[error("certificate {index} of the chain allows fewer intermediates below it")]
    PathLength {
        /// Position of the CA in the verified path.
        index: usize,
    },
    /// The precertificate was signed by a precertificate signing certificate.
    #[error("precertificate signing certificates are not supported")]
    PrecertSigningCertificate,
    /// The chain does not end at, or below, a configured root.
    #[error("the chain does not lead to a root this log accepts")]
    UntrustedRoot,
}

impl ChainError {
    /// A short label for the rejection metric.
    pub fn reason(&self) -> &'static str {
        match self {
            ChainError::Empty => "empty_chain",
            ChainError::TooLong { .. } => "chain_too_long",
            ChainError::TooLarge { .. } => "too_large",
            ChainError::Malformed { .. } => "malformed_certificate",
            ChainError::NotPrecertificate => "not_precertificate",
            ChainError::UnexpectedPrecertificate => "unexpected_precertificate",
            ChainError::MalformedPoison => "malformed_poison",
            ChainError::LeafKeyUsage | ChainError::IssuerKeyUsage { .. } => "key_usage",
            ChainError::IssuerMismatch { .. } => "issuer_mismatch",
            ChainError::BadSignature { .. } => "bad_signature",
            ChainError::NotCa { .. } | ChainError::PathLength { .. } => "ca_constraints",
            ChainError::PrecertSigningCertificate => "precert_signing_certificate",
            ChainError::UntrustedRoot => "untrusted_root",
        }
    }
}

/// A root the log accepts.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    pub(crate) der: Vec<u8>,
    pub(crate) cert: Certificate,
}

impl Root {
    /// Parse a root; it must be a CA.
    pub(crate) fn parse(der: Vec<u8>) -> Result<Self, String> {
        let cert = Certificate::from_der(&der).map_err(|e| e.to_string())?;
        match basic_constraints(&cert) {
            Ok(Some(bc)) if bc.ca => Ok(Root { der, cert }),
            Ok(_) => Err("not a CA certificate (basicConstraints cA is not set)".into()),
            Err(e) => Err(e),
        }
    }
}

/// The policy knobs of validation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChainPolicy {
    pub(crate) max_chain_length: usize,
    pub(crate) max_chain_bytes: usize,
    pub(crate) require_code_signing: bool,
}

/// A chain that passed validation, with what the log stores for it.
#[derive(Debug, Clone)]
pub(crate) struct ValidatedChain {
    /// What the SCT and leaf commit to.
    pub(crate) entry: SignedEntry,
    /// The `extra_data` (chain after the leaf up to the root, as verified).
    pub(crate) extra_data: ExtraData,
    /// SHA-256 of the submitted leaf DER: CTFE's leaf identity, used to find duplicates.
    pub(crate) identity: [u8; 32],
}

/// Validate `chain` (leaf first) for an entry of type `expected` against `roots`.
pub(crate) fn validate(
    chain: &[Vec<u8>],
    expected: LogEntryType,
    roots: &[Root],
    policy: ChainPolicy,
) -> Result<ValidatedChain, ChainError> {
    if chain.is_empty() {
        return Err(ChainError::Empty);
    }
    if chain.len() > policy.max_chain_length {
        return Err(ChainError::TooLong {
            len: chain.len(),
            max: policy.max_chain_length,
        });
    }
    let bytes = chain
        .iter()
        .map(Vec::len)
        .fold(0usize, usize::saturating_add);
    if bytes > policy.max_chain_bytes {
        return Err(ChainError::TooLarge {
            bytes,
            max: policy.max_chain_bytes,
        });
    }
    let mut certs = Vec::with_capacity(chain.len() + 1);
    for (index, der) in chain.iter().enumerate() {
        let cert = Certificate::from_der(der).map_err(|e| ChainError::Malformed {
            index,
            detail: e.to_string(),
        })?;
        certs.push(cert);
    }
    let leaf = &certs[0];
    let is_precert = ct_types::is_precertificate(leaf).map_err(|_| ChainError::MalformedPoison)?;
    match (expected, is_precert) {
        (LogEntryType::Precert, false) => return Err(ChainError::NotPrecertificate),
        (LogEntryType::X509, true) => return Err(ChainError::UnexpectedPrecertificate),
        _ => {}
    }
    if policy.require_code_signing {
        let ekus = extended_key_usage(leaf, 0)?;
        if !ekus.is_some_and(|ekus| ekus.contains(&ID_KP_CODE_SIGNING)) {
            return Err(ChainError::LeafKeyUsage);
        }
    }

    // Walk the submitted chain, then anchor it at a configured root.
    for index in 1..certs.len() {
        check_issued(&certs, index, policy)?;
    }
    let last = chain.len() - 1;
    let anchored = roots.iter().any(|root| root.der == chain[last]);
    let mut path_der: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    if !anchored {
        let mut found = None;
        for root in roots {
            certs.push(root.cert.clone());
            let outcome = check_issued(&certs, certs.len() - 1, policy);
            certs.pop();
            if outcome.is_ok() {
                found = Some(root);
                break;
            }
        }
        let root = found.ok_or(ChainError::UntrustedRoot)?;
        certs.push(root.cert.clone());
        path_der.push(&root.der);
    }
    if certs.len() < 2 {
        // A root on its own: nothing issued it, so there is no issuer for a precert entry and
        // nothing worth logging.
        return Err(ChainError::UntrustedRoot);
    }

    let issuer = &certs[1];
    let entry = match expected {
        LogEntryType::X509 => SignedEntry::X509 {
            certificate: chain[0].clone(),
        },
        LogEntryType::Precert => {
            // check_issued refused precertificate signing certificates: the issuer is the CA.
            let spki = ct_types::spki_der(issuer).map_err(|e| ChainError::Malformed {
                index: 1,
                detail: e.to_string(),
            })?;
            ct_types::precert_entry_from_precert(&chain[0], &spki).map_err(|e| {
                ChainError::Malformed {
                    index: 0,
                    detail: e.to_string(),
                }
            })?
        }
    };
    let issuers: Vec<Vec<u8>> = path_der[1..].iter().map(|der| der.to_vec()).collect();
    let extra_data = match expected {
        LogEntryType::X509 => ExtraData::X509 {
            certificate_chain: issuers,
        },
        LogEntryType::Precert => ExtraData::Precert(PrecertChainEntry {
            pre_certificate: chain[0].clone(),
            precertificate_chain: issuers,
        }),
    };
    Ok(ValidatedChain {
        entry,
        extra_data,
        identity: Sha256::digest(&chain[0]).into(),
    })
}

/// Check that `path[index]` properly issued `path[index - 1]`.
fn check_issued(path: &[Certificate], index: usize, policy: ChainPolicy) -> Result<(), ChainError> {
    let child = &path[index - 1];
    let issuer = &path[index];
    let names_match = match (
        child.tbs_certificate().issuer().to_der(),
        issuer.tbs_certificate().subject().to_der(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !names_match {
        return Err(ChainError::IssuerMismatch { index: index - 1 });
    }
    let constraints =
        basic_constraints(issuer).map_err(|detail| ChainError::Malformed { index, detail })?;
    let Some(constraints) = constraints.filter(|bc| bc.ca) else {
        return Err(ChainError::NotCa { index });
    };
    // The intermediates between the leaf and this issuer.
    let below = index - 1;
    if constraints
        .path_len_constraint
        .is_some_and(|max| below > usize::from(max))
    {
        return Err(ChainError::PathLength { index });
    }
    if let Some(ekus) = extended_key_usage(issuer, index)? {
        if ekus.contains(&ct_types::PRECERT_SIGNING_EKU_OID) {
            return Err(ChainError::PrecertSigningCertificate);
        }
        if policy.require_code_signing
            && !ekus.contains(&ID_KP_CODE_SIGNING)
            && !ekus.contains(&ANY_EXTENDED_KEY_USAGE)
        {
            return Err(ChainError::IssuerKeyUsage { index });
        }
    }
    pki::verify_issued_by(child, issuer).map_err(|e| ChainError::BadSignature {
        index: index - 1,
        detail: e.to_string(),
    })
}

fn basic_constraints(cert: &Certificate) -> Result<Option<BasicConstraints>, String> {
    cert.tbs_certificate()
        .get_extension::<BasicConstraints>()
        .map(|found| found.map(|(_, bc)| bc))
        .map_err(|e| format!("basicConstraints: {e}"))
}

fn extended_key_usage(
    cert: &Certificate,
    index: usize,
) -> Result<Option<Vec<const_oid::ObjectIdentifier>>, ChainError> {
    cert.tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .map(|found| found.map(|(_, eku)| eku.0))
        .map_err(|e| ChainError::Malformed {
            index,
            detail: format!("extendedKeyUsage: {e}"),
        })
}
