#![doc = include_str!("../README.md")]

mod fetch;
mod static_keys;
mod verifier;

pub use fetch::FetchError;
pub use static_keys::{StaticJwksError, static_jwks_from_files};
pub use verifier::{
    BuildError, Clock, DiscoveryOptions, SystemClock, TokenVerifier, VerifiedToken,
    VerifyTokenError,
};
