//! `PKIStatus` and `PKIFailureInfo` (RFC 3161 §2.4.2) and rejection responses.

use der::Encode;
use der::asn1::BitString;

use crate::asn1::{PkiStatusInfo, TimeStampResp};

/// Longest `statusString` put into a rejection, in bytes (longer text is cut at a character
/// boundary).
pub const MAX_STATUS_TEXT: usize = 256;

/// `PKIStatus`: whether a time-stamp was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PkiStatus {
    /// A token is present, as requested.
    Granted = 0,
    /// A token is present, with modifications.
    GrantedWithMods = 1,
    /// No token; `failInfo` says why.
    Rejection = 2,
    /// The request has not been processed yet.
    Waiting = 3,
    /// A revocation is imminent.
    RevocationWarning = 4,
    /// A revocation has occurred.
    RevocationNotification = 5,
}

/// `PKIFailureInfo`: why a request was rejected. The discriminant is the bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PkiFailureInfo {
    /// Unrecognized or unsupported algorithm identifier.
    BadAlg = 0,
    /// Transaction not permitted or supported.
    BadRequest = 2,
    /// The data submitted has the wrong format.
    BadDataFormat = 5,
    /// The TSA's time source is not available.
    TimeNotAvailable = 14,
    /// The requested TSA policy is not supported by the TSA.
    UnacceptedPolicy = 15,
    /// The requested extension is not supported by the TSA.
    UnacceptedExtension = 16,
    /// The additional information requested could not be understood or is not available.
    AddInfoNotAvailable = 17,
    /// The request cannot be handled due to system failure.
    SystemFailure = 25,
}

impl PkiFailureInfo {
    /// The bit number in the `PKIFailureInfo` BIT STRING.
    pub fn bit(self) -> u8 {
        self as u8
    }

    /// The RFC 3161 name (`badAlg`, `unacceptedPolicy`, …).
    pub fn name(self) -> &'static str {
        match self {
            PkiFailureInfo::BadAlg => "badAlg",
            PkiFailureInfo::BadRequest => "badRequest",
            PkiFailureInfo::BadDataFormat => "badDataFormat",
            PkiFailureInfo::TimeNotAvailable => "timeNotAvailable",
            PkiFailureInfo::UnacceptedPolicy => "unacceptedPolicy",
            PkiFailureInfo::UnacceptedExtension => "unacceptedExtension",
            PkiFailureInfo::AddInfoNotAvailable => "addInfoNotAvailable",
            PkiFailureInfo::SystemFailure => "systemFailure",
        }
    }

    /// The DER BIT STRING with only this bit set. A named bit list drops its trailing zero bits
    /// (X.690 §11.2.2), so the string ends at this bit.
    pub fn to_bit_string(self) -> Result<BitString, der::Error> {
        let bit = usize::from(self.bit());
        let mut bytes = vec![0u8; bit / 8 + 1];
        let unused = 7 - (bit % 8);
        bytes[bit / 8] = 1 << unused;
        BitString::new(unused as u8, bytes)
    }
}

/// A DER `TimeStampResp` with status `rejection`, the failure bit and an optional text (cut to
/// [`MAX_STATUS_TEXT`] bytes).
pub fn rejection_response(
    failure: PkiFailureInfo,
    status_text: Option<&str>,
) -> Result<Vec<u8>, der::Error> {
    let status_string = status_text.map(|text| vec![truncate(text, MAX_STATUS_TEXT).to_owned()]);
    TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Rejection as u8,
            status_string,
            fail_info: Some(failure.to_bit_string()?),
        },
        time_stamp_token: None,
    }
    .to_der()
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use der::Decode;

    #[test]
    fn failure_bits_are_named_bit_strings() {
        // X.690: the unused-bits octet, then the bits with trailing zeros removed.
        let cases: [(PkiFailureInfo, &str); 5] = [
            (PkiFailureInfo::BadAlg, "03020780"),
            (PkiFailureInfo::BadRequest, "03020520"),
            (PkiFailureInfo::BadDataFormat, "03020204"),
            (PkiFailureInfo::UnacceptedPolicy, "0303000001"),
            (PkiFailureInfo::UnacceptedExtension, "030407000080"),
        ];
        for (failure, want) in cases {
            assert_eq!(
                hex::encode(failure.to_bit_string().unwrap().to_der().unwrap()),
                want,
                "{}",
                failure.name()
            );
        }
    }

    #[test]
    fn rejection_has_no_token_and_the_bit() {
        let der = rejection_response(PkiFailureInfo::BadAlg, Some("unsupported hash")).unwrap();
        let resp = TimeStampResp::from_der(&der).unwrap();
        assert_eq!(resp.status.status, 2);
        assert!(resp.time_stamp_token.is_none());
        assert_eq!(resp.status.status_string.unwrap(), vec!["unsupported hash"]);
        assert_eq!(resp.status.fail_info.unwrap().raw_bytes(), [0x80]);
    }

    #[test]
    fn status_text_is_cut_at_a_char_boundary() {
        let text = "é".repeat(MAX_STATUS_TEXT);
        let der = rejection_response(PkiFailureInfo::BadRequest, Some(&text)).unwrap();
        let resp = TimeStampResp::from_der(&der).unwrap();
        let got = &resp.status.status_string.unwrap()[0];
        assert_eq!(got.len(), MAX_STATUS_TEXT);
        assert!(text.starts_with(got.as_str()));
    }
}
