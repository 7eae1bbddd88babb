//! Fulcio's code-signing certificate and the RFC 6962 precertificate flow.
//!
//! The profile is Fulcio's (`pkg/ca/common.go MakeX509`, `pkg/certificate/extensions.go`,
//! `pkg/ca/baseca/baseca.go`, `docs/certificate-specification.md`); the extension order is
//! the one Go's `x509.CreateCertificate` writes for Fulcio's template, with the subject key
//! identifier Fulcio's specification asks for in Go's SKI position:
//!
//! 1. keyUsage `digitalSignature` (critical)
//! 2. extKeyUsage `id-kp-codeSigning`
//! 3. subjectKeyIdentifier (RFC 7093 method 1)
//! 4. authorityKeyIdentifier = the issuer's SKI (left out if the issuer has none)
//! 5. subjectAltName, exactly one name (critical, the subject being empty)
//! 6. the Sigstore extensions `1.3.6.1.4.1.57264.1.<arc>`, ascending by arc
//! 7. last: the CT poison (precertificate) or the SCT list (final certificate), or nothing
//!    (a certificate for the detached-SCT flow)

use const_oid::ObjectIdentifier;
use keys::{PublicKey, Signer};

use crate::ca::{
    KU_DIGITAL_SIGNATURE, authority_key_identifier, extended_key_usage, key_usage,
    subject_key_identifier,
};
use crate::cert::{CertBuildError, IssuerCert, Serial, TbsParts, ValidityPeriod, sign_certificate};
use crate::der_write::{
    self, CONTEXT_0_CONSTRUCTED, CONTEXT_1_PRIMITIVE, CONTEXT_6_PRIMITIVE, OCTET_STRING,
    UTF8_STRING,
};
use crate::oid;

/// Fulcio's certificate lifetime: 10 minutes.
pub const DEFAULT_LEAF_VALIDITY_SECS: u32 = 600;

/// Longest value accepted for one Sigstore extension, in bytes.
pub const MAX_EXTENSION_VALUE_LEN: usize = 16 * 1024;

/// Longest SAN value accepted, in bytes.
pub const MAX_SAN_LEN: usize = 16 * 1024;

/// The one subject alternative name of a code-signing certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectAltName {
    /// `rfc822Name` (an `IA5String`, so ASCII only): the `email` issuer type.
    Email(String),
    /// `uniformResourceIdentifier` (`IA5String`, ASCII only): SPIFFE, URI, Kubernetes and CI
    /// issuer types.
    Uri(String),
    /// `otherName { type-id 1.3.6.1.4.1.57264.1.7, value [0] EXPLICIT UTF8String }`: the
    /// `username` issuer type, whose value is `<sub>!<subject domain>`.
    Username(String),
}

impl SubjectAltName {
    /// The DER `GeneralNames` holding this one name.
    fn to_general_names(&self) -> Result<Vec<u8>, CertBuildError> {
        let name = match self {
            SubjectAltName::Email(email) => {
                check_san_value(email, true)?;
                der_write::tlv(CONTEXT_1_PRIMITIVE, email.as_bytes())
            }
            SubjectAltName::Uri(uri) => {
                check_san_value(uri, true)?;
                der_write::tlv(CONTEXT_6_PRIMITIVE, uri.as_bytes())
            }
            SubjectAltName::Username(username) => {
                check_san_value(username, false)?;
                let value = der_write::tlv(
                    CONTEXT_0_CONSTRUCTED,
                    &der_write::tlv(UTF8_STRING, username.as_bytes()),
                );
                der_write::tlv(
                    CONTEXT_0_CONSTRUCTED,
                    &[der_write::oid(&oid::SIGSTORE_OTHERNAME_SAN), value].concat(),
                )
            }
        };
        Ok(der_write::sequence(&[&name]))
    }
}

fn check_san_value(value: &str, ia5: bool) -> Result<(), CertBuildError> {
    if value.is_empty() {
        return Err(CertBuildError::InvalidSubjectAltName("empty value"));
    }
    if value.len() > MAX_SAN_LEN {
        return Err(CertBuildError::InvalidSubjectAltName("value too long"));
    }
    if ia5 && !value.is_ascii() {
        return Err(CertBuildError::InvalidSubjectAltName(
            "rfc822Name and URI must be ASCII (IA5String)",
        ));
    }
    Ok(())
}

/// One Fulcio extension `1.3.6.1.4.1.57264.1.<arc>` (table: fulcio `docs/oid-info.md`).
///
/// Arcs 1–6 (the deprecated issuer and GitHub workflow extensions) carry the raw UTF-8 bytes
/// as the `extnValue` contents, arcs 8 and up a DER `UTF8String`; arc 7 is the `otherName`
/// SAN type, not an extension. Empty values are left out of the certificate. Fulcio always
/// emits the issuer as both arc 1 and arc 8, and the token subject as arc 24; that is the
/// caller's business.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigstoreExtension {
    /// The last arc under `1.3.6.1.4.1.57264.1`.
    pub arc: u32,
    /// The value (a token claim or a rendered template).
    pub value: String,
}

impl SigstoreExtension {
    /// An extension from its arc and value.
    pub fn new(arc: u32, value: impl Into<String>) -> Self {
        SigstoreExtension {
            arc,
            value: value.into(),
        }
    }

    /// The extension's OID.
    pub fn oid(&self) -> Result<ObjectIdentifier, CertBuildError> {
        if self.arc == 0 || self.arc == 7 {
            return Err(CertBuildError::InvalidExtensionArc(self.arc));
        }
        oid::SIGSTORE_FULCIO_ARC
            .push_arc(self.arc)
            .map_err(|_| CertBuildError::InvalidExtensionArc(self.arc))
    }

    /// The DER `Extension` (non-critical).
    fn encode(&self) -> Result<Vec<u8>, CertBuildError> {
        let oid = self.oid()?;
        if self.value.len() > MAX_EXTENSION_VALUE_LEN {
            return Err(CertBuildError::ExtensionValueTooLong {
                arc: self.arc,
                len: self.value.len(),
                max: MAX_EXTENSION_VALUE_LEN,
            });
        }
        let value = if self.arc <= 6 {
            self.value.as_bytes().to_vec()
        } else {
            der_write::tlv(UTF8_STRING, self.value.as_bytes())
        };
        Ok(der_write::extension(&oid, false, &value))
    }
}

/// What a code-signing certificate is issued for.
#[derive(Clone, Debug)]
pub struct LeafRequest {
    /// The requester's key (already checked for strength and possession).
    pub public_key: PublicKey,
    /// The identity.
    pub san: SubjectAltName,
    /// Fulcio extensions, in any order (written ascending by arc; empty values left out).
    pub extensions: Vec<SigstoreExtension>,
    /// `notBefore`, Unix seconds.
    pub not_before_unix: i64,
    /// Lifetime in seconds ([`DEFAULT_LEAF_VALIDITY_SECS`] for Fulcio).
    pub validity_secs: u32,
}

/// A code-signing certificate whose TBS is fixed (serial, validity, names, key, extensions),
/// ready to be signed as a precertificate and then as the final certificate.
///
/// The precertificate and the final certificate are built from the same encoded fields, so
/// `TBS(final) − SCT list == TBS(precert) − poison` holds byte for byte
/// ([`PreparedLeaf::ct_tbs`] is that TBS).
#[derive(Clone, Debug)]
pub struct PreparedLeaf {
    serial: Serial,
    issuer: IssuerCert,
    validity: ValidityPeriod,
    validity_der: Vec<u8>,
    spki: Vec<u8>,
    /// Encoded extensions 1–6 of the module-level order.
    extensions: Vec<Vec<u8>>,
}

/// The empty subject: an empty `RDNSequence`.
const EMPTY_NAME: &[u8] = &[der_write::SEQUENCE, 0x00];

impl PreparedLeaf {
    /// Fix the certificate for `request` under `issuer`, with a random serial.
    pub fn new(request: &LeafRequest, issuer: &IssuerCert) -> Result<Self, CertBuildError> {
        Self::with_serial(request, issuer, Serial::random()?)
    }

    /// As [`PreparedLeaf::new`] with a given serial (tests and replays).
    pub fn with_serial(
        request: &LeafRequest,
        issuer: &IssuerCert,
        serial: Serial,
    ) -> Result<Self, CertBuildError> {
        issuer.check_is_ca()?;
        let validity =
            ValidityPeriod::starting_at(request.not_before_unix, u64::from(request.validity_secs));
        issuer.check_validity_within(validity)?;
        let validity_der = validity.to_der()?;

        let mut sigstore: Vec<&SigstoreExtension> = request.extensions.iter().collect();
        sigstore.sort_by_key(|extension| extension.arc);
        for pair in sigstore.windows(2) {
            if pair[0].arc == pair[1].arc {
                return Err(CertBuildError::DuplicateExtension(pair[0].arc));
            }
        }
        sigstore.retain(|extension| !extension.value.is_empty());

        let mut extensions = vec![
            key_usage(KU_DIGITAL_SIGNATURE),
            extended_key_usage(&[oid::KP_CODE_SIGNING], false)?,
            subject_key_identifier(&request.public_key),
        ];
        extensions.extend(authority_key_identifier(issuer));
        extensions.push(der_write::extension(
            &oid::SUBJECT_ALT_NAME,
            true,
            &request.san.to_general_names()?,
        ));
        for extension in &request.extensions {
            // Arcs 0 and 7 are refused even when their value is empty.
            extension.oid()?;
        }
        for extension in sigstore {
            extensions.push(extension.encode()?);
        }

        Ok(PreparedLeaf {
            serial,
            issuer: issuer.clone(),
            validity,
            validity_der,
            spki: request.public_key.spki_der().to_vec(),
            extensions,
        })
    }

    /// The serial number.
    pub fn serial(&self) -> &Serial {
        &self.serial
    }

    /// The validity period.
    pub fn validity(&self) -> ValidityPeriod {
        self.validity
    }

    /// The TBS without poison or SCT list: what an RFC 6962 log signs in a precert entry
    /// (`TBSCertificate` of the precertificate with the poison removed).
    pub fn ct_tbs(&self) -> Vec<u8> {
        self.tbs(None)
    }

    /// The precertificate (DER): the TBS plus the poison extension
    /// (`1.3.6.1.4.1.11129.2.4.3`, critical, value DER NULL) last, signed by the issuer.
    pub fn precertificate(&self, signer: &dyn Signer) -> Result<Vec<u8>, CertBuildError> {
        let poison = der_write::extension(&oid::CT_POISON, true, &[0x05, 0x00]);
        self.sign(signer, Some(&poison))
    }

    /// The final certificate (DER): the TBS plus the SCT list extension
    /// (`1.3.6.1.4.1.11129.2.4.2`, non-critical) last, whose `extnValue` contents are a DER
    /// OCTET STRING holding `sct_list_tls`, the TLS-encoded `SignedCertificateTimestampList`
    /// (RFC 6962 §3.3: `u16` list length, then `u16`-length-prefixed SCTs).
    pub fn finalize(
        &self,
        signer: &dyn Signer,
        sct_list_tls: &[u8],
    ) -> Result<Vec<u8>, CertBuildError> {
        check_sct_list(sct_list_tls)?;
        let value = der_write::tlv(OCTET_STRING, sct_list_tls);
        let sct_list = der_write::extension(&oid::CT_SCT_LIST, false, &value);
        self.sign(signer, Some(&sct_list))
    }

    /// The certificate without poison or SCTs (DER), for the detached-SCT flow (`add-chain`).
    pub fn certificate_without_scts(&self, signer: &dyn Signer) -> Result<Vec<u8>, CertBuildError> {
        self.sign(signer, None)
    }

    fn tbs(&self, last: Option<&[u8]>) -> Vec<u8> {
        let mut extensions: Vec<&[u8]> = self.extensions.iter().map(Vec::as_slice).collect();
        extensions.extend(last);
        TbsParts {
            serial: &self.serial,
            signature_algorithm: self.issuer.signature_algorithm(),
            issuer: self.issuer.subject_der(),
            validity: &self.validity_der,
            subject: EMPTY_NAME,
            spki: &self.spki,
            extensions: &extensions,
        }
        .encode()
    }

    fn sign(&self, signer: &dyn Signer, last: Option<&[u8]>) -> Result<Vec<u8>, CertBuildError> {
        self.issuer.check_signer(signer)?;
        sign_certificate(&self.tbs(last), self.issuer.signature_algorithm(), signer)
    }
}

/// Check the framing of a TLS `SignedCertificateTimestampList`: a `u16` total length equal to
/// the rest, then one or more non-empty `u16`-length-prefixed SCTs that exactly fill it.
fn check_sct_list(list: &[u8]) -> Result<(), CertBuildError> {
    let (total, mut rest) = split_u16(list).ok_or(CertBuildError::MalformedSctList("truncated"))?;
    if usize::from(total) != rest.len() {
        return Err(CertBuildError::MalformedSctList(
            "list length does not match its contents",
        ));
    }
    if rest.is_empty() {
        return Err(CertBuildError::MalformedSctList("no SCTs"));
    }
    while !rest.is_empty() {
        let (len, after) = split_u16(rest).ok_or(CertBuildError::MalformedSctList("truncated"))?;
        let len = usize::from(len);
        if len == 0 {
            return Err(CertBuildError::MalformedSctList("empty SCT"));
        }
        rest = after
            .get(len..)
            .ok_or(CertBuildError::MalformedSctList("SCT longer than the list"))?;
    }
    Ok(())
}

fn split_u16(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes(*head), rest))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sct_list_framing() {
        assert!(check_sct_list(&[0, 3, 0, 1, 0xaa]).is_ok());
        assert!(check_sct_list(&[0, 6, 0, 1, 0xaa, 0, 1, 0xbb]).is_ok());
        for bad in [
            &[][..],
            &[0],
            &[0, 0],
            &[0, 2, 0, 0],
            &[0, 4, 0, 1, 0xaa],
            &[0, 3, 0, 2, 0xaa],
            &[0, 4, 0, 1, 0xaa, 0],
        ] {
            assert!(check_sct_list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn extension_arcs() {
        assert!(SigstoreExtension::new(7, "x").oid().is_err());
        assert!(SigstoreExtension::new(0, "x").oid().is_err());
        assert_eq!(
            SigstoreExtension::new(24, "x")
                .oid()
                .unwrap_or(oid::CT_POISON)
                .to_string(),
            "1.3.6.1.4.1.57264.1.24"
        );
    }
}
