//! DSSE envelopes ([DSSE protocol]) and the way Rekor verifies them.
//!
//! Rekor verifies envelopes with go-securesystemslib's `EnvelopeVerifier` (threshold 1), one
//! verifier per key. For one key that means: every signature must be base64 (standard or
//! URL-safe), the payload must be base64, and the key is *accepted* by the first signature, in
//! envelope order, that it verifies; it is not tried on later signatures. Key IDs are ignored.
//!
//! [DSSE protocol]: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md

use serde_json::Value;

use crate::encoding::{self, join, member};
use crate::error::EntryError;
use crate::verifier::Verifier;

/// The in-toto payload type, whose statements feed extra index keys.
pub(crate) const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// One envelope signature.
#[derive(Debug, Clone)]
pub(crate) struct EnvelopeSignature {
    /// The `sig` string exactly as in the envelope.
    pub(crate) sig: String,
    /// The `keyid` string, empty if absent.
    pub(crate) keyid: String,
}

/// A parsed DSSE envelope.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) payload_type: String,
    /// The `payload` string exactly as in the envelope (base64).
    pub(crate) payload: String,
    pub(crate) signatures: Vec<EnvelopeSignature>,
}

impl Envelope {
    /// Parse an envelope sent as a JSON string (dsse 0.0.1 `proposedContent.envelope`, intoto
    /// 0.0.1 `content.envelope`).
    pub(crate) fn parse_json_text(text: &str, field: &str) -> Result<Self, EntryError> {
        let value: Value = serde_json::from_str(text).map_err(|e| EntryError::InvalidEnvelope {
            field: field.to_owned(),
            reason: e.to_string(),
        })?;
        let invalid = |reason: &str| EntryError::InvalidEnvelope {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("not a JSON object"))?;
        let payload_type = match member(obj, "payloadType") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(invalid("payloadType must be a string")),
            None => return Err(invalid("payloadType is required")),
        };
        let payload = match member(obj, "payload") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(invalid("payload must be a string")),
            None => return Err(invalid("payload is required")),
        };
        let items = match member(obj, "signatures") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(invalid("signatures must be an array")),
            None => return Err(invalid("signatures is required")),
        };
        if items.is_empty() {
            return Err(invalid("DSSE envelope must contain 1 or more signatures"));
        }
        let mut signatures = Vec::with_capacity(items.len());
        for item in items {
            let sig_obj = item
                .as_object()
                .ok_or_else(|| invalid("each signature must be an object"))?;
            let sig = match member(sig_obj, "sig") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(invalid("sig must be a string")),
                None => return Err(invalid("sig is required")),
            };
            let keyid = match member(sig_obj, "keyid") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(invalid("keyid must be a string")),
                None => String::new(),
            };
            signatures.push(EnvelopeSignature { sig, keyid });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }
}

/// DSSE pre-authentication encoding: `"DSSEv1" SP len(type) SP type SP len(body) SP body`.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// An envelope with its payload and signatures decoded, ready to verify.
pub(crate) struct DecodedEnvelope {
    pae: Vec<u8>,
    raw_signatures: Vec<Vec<u8>>,
}

impl DecodedEnvelope {
    /// Decode payload and signatures as go-securesystemslib does before verifying.
    pub(crate) fn decode(envelope: &Envelope, field: &str) -> Result<Self, EntryError> {
        let payload =
            encoding::decode_dsse(&envelope.payload).ok_or_else(|| EntryError::InvalidBase64 {
                field: join(field, "payload"),
            })?;
        let raw_signatures = envelope
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| {
                encoding::decode_dsse(&s.sig).ok_or_else(|| EntryError::InvalidBase64 {
                    field: format!("{field}.signatures[{i}].sig"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DecodedEnvelope {
            pae: pae(&envelope.payload_type, &payload),
            raw_signatures,
        })
    }

    /// Index of the first signature (in envelope order) that `verifier` verifies, if any.
    pub(crate) fn first_verified_by(&self, verifier: &Verifier) -> Option<usize> {
        self.raw_signatures
            .iter()
            .position(|sig| verifier.verify_message_sha256(&self.pae, sig))
    }
}
