//! CA and TSA certificates: a self-signed root, intermediates, and the RFC 3161 timestamping
//! leaf (profiles: Fulcio `docs/certificate-specification.md`, timestamp-authority
//! `pkg/x509/x509.go`).

use const_oid::ObjectIdentifier;
use der::Decode;
use keys::{PublicKey, Signer};
use x509_cert::Certificate;

use crate::cert::{
    CertBuildError, DistinguishedName, IssuerCert, Serial, SignatureAlgorithm, TbsParts,
    ValidityPeriod, key_identifier, sign_certificate,
};
use crate::der_write::{self, OCTET_STRING};
use crate::oid;

/// keyUsage `keyCertSign | cRLSign` (bits 5 and 6): BIT STRING, 1 unused bit, `0000 0110`.
const KU_CERT_SIGN_CRL_SIGN: &[u8] = &[0x03, 0x02, 0x01, 0x06];
/// keyUsage `digitalSignature` (bit 0): BIT STRING, 7 unused bits, `1000 0000`.
pub(crate) const KU_DIGITAL_SIGNATURE: &[u8] = &[0x03, 0x02, 0x07, 0x80];

/// The keyUsage extension (always critical here).
pub(crate) fn key_usage(bits: &[u8]) -> Vec<u8> {
    der_write::extension(&oid::KEY_USAGE, true, bits)
}

/// The extKeyUsage extension listing `purposes`.
pub(crate) fn extended_key_usage(
    purposes: &[ObjectIdentifier],
    critical: bool,
) -> Result<Vec<u8>, CertBuildError> {
    for (i, purpose) in purposes.iter().enumerate() {
        if purposes[..i].contains(purpose) {
            return Err(CertBuildError::DuplicateExtendedKeyUsage(*purpose));
        }
    }
    let oids: Vec<Vec<u8>> = purposes.iter().map(der_write::oid).collect();
    let refs: Vec<&[u8]> = oids.iter().map(Vec::as_slice).collect();
    Ok(der_write::extension(
        &oid::EXT_KEY_USAGE,
        critical,
        &der_write::sequence(&refs),
    ))
}

/// The basicConstraints extension for a CA (critical), with an optional path length.
fn ca_basic_constraints(path_len: Option<u8>) -> Vec<u8> {
    let ca_true: &[u8] = &[der_write::BOOLEAN, 0x01, 0xff];
    let value = match path_len {
        Some(len) => der_write::sequence(&[ca_true, &[der_write::INTEGER, 0x01, len]]),
        None => der_write::sequence(&[ca_true]),
    };
    der_write::extension(&oid::BASIC_CONSTRAINTS, true, &value)
}

/// The subjectKeyIdentifier extension for `key` (RFC 7093 method 1).
pub(crate) fn subject_key_identifier(key: &PublicKey) -> Vec<u8> {
    der_write::extension(
        &oid::SUBJECT_KEY_IDENTIFIER,
        false,
        &der_write::tlv(OCTET_STRING, &key_identifier(key)),
    )
}

/// The authorityKeyIdentifier extension (`keyIdentifier` only), if the issuer has an SKI.
pub(crate) fn authority_key_identifier(issuer: &IssuerCert) -> Option<Vec<u8>> {
    issuer.subject_key_identifier().map(|ski| {
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, ... }
        let value = der_write::sequence(&[&der_write::tlv(0x80, ski)]);
        der_write::extension(&oid::AUTHORITY_KEY_IDENTIFIER, false, &value)
    })
}

/// Build a self-signed root CA certificate for `signer`'s key.
///
/// Profile (Fulcio's certificate specification, "Root Certificate"): issuer = subject =
/// `subject`; extensions in this order: keyUsage `keyCertSign, cRLSign` (critical),
/// basicConstraints `CA:TRUE, pathlen:1` (critical; one intermediate may follow), subject key
/// identifier (RFC 7093 method 1). No extended key usage, no AKI. Random 159-bit serial.
pub fn generate_root(
    signer: &dyn Signer,
    subject: &DistinguishedName,
    validity: ValidityPeriod,
) -> Result<Certificate, CertBuildError> {
    let algorithm = SignatureAlgorithm::for_key(signer.public_key())?;
    let name = subject.to_der()?;
    let extensions = [
        key_usage(KU_CERT_SIGN_CRL_SIGN),
        ca_basic_constraints(Some(1)),
        subject_key_identifier(signer.public_key()),
    ];
    let tbs = TbsParts {
        serial: &Serial::random()?,
        signature_algorithm: &algorithm,
        issuer: &name,
        validity: &validity.to_der()?,
        subject: &name,
        spki: signer.public_key().spki_der(),
        extensions: &extensions.each_ref().map(Vec::as_slice),
    }
    .encode();
    let der = sign_certificate(&tbs, &algorithm, signer)?;
    Ok(Certificate::from_der(&der)?)
}

/// Build an intermediate CA certificate for `child_public_key`, signed by `parent_signer`
/// whose certificate is `parent_cert`.
///
/// Profile (Fulcio's certificate specification, "Intermediate Certificate"): keyUsage
/// `keyCertSign, cRLSign` (critical), extKeyUsage `ekus` (non-critical; omitted when empty —
/// Fulcio's intermediate needs `id-kp-codeSigning`, a TSA intermediate `id-kp-timeStamping`,
/// as timestamp-authority's own chain has), basicConstraints `CA:TRUE, pathlen:0` (critical),
/// SKI, AKI = the parent's SKI. The validity may not outlive the parent's.
pub fn generate_intermediate(
    parent_signer: &dyn Signer,
    parent_cert: &Certificate,
    child_public_key: &PublicKey,
    subject: &DistinguishedName,
    validity: ValidityPeriod,
    ekus: &[ObjectIdentifier],
) -> Result<Certificate, CertBuildError> {
    let parent = IssuerCert::from_certificate(parent_cert)?;
    let mut extensions = vec![key_usage(KU_CERT_SIGN_CRL_SIGN)];
    if !ekus.is_empty() {
        extensions.push(extended_key_usage(ekus, false)?);
    }
    extensions.push(ca_basic_constraints(Some(0)));
    extensions.push(subject_key_identifier(child_public_key));
    extensions.extend(authority_key_identifier(&parent));
    issue_under(
        parent_signer,
        &parent,
        child_public_key,
        subject,
        validity,
        &extensions,
    )
}

/// Build the TSA's RFC 3161 signing certificate for `public_key`, signed by `issuer_signer`
/// whose certificate is `issuer_cert`.
///
/// Profile (RFC 3161 §2.3, timestamp-authority `VerifyCertChain`): keyUsage
/// `digitalSignature` (critical), extKeyUsage exactly `id-kp-timeStamping` (**critical**),
/// SKI, AKI = the issuer's SKI; no basicConstraints (an end entity). The validity may not
/// outlive the issuer's.
pub fn issue_timestamping_leaf(
    issuer_signer: &dyn Signer,
    issuer_cert: &Certificate,
    public_key: &PublicKey,
    subject: &DistinguishedName,
    validity: ValidityPeriod,
) -> Result<Certificate, CertBuildError> {
    let issuer = IssuerCert::from_certificate(issuer_cert)?;
    let mut extensions = vec![
        key_usage(KU_DIGITAL_SIGNATURE),
        extended_key_usage(&[oid::KP_TIME_STAMPING], true)?,
        subject_key_identifier(public_key),
    ];
    extensions.extend(authority_key_identifier(&issuer));
    issue_under(
        issuer_signer,
        &issuer,
        public_key,
        subject,
        validity,
        &extensions,
    )
}

/// Sign a certificate for `public_key` named `subject` under `issuer`.
fn issue_under(
    signer: &dyn Signer,
    issuer: &IssuerCert,
    public_key: &PublicKey,
    subject: &DistinguishedName,
    validity: ValidityPeriod,
    extensions: &[Vec<u8>],
) -> Result<Certificate, CertBuildError> {
    issuer.check_is_ca()?;
    issuer.check_signer(signer)?;
    issuer.check_validity_within(validity)?;
    let refs: Vec<&[u8]> = extensions.iter().map(Vec::as_slice).collect();
    let tbs = TbsParts {
        serial: &Serial::random()?,
        signature_algorithm: issuer.signature_algorithm(),
        issuer: issuer.subject_der(),
        validity: &validity.to_der()?,
        subject: &subject.to_der()?,
        spki: public_key.spki_der(),
        extensions: &refs,
    }
    .encode();
    let der = sign_certificate(&tbs, issuer.signature_algorithm(), signer)?;
    Ok(Certificate::from_der(&der)?)
}
