#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O, no async runtime. The caller supplies the current time and the
//! issuer's keys.

mod builtin;
mod claim_path;
mod config;
mod extensions;
mod jwk;
mod jws;
mod principal;
mod template;
mod token;
mod uri;

pub use builtin::ci_providers as builtin_ci_providers;
pub use claim_path::{ClaimPath, ClaimPathError};
pub use config::{
    AdmissionRule, CiProviderMetadata, CiProviderProblem, ConfigError, DEFAULT_CLIENT_ID, Issuer,
    IssuerConfig, IssuerDescription, IssuerProblem, IssuerRegistry, IssuerType,
};
pub use extensions::{CertificateExtension, FULCIO_OID_ARC};
pub use jwk::{Jwk, JwkKind, JwkSet, JwksError, MAX_JWKS_BYTES, MAX_JWKS_KEYS};
pub use jws::{
    Algorithm, CompactJws, JwsHeader, MAX_TOKEN_BYTES, ecdsa_der_to_jws, parse as parse_jws,
};
pub use principal::{Principal, PrincipalError, SubjectAltName, principal};
pub use template::{Template, TemplateError, TemplateSyntaxError, ValueTemplate};
pub use token::{
    Claims, DEFAULT_LEEWAY_SECS, Expectations, MalformedToken, TokenError, TokenPart, peek_issuer,
    verify,
};
