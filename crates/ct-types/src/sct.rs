//! Signatures, SCTs, SCT lists and signed tree heads (RFC 6962 §3.2, §3.3, §3.5).

use der::{Decode, Encode};

use crate::tls::{DecodeError, EncodeError, Reader, put_opaque16, put_u64};

/// `HashAlgorithm` of a `DigitallySigned` (RFC 5246 §7.4.1.4.1). CT clients accept only
/// SHA-256, and so does this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `sha256(4)`.
    Sha256,
}

impl HashAlgorithm {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            HashAlgorithm::Sha256 => 4,
        }
    }

    fn from_code(code: u8) -> Result<Self, DecodeError> {
        match code {
            4 => Ok(HashAlgorithm::Sha256),
            other => Err(DecodeError::Unsupported {
                field: "hash algorithm",
                value: u64::from(other),
            }),
        }
    }
}

/// `SignatureAlgorithm` of a `DigitallySigned` (RFC 5246 §7.4.1.4.1): the two RFC 6962 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `rsa(1)`: RSASSA-PKCS1-v1_5.
    Rsa,
    /// `ecdsa(3)`: ECDSA with an ASN.1 DER `Ecdsa-Sig-Value`.
    Ecdsa,
}

impl SignatureAlgorithm {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            SignatureAlgorithm::Rsa => 1,
            SignatureAlgorithm::Ecdsa => 3,
        }
    }

    fn from_code(code: u8) -> Result<Self, DecodeError> {
        match code {
            1 => Ok(SignatureAlgorithm::Rsa),
            3 => Ok(SignatureAlgorithm::Ecdsa),
            other => Err(DecodeError::Unsupported {
                field: "signature algorithm",
                value: u64::from(other),
            }),
        }
    }
}

/// A TLS `digitally-signed` struct: `hash(1) || signature_algorithm(1) || opaque<0..2^16-1>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitallySigned {
    /// The hash the signature was made over.
    pub hash: HashAlgorithm,
    /// The signature scheme.
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature bytes (DER `Ecdsa-Sig-Value` for ECDSA).
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.hash.code());
        out.push(self.signature_algorithm.code());
        put_opaque16(out, &self.signature, "signature")
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let hash = HashAlgorithm::from_code(reader.u8("hash algorithm")?)?;
        let signature_algorithm = SignatureAlgorithm::from_code(reader.u8("signature algorithm")?)?;
        let signature = reader.opaque16("signature")?.to_vec();
        Ok(DigitallySigned {
            hash,
            signature_algorithm,
            signature,
        })
    }

    /// The TLS encoding (what `signature` and `tree_head_signature` carry in the JSON API).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(4 + self.signature.len());
        self.write(&mut out)?;
        Ok(out)
    }

    /// Decode exactly one `digitally-signed` struct.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::read(&mut reader)?;
        reader.finish("digitally-signed struct")?;
        Ok(value)
    }
}

/// A v1 signed certificate timestamp (RFC 6962 §3.2). The version is always `v1(0)`; decoding
/// refuses any other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignedCertificateTimestamp {
    /// SHA-256 of the log's DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch; equal to the timestamp in the entry's
    /// `MerkleTreeLeaf`.
    pub timestamp: u64,
    /// `CtExtensions` (empty for RFC 6962 logs; sigstore-python rejects non-empty ones).
    pub extensions: Vec<u8>,
    /// The log's signature over [`crate::sct_signed_input`].
    pub signature: DigitallySigned,
}

/// The SCT version byte `v1(0)`.
pub const SCT_VERSION_V1: u8 = 0;

impl SignedCertificateTimestamp {
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(SCT_VERSION_V1);
        out.extend_from_slice(&self.log_id);
        put_u64(out, self.timestamp);
        put_opaque16(out, &self.extensions, "SCT extensions")?;
        self.signature.write(out)
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = reader.u8("SCT version")?;
        if version != SCT_VERSION_V1 {
            return Err(DecodeError::Unsupported {
                field: "SCT version",
                value: u64::from(version),
            });
        }
        let log_id = reader.array32("log id")?;
        let timestamp = reader.u64("timestamp")?;
        let extensions = reader.opaque16("SCT extensions")?.to_vec();
        let signature = DigitallySigned::read(reader)?;
        Ok(SignedCertificateTimestamp {
            log_id,
            timestamp,
            extensions,
            signature,
        })
    }

    /// The TLS encoding of the SCT (one element of an SCT list).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out =
            Vec::with_capacity(47 + self.extensions.len() + self.signature.signature.len());
        self.write(&mut out)?;
        Ok(out)
    }

    /// Decode exactly one SCT.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::read(&mut reader)?;
        reader.finish("SCT")?;
        Ok(value)
    }
}

/// Encode a `SignedCertificateTimestampList` (RFC 6962 §3.3): `u16 total || (u16 len || SCT)+`.
/// These are the bytes inside the X.509 extension's inner OCTET STRING. The list must not be
/// empty.
pub fn encode_sct_list(scts: &[SignedCertificateTimestamp]) -> Result<Vec<u8>, EncodeError> {
    if scts.is_empty() {
        return Err(EncodeError::Empty { what: "SCT list" });
    }
    let mut inner = Vec::new();
    for sct in scts {
        put_opaque16(&mut inner, &sct.encode()?, "serialized SCT")?;
    }
    let mut out = Vec::with_capacity(inner.len() + 2);
    put_opaque16(&mut out, &inner, "SCT list")?;
    Ok(out)
}

/// Decode a `SignedCertificateTimestampList`. Every SCT must decode; the list and each
/// serialized SCT must be non-empty, and nothing may follow the list.
pub fn decode_sct_list(bytes: &[u8]) -> Result<Vec<SignedCertificateTimestamp>, DecodeError> {
    let mut reader = Reader::new(bytes);
    let list = reader.opaque16("SCT list")?;
    reader.finish("SCT list")?;
    if list.is_empty() {
        return Err(DecodeError::Empty { what: "SCT list" });
    }
    let mut inner = Reader::new(list);
    let mut scts = Vec::new();
    while !inner.is_empty() {
        let serialized = inner.opaque16("serialized SCT")?;
        if serialized.is_empty() {
            return Err(DecodeError::Empty {
                what: "serialized SCT",
            });
        }
        scts.push(SignedCertificateTimestamp::decode(serialized)?);
    }
    Ok(scts)
}

/// The `extnValue` contents of the X.509 SCT-list extension (OID 1.3.6.1.4.1.11129.2.4.2): a DER
/// OCTET STRING wrapping [`encode_sct_list`]. (The certificate's `extnValue` is itself an OCTET
/// STRING, so the list is wrapped twice in the certificate.)
pub fn sct_list_extension_value(
    scts: &[SignedCertificateTimestamp],
) -> Result<Vec<u8>, EncodeError> {
    let list = encode_sct_list(scts)?;
    der::asn1::OctetString::new(list)
        .and_then(|octets| octets.to_der())
        .map_err(|e| EncodeError::Der(e.to_string()))
}

/// Decode the `extnValue` contents of the SCT-list extension (the inverse of
/// [`sct_list_extension_value`]).
pub fn sct_list_from_extension_value(
    extn_value: &[u8],
) -> Result<Vec<SignedCertificateTimestamp>, DecodeError> {
    let octets = <&der::asn1::OctetStringRef>::from_der(extn_value)
        .map_err(|e| DecodeError::Der(e.to_string()))?;
    decode_sct_list(octets.as_bytes())
}

/// The signature type byte of an STH (`tree_hash(1)`).
const SIGNATURE_TYPE_TREE_HASH: u8 = 1;

/// The bytes a log signs for a signed tree head (RFC 6962 §3.5):
/// `version(0) || signature_type(1) || timestamp u64 || tree_size u64 || root[32]`.
pub fn sth_signed_input(timestamp: u64, tree_size: u64, root: &[u8; 32]) -> [u8; 50] {
    let mut out = [0u8; 50];
    out[0] = SCT_VERSION_V1;
    out[1] = SIGNATURE_TYPE_TREE_HASH;
    out[2..10].copy_from_slice(&timestamp.to_be_bytes());
    out[10..18].copy_from_slice(&tree_size.to_be_bytes());
    out[18..50].copy_from_slice(root);
    out
}

/// A signed tree head (RFC 6962 §3.5, §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTreeHead {
    /// Number of entries.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// RFC 6962 Merkle tree hash of the entries.
    pub sha256_root_hash: [u8; 32],
    /// The log's signature over [`sth_signed_input`].
    pub tree_head_signature: DigitallySigned,
}

impl SignedTreeHead {
    /// The bytes [`SignedTreeHead::tree_head_signature`] signs.
    pub fn signed_input(&self) -> [u8; 50] {
        sth_signed_input(self.timestamp, self.tree_size, &self.sha256_root_hash)
    }

    /// A compact, self-describing binary form (Cairn's stored checkpoint for CT logs): the 50
    /// bytes of [`sth_signed_input`] followed by the TLS `digitally-signed` struct.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = self.signed_input().to_vec();
        self.tree_head_signature.write(&mut out)?;
        Ok(out)
    }

    /// Decode [`SignedTreeHead::encode`]'s form.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8("STH version")?;
        let signature_type = reader.u8("STH signature type")?;
        if version != SCT_VERSION_V1 {
            return Err(DecodeError::Unsupported {
                field: "STH version",
                value: u64::from(version),
            });
        }
        if signature_type != SIGNATURE_TYPE_TREE_HASH {
            return Err(DecodeError::Unsupported {
                field: "STH signature type",
                value: u64::from(signature_type),
            });
        }
        let timestamp = reader.u64("STH timestamp")?;
        let tree_size = reader.u64("STH tree size")?;
        let sha256_root_hash = reader.array32("STH root hash")?;
        let tree_head_signature = DigitallySigned::read(&mut reader)?;
        reader.finish("STH")?;
        Ok(SignedTreeHead {
            tree_size,
            timestamp,
            sha256_root_hash,
            tree_head_signature,
        })
    }
}
