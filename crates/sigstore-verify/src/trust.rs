//! The trusted root, decoded once: keys parsed, certificates parsed, windows as Unix seconds.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::Decode;
use keys::PublicKey;
use trust_root::{CertificateAuthority, TimeRange, TransparencyLogInstance, TrustedRoot};
use x509_cert::Certificate;

use crate::error::TrustError;
use crate::time::parse_rfc3339;

/// An inclusive validity window in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
}

impl Window {
    fn from_range(range: &TimeRange, what: &str) -> Result<Window, TrustError> {
        let parse = |text: &str| {
            parse_rfc3339(text).ok_or_else(|| TrustError::Malformed {
                what: format!("{what}.validFor"),
                reason: format!("{text:?} is not an RFC 3339 time"),
            })
        };
        Ok(Window {
            start: parse(&range.start)?,
            end: range.end.as_deref().map(parse).transpose()?,
        })
    }

    /// Whether `t` lies inside the window (both ends inclusive).
    pub(crate) fn contains(&self, t: i64) -> bool {
        t >= self.start && self.end.is_none_or(|end| t <= end)
    }
}

/// A transparency log (Rekor v1/v2 or CT) from the trusted root.
#[derive(Debug, Clone)]
pub(crate) struct LogKey {
    pub(crate) base_url: String,
    /// Host name of `base_url` (no scheme, port or path): the Rekor v2 checkpoint origin.
    pub(crate) host: String,
    pub(crate) key: PublicKey,
    pub(crate) log_id: Vec<u8>,
    pub(crate) checkpoint_key_id: Option<Vec<u8>>,
    pub(crate) valid_for: Window,
}

impl LogKey {
    /// `None` for a key of an algorithm this verifier does not support (skipped, as
    /// sigstore-python does).
    fn from_instance(
        instance: &TransparencyLogInstance,
        what: &str,
    ) -> Result<Option<LogKey>, TrustError> {
        let malformed = |field: &str, reason: String| TrustError::Malformed {
            what: format!("{what} ({}) {field}", instance.base_url),
            reason,
        };
        let raw = instance
            .spki_der()
            .map_err(|e| malformed("publicKey.rawBytes", e.to_string()))?;
        // `PKCS1_*` key details carry a bare PKCS#1 RSAPublicKey instead of an SPKI.
        let spki = if instance.public_key.key_details.starts_with("PKCS1_") {
            rsa_spki(&raw).map_err(|e| malformed("publicKey.rawBytes", e))?
        } else {
            raw
        };
        let key = match PublicKey::from_spki_der(&spki) {
            Ok(key) => key,
            Err(keys::KeyError::Unsupported(_)) => return Ok(None),
            Err(e) => return Err(malformed("publicKey.rawBytes", e.to_string())),
        };
        let log_id = instance
            .log_id_bytes()
            .map_err(|e| malformed("logId.keyId", e.to_string()))?;
        let checkpoint_key_id = instance
            .checkpoint_key_id
            .as_ref()
            .map(|id| {
                STANDARD
                    .decode(&id.key_id)
                    .map_err(|_| malformed("checkpointKeyId.keyId", "bad base64".to_owned()))
            })
            .transpose()?;
        Ok(Some(LogKey {
            host: host_of(&instance.base_url),
            base_url: instance.base_url.clone(),
            key,
            log_id,
            checkpoint_key_id,
            valid_for: Window::from_range(
                &instance.public_key.valid_for,
                &format!("{what} ({})", instance.base_url),
            )?,
        }))
    }

    /// Whether `id` names this log (its `logId` or `checkpointKeyId`).
    pub(crate) fn has_id(&self, id: &[u8]) -> bool {
        self.log_id == id || self.checkpoint_key_id.as_deref() == Some(id)
    }
}

/// Wrap a PKCS#1 `RSAPublicKey` in a SubjectPublicKeyInfo.
fn rsa_spki(pkcs1: &[u8]) -> Result<Vec<u8>, String> {
    use der::Encode;
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
            parameters: Some(der::Any::null()),
        },
        subject_public_key: der::asn1::BitString::from_bytes(pkcs1).map_err(|e| e.to_string())?,
    };
    spki.to_der().map_err(|e| e.to_string())
}

/// The host name of a URL: scheme, user info, port and path removed (`https://a.b:8443/x` →
/// `a.b`, `http://[::1]:80` → `::1`).
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default().to_owned();
    }
    host_port.split(':').next().unwrap_or_default().to_owned()
}

/// A certificate authority or timestamp authority: its chain, parsed, and its window.
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub(crate) uri: String,
    pub(crate) certs: Vec<Certificate>,
    pub(crate) ders: Vec<Vec<u8>>,
    pub(crate) valid_for: Window,
}

impl Authority {
    fn from_trust(ca: &CertificateAuthority, what: &str) -> Result<Authority, TrustError> {
        let label = format!("{what} ({})", ca.uri);
        let ders = ca.cert_chain.to_der().map_err(|e| TrustError::Malformed {
            what: format!("{label} certChain"),
            reason: e.to_string(),
        })?;
        if ders.is_empty() || ders.len() > pki::MAX_CHAIN_LEN {
            return Err(TrustError::Malformed {
                what: format!("{label} certChain"),
                reason: format!(
                    "{} certificates (1 to {} allowed)",
                    ders.len(),
                    pki::MAX_CHAIN_LEN
                ),
            });
        }
        let certs = ders
            .iter()
            .enumerate()
            .map(|(i, der)| {
                Certificate::from_der(der).map_err(|e| TrustError::Malformed {
                    what: format!("{label} certChain certificate {i}"),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Authority {
            uri: ca.uri.clone(),
            certs,
            ders,
            valid_for: Window::from_range(&ca.valid_for, &label)?,
        })
    }
}

/// Everything the verifier trusts.
#[derive(Debug, Clone)]
pub(crate) struct TrustMaterial {
    pub(crate) tlogs: Vec<LogKey>,
    pub(crate) ctlogs: Vec<LogKey>,
    pub(crate) cas: Vec<Authority>,
    pub(crate) tsas: Vec<Authority>,
}

impl TrustMaterial {
    pub(crate) fn new(root: &TrustedRoot) -> Result<TrustMaterial, TrustError> {
        Ok(TrustMaterial {
            tlogs: root
                .tlogs
                .iter()
                .map(|t| LogKey::from_instance(t, "tlog"))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()?,
            ctlogs: root
                .ctlogs
                .iter()
                .map(|t| LogKey::from_instance(t, "ctlog"))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()?,
            cas: root
                .certificate_authorities
                .iter()
                .map(|c| Authority::from_trust(c, "certificate authority"))
                .collect::<Result<_, _>>()?,
            tsas: root
                .timestamp_authorities
                .iter()
                .map(|c| Authority::from_trust(c, "timestamp authority"))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The transparency log whose ID is `id`.
    pub(crate) fn tlog_by_id(&self, id: &[u8]) -> Option<&LogKey> {
        self.tlogs.iter().find(|t| t.has_id(id))
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_urls() {
        assert_eq!(
            host_of("https://log2025-1.rekor.sigstore.dev"),
            "log2025-1.rekor.sigstore.dev"
        );
        assert_eq!(host_of("http://127.0.0.1:3950/api"), "127.0.0.1");
        assert_eq!(host_of("https://u:p@h.example:1/x?y"), "h.example");
        assert_eq!(host_of("http://[::1]:80/"), "::1");
        assert_eq!(host_of("plain.host"), "plain.host");
    }
}
