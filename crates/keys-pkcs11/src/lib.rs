#![doc = include_str!("../README.md")]

mod config;
mod ecdsa;
mod error;
mod module;
mod signer;

pub use config::{
    DEFAULT_MAX_SESSIONS, MAX_PIN_FILE_LEN, MAX_SESSIONS_LIMIT, PIN_ENV_VAR, Pkcs11Config,
    read_pin_from_env, read_pin_from_file,
};
pub use ecdsa::EncodingError;
pub use error::{PinError, Pkcs11Error};
pub use signer::{KeyOrigin, KeyProtection, Pkcs11Signer};

/// The PKCS#11 return codes carried by [`Pkcs11Error::return_code`] (re-exported from
/// `cryptoki`).
pub use cryptoki::error::RvError;
