//! Log entries: `MerkleTreeLeaf`, `TimestampedEntry`, the SCT signed input and `extra_data`
//! (RFC 6962 §3.1, §3.2, §3.4, §4.6).

use sha2::{Digest, Sha256};

use crate::sct::SCT_VERSION_V1;
use crate::tls::{
    DecodeError, EncodeError, Reader, put_cert_list, put_nonempty24, put_opaque16, put_u16,
    put_u64, read_cert_list,
};

/// `LogEntryType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogEntryType {
    /// `x509_entry(0)`: a final certificate (add-chain).
    X509,
    /// `precert_entry(1)`: a precertificate (add-pre-chain).
    Precert,
}

impl LogEntryType {
    /// The wire value.
    pub fn code(self) -> u16 {
        match self {
            LogEntryType::X509 => 0,
            LogEntryType::Precert => 1,
        }
    }

    /// A short lowercase name for metrics and logs (`x509`, `precert`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogEntryType::X509 => "x509",
            LogEntryType::Precert => "precert",
        }
    }

    fn from_code(code: u16) -> Result<Self, DecodeError> {
        match code {
            0 => Ok(LogEntryType::X509),
            1 => Ok(LogEntryType::Precert),
            other => Err(DecodeError::Unsupported {
                field: "log entry type",
                value: u64::from(other),
            }),
        }
    }
}

/// What an SCT and a leaf commit to: the certificate, or the precertificate's issuer key hash
/// and TBS (with the poison extension removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignedEntry {
    /// `ASN.1Cert signed_entry` of an `x509_entry`: the whole certificate, DER.
    X509 {
        /// The certificate DER.
        certificate: Vec<u8>,
    },
    /// `PreCert signed_entry` of a `precert_entry`.
    Precert {
        /// SHA-256 of the issuing CA's DER SubjectPublicKeyInfo.
        issuer_key_hash: [u8; 32],
        /// DER `TBSCertificate` without the poison (or SCT-list) extension.
        tbs_certificate: Vec<u8>,
    },
}

impl SignedEntry {
    /// The entry type this entry is logged as.
    pub fn entry_type(&self) -> LogEntryType {
        match self {
            SignedEntry::X509 { .. } => LogEntryType::X509,
            SignedEntry::Precert { .. } => LogEntryType::Precert,
        }
    }

    /// `entry_type u16 || signed_entry`.
    fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u16(out, self.entry_type().code());
        match self {
            SignedEntry::X509 { certificate } => put_nonempty24(out, certificate, "certificate"),
            SignedEntry::Precert {
                issuer_key_hash,
                tbs_certificate,
            } => {
                out.extend_from_slice(issuer_key_hash);
                put_nonempty24(out, tbs_certificate, "TBS certificate")
            }
        }
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match LogEntryType::from_code(reader.u16("log entry type")?)? {
            LogEntryType::X509 => Ok(SignedEntry::X509 {
                certificate: reader.nonempty24("certificate")?.to_vec(),
            }),
            LogEntryType::Precert => {
                let issuer_key_hash = reader.array32("issuer key hash")?;
                let tbs_certificate = reader.nonempty24("TBS certificate")?.to_vec();
                Ok(SignedEntry::Precert {
                    issuer_key_hash,
                    tbs_certificate,
                })
            }
        }
    }
}

/// `TimestampedEntry` (RFC 6962 §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimestampedEntry {
    /// Milliseconds since the Unix epoch (the SCT's timestamp).
    pub timestamp: u64,
    /// The certificate or precertificate.
    pub entry: SignedEntry,
    /// `CtExtensions` (the SCT's extensions).
    pub extensions: Vec<u8>,
}

/// The `MerkleTreeLeaf` of an RFC 6962 log: `version(0) || leaf_type timestamped_entry(0) ||
/// TimestampedEntry`. Its leaf hash is `SHA-256(0x00 || encoding)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MerkleTreeLeaf {
    /// The one leaf type RFC 6962 defines.
    pub timestamped_entry: TimestampedEntry,
}

const LEAF_TYPE_TIMESTAMPED_ENTRY: u8 = 0;
const SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP: u8 = 0;

impl MerkleTreeLeaf {
    /// A leaf for `entry` logged at `timestamp` with `extensions`.
    pub fn new(timestamp: u64, entry: SignedEntry, extensions: Vec<u8>) -> Self {
        MerkleTreeLeaf {
            timestamped_entry: TimestampedEntry {
                timestamp,
                entry,
                extensions,
            },
        }
    }

    /// The TLS encoding (`leaf_input` in the JSON API).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let entry = &self.timestamped_entry;
        let mut out = Vec::new();
        out.push(SCT_VERSION_V1);
        out.push(LEAF_TYPE_TIMESTAMPED_ENTRY);
        put_u64(&mut out, entry.timestamp);
        entry.entry.write(&mut out)?;
        put_opaque16(&mut out, &entry.extensions, "CT extensions")?;
        Ok(out)
    }

    /// Decode exactly one leaf.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8("leaf version")?;
        if version != SCT_VERSION_V1 {
            return Err(DecodeError::Unsupported {
                field: "leaf version",
                value: u64::from(version),
            });
        }
        let leaf_type = reader.u8("leaf type")?;
        if leaf_type != LEAF_TYPE_TIMESTAMPED_ENTRY {
            return Err(DecodeError::Unsupported {
                field: "leaf type",
                value: u64::from(leaf_type),
            });
        }
        let timestamp = reader.u64("timestamp")?;
        let entry = SignedEntry::read(&mut reader)?;
        let extensions = reader.opaque16("CT extensions")?.to_vec();
        reader.finish("MerkleTreeLeaf")?;
        Ok(MerkleTreeLeaf::new(timestamp, entry, extensions))
    }

    /// The RFC 6962 leaf hash `SHA-256(0x00 || encoding)`.
    pub fn leaf_hash(&self) -> Result<[u8; 32], EncodeError> {
        Ok(leaf_hash(&self.encode()?))
    }

    /// The bytes an SCT for this leaf signs.
    pub fn sct_signed_input(&self) -> Result<Vec<u8>, EncodeError> {
        let entry = &self.timestamped_entry;
        sct_signed_input(entry.timestamp, &entry.entry, &entry.extensions)
    }
}

/// The RFC 6962 leaf hash of already encoded leaf bytes: `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf_input: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(leaf_input);
    hasher.finalize().into()
}

/// The bytes an SCT's signature covers (RFC 6962 §3.2): `sct_version(0) ||
/// signature_type certificate_timestamp(0) || timestamp u64 || entry_type u16 || signed_entry ||
/// extensions<0..2^16-1>`.
pub fn sct_signed_input(
    timestamp: u64,
    entry: &SignedEntry,
    extensions: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    out.push(SCT_VERSION_V1);
    out.push(SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP);
    put_u64(&mut out, timestamp);
    entry.write(&mut out)?;
    put_opaque16(&mut out, extensions, "CT extensions")?;
    Ok(out)
}

/// `PrecertChainEntry` (RFC 6962 §3.1): the `extra_data` of a precert entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrecertChainEntry {
    /// The precertificate as submitted (DER, poison included).
    pub pre_certificate: Vec<u8>,
    /// The chain after the precertificate, up to and including the root.
    pub precertificate_chain: Vec<Vec<u8>>,
}

/// The `extra_data` of a log entry (RFC 6962 §4.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtraData {
    /// An `x509_entry`'s: `ASN.1Cert certificate_chain<0..2^24-1>` (the chain after the leaf).
    X509 {
        /// Issuer first, root last.
        certificate_chain: Vec<Vec<u8>>,
    },
    /// A `precert_entry`'s: a `PrecertChainEntry`.
    Precert(PrecertChainEntry),
}

impl ExtraData {
    /// The entry type this extra data belongs to.
    pub fn entry_type(&self) -> LogEntryType {
        match self {
            ExtraData::X509 { .. } => LogEntryType::X509,
            ExtraData::Precert(_) => LogEntryType::Precert,
        }
    }

    /// The TLS encoding (`extra_data` in the JSON API).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        match self {
            ExtraData::X509 { certificate_chain } => {
                put_cert_list(&mut out, certificate_chain, "certificate chain")?;
            }
            ExtraData::Precert(entry) => {
                put_nonempty24(&mut out, &entry.pre_certificate, "pre-certificate")?;
                put_cert_list(
                    &mut out,
                    &entry.precertificate_chain,
                    "precertificate chain",
                )?;
            }
        }
        Ok(out)
    }

    /// Decode the `extra_data` of an entry of type `entry_type` (from its `leaf_input`).
    pub fn decode(entry_type: LogEntryType, bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = match entry_type {
            LogEntryType::X509 => ExtraData::X509 {
                certificate_chain: read_cert_list(&mut reader, "certificate chain")?,
            },
            LogEntryType::Precert => {
                let pre_certificate = reader.nonempty24("pre-certificate")?.to_vec();
                let precertificate_chain = read_cert_list(&mut reader, "precertificate chain")?;
                ExtraData::Precert(PrecertChainEntry {
                    pre_certificate,
                    precertificate_chain,
                })
            }
        };
        reader.finish("extra data")?;
        Ok(value)
    }
}
