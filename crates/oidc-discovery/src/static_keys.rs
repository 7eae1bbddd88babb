//! Static key sets from files, for issuers the CA cannot reach (air-gapped sites).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use oidc::{IssuerRegistry, JwkSet, JwksError, MAX_JWKS_BYTES};
use thiserror::Error;

/// Why a `jwks_file` could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StaticJwksError {
    /// The file could not be read.
    #[error("cannot read JWKS file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a usable JWKS document.
    #[error("JWKS file {path}: {error}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        error: JwksError,
    },
    /// The file has no usable signature key.
    #[error("JWKS file {path} has no usable signature key")]
    NoUsableKeys {
        /// The file.
        path: PathBuf,
    },
}

/// Read every issuer's `jwks_file` (at most [`MAX_JWKS_BYTES`] each), keyed by issuer URL, for
/// [`DiscoveryOptions::static_jwks`](crate::DiscoveryOptions::static_jwks). Call once at
/// startup; a bad file is a configuration error.
pub fn static_jwks_from_files(
    registry: &IssuerRegistry,
) -> Result<HashMap<String, Arc<JwkSet>>, StaticJwksError> {
    let mut out = HashMap::new();
    for issuer in registry.issuers() {
        let config = issuer.config();
        let (Some(path), Some(url)) = (&config.jwks_file, &config.url) else {
            continue;
        };
        let read_error = |source| StaticJwksError::Read {
            path: path.clone(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(read_error)?
            .take(MAX_JWKS_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        let keys = JwkSet::from_json(&bytes).map_err(|error| StaticJwksError::Parse {
            path: path.clone(),
            error,
        })?;
        if keys.keys.is_empty() {
            return Err(StaticJwksError::NoUsableKeys { path: path.clone() });
        }
        out.insert(url.clone(), Arc::new(keys));
    }
    Ok(out)
}
