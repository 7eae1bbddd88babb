//! Removing one extension from a certificate's TBS, as RFC 6962 verifiers do: the TBS of a
//! precertificate without its poison, or of a final certificate without its SCT list, is what
//! the log signed.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_cert::ext::Extension;

use crate::der_write::{self, CONTEXT_3_CONSTRUCTED};

/// Why a TBS could not be cut.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TbsEditError {
    /// The input is not a DER certificate.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// The certificate has no extension with this OID.
    #[error("the certificate has no extension {0}")]
    ExtensionNotFound(ObjectIdentifier),
    /// The certificate has the extension more than once (RFC 5280 §4.2 forbids it).
    #[error("the certificate has extension {0} more than once")]
    DuplicateExtension(ObjectIdentifier),
}

fn malformed(err: der::Error) -> TbsEditError {
    TbsEditError::Malformed(err.to_string())
}

/// Split `input` into its DER elements, each returned as its exact bytes (tag, length and
/// value), without re-encoding anything.
fn elements(input: &[u8]) -> Result<Vec<(Tag, &[u8])>, TbsEditError> {
    let mut reader = SliceReader::new(input).map_err(malformed)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let start = usize::try_from(reader.position()).map_err(malformed)?;
        let element = AnyRef::decode(&mut reader).map_err(malformed)?;
        let end = usize::try_from(reader.position()).map_err(malformed)?;
        let raw = input
            .get(start..end)
            .ok_or_else(|| TbsEditError::Malformed("element out of bounds".into()))?;
        out.push((element.tag(), raw));
    }
    Ok(out)
}

/// The value bytes of the single element `input`, which must carry `tag`.
fn single_value(input: &[u8], tag: Tag) -> Result<&[u8], TbsEditError> {
    let element = AnyRef::from_der(input).map_err(malformed)?;
    if element.tag() != tag {
        return Err(TbsEditError::Malformed(format!(
            "expected {tag}, found {}",
            element.tag()
        )));
    }
    Ok(element.value())
}

/// The DER `TBSCertificate` of `cert_der` with the extension `oid` removed; every other byte
/// is kept as it was (extension order included). If no extension is left, the `[3]`
/// extensions field is dropped too (it may not be empty).
///
/// `cryptography`'s `tbs_precertificate_bytes` and certificate-transparency-go's
/// `BuildPrecertTBS` compute the same bytes for the SCT list and the poison.
pub fn tbs_without_extension(
    cert_der: &[u8],
    oid: &ObjectIdentifier,
) -> Result<Vec<u8>, TbsEditError> {
    let certificate = elements(single_value(cert_der, Tag::Sequence)?)?;
    let [
        (Tag::Sequence, tbs),
        (Tag::Sequence, _algorithm),
        (Tag::BitString, _signature),
    ] = certificate.as_slice()
    else {
        return Err(TbsEditError::Malformed(
            "expected SEQUENCE { tbsCertificate, signatureAlgorithm, signature }".into(),
        ));
    };
    let extensions_tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber(3),
    };
    let mut fields: Vec<Vec<u8>> = Vec::new();
    let mut found = 0usize;
    for (tag, raw) in elements(single_value(tbs, Tag::Sequence)?)? {
        if tag != extensions_tag {
            fields.push(raw.to_vec());
            continue;
        }
        let mut kept: Vec<&[u8]> = Vec::new();
        let list = single_value(single_value(raw, extensions_tag)?, Tag::Sequence)?;
        for (ext_tag, ext_raw) in elements(list)? {
            if ext_tag != Tag::Sequence {
                return Err(TbsEditError::Malformed(
                    "extension is not a SEQUENCE".into(),
                ));
            }
            let extension = Extension::from_der(ext_raw).map_err(malformed)?;
            if extension.extn_id == *oid {
                found += 1;
            } else {
                kept.push(ext_raw);
            }
        }
        if !kept.is_empty() {
            fields.push(der_write::tlv(
                CONTEXT_3_CONSTRUCTED,
                &der_write::sequence(&kept),
            ));
        }
    }
    match found {
        0 => Err(TbsEditError::ExtensionNotFound(*oid)),
        1 => {
            let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
            Ok(der_write::sequence(&refs))
        }
        _ => Err(TbsEditError::DuplicateExtension(*oid)),
    }
}
