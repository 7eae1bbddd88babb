//! What every certificate this crate issues shares: serial numbers, names, validity, the
//! issuer's view, the TBS layout and the signing step.

use std::fmt;

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use keys::{KeyKind, PublicKey, SignError, Signer};
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};

use crate::der_write::{
    self, BIT_STRING, CONTEXT_0_CONSTRUCTED, CONTEXT_3_CONSTRUCTED, SET, UTF8_STRING,
};
use crate::oid;
use crate::verify::verify_x509_signature;

/// Why a certificate could not be built or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertBuildError {
    /// A time before 1970 or after 9999 (RFC 5280 `Time` cannot hold it here).
    #[error("time {0} (Unix seconds) is outside 1970..=9999")]
    TimeOutOfRange(i64),
    /// `notAfter` is before `notBefore`.
    #[error("validity ends ({not_after}) before it starts ({not_before})")]
    InvertedValidity {
        /// Start, Unix seconds.
        not_before: i64,
        /// End, Unix seconds.
        not_after: i64,
    },
    /// The certificate would outlive its issuer (Fulcio's certificate specification forbids it,
    /// and verifiers would reject the chain after the issuer expires).
    #[error("validity ends at {not_after}, after the issuer's ({issuer_not_after})")]
    OutlivesIssuer {
        /// End of the requested validity, Unix seconds.
        not_after: i64,
        /// End of the issuer's validity, Unix seconds.
        issuer_not_after: i64,
    },
    /// A subject common name that is empty.
    #[error("subject common name is empty")]
    EmptyCommonName,
    /// A subject attribute longer than RFC 5280's upper bound (64 characters).
    #[error("subject {attribute} is {len} characters long (RFC 5280 allows at most 64)")]
    NameTooLong {
        /// `commonName` or `organizationName`.
        attribute: &'static str,
        /// Its length in characters.
        len: usize,
    },
    /// A serial number that is zero or longer than 20 octets once DER-encoded.
    #[error("serial number must be positive and at most 20 octets")]
    InvalidSerial,
    /// The signer's public key is not the key certified by the issuer certificate.
    #[error("the signer's key is not the issuer certificate's key")]
    IssuerKeyMismatch,
    /// The issuer certificate is not a CA (basicConstraints cA is not TRUE).
    #[error("the issuer certificate is not a CA")]
    IssuerNotCa,
    /// The issuer certificate could not be read.
    #[error("issuer certificate: {0}")]
    IssuerCertificate(String),
    /// The issuing key is of a kind this crate cannot name a signature algorithm for.
    #[error("issuing key of kind {0:?} is not supported")]
    UnsupportedIssuerKey(KeyKind),
    /// An extended key usage listed twice.
    #[error("extended key usage {0} listed twice")]
    DuplicateExtendedKeyUsage(ObjectIdentifier),
    /// A subject alternative name that cannot be encoded as its type requires.
    #[error("subject alternative name: {0}")]
    InvalidSubjectAltName(&'static str),
    /// A Sigstore extension arc that is not an extension (0, or 7, which is the `otherName`
    /// SAN type).
    #[error("1.3.6.1.4.1.57264.1.{0} is not a certificate extension")]
    InvalidExtensionArc(u32),
    /// A Sigstore extension given twice.
    #[error("extension 1.3.6.1.4.1.57264.1.{0} given twice")]
    DuplicateExtension(u32),
    /// A Sigstore extension value longer than [`MAX_EXTENSION_VALUE_LEN`](crate::MAX_EXTENSION_VALUE_LEN).
    #[error("extension 1.3.6.1.4.1.57264.1.{arc} value is {len} bytes (at most {max})")]
    ExtensionValueTooLong {
        /// The extension's last arc.
        arc: u32,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The SCT list is not a well-formed TLS `SignedCertificateTimestampList`.
    #[error("SCT list: {0}")]
    MalformedSctList(&'static str),
    /// The random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// The signer failed.
    #[error("signing failed: {0}")]
    Signing(#[from] SignError),
    /// The signer returned a signature that does not verify under its own public key.
    #[error("the signer's signature does not verify under its public key")]
    SignatureDidNotVerify,
    /// DER encoding or decoding failed.
    #[error("DER: {0}")]
    Der(#[from] der::Error),
}

/// A certificate serial number: a positive INTEGER of at most 20 octets (RFC 5280 §4.1.2.2).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Serial {
    /// Minimal big-endian magnitude, never empty, never zero.
    magnitude: Vec<u8>,
}

impl Serial {
    /// A fresh random serial: 160 random bits with the top bit cleared, so the INTEGER is
    /// positive and fits in 20 octets (159 bits of entropy; Fulcio's specification asks for
    /// a unique positive 160-bit serial).
    pub fn random() -> Result<Self, CertBuildError> {
        loop {
            let mut bytes = [0u8; 20];
            aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CertBuildError::Random)?;
            bytes[0] &= 0x7f;
            if let Ok(serial) = Self::from_be_bytes(&bytes) {
                return Ok(serial);
            }
        }
    }

    /// A serial from its big-endian magnitude (leading zero bytes ignored). Zero, and values
    /// whose DER INTEGER would exceed 20 octets, are [`CertBuildError::InvalidSerial`].
    pub fn from_be_bytes(bytes: &[u8]) -> Result<Self, CertBuildError> {
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let magnitude = &bytes[skip..];
        let encoded_len = match magnitude.first() {
            None => return Err(CertBuildError::InvalidSerial),
            Some(first) if first & 0x80 != 0 => magnitude.len() + 1,
            Some(_) => magnitude.len(),
        };
        if encoded_len > 20 {
            return Err(CertBuildError::InvalidSerial);
        }
        Ok(Serial {
            magnitude: magnitude.to_vec(),
        })
    }

    /// The minimal big-endian magnitude.
    pub fn as_be_bytes(&self) -> &[u8] {
        &self.magnitude
    }

    /// The DER INTEGER.
    pub(crate) fn to_der(&self) -> Vec<u8> {
        der_write::unsigned_integer(&self.magnitude)
    }
}

impl fmt::Display for Serial {
    /// Lower-case hex of the magnitude.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.magnitude {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({self})")
    }
}

/// A CA or TSA subject: `O=<organization>, CN=<common name>` (Fulcio's specification asks
/// for both in root and intermediate certificates). Encoded as Go's `pkix.Name` does, the
/// organization first, each value a `UTF8String`; an empty organization is left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName {
    /// `commonName` (2.5.4.3), 1 to 64 characters.
    pub common_name: String,
    /// `organizationName` (2.5.4.10), at most 64 characters; empty to omit.
    pub organization: String,
}

/// RFC 5280 `ub-common-name` and `ub-organization-name`.
const NAME_UPPER_BOUND: usize = 64;

impl DistinguishedName {
    /// A name from its common name and organization.
    pub fn new(common_name: impl Into<String>, organization: impl Into<String>) -> Self {
        DistinguishedName {
            common_name: common_name.into(),
            organization: organization.into(),
        }
    }

    /// The DER `Name`.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>, CertBuildError> {
        if self.common_name.is_empty() {
            return Err(CertBuildError::EmptyCommonName);
        }
        let mut rdns = Vec::new();
        for (attribute, oid, value) in [
            (
                "organizationName",
                &oid::AT_ORGANIZATION,
                &self.organization,
            ),
            ("commonName", &oid::AT_COMMON_NAME, &self.common_name),
        ] {
            if value.is_empty() {
                continue;
            }
            let len = value.chars().count();
            if len > NAME_UPPER_BOUND {
                return Err(CertBuildError::NameTooLong { attribute, len });
            }
            let pair = der_write::sequence(&[
                &der_write::oid(oid),
                &der_write::tlv(UTF8_STRING, value.as_bytes()),
            ]);
            rdns.extend(der_write::tlv(SET, &pair));
        }
        Ok(der_write::tlv(der_write::SEQUENCE, &rdns))
    }
}

/// A validity period in Unix seconds (both ends inclusive, RFC 5280 §4.1.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidityPeriod {
    /// `notBefore`.
    pub not_before_unix: i64,
    /// `notAfter`.
    pub not_after_unix: i64,
}

impl ValidityPeriod {
    /// `duration_secs` seconds from `not_before_unix`.
    pub fn starting_at(not_before_unix: i64, duration_secs: u64) -> Self {
        let duration = i64::try_from(duration_secs).unwrap_or(i64::MAX);
        ValidityPeriod {
            not_before_unix,
            not_after_unix: not_before_unix.saturating_add(duration),
        }
    }

    /// The DER `Validity`, after checking the order and range.
    pub(crate) fn to_der(self) -> Result<Vec<u8>, CertBuildError> {
        if self.not_after_unix < self.not_before_unix {
            return Err(CertBuildError::InvertedValidity {
                not_before: self.not_before_unix,
                not_after: self.not_after_unix,
            });
        }
        let not_before = der_write::time(self.not_before_unix)
            .ok_or(CertBuildError::TimeOutOfRange(self.not_before_unix))?;
        let not_after = der_write::time(self.not_after_unix)
            .ok_or(CertBuildError::TimeOutOfRange(self.not_after_unix))?;
        Ok(der_write::sequence(&[&not_before, &not_after]))
    }
}

/// An issuing certificate prepared for issuing: its subject (the children's issuer), its
/// subject key identifier (the children's AKI), its key, and the signature algorithm its key
/// signs with.
#[derive(Clone, Debug)]
pub struct IssuerCert {
    certificate: Certificate,
    der: Vec<u8>,
    subject: Vec<u8>,
    subject_key_identifier: Option<Vec<u8>>,
    public_key: PublicKey,
    signature_algorithm: SignatureAlgorithm,
    not_after_unix: i64,
    is_ca: bool,
}

/// The X.509 signature algorithm a key's default scheme corresponds to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignatureAlgorithm {
    pub(crate) oid: ObjectIdentifier,
    /// The DER `AlgorithmIdentifier`.
    pub(crate) der: Vec<u8>,
}

impl SignatureAlgorithm {
    /// The algorithm `keys::Signer::sign` produces for `key`: ECDSA P-256 → ecdsa-with-SHA256,
    /// P-384 → ecdsa-with-SHA384, Ed25519 → id-Ed25519, RSA → sha256WithRSAEncryption.
    pub(crate) fn for_key(key: &PublicKey) -> Result<Self, CertBuildError> {
        let (oid, null) = match key.kind() {
            KeyKind::EcdsaP256 => (oid::ECDSA_WITH_SHA256, false),
            KeyKind::EcdsaP384 => (oid::ECDSA_WITH_SHA384, false),
            KeyKind::Ed25519 => (oid::ED25519, false),
            KeyKind::Rsa { .. } => (oid::SHA256_WITH_RSA, true),
            other => return Err(CertBuildError::UnsupportedIssuerKey(other)),
        };
        Ok(SignatureAlgorithm {
            oid,
            der: der_write::algorithm_identifier(&oid, null),
        })
    }
}

impl IssuerCert {
    /// Read an issuing certificate from DER.
    pub fn from_der(der: &[u8]) -> Result<Self, CertBuildError> {
        let certificate = Certificate::from_der(der)
            .map_err(|e| CertBuildError::IssuerCertificate(e.to_string()))?;
        Self::from_certificate(&certificate)
    }

    /// Prepare `certificate` for issuing.
    pub fn from_certificate(certificate: &Certificate) -> Result<Self, CertBuildError> {
        let issuer_error = |e: &dyn fmt::Display| CertBuildError::IssuerCertificate(e.to_string());
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info().to_der()?;
        let public_key = PublicKey::from_spki_der(&spki).map_err(|e| issuer_error(&e))?;
        let subject_key_identifier = tbs
            .get_extension::<SubjectKeyIdentifier>()
            .map_err(|e| issuer_error(&e))?
            .map(|(_, ski)| ski.0.as_bytes().to_vec());
        let is_ca = tbs
            .get_extension::<BasicConstraints>()
            .map_err(|e| issuer_error(&e))?
            .is_some_and(|(_, bc)| bc.ca);
        let not_after_unix = unix_seconds(&tbs.validity().not_after);
        Ok(IssuerCert {
            certificate: certificate.clone(),
            der: certificate.to_der()?,
            subject: tbs.subject().to_der()?,
            subject_key_identifier,
            signature_algorithm: SignatureAlgorithm::for_key(&public_key)?,
            public_key,
            not_after_unix,
            is_ca,
        })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate's DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    /// The certified public key (the key that must sign the children).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The subject key identifier, which becomes the children's authority key identifier
    /// (`None` when the certificate has none; the children then carry no AKI, as Go's
    /// `x509.CreateCertificate` does).
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        self.subject_key_identifier.as_deref()
    }

    /// The DER subject name.
    pub(crate) fn subject_der(&self) -> &[u8] {
        &self.subject
    }

    pub(crate) fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.signature_algorithm
    }

    /// Check that `validity` ends no later than this certificate.
    pub(crate) fn check_validity_within(
        &self,
        validity: ValidityPeriod,
    ) -> Result<(), CertBuildError> {
        if validity.not_after_unix > self.not_after_unix {
            return Err(CertBuildError::OutlivesIssuer {
                not_after: validity.not_after_unix,
                issuer_not_after: self.not_after_unix,
            });
        }
        Ok(())
    }

    /// Check that this certificate may issue certificates.
    pub(crate) fn check_is_ca(&self) -> Result<(), CertBuildError> {
        if self.is_ca {
            Ok(())
        } else {
            Err(CertBuildError::IssuerNotCa)
        }
    }

    /// Check that `signer` holds this certificate's key.
    pub(crate) fn check_signer(&self, signer: &dyn Signer) -> Result<(), CertBuildError> {
        if signer.public_key() == &self.public_key {
            Ok(())
        } else {
            Err(CertBuildError::IssuerKeyMismatch)
        }
    }
}

/// Seconds since the Unix epoch of an X.509 time.
pub(crate) fn unix_seconds(time: &x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// The RFC 7093 §2 method 1 key identifier: the leftmost 160 bits of the SHA-256 of the
/// `subjectPublicKey` BIT STRING's value (without tag, length and unused-bits octet).
pub fn key_identifier(key: &PublicKey) -> Vec<u8> {
    // `PublicKey::spki_der` is always a canonical SPKI that this parser accepts; fall back to
    // hashing the whole SPKI rather than panic should that ever change.
    let bits = SubjectPublicKeyInfoRef::from_der(key.spki_der())
        .ok()
        .and_then(|spki| spki.subject_public_key.as_bytes().map(<[u8]>::to_vec))
        .unwrap_or_else(|| key.spki_der().to_vec());
    Sha256::digest(&bits)[..20].to_vec()
}

/// The fields of a `TBSCertificate` (v3), already encoded.
pub(crate) struct TbsParts<'a> {
    pub(crate) serial: &'a Serial,
    pub(crate) signature_algorithm: &'a SignatureAlgorithm,
    pub(crate) issuer: &'a [u8],
    pub(crate) validity: &'a [u8],
    pub(crate) subject: &'a [u8],
    pub(crate) spki: &'a [u8],
    pub(crate) extensions: &'a [&'a [u8]],
}

impl TbsParts<'_> {
    /// The DER `TBSCertificate`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let version = der_write::tlv(CONTEXT_0_CONSTRUCTED, &[0x02, 0x01, 0x02]);
        let serial = self.serial.to_der();
        let extensions =
            der_write::tlv(CONTEXT_3_CONSTRUCTED, &der_write::sequence(self.extensions));
        der_write::sequence(&[
            &version,
            &serial,
            &self.signature_algorithm.der,
            self.issuer,
            self.validity,
            self.subject,
            self.spki,
            &extensions,
        ])
    }
}

/// Sign `tbs` with `signer` and assemble the certificate DER. The signature is checked under
/// the signer's public key before it is returned, so a faulty signer (an HSM returning the
/// wrong key's signature) cannot produce a certificate that no one can verify.
pub(crate) fn sign_certificate(
    tbs: &[u8],
    algorithm: &SignatureAlgorithm,
    signer: &dyn Signer,
) -> Result<Vec<u8>, CertBuildError> {
    let signature = signer.sign(tbs)?;
    verify_x509_signature(signer.public_key(), algorithm.oid, tbs, &signature)
        .map_err(|_| CertBuildError::SignatureDidNotVerify)?;
    let mut bits = Vec::with_capacity(signature.len() + 1);
    bits.push(0);
    bits.extend_from_slice(&signature);
    Ok(der_write::sequence(&[
        tbs,
        &algorithm.der,
        &der_write::tlv(BIT_STRING, &bits),
    ]))
}
