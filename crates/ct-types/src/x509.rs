//! The X.509 side of CT: the poison and SCT-list extensions, and the precertificate TBS that
//! SCTs sign (the TBS with one extension removed, every other byte as it was).

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use pki::TbsEditError;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::leaf::SignedEntry;
use crate::sct::{SignedCertificateTimestamp, sct_list_from_extension_value};

/// The precertificate poison extension (RFC 6962 §3.1), critical, value DER NULL.
pub const CT_POISON_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// The embedded SCT-list extension (RFC 6962 §3.3).
pub const SCT_LIST_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// The extended key usage of a precertificate signing certificate (RFC 6962 §3.1).
pub const PRECERT_SIGNING_EKU_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.4");
/// The poison extension's only valid value: DER NULL.
pub const CT_POISON_VALUE: [u8; 2] = [0x05, 0x00];

/// Why a certificate could not be turned into what CT needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// The bytes are not a DER certificate.
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(String),
    /// The extension to remove is not in the certificate.
    #[error("the certificate has no extension {0}")]
    ExtensionMissing(ObjectIdentifier),
    /// The extension appears more than once (RFC 5280 §4.2 forbids it).
    #[error("the certificate has extension {0} more than once")]
    DuplicateExtension(ObjectIdentifier),
    /// The poison extension is present but not critical or not DER NULL.
    #[error("the CT poison extension must be critical with value DER NULL")]
    MalformedPoison,
    /// The embedded SCT list could not be decoded.
    #[error("embedded SCT list: {0}")]
    SctList(#[from] crate::DecodeError),
}

/// Whether `cert` is a precertificate: `Ok(true)` if it carries a well-formed poison extension,
/// `Ok(false)` if it has none, an error if the poison is malformed (not critical, wrong value,
/// repeated).
pub fn is_precertificate(cert: &Certificate) -> Result<bool, X509Error> {
    let mut found = false;
    for ext in cert
        .tbs_certificate()
        .extensions()
        .map_or(&[][..], Vec::as_slice)
    {
        if ext.extn_id != CT_POISON_OID {
            continue;
        }
        if found {
            return Err(X509Error::DuplicateExtension(CT_POISON_OID));
        }
        if !ext.critical || ext.extn_value.as_bytes() != CT_POISON_VALUE {
            return Err(X509Error::MalformedPoison);
        }
        found = true;
    }
    Ok(found)
}

/// The DER `TBSCertificate` of `cert_der` with the extension `oid` removed; every other byte is
/// copied as it was, so the result equals what the issuer's TBS would be without that
/// extension. If no other extension remains, the `extensions` field is omitted (as Go's
/// `x509` and certificate-transparency-go do).
///
/// The certificate is parsed strictly first; the extension must appear exactly once. The cut
/// itself is `pki::tbs_without_extension`.
pub fn tbs_without_extension(
    cert_der: &[u8],
    oid: &ObjectIdentifier,
) -> Result<Vec<u8>, X509Error> {
    Certificate::from_der(cert_der).map_err(|e| X509Error::Malformed(e.to_string()))?;
    pki::tbs_without_extension(cert_der, oid).map_err(|e| match e {
        TbsEditError::ExtensionNotFound(oid) => X509Error::ExtensionMissing(oid),
        TbsEditError::DuplicateExtension(oid) => X509Error::DuplicateExtension(oid),
        other => X509Error::Malformed(other.to_string()),
    })
}

/// SHA-256 of a DER SubjectPublicKeyInfo: a precert entry's `issuer_key_hash`.
pub fn issuer_key_hash(issuer_spki_der: &[u8]) -> [u8; 32] {
    Sha256::digest(issuer_spki_der).into()
}

/// The precert entry a log signs for a submitted precertificate: the TBS without the poison
/// extension, and the hash of the issuer's SPKI. The issuer must be the CA that signed the
/// precertificate (precertificate signing certificates are not supported).
pub fn precert_entry_from_precert(
    precert_der: &[u8],
    issuer_spki_der: &[u8],
) -> Result<SignedEntry, X509Error> {
    Ok(SignedEntry::Precert {
        issuer_key_hash: issuer_key_hash(issuer_spki_der),
        tbs_certificate: tbs_without_extension(precert_der, &CT_POISON_OID)?,
    })
}

/// The precert entry an embedded SCT in a final certificate was issued for: the final
/// certificate's TBS without the SCT-list extension (RFC 6962 §3.2, byte-equal to the
/// precertificate's TBS without the poison), and the hash of the issuer's SPKI.
pub fn precert_entry_from_final_cert(
    cert_der: &[u8],
    issuer_spki_der: &[u8],
) -> Result<SignedEntry, X509Error> {
    Ok(SignedEntry::Precert {
        issuer_key_hash: issuer_key_hash(issuer_spki_der),
        tbs_certificate: tbs_without_extension(cert_der, &SCT_LIST_OID)?,
    })
}

/// The SCTs embedded in a final certificate (empty if it has no SCT-list extension).
pub fn embedded_scts(cert_der: &[u8]) -> Result<Vec<SignedCertificateTimestamp>, X509Error> {
    let cert = Certificate::from_der(cert_der).map_err(|e| X509Error::Malformed(e.to_string()))?;
    let mut lists = cert
        .tbs_certificate()
        .extensions()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|ext| ext.extn_id == SCT_LIST_OID);
    let Some(extension) = lists.next() else {
        return Ok(Vec::new());
    };
    if lists.next().is_some() {
        return Err(X509Error::DuplicateExtension(SCT_LIST_OID));
    }
    Ok(sct_list_from_extension_value(
        extension.extn_value.as_bytes(),
    )?)
}

/// The DER SubjectPublicKeyInfo of a certificate (the input of [`issuer_key_hash`]).
pub fn spki_der(cert: &Certificate) -> Result<Vec<u8>, X509Error> {
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| X509Error::Malformed(e.to_string()))
}
