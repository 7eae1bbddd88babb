//! [`Pkcs11Error`] and [`PinError`].

use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};
use thiserror::Error;

use crate::ecdsa::EncodingError;

/// Why a PKCS#11 signer could not be opened, created or used.
///
/// No variant carries the PIN, and none formats it: login failures report the token's return
/// code only.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The configuration is inconsistent (for example both or neither of `token_label` and
    /// `slot_id`).
    #[error("invalid PKCS#11 configuration: {0}")]
    InvalidConfig(&'static str),
    /// The PKCS#11 module path does not name a readable file.
    #[error("PKCS#11 module {path} not found: {source}")]
    ModuleNotFound {
        /// The configured module path.
        path: PathBuf,
        /// Why the path could not be resolved.
        #[source]
        source: std::io::Error,
    },
    /// The PKCS#11 module (shared library) could not be loaded.
    #[error("cannot load PKCS#11 module {path}: {}", brief(source))]
    ModuleLoad {
        /// The configured module path.
        path: PathBuf,
        /// The loader's or module's error.
        #[source]
        source: CkError,
    },
    /// The module loaded but `C_Initialize` (or the slot list) failed.
    #[error("cannot initialize PKCS#11 module {path}: {}", brief(source))]
    ModuleInit {
        /// The configured module path.
        path: PathBuf,
        /// The module's error.
        #[source]
        source: CkError,
    },
    /// No present, initialized token has the configured label or slot ID.
    #[error("no PKCS#11 token {token} (check the token label or slot ID)")]
    TokenNotFound {
        /// `label "…"` or `slot N`.
        token: String,
    },
    /// More than one token carries the configured label.
    #[error("{count} PKCS#11 tokens are labelled {label:?}; configure slot_id instead")]
    AmbiguousToken {
        /// The configured label.
        label: String,
        /// How many tokens have it.
        count: usize,
    },
    /// A session could not be opened on the token.
    #[error("cannot open a session on PKCS#11 token {token}: {}", brief(source))]
    Session {
        /// `label "…"` or `slot N`.
        token: String,
        /// The module's error.
        #[source]
        source: CkError,
    },
    /// `C_Login` as the normal user failed (wrong PIN, PIN locked, …). The PIN is not included.
    #[error("login to PKCS#11 token {token} failed: {}", brief(source))]
    LoginFailed {
        /// `label "…"` or `slot N`.
        token: String,
        /// The module's error (for a wrong PIN, `PinIncorrect`).
        #[source]
        source: CkError,
    },
    /// No private key object has the configured label.
    #[error("no private key labelled {label:?} on the PKCS#11 token")]
    KeyNotFound {
        /// The configured key label.
        label: String,
    },
    /// More than one private key (or public key) object has the configured label.
    #[error("{count} {class} objects are labelled {label:?} on the PKCS#11 token")]
    AmbiguousKey {
        /// The configured key label.
        label: String,
        /// `private key` or `public key`.
        class: &'static str,
        /// How many objects matched.
        count: usize,
    },
    /// The private key exists but its public half could not be found (no `CKO_PUBLIC_KEY` with
    /// the same `CKA_ID` or label, and no `CKA_PUBLIC_KEY_INFO` on the private key).
    #[error("no public key for PKCS#11 key {label:?}")]
    PublicKeyNotFound {
        /// The configured key label.
        label: String,
    },
    /// The key is not an EC key on P-256 or P-384 (the only kinds this backend signs with).
    #[error("PKCS#11 key {label:?} is not supported: {detail}")]
    UnsupportedKeyType {
        /// The configured key label.
        label: String,
        /// What was found (key type, curve parameters).
        detail: String,
    },
    /// An algorithm this backend cannot generate or sign with was requested.
    #[error("PKCS#11 backend supports ecdsa-p256 and ecdsa-p384, not {0}")]
    UnsupportedAlgorithm(keys::SigningAlgorithm),
    /// The key exists but on another curve than the one asked for.
    #[error("PKCS#11 key {label:?} is {found}, but {wanted} was configured")]
    AlgorithmMismatch {
        /// The configured key label.
        label: String,
        /// The key's algorithm.
        found: keys::SigningAlgorithm,
        /// The configured algorithm.
        wanted: keys::SigningAlgorithm,
    },
    /// [`crate::Pkcs11Signer::generate`] found a private key with the label already.
    #[error("a private key labelled {label:?} already exists on the PKCS#11 token")]
    KeyExists {
        /// The configured key label.
        label: String,
    },
    /// Reading object attributes or searching for objects failed.
    #[error("cannot read PKCS#11 key {label:?}: {}", brief(source))]
    Attribute {
        /// The configured key label.
        label: String,
        /// The module's error.
        #[source]
        source: CkError,
    },
    /// The token returned key material in a shape that cannot be used.
    #[error("PKCS#11 key {label:?}: {source}")]
    Encoding {
        /// The configured key label.
        label: String,
        /// What was wrong.
        #[source]
        source: EncodingError,
    },
    /// The public key the token returned was rejected by `keys`.
    #[error("PKCS#11 key {label:?} has an invalid public key: {source}")]
    InvalidPublicKey {
        /// The configured key label.
        label: String,
        /// Why `keys` rejected it.
        #[source]
        source: keys::KeyError,
    },
    /// The self-test signature made at open did not verify under the public key found: the
    /// public and private objects do not belong together.
    #[error("PKCS#11 key {label:?}: the private key does not match the public key found for it")]
    KeyPairMismatch {
        /// The configured key label.
        label: String,
    },
    /// A signature from the token did not verify under the key's public key (checked for every
    /// signature before it is returned).
    #[error("PKCS#11 key {label:?} produced a signature that does not verify")]
    SignatureInvalid {
        /// The configured key label.
        label: String,
    },
    /// `C_GenerateKeyPair` failed.
    #[error(
        "cannot generate a key pair labelled {label:?} on the PKCS#11 token: {}",
        brief(source)
    )]
    Generate {
        /// The configured key label.
        label: String,
        /// The module's error.
        #[source]
        source: CkError,
    },
    /// `C_Sign` failed (after one retry on a fresh, logged-in session where that can help).
    #[error("PKCS#11 signing with key {label:?} failed: {}", brief(source))]
    Sign {
        /// The configured key label.
        label: String,
        /// The module's error.
        #[source]
        source: CkError,
    },
}

/// A short rendering of a cryptoki error: the function and the return code's name
/// (`Login: PinIncorrect`), instead of the spec's paragraph-long description.
fn brief(err: &CkError) -> String {
    match err {
        CkError::Pkcs11(rv, function) => format!("{function}: {}", rv_name(*rv)),
        other => other.to_string(),
    }
}

fn rv_name(rv: RvError) -> String {
    format!("{rv:?}")
}

impl Pkcs11Error {
    /// The PKCS#11 return code behind this error, if the module returned one.
    pub fn return_code(&self) -> Option<RvError> {
        match self {
            Pkcs11Error::ModuleLoad { source, .. }
            | Pkcs11Error::ModuleInit { source, .. }
            | Pkcs11Error::Session { source, .. }
            | Pkcs11Error::LoginFailed { source, .. }
            | Pkcs11Error::Attribute { source, .. }
            | Pkcs11Error::Generate { source, .. }
            | Pkcs11Error::Sign { source, .. } => match source {
                CkError::Pkcs11(rv, _) => Some(*rv),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why a PIN could not be read from the environment or a file.
///
/// No variant carries the PIN.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PinError {
    /// The environment variable is not set.
    #[error("environment variable {var} is not set (it should hold the PKCS#11 user PIN)")]
    EnvNotSet {
        /// The variable's name.
        var: String,
    },
    /// The environment variable is not valid Unicode.
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// The PIN file could not be read.
    #[error("cannot read PIN file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PIN file is larger than [`crate::MAX_PIN_FILE_LEN`] bytes.
    #[error("PIN file {path} is larger than {max} bytes")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// The PIN file is not valid UTF-8.
    #[error("PIN file {path} is not valid UTF-8")]
    FileNotUnicode {
        /// The file.
        path: PathBuf,
    },
    /// The variable or file holds an empty PIN.
    #[error("the PIN from {source_name} is empty")]
    Empty {
        /// The variable name or file path.
        source_name: String,
    },
}
