//! Constructors for what a signer produces.

use crate::types::{
    Bundle, Checkpoint, Content, DsseEnvelope, HashAlgorithm, HashOutput, InclusionPromise,
    InclusionProof, KindVersion, LogId, MessageSignature, Rfc3161SignedTimestamp, SignerMaterial,
    TimestampVerificationData, TransparencyLogEntry, VerificationMaterial,
};
use crate::{BundleError, MEDIA_TYPE_V0_3};

fn timestamp_data(timestamps: Vec<Vec<u8>>) -> Option<TimestampVerificationData> {
    if timestamps.is_empty() {
        None
    } else {
        Some(TimestampVerificationData {
            rfc3161_timestamps: timestamps
                .into_iter()
                .map(|signed_timestamp| Rfc3161SignedTimestamp { signed_timestamp })
                .collect(),
        })
    }
}

impl Bundle {
    /// A v0.3 keyless bundle over an artifact: the leaf certificate, one log entry, the DER
    /// `TimeStampResp`s (may be empty), and a SHA-256 message signature.
    pub fn new_message_signature(
        cert_der: Vec<u8>,
        digest_sha256: [u8; 32],
        signature: Vec<u8>,
        tlog_entry: TransparencyLogEntry,
        timestamps: Vec<Vec<u8>>,
    ) -> Bundle {
        Bundle::new_v0_3(
            SignerMaterial::Certificate(cert_der),
            Content::MessageSignature(MessageSignature {
                message_digest: Some(HashOutput {
                    algorithm: HashAlgorithm::Sha2_256,
                    digest: digest_sha256.to_vec(),
                }),
                signature,
            }),
            vec![tlog_entry],
            timestamps,
        )
    }

    /// A v0.3 keyless bundle over a DSSE envelope (one signature).
    pub fn new_dsse(
        cert_der: Vec<u8>,
        envelope: DsseEnvelope,
        tlog_entry: TransparencyLogEntry,
        timestamps: Vec<Vec<u8>>,
    ) -> Bundle {
        Bundle::new_v0_3(
            SignerMaterial::Certificate(cert_der),
            Content::DsseEnvelope(envelope),
            vec![tlog_entry],
            timestamps,
        )
    }

    /// A v0.3 bundle from its parts (for managed keys use [`SignerMaterial::PublicKey`]).
    pub fn new_v0_3(
        signer: SignerMaterial,
        content: Content,
        tlog_entries: Vec<TransparencyLogEntry>,
        timestamps: Vec<Vec<u8>>,
    ) -> Bundle {
        Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material: VerificationMaterial {
                signer,
                tlog_entries,
                timestamp_verification_data: timestamp_data(timestamps),
            },
            content,
        }
    }
}

/// DSSE pre-authentication encoding: `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`,
/// the bytes an envelope signature covers.
pub fn dsse_pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
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

fn malformed(reason: impl Into<String>) -> BundleError {
    BundleError::MalformedLogEntry {
        reason: reason.into(),
    }
}

impl TransparencyLogEntry {
    /// Map a Rekor v1 create/get response entry to a bundle log entry: `logId` = the hex-decoded
    /// `logID`, `kindVersion` from the body's `kind`/`apiVersion`, `integratedTime`, the SET as
    /// inclusion promise, the inclusion proof with its checkpoint, and the decoded body.
    pub fn from_rekor_v1_response(entry: &rekor_types::LogEntry) -> Result<Self, BundleError> {
        let anon = &entry.entry;
        let log_id = hex::decode(&anon.log_id).map_err(|_| malformed("logID is not hex"))?;
        let body: serde_json::Value = serde_json::from_slice(&anon.body)
            .map_err(|_| malformed("body is not a JSON entry"))?;
        let kind = body
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| malformed("body has no kind"))?;
        let version = body
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| malformed("body has no apiVersion"))?;
        let verification = anon.verification.as_ref();
        let inclusion_promise = verification
            .and_then(|v| v.signed_entry_timestamp.clone())
            .map(|signed_entry_timestamp| InclusionPromise {
                signed_entry_timestamp,
            });
        let inclusion_proof = match verification.and_then(|v| v.inclusion_proof.as_ref()) {
            None => None,
            Some(p) => Some(InclusionProof {
                log_index: p.log_index,
                root_hash: hex::decode(&p.root_hash)
                    .map_err(|_| malformed("inclusionProof.rootHash is not hex"))?,
                tree_size: p.tree_size,
                hashes: p
                    .hashes
                    .iter()
                    .map(hex::decode)
                    .collect::<Result<_, _>>()
                    .map_err(|_| malformed("inclusionProof.hashes are not hex"))?,
                checkpoint: Checkpoint {
                    envelope: p.checkpoint.clone(),
                },
            }),
        };
        Ok(TransparencyLogEntry {
            log_index: anon.log_index,
            log_id: LogId { key_id: log_id },
            kind_version: KindVersion {
                kind: kind.to_owned(),
                version: version.to_owned(),
            },
            integrated_time: anon.integrated_time,
            inclusion_promise,
            inclusion_proof,
            canonicalized_body: anon.body.clone(),
        })
    }

    /// Parse a Rekor v2 `POST /api/v2/log/entries` response (protojson `TransparencyLogEntry`).
    pub fn from_rekor_v2_response(json: &[u8]) -> Result<Self, BundleError> {
        serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))
    }
}

/// Parse a Rekor v1 create/get response body (`{"<entryID>": {...}}`) into a bundle log entry.
pub fn rekor_v1_entry_from_json(json: &[u8]) -> Result<TransparencyLogEntry, BundleError> {
    let entry: rekor_types::LogEntry =
        serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))?;
    TransparencyLogEntry::from_rekor_v1_response(&entry)
}
