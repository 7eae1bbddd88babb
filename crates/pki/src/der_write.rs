//! The little DER this crate writes by hand: tag-length-value, SEQUENCE, extensions, times.
//!
//! Certificates are assembled from already-encoded pieces so that the bytes of every field are
//! known exactly (the precertificate invariant depends on it) and nothing is re-encoded.

use std::time::Duration;

use const_oid::ObjectIdentifier;
use der::Encode;
use der::asn1::{GeneralizedTime, UtcTime};

pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OBJECT_IDENTIFIER: u8 = 0x06;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
/// `[0]` constructed, context-specific (`version` in a `TBSCertificate`, `otherName` inside a
/// `GeneralName`, the EXPLICIT value inside an `otherName`).
pub(crate) const CONTEXT_0_CONSTRUCTED: u8 = 0xa0;
/// `[3]` constructed, context-specific (`extensions` in a `TBSCertificate`).
pub(crate) const CONTEXT_3_CONSTRUCTED: u8 = 0xa3;
/// `[1]` primitive, context-specific (`rfc822Name` in a `GeneralName`).
pub(crate) const CONTEXT_1_PRIMITIVE: u8 = 0x81;
/// `[6]` primitive, context-specific (`uniformResourceIdentifier` in a `GeneralName`).
pub(crate) const CONTEXT_6_PRIMITIVE: u8 = 0x86;

/// One DER element: `tag`, definite minimal length, `content`.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// An OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(OBJECT_IDENTIFIER, oid.as_bytes())
}

/// An `AlgorithmIdentifier` with absent parameters (ECDSA, Ed25519) or NULL (RSA).
pub(crate) fn algorithm_identifier(algorithm: &ObjectIdentifier, null_parameters: bool) -> Vec<u8> {
    if null_parameters {
        sequence(&[&oid(algorithm), &[0x05, 0x00]])
    } else {
        sequence(&[&oid(algorithm)])
    }
}

/// An `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`
/// whose `extnValue` contents are `value`. `critical` FALSE is omitted, as DER requires.
pub(crate) fn extension(id: &ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
    let id = oid(id);
    let value = tlv(OCTET_STRING, value);
    if critical {
        sequence(&[&id, &[BOOLEAN, 0x01, 0xff], &value])
    } else {
        sequence(&[&id, &value])
    }
}

/// A positive INTEGER from its big-endian magnitude (leading zeros stripped, a zero byte
/// prepended when the top bit is set).
pub(crate) fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|b| **b == 0).count();
    let magnitude = &magnitude[skip..];
    match magnitude.first() {
        None => tlv(INTEGER, &[0]),
        Some(first) if first & 0x80 != 0 => tlv(INTEGER, &[&[0u8][..], magnitude].concat()),
        Some(_) => tlv(INTEGER, magnitude),
    }
}

/// An RFC 5280 §4.1.2.5 `Time` for `unix` seconds: `UTCTime` through 2049, `GeneralizedTime`
/// from 2050. `None` before 1970 or after 9999.
pub(crate) fn time(unix: i64) -> Option<Vec<u8>> {
    let secs = u64::try_from(unix).ok()?;
    let date = der::DateTime::from_unix_duration(Duration::from_secs(secs)).ok()?;
    if date.year() < 2050 {
        UtcTime::from_date_time(date).ok()?.to_der().ok()
    } else {
        GeneralizedTime::from_date_time(date).to_der().ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(tlv(0x04, &[]), [0x04, 0x00]);
        assert_eq!(tlv(0x04, &[7; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[7; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[7; 0x100])[..4], [0x04, 0x82, 0x01, 0x00]);
        assert_eq!(
            tlv(0x04, &[7; 0x10000])[..5],
            [0x04, 0x83, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn integers_are_positive_and_minimal() {
        assert_eq!(unsigned_integer(&[0, 0, 1]), [0x02, 0x01, 0x01]);
        assert_eq!(unsigned_integer(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[]), [0x02, 0x01, 0x00]);
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        // 2049-12-31T23:59:59Z and 2050-01-01T00:00:00Z.
        assert_eq!(time(2_524_607_999).unwrap(), b"\x17\x0d491231235959Z");
        assert_eq!(time(2_524_608_000).unwrap(), b"\x18\x0f20500101000000Z");
        assert_eq!(time(0).unwrap(), b"\x17\x0d700101000000Z");
        assert!(time(-1).is_none());
        assert!(time(253_402_300_800).is_none()); // year 10000
    }
}
