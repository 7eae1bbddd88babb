//! The ASN.1 this crate reads and writes itself: SPKI (RFC 5280 §4.1.2.7), RSA `RSAPublicKey`
//! (RFC 8017 §A.1.1) and SEC1 `ECPrivateKey` (RFC 5915 §3). All decoding is strict DER and rejects
//! trailing bytes, at the top level and inside every SEQUENCE.

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Encode, Header, Length, Reader, SliceReader, Tag, TagMode, TagNumber, Tagged};
use spki::{AlgorithmIdentifier, SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};

use crate::KeyError;

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub(crate) const ID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1` (RFC 5480 §2.1.1.1).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480 §2.1.1.1).
pub(crate) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `id-Ed25519` (RFC 8410 §3).
pub(crate) const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption` (RFC 3279 §2.3.1).
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Smallest RSA modulus accepted, in bits.
pub(crate) const RSA_MIN_BITS: u32 = 2048;
/// Largest RSA modulus accepted, in bits (the backend verifies up to this size).
pub(crate) const RSA_MAX_BITS: u32 = 8192;

/// The NIST curves this crate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Option<Curve> {
        if *oid == SECP256R1 {
            Some(Curve::P256)
        } else if *oid == SECP384R1 {
            Some(Curve::P384)
        } else {
            None
        }
    }

    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            Curve::P256 => SECP256R1,
            Curve::P384 => SECP384R1,
        }
    }

    /// Bytes in a field element (and in a private scalar).
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// What an SPKI holds, checked for shape but not yet by the crypto backend.
#[derive(Debug)]
pub(crate) enum SpkiContents<'a> {
    /// An EC point in SEC1 form (compressed or uncompressed; lengths checked).
    Ec { curve: Curve, point: &'a [u8] },
    /// A raw 32-byte Ed25519 key.
    Ed25519 { key: &'a [u8; 32] },
    /// An RSA key, with its modulus size, and its `RSAPublicKey` re-encoded canonically.
    Rsa { bits: u32, pkcs1: Vec<u8> },
}

fn malformed(what: &str, err: impl std::fmt::Display) -> KeyError {
    KeyError::Malformed(format!("{what}: {err}"))
}

/// Decode a DER SPKI and check its algorithm, parameters and key shape.
pub(crate) fn parse_spki(der: &[u8]) -> Result<SpkiContents<'_>, KeyError> {
    let spki =
        SubjectPublicKeyInfoRef::from_der(der).map_err(|e| malformed("SubjectPublicKeyInfo", e))?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| KeyError::Malformed("subjectPublicKey BIT STRING has unused bits".into()))?;
    let oid = spki.algorithm.oid;
    let params = spki.algorithm.parameters;

    if oid == ID_EC_PUBLIC_KEY {
        let params = params
            .ok_or_else(|| KeyError::Malformed("id-ecPublicKey without curve parameters".into()))?;
        if params.tag() != Tag::ObjectIdentifier {
            return Err(KeyError::Unsupported(
                "EC parameters other than a named curve".into(),
            ));
        }
        let curve_oid: ObjectIdentifier = params
            .decode_as()
            .map_err(|e| malformed("EC namedCurve", e))?;
        let curve = Curve::from_oid(&curve_oid)
            .ok_or_else(|| KeyError::Unsupported(format!("EC curve {curve_oid}")))?;
        check_ec_point(curve, key)?;
        Ok(SpkiContents::Ec { curve, point: key })
    } else if oid == ID_ED25519 {
        if params.is_some() {
            return Err(KeyError::Malformed(
                "id-Ed25519 parameters must be absent (RFC 8410 §3)".into(),
            ));
        }
        let key: &[u8; 32] = key.try_into().map_err(|_| {
            KeyError::Malformed(format!("Ed25519 key is {} bytes, not 32", key.len()))
        })?;
        Ok(SpkiContents::Ed25519 { key })
    } else if oid == RSA_ENCRYPTION {
        if !params.is_some_and(AnyRef::is_null) {
            return Err(KeyError::Malformed(
                "rsaEncryption parameters must be NULL (RFC 3279 §2.3.1)".into(),
            ));
        }
        let (bits, pkcs1) = parse_rsa_public_key(key)?;
        Ok(SpkiContents::Rsa { bits, pkcs1 })
    } else {
        Err(KeyError::Unsupported(format!("public key algorithm {oid}")))
    }
}

/// Check that `point` has the SEC1 shape of a compressed or uncompressed point on `curve`.
/// Whether it is on the curve is the backend's check.
pub(crate) fn check_ec_point(curve: Curve, point: &[u8]) -> Result<(), KeyError> {
    let n = curve.field_len();
    match point.first() {
        Some(0x04) if point.len() == 1 + 2 * n => Ok(()),
        Some(0x02 | 0x03) if point.len() == 1 + n => Ok(()),
        Some(0x02..=0x04) => Err(KeyError::Malformed(format!(
            "EC point of {} bytes has the wrong length for {curve:?}",
            point.len()
        ))),
        Some(0x00) => Err(KeyError::Malformed(
            "EC point at infinity is not a public key".into(),
        )),
        Some(other) => Err(KeyError::Malformed(format!(
            "EC point encoding {other:#04x} is not supported (only compressed or uncompressed)"
        ))),
        None => Err(KeyError::Malformed("empty EC point".into())),
    }
}

/// Parse a PKCS#1 `RSAPublicKey`, check the modulus size, and re-encode it canonically.
fn parse_rsa_public_key(der: &[u8]) -> Result<(u32, Vec<u8>), KeyError> {
    let (modulus, exponent) =
        decode_rsa_public_key(der).map_err(|e| malformed("RSAPublicKey", e))?;
    let bits = uint_bits(modulus.as_bytes());
    if bits < RSA_MIN_BITS {
        return Err(KeyError::RsaTooSmall { bits });
    }
    if bits > RSA_MAX_BITS {
        return Err(KeyError::Unsupported(format!(
            "RSA modulus of {bits} bits (maximum {RSA_MAX_BITS})"
        )));
    }
    if exponent.as_bytes().is_empty() {
        return Err(KeyError::Malformed("RSA public exponent is zero".into()));
    }
    let pkcs1 = encode_sequence(&[
        modulus.to_der().map_err(|e| malformed("RSAPublicKey", e))?,
        exponent
            .to_der()
            .map_err(|e| malformed("RSAPublicKey", e))?,
    ])?;
    Ok((bits, pkcs1))
}

fn decode_rsa_public_key(der: &[u8]) -> der::Result<(UintRef<'_>, UintRef<'_>)> {
    let mut reader = SliceReader::new(der)?;
    let pair =
        reader.sequence(|r| Ok::<_, der::Error>((UintRef::decode(r)?, UintRef::decode(r)?)))?;
    reader.finish()?;
    Ok(pair)
}

/// Bit length of a big-endian unsigned integer with no leading zero bytes.
fn uint_bits(bytes: &[u8]) -> u32 {
    match bytes.first() {
        None => 0,
        Some(&first) => {
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX / 8);
            (len - 1) * 8 + (8 - first.leading_zeros())
        }
    }
}

/// DER `SEQUENCE` around already-encoded elements.
fn encode_sequence(elements: &[Vec<u8>]) -> Result<Vec<u8>, KeyError> {
    let body: Vec<u8> = elements.concat();
    let len = Length::try_from(body.len()).map_err(|e| malformed("SEQUENCE", e))?;
    let mut out = Header::new(Tag::Sequence, len)
        .to_der()
        .map_err(|e| malformed("SEQUENCE", e))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The parameters to write for an SPKI algorithm.
pub(crate) enum SpkiParams {
    /// A named curve OID.
    Curve(Curve),
    /// `NULL` (RSA).
    Null,
    /// Absent (Ed25519).
    Absent,
}

/// Encode a DER SPKI.
pub(crate) fn encode_spki(
    oid: ObjectIdentifier,
    params: SpkiParams,
    key: &[u8],
) -> Result<Vec<u8>, KeyError> {
    let curve_oid;
    let parameters = match params {
        SpkiParams::Curve(curve) => {
            curve_oid = curve.oid();
            Some(
                AnyRef::new(Tag::ObjectIdentifier, curve_oid.as_bytes())
                    .map_err(|e| malformed("SPKI parameters", e))?,
            )
        }
        SpkiParams::Null => Some(AnyRef::NULL),
        SpkiParams::Absent => None,
    };
    let spki: SubjectPublicKeyInfo<AnyRef<'_>, BitStringRef<'_>> = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifier { oid, parameters },
        subject_public_key: BitStringRef::from_bytes(key)
            .map_err(|e| malformed("subjectPublicKey", e))?,
    };
    spki.to_der()
        .map_err(|e| malformed("SubjectPublicKeyInfo", e))
}

/// The fields of a SEC1 `ECPrivateKey` this crate looks at.
pub(crate) struct Sec1Info {
    /// The curve from `parameters`, or guessed from the private key's length when absent.
    pub(crate) curve: Curve,
}

/// Parse a SEC1 `ECPrivateKey` (RFC 5915 §3) far enough to know its curve; the backend parses
/// it again to load the key.
pub(crate) fn parse_sec1(der: &[u8]) -> Result<Sec1Info, KeyError> {
    let decode = |der: &[u8]| -> der::Result<(usize, Option<ObjectIdentifier>)> {
        let mut reader = SliceReader::new(der)?;
        let fields = reader.sequence(|r| {
            let version = u8::decode(r)?;
            if version != 1 {
                return Err(der::Error::from(Tag::Integer.value_error()));
            }
            let private_key = <&OctetStringRef>::decode(r)?;
            let parameters: Option<ObjectIdentifier> =
                r.context_specific(TagNumber(0), TagMode::Explicit)?;
            let _public_key: Option<BitStringRef<'_>> =
                r.context_specific(TagNumber(1), TagMode::Explicit)?;
            Ok::<_, der::Error>((private_key.as_bytes().len(), parameters))
        })?;
        reader.finish()?;
        Ok(fields)
    };
    let (private_len, parameters) = decode(der).map_err(|e| malformed("ECPrivateKey", e))?;
    let curve = match parameters {
        Some(oid) => {
            Curve::from_oid(&oid).ok_or_else(|| KeyError::Unsupported(format!("EC curve {oid}")))?
        }
        None => match private_len {
            32 => Curve::P256,
            48 => Curve::P384,
            n => {
                return Err(KeyError::Malformed(format!(
                    "ECPrivateKey without parameters has a {n}-byte scalar"
                )));
            }
        },
    };
    Ok(Sec1Info { curve })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_bits_counts_from_the_top_bit() {
        assert_eq!(uint_bits(&[]), 0);
        assert_eq!(uint_bits(&[1]), 1);
        assert_eq!(uint_bits(&[0x80]), 8);
        assert_eq!(uint_bits(&[0x01, 0x00]), 9);
        let mut modulus = vec![0xffu8; 256];
        assert_eq!(uint_bits(&modulus), 2048);
        modulus[0] = 0x7f;
        assert_eq!(uint_bits(&modulus), 2047);
    }

    #[test]
    fn ec_point_shapes() {
        let mut uncompressed = vec![0x04; 65];
        assert!(check_ec_point(Curve::P256, &uncompressed).is_ok());
        assert!(check_ec_point(Curve::P384, &uncompressed).is_err());
        uncompressed[0] = 0x06; // hybrid form
        assert!(check_ec_point(Curve::P256, &uncompressed).is_err());
        assert!(check_ec_point(Curve::P384, &[0x02; 49]).is_ok());
        assert!(check_ec_point(Curve::P384, &[0x03; 48]).is_err());
        assert!(check_ec_point(Curve::P256, &[0x00]).is_err());
        assert!(check_ec_point(Curve::P256, &[]).is_err());
    }
}
