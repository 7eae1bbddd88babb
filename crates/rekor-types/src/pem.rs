//! The PEM that Rekor v1 accepts for public keys and certificates, and the canonical PEM it
//! stores ([RFC 7468], as Go's `encoding/pem` writes it).
//!
//! Decoding is as lenient as Go's `pem.Decode` where real clients differ (CRLF line endings,
//! lines of any width, surrounding whitespace) and strict elsewhere: exactly one block, no
//! headers, no text before or after it, matching labels.
//!
//! [RFC 7468]: https://www.rfc-editor.org/rfc/rfc7468

use thiserror::Error;

use crate::encoding;

/// The PEM label of an SPKI public key.
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
/// The PEM label of an X.509 certificate.
pub const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// Why a PEM document was refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemError {
    /// No `-----BEGIN ...-----` line at the start (Rekor: "failure decoding PEM").
    #[error("invalid public key: failure decoding PEM")]
    NotPem,
    /// The END line is missing or names another label.
    #[error("PEM block for {label:?} has no matching END line")]
    MissingEnd {
        /// The label of the BEGIN line.
        label: String,
    },
    /// The block has RFC 1421 headers (`Name: value` lines).
    #[error("PEM headers are not supported")]
    Headers,
    /// The block's base64 does not decode.
    #[error("PEM body is not valid base64")]
    InvalidBase64,
    /// More than one PEM block (a certificate chain).
    #[error("multiple PEM blocks (certificate chains) are not supported; send only the leaf")]
    MultipleBlocks,
    /// Non-whitespace text after the END line.
    #[error("unexpected data after the PEM block")]
    TrailingData,
    /// A label other than `PUBLIC KEY` or `CERTIFICATE`.
    #[error("invalid public key: cannot handle PEM type {label:?}")]
    UnsupportedLabel {
        /// The label found.
        label: String,
    },
    /// The PEM text is not UTF-8.
    #[error("PEM is not text")]
    NotText,
}

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// Decode exactly one PEM block, surrounded by optional whitespace.
pub(crate) fn decode_single(input: &[u8]) -> Result<PemBlock, PemError> {
    let text = std::str::from_utf8(input).map_err(|_| PemError::NotText)?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut lines = text.split('\n').map(trim_line);

    let first = lines.next().unwrap_or_default();
    let label = first
        .strip_prefix(BEGIN)
        .and_then(|rest| rest.strip_suffix(DASHES))
        .ok_or(PemError::NotPem)?;
    let end_line = format!("{END}{label}{DASHES}");

    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end_line {
            ended = true;
            break;
        }
        if line.starts_with(END) {
            return Err(PemError::MissingEnd {
                label: label.to_owned(),
            });
        }
        if line.contains(':') {
            return Err(PemError::Headers);
        }
        body.extend(line.chars().filter(|c| !matches!(c, ' ' | '\t')));
    }
    if !ended {
        return Err(PemError::MissingEnd {
            label: label.to_owned(),
        });
    }
    let rest: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    if let Some(next) = rest.first() {
        return Err(if next.starts_with(BEGIN) {
            PemError::MultipleBlocks
        } else {
            PemError::TrailingData
        });
    }
    let der = encoding::decode_std(&body).ok_or(PemError::InvalidBase64)?;
    Ok(PemBlock {
        label: label.to_owned(),
        der,
    })
}

/// Trim the line ending and trailing blanks, as Go's `pem` does.
fn trim_line(line: &str) -> &str {
    line.trim_end_matches(['\r', ' ', '\t'])
}

/// Encode DER as PEM the way Go's `pem.Encode` does: 64-column base64 lines, LF line endings,
/// a trailing newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = encoding::encode_std(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str(BEGIN);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(END);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lenient_forms() {
        let der: Vec<u8> = (0u8..=200).collect();
        let pem = encode(PUBLIC_KEY_LABEL, &der);
        assert!(pem.lines().skip(1).all(|l| l.len() <= 64));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        let block = decode_single(pem.as_bytes()).expect("canonical PEM");
        assert_eq!(block.der, der);
        assert_eq!(block.label, PUBLIC_KEY_LABEL);

        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(decode_single(crlf.as_bytes()).expect("CRLF").der, der);
        let padded = format!("\n  {}  \n\n", pem.trim_end());
        assert_eq!(
            decode_single(padded.as_bytes()).expect("whitespace").der,
            der
        );
    }

    #[test]
    fn refusals() {
        let pem = encode(CERTIFICATE_LABEL, b"abc");
        let two = format!("{pem}{pem}");
        assert_eq!(decode_single(two.as_bytes()), Err(PemError::MultipleBlocks));
        let trailing = format!("{pem}junk");
        assert_eq!(
            decode_single(trailing.as_bytes()),
            Err(PemError::TrailingData)
        );
        assert_eq!(decode_single(b"MIIB"), Err(PemError::NotPem));
        let no_end = "-----BEGIN CERTIFICATE-----\nYWJj\n";
        assert!(matches!(
            decode_single(no_end.as_bytes()),
            Err(PemError::MissingEnd { .. })
        ));
        let mismatched = "-----BEGIN CERTIFICATE-----\nYWJj\n-----END PUBLIC KEY-----\n";
        assert!(matches!(
            decode_single(mismatched.as_bytes()),
            Err(PemError::MissingEnd { .. })
        ));
        let headers = "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nYWJj\n-----END CERTIFICATE-----\n";
        assert_eq!(decode_single(headers.as_bytes()), Err(PemError::Headers));
        let bad = "-----BEGIN CERTIFICATE-----\nYW*j\n-----END CERTIFICATE-----\n";
        assert_eq!(decode_single(bad.as_bytes()), Err(PemError::InvalidBase64));
    }
}
