//! Public keys and certificates as Rekor v1 entries carry them (PEM, base64-encoded in JSON),
//! their canonical PEM, and the subject alternative names that feed the search index.
//!
//! Mirrors Rekor's `pkg/pki/x509`: a `PUBLIC KEY` block is re-encoded from the parsed key; a
//! `CERTIFICATE` block is re-encoded from the certificate's DER exactly as received (no chain
//! validation, no validity check). Certificate chains (several PEM blocks) are refused.

use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::ed25519ph;
use crate::encoding::hex_lower;
use crate::error::EntryError;
use crate::pem::{self, CERTIFICATE_LABEL, PUBLIC_KEY_LABEL};
use keys::{HashAlgorithm, KeyKind, PublicKey, SignatureScheme};

/// OID of the Sigstore otherName SAN (`1.3.6.1.4.1.57264.1.7`), the only otherName Rekor indexes.
const SIGSTORE_OTHERNAME_OID: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// A public key or certificate from an entry.
#[derive(Debug, Clone)]
pub(crate) struct Verifier {
    /// The key that verifies signatures (the certificate's subject key for a certificate).
    pub(crate) key: PublicKey,
    /// The canonical PEM (Go `pem.Encode` of the re-encoded SPKI or of the certificate DER).
    pub(crate) canonical_pem: String,
    /// Certificate SANs in Rekor's order: DNS names, emails, IP addresses, URIs, then the
    /// Sigstore otherName. Empty for a bare key.
    pub(crate) subjects: Vec<String>,
}

impl Verifier {
    /// Parse PEM bytes (already base64-decoded from the JSON member at `field`).
    pub(crate) fn from_pem_bytes(pem_bytes: &[u8], field: &str) -> Result<Self, EntryError> {
        let block = pem::decode_single(pem_bytes).map_err(|source| EntryError::Pem {
            field: field.to_owned(),
            source,
        })?;
        match block.label.as_str() {
            PUBLIC_KEY_LABEL => {
                let key = parse_spki(&block.der, field)?;
                let canonical_pem = pem::encode(PUBLIC_KEY_LABEL, key.spki_der());
                Ok(Verifier {
                    key,
                    canonical_pem,
                    subjects: Vec::new(),
                })
            }
            CERTIFICATE_LABEL => {
                let cert = Certificate::from_der(&block.der).map_err(|e| {
                    EntryError::InvalidCertificate {
                        field: field.to_owned(),
                        reason: e.to_string(),
                    }
                })?;
                let spki = cert
                    .tbs_certificate()
                    .subject_public_key_info()
                    .to_der()
                    .map_err(|e| EntryError::InvalidCertificate {
                        field: field.to_owned(),
                        reason: e.to_string(),
                    })?;
                let key = parse_spki(&spki, field)?;
                let subjects = subject_alternative_names(&cert);
                Ok(Verifier {
                    key,
                    canonical_pem: pem::encode(CERTIFICATE_LABEL, &block.der),
                    subjects,
                })
            }
            other => Err(EntryError::Pem {
                field: field.to_owned(),
                source: pem::PemError::UnsupportedLabel {
                    label: other.to_owned(),
                },
            }),
        }
    }

    /// `hex(SHA-256(canonical PEM))`, the key part of Rekor's index keys.
    pub(crate) fn canonical_pem_sha256_hex(&self) -> String {
        hex_lower(&Sha256::digest(self.canonical_pem.as_bytes()))
    }

    /// Verify a signature over a DSSE PAE the way Rekor's DSSE verifiers do (sigstore
    /// `LoadVerifier(key, SHA256)`): ECDSA of either curve and RSA PKCS#1 v1.5 over SHA-256,
    /// pure Ed25519 over the PAE itself.
    pub(crate) fn verify_message_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        match self.key.kind() {
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => self
                .key
                .verify_prehashed(HashAlgorithm::Sha256, &Sha256::digest(message), signature)
                .is_ok(),
            KeyKind::Ed25519 => self
                .key
                .verify_with(SignatureScheme::Ed25519, message, signature)
                .is_ok(),
            KeyKind::Rsa { .. } => self
                .key
                .verify_with(SignatureScheme::RsaPkcs1Sha256, message, signature)
                .is_ok(),
            _ => false,
        }
    }

    /// Verify a signature over a digest (hashedrekord): ECDSA and RSA PKCS#1 v1.5 with the named
    /// hash, Ed25519 keys as Ed25519ph (SHA-512 digests only).
    pub(crate) fn verify_digest(
        &self,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> bool {
        match self.key.kind() {
            KeyKind::Ed25519 => match (hash, self.key.ed25519_raw()) {
                (HashAlgorithm::Sha512, Some(raw)) => {
                    ed25519ph::verify_prehashed(&raw, digest, signature).is_ok()
                }
                _ => false,
            },
            _ => self.key.verify_prehashed(hash, digest, signature).is_ok(),
        }
    }
}

fn parse_spki(der: &[u8], field: &str) -> Result<PublicKey, EntryError> {
    PublicKey::from_spki_der(der).map_err(|source| EntryError::InvalidPublicKey {
        field: field.to_owned(),
        source,
    })
}

/// SANs in the order of sigstore's `cryptoutils.GetSubjectAlternateNames`: DNS names, email
/// addresses, IP addresses (Go's `net.IP.String` form), URIs, then the single Sigstore
/// otherName if there is exactly one otherName and it has that OID.
fn subject_alternative_names(cert: &Certificate) -> Vec<String> {
    let mut dns = Vec::new();
    let mut emails = Vec::new();
    let mut ips = Vec::new();
    let mut uris = Vec::new();
    let mut other_names = Vec::new();
    for ext in cert.tbs_certificate().filter_extensions::<SubjectAltName>() {
        let Ok((_, san)) = ext else { continue };
        for name in san.0 {
            match name {
                GeneralName::DnsName(s) => dns.push(s.to_string()),
                GeneralName::Rfc822Name(s) => emails.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => uris.push(s.to_string()),
                GeneralName::IpAddress(octets) => {
                    if let Some(ip) = go_ip_string(octets.as_bytes()) {
                        ips.push(ip);
                    }
                }
                GeneralName::OtherName(other) => other_names.push(other),
                _ => {}
            }
        }
    }
    let mut out = dns;
    out.append(&mut emails);
    out.append(&mut ips);
    out.append(&mut uris);
    if let [only] = other_names.as_slice()
        && only.type_id == SIGSTORE_OTHERNAME_OID
        && let Ok(value) = only.value.decode_as::<der::asn1::Utf8StringRef<'_>>()
    {
        out.push(value.as_str().to_owned());
    }
    out
}

/// An IP SAN as Go's `net.IP.String()` prints it (IPv4-mapped IPv6 addresses as dotted IPv4).
fn go_ip_string(octets: &[u8]) -> Option<String> {
    match octets.len() {
        4 => {
            let v4: [u8; 4] = octets.try_into().ok()?;
            Some(std::net::Ipv4Addr::from(v4).to_string())
        }
        16 => {
            let v6: [u8; 16] = octets.try_into().ok()?;
            let v6 = std::net::Ipv6Addr::from(v6);
            Some(match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            })
        }
        _ => None,
    }
}

/// Description of a key for error messages ("ECDSA P-256", "RSA 2048-bit", "Ed25519").
pub(crate) fn describe_key(kind: KeyKind) -> String {
    match kind {
        KeyKind::EcdsaP256 => "ECDSA P-256".to_owned(),
        KeyKind::EcdsaP384 => "ECDSA P-384".to_owned(),
        KeyKind::Ed25519 => "Ed25519".to_owned(),
        KeyKind::Rsa { bits } => format!("RSA {bits}-bit"),
        other => format!("{other:?}"),
    }
}
