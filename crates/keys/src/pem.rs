//! PEM (RFC 7468) in and out. Output is strict (64 columns, LF, trailing newline); input may use
//! CRLF, another line width, and leading/trailing whitespace.

use pem_rfc7468::{Decoder, LineEnding};
use zeroize::Zeroizing;

use crate::KeyError;

pub(crate) const PUBLIC_KEY: &str = "PUBLIC KEY";
pub(crate) const PRIVATE_KEY: &str = "PRIVATE KEY";
pub(crate) const EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
pub(crate) const ENCRYPTED_PRIVATE_KEY: &str = "ENCRYPTED PRIVATE KEY";

/// Encode `der` as a PEM block with `label`.
pub(crate) fn encode(label: &str, der: &[u8]) -> Result<String, pem_rfc7468::Error> {
    pem_rfc7468::encode_string(label, LineEnding::LF, der)
}

/// Decode one PEM block whose label must be one of `accepted`; `expected` names them for the
/// error. The decoded bytes are zeroized on drop, since they may be a private key.
pub(crate) fn decode<'a>(
    pem: &'a str,
    accepted: &[&str],
    expected: &'static str,
) -> Result<(&'a str, Zeroizing<Vec<u8>>), KeyError> {
    let pem = pem.trim().as_bytes();
    let label = pem_rfc7468::decode_label(pem).map_err(pem_error)?;
    if !accepted.contains(&label) {
        return Err(KeyError::UnexpectedPemLabel {
            found: label.to_owned(),
            expected,
        });
    }
    let mut decoder = Decoder::new_detect_wrap(pem).map_err(pem_error)?;
    let mut der = Zeroizing::new(vec![0u8; decoder.remaining_len()]);
    decoder.decode(&mut der).map_err(pem_error)?;
    if !decoder.is_finished() {
        return Err(KeyError::Malformed("PEM body was not fully decoded".into()));
    }
    Ok((label, der))
}

/// The `pem_rfc7468` error says where the grammar failed; it never echoes the input.
fn pem_error(err: pem_rfc7468::Error) -> KeyError {
    KeyError::Malformed(format!("PEM: {err}"))
}
