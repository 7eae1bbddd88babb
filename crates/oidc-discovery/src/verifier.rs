//! [`TokenVerifier`]: token → issuer → keys (cached) → verified claims → principal.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc::{Claims, Issuer, IssuerRegistry, JwkSet, Principal, PrincipalError, TokenError};
use thiserror::Error;

use crate::fetch::{self, FetchError};

/// Where the verifier reads time from; tests substitute a manual clock.
pub trait Clock: Send + Sync + fmt::Debug {
    /// A monotonic instant, for cache ages and refetch intervals.
    fn monotonic(&self) -> Instant;
    /// Seconds since the Unix epoch, for token validity.
    fn unix_seconds(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn monotonic(&self) -> Instant {
        Instant::now()
    }

    fn unix_seconds(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// How keys are fetched and cached.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Timeout of each HTTP request, connection included. Default 10 s.
    pub timeout: Duration,
    /// Largest discovery document or key set accepted. Default 1 MiB.
    pub max_response_bytes: usize,
    /// How long fetched keys are used before they are fetched again. Default 1 h.
    pub cache_ttl: Duration,
    /// Least time between two fetch attempts for one issuer, whatever the reason (unknown
    /// `kid`, expired cache, earlier failure). Default 10 s.
    pub refetch_min_interval: Duration,
    /// Clock skew allowed for `exp`, `nbf` and `iat`, in seconds. Default 60.
    pub leeway_secs: u64,
    /// Most issuers whose keys are cached at once (meta-issuers can match many URLs); the
    /// oldest entry is dropped beyond it. Default 100.
    pub max_cached_issuers: usize,
    /// Static keys by exact issuer URL, used instead of discovery (for example from
    /// [`static_jwks_from_files`](crate::static_jwks_from_files)). An issuer's inline `jwks`
    /// is used as well without being listed here.
    pub static_jwks: HashMap<String, Arc<JwkSet>>,
    /// Extra TLS trust anchors (a PEM bundle) for identity providers with a private CA.
    pub extra_root_certificates_pem: Option<Vec<u8>>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            cache_ttl: Duration::from_secs(3600),
            refetch_min_interval: Duration::from_secs(10),
            leeway_secs: oidc::DEFAULT_LEEWAY_SECS,
            max_cached_issuers: 100,
            static_jwks: HashMap::new(),
            extra_root_certificates_pem: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Why the verifier could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `extra_root_certificates_pem` holds no usable certificate.
    #[error("extra root certificates: {0}")]
    RootCertificates(String),
    /// The HTTP client could not be set up.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// A token that verified, from a trusted issuer, with the identity it proves.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// The issuer configuration that matched the token's `iss`.
    pub issuer: Arc<Issuer>,
    /// The verified claims.
    pub claims: Claims,
    /// The certificate identity.
    pub principal: Principal,
}

/// Why a token was not accepted. Four kinds, each of which the HTTP layer can turn into one
/// fixed client message; the `Display` text (for logs) never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyTokenError {
    /// No configured issuer matches the token's `iss`.
    #[error("token issuer {issuer:?} is not configured")]
    UnknownIssuer {
        /// The unverified `iss`, shortened to at most 128 characters.
        issuer: String,
    },
    /// The token is malformed, badly signed, expired, or for another audience.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenError),
    /// The token is valid but its identity is refused (admission rule, unverified e-mail,
    /// subject outside the configured domain, missing CI claims, ...).
    #[error("identity rejected: {0}")]
    IdentityRejected(#[from] PrincipalError),
    /// The issuer's keys could not be fetched and none are cached.
    #[error("identity provider unavailable: {0}")]
    IdpUnavailable(FetchError),
}

/// One issuer's cached keys.
#[derive(Debug, Default)]
struct CacheEntry {
    state: Mutex<KeyState>,
    /// Held by the one task fetching for this issuer; others wait on it and then take its
    /// result.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct KeyState {
    keys: Option<Arc<JwkSet>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
    last_error: Option<FetchError>,
    /// Counts completed fetch attempts.
    attempts: u64,
}

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<String, Arc<CacheEntry>>,
    order: VecDeque<String>,
}

/// Why keys are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Any keys not older than the TTL.
    Fresh,
    /// Newer keys than the ones that lacked the token's `kid`.
    Newer,
}

/// Verifies ID tokens for the CA: the single entry point the Fulcio handler calls.
#[derive(Debug)]
pub struct TokenVerifier {
    registry: IssuerRegistry,
    client: reqwest::Client,
    options: DiscoveryOptions,
    cache: Mutex<Cache>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded state stays consistent at every await-free step, so a panic elsewhere
    // does not poison it in a way that matters.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn shorten(text: &str) -> String {
    text.chars()
        .take(128)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl TokenVerifier {
    /// A verifier for the issuers of `registry`. Fetches nothing until the first token.
    pub fn new(registry: IssuerRegistry, options: DiscoveryOptions) -> Result<Self, BuildError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!("cairn-oidc-discovery/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &options.extra_root_certificates_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| BuildError::RootCertificates(e.to_string()))?;
            if certs.is_empty() {
                return Err(BuildError::RootCertificates(
                    "no certificate in the PEM bundle".into(),
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| BuildError::Client(e.to_string()))?;
        Ok(TokenVerifier {
            registry,
            client,
            options,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The issuer registry (for `/api/v2/configuration`).
    pub fn registry(&self) -> &IssuerRegistry {
        &self.registry
    }

    /// Verify a token end to end: read `iss`, find the issuer, get its keys (static, cached or
    /// fetched; refetched once, rate-limited, when the token names an unknown `kid`), check
    /// the signature and claims, and build the principal.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyTokenError> {
        let iss = oidc::peek_issuer(token)?;
        let issuer =
            self.registry
                .lookup(&iss)
                .cloned()
                .ok_or_else(|| VerifyTokenError::UnknownIssuer {
                    issuer: shorten(&iss),
                })?;
        let now = self.options.clock.unix_seconds();
        let expect = issuer.expectations(&iss, now, self.options.leeway_secs);

        let static_keys = issuer
            .static_jwks()
            .or_else(|| self.options.static_jwks.get(&iss));
        let claims = if let Some(keys) = static_keys {
            oidc::verify(token, keys, &expect)?
        } else {
            let entry = self.entry(&iss);
            let keys = self.keys(&entry, &iss, Need::Fresh).await?;
            match oidc::verify(token, &keys, &expect) {
                Err(TokenError::UnknownKeyId) => {
                    let newer = self.keys(&entry, &iss, Need::Newer).await?;
                    if Arc::ptr_eq(&newer, &keys) {
                        return Err(TokenError::UnknownKeyId.into());
                    }
                    oidc::verify(token, &newer, &expect)?
                }
                result => result?,
            }
        };
        let principal = issuer.principal(&claims)?;
        Ok(VerifiedToken {
            issuer,
            claims,
            principal,
        })
    }

    fn entry(&self, iss: &str) -> Arc<CacheEntry> {
        let mut cache = lock(&self.cache);
        if let Some(entry) = cache.entries.get(iss) {
            return Arc::clone(entry);
        }
        while cache.entries.len() >= self.options.max_cached_issuers.max(1) {
            let Some(oldest) = cache.order.pop_front() else {
                break;
            };
            cache.entries.remove(&oldest);
        }
        let entry = Arc::new(CacheEntry::default());
        cache.entries.insert(iss.to_owned(), Arc::clone(&entry));
        cache.order.push_back(iss.to_owned());
        entry
    }

    /// Keys for an issuer. Fetches at most once per `refetch_min_interval`; concurrent callers
    /// share one fetch; a failed fetch falls back to keys fetched earlier, if any.
    async fn keys(
        &self,
        entry: &CacheEntry,
        iss: &str,
        need: Need,
    ) -> Result<Arc<JwkSet>, VerifyTokenError> {
        let clock = &self.options.clock;
        let attempts_seen = {
            let state = lock(&entry.state);
            let now = clock.monotonic();
            if need == Need::Fresh
                && let (Some(keys), Some(at)) = (&state.keys, state.fetched_at)
                && now.saturating_duration_since(at) < self.options.cache_ttl
            {
                return Ok(Arc::clone(keys));
            }
            if let Some(at) = state.attempted_at
                && now.saturating_duration_since(at) < self.options.refetch_min_interval
            {
                return Self::current(&state, iss);
            }
            state.attempts
        };

        let _fetching = entry.fetching.lock().await;
        {
            let state = lock(&entry.state);
            if state.attempts != attempts_seen {
                // Another task fetched while this one waited: take its result.
                return Self::current(&state, iss);
            }
        }
        let result = fetch::fetch_keys(&self.client, iss, self.options.max_response_bytes).await;
        let mut state = lock(&entry.state);
        let now = clock.monotonic();
        state.attempts += 1;
        state.attempted_at = Some(now);
        match result {
            Ok(keys) => {
                tracing::debug!(issuer = %iss, keys = keys.keys.len(), skipped = keys.skipped, "fetched identity provider keys");
                let keys = Arc::new(keys);
                state.keys = Some(Arc::clone(&keys));
                state.fetched_at = Some(now);
                state.last_error = None;
                Ok(keys)
            }
            Err(error) => {
                tracing::warn!(issuer = %iss, %error, stale_keys = state.keys.is_some(), "fetching identity provider keys failed");
                state.last_error = Some(error);
                Self::current(&state, iss)
            }
        }
    }

    fn current(state: &KeyState, iss: &str) -> Result<Arc<JwkSet>, VerifyTokenError> {
        match (&state.keys, &state.last_error) {
            (Some(keys), _) => Ok(Arc::clone(keys)),
            (None, Some(error)) => Err(VerifyTokenError::IdpUnavailable(error.clone())),
            (None, None) => Err(VerifyTokenError::IdpUnavailable(FetchError::Request {
                url: fetch::discovery_url(iss),
                reason: "no keys fetched yet".into(),
            })),
        }
    }
}
