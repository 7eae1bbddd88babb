//! protojson scalar encodings: `bytes` as base64 and `int64` as decimal strings.
//!
//! protojson writes `bytes` as standard base64 with padding and reads standard or URL-safe
//! base64, padded or not. It writes 64-bit integers as JSON strings and reads strings or numbers.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serializer};

/// Encode bytes as standard padded base64 (what protojson writes).
pub fn encode_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode base64 the way protojson reads it: standard or URL-safe alphabet, padding optional.
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let padded = text.ends_with('=');
    let url = text.contains(['-', '_']);
    let engine = match (url, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine.decode(text).ok()
}

/// `Vec<u8>` as base64.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_b64(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        // protojson reads `null` as the default value.
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        decode_b64(&text).ok_or_else(|| D::Error::custom("invalid base64"))
    }
}

/// `Vec<Vec<u8>>` as an array of base64 strings.
pub(crate) mod bytes_list {
    use super::*;
    use serde::ser::SerializeSeq;

    pub(crate) fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for item in list {
            seq.serialize_element(&encode_b64(item))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let list = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
        list.iter()
            .map(|t| decode_b64(t).ok_or_else(|| D::Error::custom("invalid base64")))
            .collect()
    }
}

/// `i64` written as a JSON string, read from a string or a number.
pub(crate) mod int64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Int64Visitor)
    }

    struct Int64Visitor;

    impl Visitor<'_> for Int64Visitor {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a 64-bit integer as a number or a decimal string")
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("integer out of range for int64"))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            // protojson accepts integral floats such as `1e3`.
            if v.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v)
            {
                Ok(v as i64)
            } else {
                Err(E::custom("not an integer"))
            }
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
            v.parse::<i64>()
                .map_err(|_| E::custom("invalid int64 string"))
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }
    }
}

/// Whether an integer is zero (protojson omits default scalars).
pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Whether a byte string is empty (protojson omits default scalars).
pub(crate) fn is_empty(v: &[u8]) -> bool {
    v.is_empty()
}
