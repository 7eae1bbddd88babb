//! The process-wide state and the router that composes every service on one listener.
//!
//! Services mount at their upstream paths (Rekor `/api/v1/log/...`, Fulcio `/api/v2/...` and
//! `/api/v1/signingCert`, CT `/ct/v1/...`, TSA `/api/v1/timestamp`, the development issuer
//! `/dev/oidc/...`), which do not collide. Cross-cutting layers are
//! applied here once, in this order (outermost first): tracing, panic → JSON 500, metrics,
//! request timeout → JSON 408.
//! Trailing slashes are trimmed before routing by `service_kit::server::serve`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use rekor_server::RekorState;
use service_kit::error::{not_found, panic_response, request_timeout};
use service_kit::health::{Readiness, healthz};
use service_kit::keyfile::{KeyOrigin, load_or_generate};
use service_kit::metrics::{HttpMetrics, Registry, metrics_handler, new_registry, track_http};
use tlog_engine::EngineMetrics;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::authority::{self, KeyAndChain, Purpose};
use crate::config::{Config, ValidConfig};
use crate::database::Database;
use crate::dev_oidc::DevIssuer;
use crate::trust;

/// Everything the process shares across services.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// Whether the process takes traffic.
    pub(crate) readiness: Readiness,
    /// The metrics registry, frozen once every service has registered.
    pub(crate) registry: Arc<Registry>,
    /// Per-route request metrics.
    pub(crate) http_metrics: HttpMetrics,
    /// The Rekor-compatible log, when enabled.
    pub(crate) rekor: Option<RekorState>,
    /// The CT log, when enabled.
    pub(crate) ct: Option<ct_server::CtState>,
    /// The CA, when enabled.
    pub(crate) fulcio: Option<fulcio_server::FulcioState>,
    /// The timestamp authority, when enabled.
    pub(crate) tsa: Option<tsa_server::TsaState>,
    /// The development OIDC issuer, with `--dev`.
    pub(crate) dev_issuer: Option<DevIssuer>,
    /// Where the trust files were written.
    pub(crate) trust_dir: std::path::PathBuf,
    /// Longest a request may take.
    pub(crate) request_timeout: std::time::Duration,
}

impl AppState {
    /// Open every enabled service. `public_url` is the base URL clients use and `public_host`
    /// its `host[:port]`.
    pub(crate) async fn open(
        cfg: &ValidConfig,
        data_dir: &Path,
        database: &Database,
        public_url: &str,
        public_host: &str,
    ) -> anyhow::Result<Self> {
        let mut registry = new_registry(env!("CARGO_PKG_VERSION"));
        let http_metrics = HttpMetrics::register(&mut registry);
        let engine_metrics = EngineMetrics::register(&mut registry);

        let rekor = if cfg.raw.rekor.enabled {
            let key = load_log_key(cfg.raw.rekor.key_file.as_deref(), data_dir, "rekor")?;
            let hostname = cfg
                .raw
                .rekor
                .hostname
                .clone()
                .unwrap_or_else(|| public_host.to_owned());
            let state = RekorState::open(
                database.log("rekor"),
                key,
                &hostname,
                &cfg.raw.rekor,
                engine_metrics.clone(),
                &mut registry,
            )
            .await
            .context("opening the Rekor log")?;
            tracing::info!(
                log_id = state.log_id_hex(),
                tree_id = state.tree_id().get(),
                size = state.log().head().size,
                %hostname,
                "Rekor log ready"
            );
            Some(state)
        } else {
            None
        };

        let public_url = public_url.trim_end_matches('/');
        let raw = &cfg.raw;

        // The CA's issuing chain comes first: the CT log accepts chains to its root.
        let ca_chain = if raw.ca.enabled {
            Some(
                authority::load_or_create(
                    &raw.ca.signer,
                    Purpose::CodeSigningCa,
                    &data_dir.join("ca"),
                )
                .context("loading the CA key and chain")?,
            )
        } else {
            None
        };

        let ct = open_ct(
            raw,
            data_dir,
            database,
            ca_chain.as_ref(),
            &engine_metrics,
            &mut registry,
        )
        .await?;

        let dev_issuer = open_dev_issuer(raw, data_dir, public_url)?;

        let fulcio = match &ca_chain {
            Some(ca) => Some(open_fulcio(
                raw,
                ca,
                ct.as_ref(),
                dev_issuer.as_ref(),
                &mut registry,
            )?),
            None => None,
        };

        let (tsa, tsa_chain) = open_tsa(raw, data_dir, &mut registry)?;

        let mut oidc_urls: Vec<String> = dev_issuer
            .iter()
            .map(|issuer| issuer.issuer_url().to_owned())
            .collect();
        oidc_urls.extend(raw.oidc.issuers.iter().filter_map(|i| i.url.clone()));
        let ca_names = (
            raw.ca.signer.organization.as_str(),
            raw.ca.signer.common_name.as_str(),
        );
        let tsa_names = (
            raw.tsa.signer.organization.as_str(),
            raw.tsa.signer.common_name.as_str(),
        );
        let remote_ct_key = match &raw.ca.ct_public_key_file {
            Some(path) => Some(read_public_key(path)?),
            None => None,
        };
        let ct_entry = match (&ct, &remote_ct_key, &raw.ca.ct_url) {
            (_, Some(key), Some(url)) => Some((key, url.trim_end_matches('/').to_owned())),
            (Some(state), _, _) => Some((state.public_key(), public_url.to_owned())),
            _ => None,
        };
        let trust_dir = trust::write(
            data_dir,
            &trust::TrustInputs {
                public_url,
                operator: public_host,
                rekor_key: rekor.as_ref().map(|r| r.public_key()),
                ct: ct_entry,
                ca: ca_chain
                    .as_ref()
                    .map(|c| (c.chain.der_certificates(), ca_names.0, ca_names.1)),
                tsa: tsa_chain
                    .as_ref()
                    .map(|c| (c.chain.der_certificates(), tsa_names.0, tsa_names.1)),
                oidc_urls,
            },
        )
        .context("writing the trust files")?;
        tracing::info!(dir = %trust_dir.display(), "trust files written");

        Ok(AppState {
            readiness: Readiness::new(),
            registry: Arc::new(registry),
            http_metrics,
            rekor,
            ct,
            fulcio,
            tsa,
            dev_issuer,
            trust_dir,
            request_timeout: std::time::Duration::from_secs(cfg.raw.request_timeout_seconds),
        })
    }
}

/// The router for `cairn up`.
pub(crate) fn router(state: &AppState) -> Router {
    let health = Router::new()
        .route("/healthz", get(healthz))
        .with_state(state.readiness.clone());
    let metrics = Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(state.registry.clone());
    let mut app = Router::new().merge(health).merge(metrics);
    if let Some(rekor) = &state.rekor {
        app = app.merge(rekor_server::router(rekor.clone()));
    }
    if let Some(ct) = &state.ct {
        app = app.merge(ct_server::router(ct.clone()));
    }
    if let Some(fulcio) = &state.fulcio {
        app = app.merge(fulcio_server::router(fulcio.clone()));
    }
    if let Some(tsa) = &state.tsa {
        app = app.merge(tsa_server::router(tsa.clone()));
    }
    if let Some(issuer) = &state.dev_issuer {
        app = app.merge(crate::dev_oidc::router(issuer.clone()));
    }
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.request_timeout, request_timeout))
        .layer(from_fn_with_state(state.http_metrics.clone(), track_http))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            // Spans carry method and path only: headers (bearer tokens) are never recorded.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
}

async fn method_not_allowed() -> service_kit::error::JsonError {
    service_kit::error::JsonError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed",
    )
}

fn read_public_key(path: &Path) -> anyhow::Result<keys::PublicKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    keys::PublicKey::from_pem(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The CA: token verifier (configured issuers, plus the development issuer with static keys),
/// the CT log precertificates go to, and the issuing chain.
fn open_fulcio(
    raw: &Config,
    ca: &KeyAndChain,
    ct: Option<&ct_server::CtState>,
    dev_issuer: Option<&DevIssuer>,
    registry: &mut Registry,
) -> anyhow::Result<fulcio_server::FulcioState> {
    let mut issuers = raw.oidc.issuers.clone();
    let mut options = oidc_discovery::DiscoveryOptions {
        timeout: std::time::Duration::from_secs(raw.oidc.fetch_timeout_seconds),
        cache_ttl: std::time::Duration::from_secs(raw.oidc.cache_seconds),
        refetch_min_interval: std::time::Duration::from_secs(raw.oidc.refetch_min_interval_seconds),
        leeway_secs: raw.oidc.leeway_seconds,
        extra_root_certificates_pem: match &raw.oidc.ca_certificates_file {
            Some(path) => {
                Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            }
            None => None,
        },
        ..oidc_discovery::DiscoveryOptions::default()
    };
    if let Some(dev) = dev_issuer {
        issuers.push(oidc::IssuerConfig::exact(
            dev.issuer_url(),
            oidc::IssuerType::Email,
        ));
        let jwks = oidc::JwkSet::from_json(&serde_json::to_vec(&dev.jwks())?)
            .map_err(|e| anyhow::anyhow!("the development issuer's JWKS: {e}"))?;
        options
            .static_jwks
            .insert(dev.issuer_url().to_owned(), Arc::new(jwks));
    }
    if issuers.is_empty() {
        tracing::warn!(
            "no OIDC issuer is configured: the CA will refuse every token (add [[oidc.issuers]], --oidc-issuer URL or --dev)"
        );
    }
    let registry_oidc = oidc::IssuerRegistry::new(issuers, raw.oidc.ci_providers.clone())
        .map_err(|e| anyhow::anyhow!("oidc: {e}"))?;
    // Issuers with a `jwks_file` (air-gapped sites) are verified with those keys only.
    options
        .static_jwks
        .extend(oidc_discovery::static_jwks_from_files(&registry_oidc)?);
    let verifier = oidc_discovery::TokenVerifier::new(registry_oidc, options)
        .map_err(|e| anyhow::anyhow!("oidc: {e}"))?;
    let (log, ct_key): (
        Arc<dyn fulcio_server::PrecertificateLog>,
        Option<keys::PublicKey>,
    ) = match (&raw.ca.ct_url, &raw.ca.ct_public_key_file, ct) {
        (Some(url), Some(key_file), _) => (
            Arc::new(
                fulcio_server::RemoteCtLog::new(url, std::time::Duration::from_secs(10))
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            Some(read_public_key(key_file)?),
        ),
        // The in-process log signs with this binary's own code and key: its SCTs are not
        // verified again (a P-256 verification per certificate); a remote log's are.
        (_, _, Some(state)) => (
            Arc::new(crate::in_process_ct::InProcessCt(state.clone())),
            None,
        ),
        _ => anyhow::bail!("the CA needs a CT log: enable [ct] or set ca.ct_url"),
    };
    let state = fulcio_server::FulcioState::open(
        ca.signer.clone(),
        ca.chain.clone(),
        Arc::new(verifier),
        log,
        ct_key,
        fulcio_server::FulcioOptions {
            validity_secs: raw.ca.validity_seconds,
            max_request_bytes: raw.ca.max_request_bytes,
        },
        registry,
    )
    .context("setting up the CA")?;
    Ok(state)
}

/// A transparency log's ECDSA P-256 key: the configured file, or `DATA_DIR/keys/<name>.pem`,
/// generated on first start.
fn load_log_key(
    configured: Option<&Path>,
    data_dir: &Path,
    name: &str,
) -> anyhow::Result<Arc<dyn keys::Signer>> {
    let key_file = configured
        .map(Path::to_owned)
        .unwrap_or_else(|| data_dir.join("keys").join(format!("{name}.pem")));
    let (key, origin) = load_or_generate(&key_file, keys::SigningAlgorithm::EcdsaP256Sha256)
        .with_context(|| format!("loading the {name} log key"))?;
    if origin == KeyOrigin::Generated {
        tracing::info!(path = %key_file.display(), "generated a new {name} log key");
    }
    Ok(key)
}

/// The CT log, accepting chains to the CA's root and `ct.extra_roots_file`.
async fn open_ct(
    raw: &Config,
    data_dir: &Path,
    database: &Database,
    ca_chain: Option<&KeyAndChain>,
    engine_metrics: &EngineMetrics,
    registry: &mut Registry,
) -> anyhow::Result<Option<ct_server::CtState>> {
    if !raw.ct.enabled {
        return Ok(None);
    }
    let key = load_log_key(raw.ct.key_file.as_deref(), data_dir, "ct")?;
    let mut roots = Vec::new();
    if let Some(ca) = ca_chain {
        roots.push(der::Encode::to_der(ca.chain.root()).context("encoding the CA root")?);
    }
    if let Some(path) = &raw.ct.extra_roots_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let extra = pki::CertificateChain::from_pem(&text)
            .with_context(|| format!("parsing {}", path.display()))?;
        roots.extend(extra.der_certificates().iter().cloned());
    }
    if roots.is_empty() {
        anyhow::bail!("the CT log has no root to accept: enable [ca] or set ct.extra_roots_file");
    }
    let state = ct_server::CtState::open(
        database.log("ct"),
        key,
        roots,
        &raw.ct,
        engine_metrics.clone(),
        registry,
    )
    .await
    .context("opening the CT log")?;
    tracing::info!(
        log_id = hex::encode(state.log_id()),
        size = state.log().head().size,
        "CT log ready"
    );
    Ok(Some(state))
}

/// The development OIDC issuer, with `--dev`.
fn open_dev_issuer(
    raw: &Config,
    data_dir: &Path,
    public_url: &str,
) -> anyhow::Result<Option<DevIssuer>> {
    if !raw.dev {
        return Ok(None);
    }
    let (key, _) = load_or_generate(
        &data_dir.join("keys").join("dev-oidc.pem"),
        keys::SigningAlgorithm::EcdsaP256Sha256,
    )
    .context("loading the development OIDC key")?;
    let issuer = DevIssuer::new(
        key,
        format!("{public_url}{}", crate::dev_oidc::DEV_ISSUER_PATH),
    )?;
    tracing::warn!(
        issuer = issuer.issuer_url(),
        "the development OIDC issuer is on: anyone who reaches this listener can get certificates for any e-mail address"
    );
    Ok(Some(issuer))
}

/// The timestamp authority and its key and chain, when enabled.
fn open_tsa(
    raw: &Config,
    data_dir: &Path,
    registry: &mut Registry,
) -> anyhow::Result<(Option<tsa_server::TsaState>, Option<KeyAndChain>)> {
    if !raw.tsa.enabled {
        return Ok((None, None));
    }
    let material = authority::load_or_create(
        &raw.tsa.signer,
        Purpose::Timestamping,
        &data_dir.join("tsa"),
    )
    .context("loading the TSA key and chain")?;
    let policy = raw
        .tsa
        .policy_oid
        .parse()
        .map_err(|e| anyhow::anyhow!("tsa.policy_oid: {e}"))?;
    let authority = tsa::TimestampAuthority::new(
        material.signer.clone(),
        material.chain.der_certificates().to_vec(),
        policy,
        tsa::Accuracy::new(1, 0, 0).map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .context("setting up the timestamp authority")?;
    // As upstream: refuse to start with a chain that is not valid now.
    authority
        .check_valid_at(std::time::SystemTime::now())
        .context("the TSA certificate chain is not valid now")?;
    let state = tsa_server::TsaState::with_config(
        authority,
        material.chain.to_pem(),
        tsa_server::TsaConfig {
            max_request_bytes: raw.tsa.max_request_bytes,
        },
        registry,
    )
    .context("setting up the timestamp authority API")?;
    Ok((Some(state), Some(material)))
}
