//! The CA's shared state: the issuing chain and key, the token verifier, the CT log, metrics.

use std::sync::Arc;

use keys::{PublicKey, Signer};
use oidc_discovery::TokenVerifier;
use pki::{CertificateChain, IssuerCert};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use service_kit::metrics::CounterByLabel;

use crate::ct::PrecertificateLog;

/// Tuning of the CA.
#[derive(Debug, Clone)]
pub struct FulcioOptions {
    /// Lifetime of issued certificates (Fulcio: 10 minutes).
    pub validity_secs: u32,
    /// Largest request body accepted (Fulcio: 4 MiB).
    pub max_request_bytes: usize,
}

impl Default for FulcioOptions {
    fn default() -> Self {
        FulcioOptions {
            validity_secs: pki::DEFAULT_LEAF_VALIDITY_SECS,
            max_request_bytes: 4 << 20,
        }
    }
}

/// Why the CA could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FulcioOpenError {
    /// The chain is not a usable issuing chain for the key.
    #[error("the CA chain cannot issue with this key: {0}")]
    Chain(String),
}

/// The issuing CA: its key (which never leaves its backend) and chain.
#[derive(Debug)]
pub(crate) struct IssuingCa {
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) chain: CertificateChain,
    pub(crate) issuer: IssuerCert,
    /// The chain as trimmed PEM strings, issuing certificate first.
    pub(crate) chain_pem: Vec<String>,
}

/// CA metrics.
#[derive(Clone, Debug)]
pub(crate) struct FulcioMetrics {
    issued: CounterByLabel,
    rejected: CounterByLabel,
    pub(crate) issue_seconds: Histogram,
}

impl FulcioMetrics {
    fn register(registry: &mut Registry) -> Self {
        let issue_seconds = Histogram::new([
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]);
        registry.register(
            "fulcio_issue_seconds",
            "Time to issue a certificate (token check, precertificate, SCT, final certificate)",
            issue_seconds.clone(),
        );
        FulcioMetrics {
            issued: CounterByLabel::register(
                registry,
                "fulcio_certificates_issued",
                "Code-signing certificates issued, by issuer type",
                "issuer_type",
            ),
            rejected: CounterByLabel::register(
                registry,
                "fulcio_requests_rejected",
                "Certificate requests refused, by reason",
                "reason",
            ),
            issue_seconds,
        }
    }

    pub(crate) fn issued(&self, issuer_type: &str) {
        self.issued.inc(issuer_type);
    }

    pub(crate) fn rejected(&self, reason: &str) {
        self.rejected.inc(reason);
    }
}

pub(crate) struct Inner {
    pub(crate) ca: IssuingCa,
    pub(crate) verifier: Arc<TokenVerifier>,
    pub(crate) ct: Arc<dyn PrecertificateLog>,
    pub(crate) ct_key: Option<PublicKey>,
    pub(crate) options: FulcioOptions,
    pub(crate) metrics: FulcioMetrics,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FulcioState")
            .field("chain_len", &self.ca.chain.len())
            .field("ct", &self.ct)
            .finish_non_exhaustive()
    }
}

/// Everything the CA handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FulcioState(pub(crate) Arc<Inner>);

impl FulcioState {
    /// Set up the CA.
    ///
    /// `chain` is the issuing certificate first and the root last; `signer` holds the issuing
    /// certificate's key. `ct` is the CT log precertificates go to; when `ct_key` is given, every
    /// SCT it returns is verified against it before it is embedded (Fulcio's
    /// `--ct-log-public-key-path`).
    pub fn open(
        signer: Arc<dyn Signer>,
        chain: CertificateChain,
        verifier: Arc<TokenVerifier>,
        ct: Arc<dyn PrecertificateLog>,
        ct_key: Option<PublicKey>,
        options: FulcioOptions,
        registry: &mut Registry,
    ) -> Result<FulcioState, FulcioOpenError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        pki::validate_issuing_chain(
            &chain,
            signer.public_key(),
            Some(pki::oid::KP_CODE_SIGNING),
            now,
        )
        .map_err(|e| FulcioOpenError::Chain(e.to_string()))?;
        let issuer = chain
            .issuer()
            .map_err(|e| FulcioOpenError::Chain(e.to_string()))?;
        let chain_pem = chain.to_pem_strings();
        Ok(FulcioState(Arc::new(Inner {
            ca: IssuingCa {
                signer,
                chain,
                issuer,
                chain_pem,
            },
            verifier,
            ct,
            ct_key,
            options,
            metrics: FulcioMetrics::register(registry),
        })))
    }

    /// The issuing chain, issuing certificate first.
    pub fn chain(&self) -> &CertificateChain {
        &self.0.ca.chain
    }
}
