//! The EC encodings a PKCS#11 token speaks and `keys` does not: `CKA_EC_PARAMS` (a DER named-curve
//! OID), `CKA_EC_POINT` (a DER OCTET STRING around the SEC1 point) and the raw `r || s` signature
//! of `CKM_ECDSA` (PKCS#11 v3.1 §6.3.1), turned into a DER SPKI and a DER `Ecdsa-Sig-Value`
//! (RFC 5480 §2 and RFC 3279 §2.2.3).

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Tag};
use keys::SigningAlgorithm;
use sha2::Digest;
use spki::{AlgorithmIdentifier, SubjectPublicKeyInfo};
use thiserror::Error;

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// DER of the `secp256r1` OID, as `CKA_EC_PARAMS` holds it for P-256.
pub(crate) const P256_EC_PARAMS: &[u8] =
    &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the `secp384r1` OID, as `CKA_EC_PARAMS` holds it for P-384.
pub(crate) const P384_EC_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// The order `n` of the P-256 group (SEC 2 §2.4.2), big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// The order `n` of the P-384 group (SEC 2 §2.5.1), big-endian.
const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

/// The curves this backend signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    /// NIST P-256, signed over SHA-256.
    P256,
    /// NIST P-384, signed over SHA-384.
    P384,
}

impl Curve {
    /// The curve named by a `CKA_EC_PARAMS` value, if it is one we support.
    pub(crate) fn from_ec_params(params: &[u8]) -> Option<Curve> {
        if params == P256_EC_PARAMS {
            Some(Curve::P256)
        } else if params == P384_EC_PARAMS {
            Some(Curve::P384)
        } else {
            None
        }
    }

    /// The curve of a signing algorithm, or `None` for one that is not ECDSA on P-256/P-384.
    pub(crate) fn from_algorithm(algorithm: SigningAlgorithm) -> Option<Curve> {
        match algorithm {
            SigningAlgorithm::EcdsaP256Sha256 => Some(Curve::P256),
            SigningAlgorithm::EcdsaP384Sha384 => Some(Curve::P384),
            SigningAlgorithm::Ed25519 => None,
        }
    }

    /// The `keys` algorithm a key on this curve signs with.
    pub(crate) fn algorithm(self) -> SigningAlgorithm {
        match self {
            Curve::P256 => SigningAlgorithm::EcdsaP256Sha256,
            Curve::P384 => SigningAlgorithm::EcdsaP384Sha384,
        }
    }

    /// The `CKA_EC_PARAMS` value (DER named-curve OID) for this curve.
    pub(crate) fn ec_params(self) -> &'static [u8] {
        match self {
            Curve::P256 => P256_EC_PARAMS,
            Curve::P384 => P384_EC_PARAMS,
        }
    }

    /// The DER content octets of the curve OID (for the SPKI's parameters).
    fn oid_content(self) -> &'static [u8] {
        // Both constants are a short-form OID TLV: tag, one length byte, content.
        &self.ec_params()[2..]
    }

    /// `P-256` or `P-384`.
    fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    /// Bytes in a field element, in a scalar, and in each half of a raw signature.
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    /// The group order, big-endian, `field_len` bytes.
    fn order(self) -> &'static [u8] {
        match self {
            Curve::P256 => &P256_ORDER,
            Curve::P384 => &P384_ORDER,
        }
    }

    /// The hash this backend applies before `CKM_ECDSA` (the one `keys` verifies with).
    pub(crate) fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Curve::P256 => sha2::Sha256::digest(message).to_vec(),
            Curve::P384 => sha2::Sha384::digest(message).to_vec(),
        }
    }
}

/// Why token output could not be turned into a key or a signature.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodingError {
    /// `CKA_EC_POINT` is neither a DER OCTET STRING around an uncompressed point of the curve's
    /// size nor such a point by itself.
    #[error("CKA_EC_POINT is not an uncompressed {curve} point ({len} bytes)")]
    EcPoint {
        /// The curve the point should be on.
        curve: &'static str,
        /// Length of the attribute value.
        len: usize,
    },
    /// The SPKI could not be encoded.
    #[error("cannot encode SubjectPublicKeyInfo: {0}")]
    Spki(String),
    /// A raw signature whose length is not twice the curve's field length.
    #[error("raw ECDSA signature is {got} bytes, expected {want}")]
    SignatureLength {
        /// Length returned by the token.
        got: usize,
        /// `2 * field_len`.
        want: usize,
    },
    /// `r` or `s` is zero or not below the group order, so no verifier would accept it.
    #[error("raw ECDSA signature has r or s outside [1, n-1]")]
    ScalarOutOfRange,
}

/// The uncompressed SEC1 point (`04 || X || Y`) inside a `CKA_EC_POINT` value.
///
/// PKCS#11 says the attribute is the DER encoding of an OCTET STRING holding the point; some
/// older tokens return the bare point, which is accepted too (the lengths cannot be confused:
/// the DER form is two bytes longer).
pub(crate) fn ec_point_from_attribute(curve: Curve, value: &[u8]) -> Result<&[u8], EncodingError> {
    let want = 1 + 2 * curve.field_len();
    let bad = || EncodingError::EcPoint {
        curve: curve.name(),
        len: value.len(),
    };
    let point = if value.len() == want {
        value
    } else {
        <&OctetStringRef>::from_der(value)
            .map_err(|_| bad())?
            .as_bytes()
    };
    if point.len() != want || point.first() != Some(&0x04) {
        return Err(bad());
    }
    Ok(point)
}

/// A DER `SubjectPublicKeyInfo` (RFC 5480 §2) for an uncompressed point on `curve`.
pub(crate) fn spki_der(curve: Curve, point: &[u8]) -> Result<Vec<u8>, EncodingError> {
    let spki_err = |e: der::Error| EncodingError::Spki(e.to_string());
    let parameters = AnyRef::new(Tag::ObjectIdentifier, curve.oid_content()).map_err(spki_err)?;
    let spki: SubjectPublicKeyInfo<AnyRef<'_>, BitStringRef<'_>> = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifier {
            oid: ID_EC_PUBLIC_KEY,
            parameters: Some(parameters),
        },
        subject_public_key: BitStringRef::from_bytes(point).map_err(spki_err)?,
    };
    spki.to_der().map_err(spki_err)
}

/// Convert a raw `CKM_ECDSA` signature (`r || s`, each `field_len` big-endian bytes) into a DER
/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
///
/// Each INTEGER is minimal: leading zero bytes are dropped, and one zero byte is put back when
/// the first remaining byte has its high bit set (a DER INTEGER is signed). `r` and `s` must be in
/// `[1, n-1]`.
pub(crate) fn raw_signature_to_der(curve: Curve, raw: &[u8]) -> Result<Vec<u8>, EncodingError> {
    let field_len = curve.field_len();
    if raw.len() != 2 * field_len {
        return Err(EncodingError::SignatureLength {
            got: raw.len(),
            want: 2 * field_len,
        });
    }
    let (r, s) = raw.split_at(field_len);
    for scalar in [r, s] {
        // Equal-length big-endian byte strings compare like the numbers they encode.
        if scalar.iter().all(|&b| b == 0) || scalar >= curve.order() {
            return Err(EncodingError::ScalarOutOfRange);
        }
    }
    let mut body = Vec::with_capacity(2 * (field_len + 3));
    push_der_uint(&mut body, r);
    push_der_uint(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    push_der_length(&mut out, body.len());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Append a DER INTEGER holding the non-negative big-endian number `bytes` (not all zero).
fn push_der_uint(out: &mut Vec<u8>, bytes: &[u8]) {
    let first_nonzero = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let magnitude = &bytes[first_nonzero..];
    let pad = magnitude.first().is_some_and(|&b| b & 0x80 != 0);
    out.push(0x02);
    push_der_length(out, magnitude.len() + usize::from(pad));
    if pad {
        out.push(0x00);
    }
    out.extend_from_slice(magnitude);
}

/// Append a DER length (short form below 128, long form above).
fn push_der_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::UintRef;
    use der::{Reader, SliceReader};
    use keys::{PublicKey, Signer, SoftwareSigner};
    use proptest::prelude::*;

    /// Decode a DER `Ecdsa-Sig-Value` strictly (the `der` crate rejects non-minimal INTEGERs)
    /// into fixed-width `r || s`.
    fn der_to_raw(curve: Curve, der: &[u8]) -> Vec<u8> {
        let mut reader = SliceReader::new(der).expect("reader");
        let (r, s) = reader
            .sequence(|seq| {
                let r = UintRef::decode(seq)?;
                let s = UintRef::decode(seq)?;
                Ok::<_, der::Error>((r.as_bytes().to_vec(), s.as_bytes().to_vec()))
            })
            .expect("strict DER Ecdsa-Sig-Value");
        assert!(reader.is_finished(), "trailing bytes");
        let n = curve.field_len();
        let mut raw = vec![0u8; 2 * n];
        raw[n - r.len()..n].copy_from_slice(&r);
        raw[2 * n - s.len()..].copy_from_slice(&s);
        raw
    }

    /// `n - s` for a big-endian `s` of the curve's width (the other valid `s` for the same `r`).
    fn negate_mod_order(curve: Curve, s: &[u8]) -> Vec<u8> {
        let n = curve.order();
        let mut out = vec![0u8; s.len()];
        let mut borrow = 0i16;
        for i in (0..s.len()).rev() {
            let mut d = i16::from(n[i]) - i16::from(s[i]) - borrow;
            borrow = i16::from(d < 0);
            if d < 0 {
                d += 256;
            }
            out[i] = d as u8;
        }
        assert_eq!(borrow, 0);
        out
    }

    fn signer(curve: Curve) -> SoftwareSigner {
        SoftwareSigner::generate(curve.algorithm()).expect("generate")
    }

    fn curve_strategy() -> impl Strategy<Value = Curve> {
        prop_oneof![Just(Curve::P256), Just(Curve::P384)]
    }

    #[test]
    fn ec_params_constants_are_the_der_of_the_curve_oids() {
        let p256 = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        let p384 = ObjectIdentifier::new_unwrap("1.3.132.0.34");
        assert_eq!(p256.to_der().expect("der"), P256_EC_PARAMS);
        assert_eq!(p384.to_der().expect("der"), P384_EC_PARAMS);
        assert_eq!(Curve::from_ec_params(P256_EC_PARAMS), Some(Curve::P256));
        assert_eq!(Curve::from_ec_params(P384_EC_PARAMS), Some(Curve::P384));
        // P-521 and a truncated value are refused.
        assert_eq!(
            Curve::from_ec_params(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]),
            None
        );
        assert_eq!(Curve::from_ec_params(&P256_EC_PARAMS[..9]), None);
    }

    #[test]
    fn spki_from_token_point_matches_keys_encoding() {
        for curve in [Curve::P256, Curve::P384] {
            let key = signer(curve);
            let point = key
                .public_key()
                .ec_point_uncompressed()
                .expect("EC point")
                .to_vec();
            // The DER OCTET STRING form a token returns, and the bare form.
            let wrapped = OctetStringRef::new(&point)
                .expect("octets")
                .to_der()
                .expect("der");
            for attr in [&wrapped[..], &point[..]] {
                let inner = ec_point_from_attribute(curve, attr).expect("point");
                let spki = spki_der(curve, inner).expect("spki");
                assert_eq!(spki, key.public_key().spki_der(), "{curve:?}");
                PublicKey::from_spki_der(&spki).expect("keys accepts it");
            }
        }
    }

    #[test]
    fn ec_point_attribute_rejects_other_shapes() {
        let curve = Curve::P256;
        let point = signer(curve)
            .public_key()
            .ec_point_uncompressed()
            .expect("EC point")
            .to_vec();
        let mut compressed = vec![0x02];
        compressed.extend_from_slice(&point[1..33]);
        let wrapped_compressed = OctetStringRef::new(&compressed)
            .expect("octets")
            .to_der()
            .expect("der");
        let mut wrapped_trailing = OctetStringRef::new(&point)
            .expect("octets")
            .to_der()
            .expect("der");
        wrapped_trailing.push(0);
        let p384_point = signer(Curve::P384)
            .public_key()
            .ec_point_uncompressed()
            .expect("EC point")
            .to_vec();
        for bad in [
            &[][..],
            &compressed[..],
            &wrapped_compressed[..],
            &wrapped_trailing[..],
            &p384_point[..],
            &point[..64],
        ] {
            assert!(
                matches!(
                    ec_point_from_attribute(curve, bad),
                    Err(EncodingError::EcPoint { .. })
                ),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn integer_encoding_edge_cases() {
        let curve = Curve::P256;
        let mut raw = vec![0u8; 64];
        // r = 1, s = 0x80 (needs a pad byte).
        raw[31] = 1;
        raw[63] = 0x80;
        assert_eq!(
            raw_signature_to_der(curve, &raw).expect("der"),
            [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80]
        );
        // r = n - 1 (high bit set, full width plus pad), s = 0x7f (no pad).
        raw[..32].copy_from_slice(&P256_ORDER);
        raw[31] -= 1;
        raw[32..].fill(0);
        raw[63] = 0x7f;
        let der = raw_signature_to_der(curve, &raw).expect("der");
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[5..37], &raw[..32]);
        assert_eq!(&der[37..], &[0x02, 0x01, 0x7f]);
        assert_eq!(der_to_raw(curve, &der), raw);
    }

    #[test]
    fn out_of_range_and_misshapen_signatures_are_refused() {
        for curve in [Curve::P256, Curve::P384] {
            let n = curve.field_len();
            let one = {
                let mut v = vec![0u8; n];
                v[n - 1] = 1;
                v
            };
            let zero = vec![0u8; n];
            let order = curve.order().to_vec();
            let ones = vec![0xffu8; n];
            for (r, s) in [(&zero, &one), (&one, &zero), (&order, &one), (&one, &ones)] {
                let raw = [r.as_slice(), s.as_slice()].concat();
                assert_eq!(
                    raw_signature_to_der(curve, &raw),
                    Err(EncodingError::ScalarOutOfRange)
                );
            }
            for len in [0, 1, 2 * n - 1, 2 * n + 1, 4 * n] {
                assert_eq!(
                    raw_signature_to_der(curve, &vec![1u8; len]),
                    Err(EncodingError::SignatureLength {
                        got: len,
                        want: 2 * n
                    })
                );
            }
        }
    }

    #[test]
    fn leading_zero_and_high_bit_scalars_verify() {
        // Sign until each shape has been seen: r and s with a leading zero byte (about 1 in 128
        // signatures) and with the high bit set (about 1 in 2). Each conversion must verify.
        for curve in [Curve::P256, Curve::P384] {
            let key = signer(curve);
            let n = curve.field_len();
            let (mut zero_r, mut zero_s, mut high_r, mut high_s) = (false, false, false, false);
            for i in 0u32..20_000 {
                let message = i.to_be_bytes();
                let der = key.sign(&message).expect("sign");
                let raw = der_to_raw(curve, &der);
                let ours = raw_signature_to_der(curve, &raw).expect("convert");
                assert_eq!(ours, der, "re-encoding differs from aws-lc-rs");
                key.public_key().verify(&message, &ours).expect("verifies");
                zero_r |= raw[0] == 0;
                zero_s |= raw[n] == 0;
                high_r |= raw[0] & 0x80 != 0;
                high_s |= raw[n] & 0x80 != 0;
                if zero_r && zero_s && high_r && high_s {
                    break;
                }
            }
            assert!(
                zero_r && zero_s && high_r && high_s,
                "{curve:?} shapes not all seen"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A real signature, taken apart into `r || s` the way a token returns it, converts
        /// back to the same DER and verifies; so does its twin `(r, n - s)`, which has
        /// different leading bytes.
        #[test]
        fn raw_signatures_convert_to_verifying_der(
            curve in curve_strategy(),
            message in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let key = signer(curve);
            let der = key.sign(&message).expect("sign");
            let raw = der_to_raw(curve, &der);
            let ours = raw_signature_to_der(curve, &raw).expect("convert");
            prop_assert_eq!(&ours, &der);
            prop_assert!(key.public_key().verify(&message, &ours).is_ok());

            let n = curve.field_len();
            let twin = [&raw[..n], &negate_mod_order(curve, &raw[n..])[..]].concat();
            let twin_der = raw_signature_to_der(curve, &twin).expect("convert twin");
            prop_assert!(key.public_key().verify(&message, &twin_der).is_ok());
            // A different message does not verify (the check can fail).
            let mut other = message.clone();
            other.push(0);
            prop_assert!(key.public_key().verify(&other, &ours).is_err());
        }

        /// Any in-range `r || s`, with runs of leading zero bytes forced in, encodes to strict
        /// DER that decodes back to the same numbers.
        #[test]
        fn any_in_range_scalars_round_trip(
            curve in curve_strategy(),
            bytes in proptest::collection::vec(any::<u8>(), 96),
            zeros_r in 0usize..48,
            zeros_s in 0usize..48,
        ) {
            let n = curve.field_len();
            let mut raw = bytes[..2 * n].to_vec();
            raw[..zeros_r.min(n - 1)].fill(0);
            raw[n..n + zeros_s.min(n - 1)].fill(0);
            let in_range = |x: &[u8]| x.iter().any(|&b| b != 0) && x < curve.order();
            prop_assume!(in_range(&raw[..n]) && in_range(&raw[n..]));
            let der = raw_signature_to_der(curve, &raw).expect("convert");
            prop_assert_eq!(der_to_raw(curve, &der), raw);
        }
    }
}
