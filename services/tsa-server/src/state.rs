//! The TSA service's state: the authority, the PEM chain it serves, limits and metrics.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use service_kit::metrics::CounterByLabel;
use tsa::TimestampAuthority;

/// Default limit on `POST /api/v1/timestamp` bodies: real requests are under 200 bytes.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 10 * 1024;

/// Service settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaConfig {
    /// Largest request body accepted; larger bodies get 413. At most
    /// [`tsa::MAX_REQUEST_BYTES`] (the parsers' own limit).
    pub max_request_bytes: usize,
}

impl Default for TsaConfig {
    fn default() -> Self {
        TsaConfig {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
        }
    }
}

/// Why the service could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TsaStateError {
    /// The PEM chain is not PEM certificates.
    #[error("TSA chain PEM: {0}")]
    Pem(String),
    /// The PEM chain is not the authority's chain, in the same order.
    #[error(
        "the TSA chain PEM does not hold the authority's certificates in order (leaf first); \
         the certchain endpoint must serve exactly the chain the tokens are signed under"
    )]
    ChainMismatch,
    /// The body limit is zero or above the parsers' own limit.
    #[error("max_request_bytes must be between 1 and {}", tsa::MAX_REQUEST_BYTES)]
    BadLimit,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuedLabels {
    hash_algorithm: String,
    format: String,
}

/// TSA metrics: tokens issued by imprint hash and request format, requests refused by reason.
#[derive(Clone, Debug)]
pub(crate) struct TsaMetrics {
    issued: Family<IssuedLabels, Counter>,
    rejected: CounterByLabel,
}

impl TsaMetrics {
    fn register(registry: &mut Registry) -> Self {
        let issued = Family::<IssuedLabels, Counter>::default();
        registry.register(
            "tsa_timestamps_issued",
            "Time-stamp tokens issued, by imprint hash algorithm and request format (der, json)",
            issued.clone(),
        );
        TsaMetrics {
            issued,
            rejected: CounterByLabel::register(
                registry,
                "tsa_requests_rejected",
                "Time-stamp requests refused, by reason",
                "reason",
            ),
        }
    }

    pub(crate) fn issued(&self, hash_algorithm: &str, format: &str) {
        self.issued
            .get_or_create(&IssuedLabels {
                hash_algorithm: hash_algorithm.to_owned(),
                format: format.to_owned(),
            })
            .inc();
    }

    pub(crate) fn rejected(&self, reason: &str) {
        self.rejected.inc(reason);
    }
}

pub(crate) struct Inner {
    pub(crate) authority: TimestampAuthority,
    pub(crate) chain_pem: String,
    pub(crate) config: TsaConfig,
    pub(crate) metrics: TsaMetrics,
}

/// Shared state of the TSA API. Cheap to clone.
#[derive(Clone)]
pub struct TsaState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for TsaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaState")
            .field("authority", &self.0.authority)
            .field("config", &self.0.config)
            .finish_non_exhaustive()
    }
}

/// The chain as PEM (64-column base64, LF line endings), leaf first: what
/// `GET /api/v1/timestamp/certchain` serves.
pub fn chain_pem(chain_der: &[Vec<u8>]) -> Result<String, TsaStateError> {
    let mut pem = String::new();
    for der in chain_der {
        pem.push_str(
            &pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
                .map_err(|e| TsaStateError::Pem(e.to_string()))?,
        );
    }
    Ok(pem)
}

/// The DER certificates of a PEM chain, in order. Text outside the blocks is ignored.
fn pem_chain_der(pem: &str) -> Result<Vec<Vec<u8>>, TsaStateError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let block = &rest[start..];
        let end = block
            .find(END)
            .ok_or_else(|| TsaStateError::Pem("unterminated CERTIFICATE block".into()))?
            + END.len();
        let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..end])
            .map_err(|e| TsaStateError::Pem(e.to_string()))?;
        if label != "CERTIFICATE" {
            return Err(TsaStateError::Pem(format!("unexpected PEM label {label}")));
        }
        certs.push(der);
        rest = &block[end..];
    }
    Ok(certs)
}

impl TsaState {
    /// The TSA API over `authority`, serving `chain_pem` (which must hold exactly the
    /// authority's chain, leaf first, as `trusted_root.json` lists it) at the certchain
    /// endpoint, with default settings. Metrics are registered in `registry`.
    pub fn new(
        authority: TimestampAuthority,
        chain_pem: String,
        registry: &mut Registry,
    ) -> Result<TsaState, TsaStateError> {
        TsaState::with_config(authority, chain_pem, TsaConfig::default(), registry)
    }

    /// [`TsaState::new`] with explicit settings.
    pub fn with_config(
        authority: TimestampAuthority,
        chain_pem: String,
        config: TsaConfig,
        registry: &mut Registry,
    ) -> Result<TsaState, TsaStateError> {
        if config.max_request_bytes == 0 || config.max_request_bytes > tsa::MAX_REQUEST_BYTES {
            return Err(TsaStateError::BadLimit);
        }
        if pem_chain_der(&chain_pem)? != authority.chain_der() {
            return Err(TsaStateError::ChainMismatch);
        }
        Ok(TsaState(Arc::new(Inner {
            authority,
            chain_pem,
            config,
            metrics: TsaMetrics::register(registry),
        })))
    }

    /// The authority issuing the tokens.
    pub fn authority(&self) -> &TimestampAuthority {
        &self.0.authority
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pem_roundtrip_and_order() {
        let certs = vec![vec![0x30, 0x03, 0x02, 0x01, 0x01], vec![0x30, 0x00]];
        let pem = chain_pem(&certs).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----\n").count(), 2);
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
        assert_eq!(pem_chain_der(&pem).unwrap(), certs);
        let crlf = format!("leading text\r\n{}", pem.replace('\n', "\r\n"));
        assert_eq!(pem_chain_der(&crlf).unwrap(), certs);
        assert!(pem_chain_der("-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
        assert_eq!(pem_chain_der("").unwrap(), Vec::<Vec<u8>>::new());
    }
}
