//! [`Pkcs11Config`] and the PIN readers.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{PinError, Pkcs11Error};

/// The environment variable Cairn reads the PKCS#11 user PIN from, by convention.
pub const PIN_ENV_VAR: &str = "CAIRN_PKCS11_PIN";

/// Largest PIN file accepted, in bytes (PINs are short; this bounds the read).
pub const MAX_PIN_FILE_LEN: u64 = 1024;

/// Default for [`Pkcs11Config::max_sessions`].
pub const DEFAULT_MAX_SESSIONS: usize = 4;

/// Upper bound for [`Pkcs11Config::max_sessions`] (HSMs limit sessions per application; a
/// bigger pool would only queue inside the token).
pub const MAX_SESSIONS_LIMIT: usize = 64;

/// Where the signing key lives: a PKCS#11 module, a token in it, and a key on the token.
///
/// Deserializes from configuration (TOML, env) **without the PIN**: `pin` is skipped by serde
/// and must be set by the caller from a secret source ([`read_pin_from_env`],
/// [`read_pin_from_file`]) with [`Pkcs11Config::with_pin`]. A `pin` key in a config file is an
/// error (unknown field), so a PIN cannot end up in one by accident.
///
/// Exactly one of `token_label` and `slot_id` must be set ([`Pkcs11Config::validate`]).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Config {
    /// Path of the PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module_path: PathBuf,
    /// The token's label (`CK_TOKEN_INFO.label`, trailing blanks ignored).
    #[serde(default)]
    pub token_label: Option<String>,
    /// The slot ID, for modules whose token labels are not unique. SoftHSM2 reassigns slot IDs
    /// when tokens are initialized, so prefer `token_label` there.
    #[serde(default)]
    pub slot_id: Option<u64>,
    /// `CKA_LABEL` of the private key (and, unless IDs link them, of its public key).
    pub key_label: String,
    /// At most this many PKCS#11 sessions are open for signing at once (default 4, 1..=64).
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// The user PIN. Never deserialized, never printed.
    #[serde(skip)]
    pub pin: Zeroizing<String>,
}

fn default_max_sessions() -> usize {
    DEFAULT_MAX_SESSIONS
}

impl fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module_path", &self.module_path)
            .field("token_label", &self.token_label)
            .field("slot_id", &self.slot_id)
            .field("key_label", &self.key_label)
            .field("max_sessions", &self.max_sessions)
            .field("pin", &"<redacted>")
            .finish()
    }
}

/// Which token a configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenSelector {
    /// By `CK_TOKEN_INFO.label`.
    Label(String),
    /// By slot ID.
    Slot(u64),
}

impl fmt::Display for TokenSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSelector::Label(label) => write!(f, "label {label:?}"),
            TokenSelector::Slot(id) => write!(f, "slot {id}"),
        }
    }
}

impl Pkcs11Config {
    /// A configuration selecting the token by label, with the default session limit.
    pub fn new(
        module_path: impl Into<PathBuf>,
        token_label: impl Into<String>,
        key_label: impl Into<String>,
        pin: Zeroizing<String>,
    ) -> Self {
        Pkcs11Config {
            module_path: module_path.into(),
            token_label: Some(token_label.into()),
            slot_id: None,
            key_label: key_label.into(),
            max_sessions: DEFAULT_MAX_SESSIONS,
            pin,
        }
    }

    /// The same configuration with `pin` as the user PIN.
    pub fn with_pin(mut self, pin: Zeroizing<String>) -> Self {
        self.pin = pin;
        self
    }

    /// Check the configuration without touching the module: exactly one of `token_label` /
    /// `slot_id`, labels that fit PKCS#11 (token label ≤ 32 bytes, key label 1..=255 bytes),
    /// a module path, and `max_sessions` in 1..=64. The PIN is not checked (it may be set later).
    pub fn validate(&self) -> Result<(), Pkcs11Error> {
        self.token_selector()?;
        if self.module_path.as_os_str().is_empty() {
            return Err(Pkcs11Error::InvalidConfig("module_path is empty"));
        }
        if self.key_label.is_empty() || self.key_label.len() > 255 {
            return Err(Pkcs11Error::InvalidConfig(
                "key_label must be 1 to 255 bytes",
            ));
        }
        if !(1..=MAX_SESSIONS_LIMIT).contains(&self.max_sessions) {
            return Err(Pkcs11Error::InvalidConfig(
                "max_sessions must be between 1 and 64",
            ));
        }
        Ok(())
    }

    pub(crate) fn token_selector(&self) -> Result<TokenSelector, Pkcs11Error> {
        match (&self.token_label, self.slot_id) {
            (Some(label), None) => {
                // CK_TOKEN_INFO.label is 32 bytes, blank-padded.
                let trimmed = label.trim_end_matches(' ');
                if trimmed.is_empty() || trimmed.len() > 32 {
                    return Err(Pkcs11Error::InvalidConfig(
                        "token_label must be 1 to 32 bytes",
                    ));
                }
                Ok(TokenSelector::Label(trimmed.to_owned()))
            }
            (None, Some(slot)) => Ok(TokenSelector::Slot(slot)),
            (Some(_), Some(_)) => Err(Pkcs11Error::InvalidConfig(
                "set token_label or slot_id, not both",
            )),
            (None, None) => Err(Pkcs11Error::InvalidConfig(
                "one of token_label and slot_id is required",
            )),
        }
    }
}

/// Read the user PIN from the environment variable `var` (Cairn's convention:
/// [`PIN_ENV_VAR`]). An unset, non-UTF-8 or empty variable is an error.
pub fn read_pin_from_env(var: &str) -> Result<Zeroizing<String>, PinError> {
    match std::env::var(var) {
        Ok(pin) => {
            let pin = Zeroizing::new(pin);
            if pin.is_empty() {
                return Err(PinError::Empty {
                    source_name: format!("environment variable {var}"),
                });
            }
            Ok(pin)
        }
        Err(std::env::VarError::NotPresent) => Err(PinError::EnvNotSet {
            var: var.to_owned(),
        }),
        Err(std::env::VarError::NotUnicode(_)) => Err(PinError::EnvNotUnicode {
            var: var.to_owned(),
        }),
    }
}

/// Read the user PIN from a file (for example a systemd credential or a mounted secret). One
/// trailing `\n` or `\r\n` is removed; the rest is the PIN, which must not be empty. Files over
/// [`MAX_PIN_FILE_LEN`] bytes are refused.
pub fn read_pin_from_file(path: &Path) -> Result<Zeroizing<String>, PinError> {
    let read_err = |source| PinError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PIN_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_PIN_FILE_LEN {
        return Err(PinError::FileTooLarge {
            path: path.to_owned(),
            max: MAX_PIN_FILE_LEN,
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| PinError::FileNotUnicode {
        path: path.to_owned(),
    })?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(PinError::Empty {
            source_name: format!("file {}", path.display()),
        });
    }
    Ok(Zeroizing::new(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Pkcs11Config {
        Pkcs11Config::new(
            "/usr/lib/softhsm/libsofthsm2.so",
            "cairn",
            "ca",
            Zeroizing::new("1234".to_owned()),
        )
    }

    #[test]
    fn debug_never_shows_the_pin() {
        let shown = format!(
            "{:?}",
            config().with_pin(Zeroizing::new("s3cr3t-pin".into()))
        );
        assert!(!shown.contains("s3cr3t-pin"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("libsofthsm2.so"));
    }

    #[test]
    fn validate_requires_exactly_one_token_selector() {
        config().validate().expect("label only");
        let mut slot = config();
        slot.token_label = None;
        slot.slot_id = Some(7);
        slot.validate().expect("slot only");
        assert_eq!(slot.token_selector().expect("slot"), TokenSelector::Slot(7));

        let mut both = config();
        both.slot_id = Some(1);
        assert!(matches!(
            both.validate(),
            Err(Pkcs11Error::InvalidConfig(_))
        ));
        let mut neither = config();
        neither.token_label = None;
        assert!(matches!(
            neither.validate(),
            Err(Pkcs11Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn validate_bounds_labels_and_sessions() {
        let mut c = config();
        c.token_label = Some("x".repeat(33));
        assert!(c.validate().is_err());
        c.token_label = Some("padded   ".into());
        assert_eq!(
            c.token_selector().expect("ok"),
            TokenSelector::Label("padded".into())
        );
        let mut c = config();
        c.key_label = String::new();
        assert!(c.validate().is_err());
        let mut c = config();
        c.max_sessions = 0;
        assert!(c.validate().is_err());
        c.max_sessions = 65;
        assert!(c.validate().is_err());
        c.max_sessions = 64;
        c.validate().expect("64 sessions");
    }

    #[test]
    fn deserializes_without_a_pin_and_refuses_one() {
        let c: Pkcs11Config = serde_json::from_str(
            r#"{"module_path": "/m.so", "token_label": "t", "key_label": "k"}"#,
        )
        .expect("deserialize");
        assert_eq!(c.module_path, PathBuf::from("/m.so"));
        assert_eq!(c.max_sessions, DEFAULT_MAX_SESSIONS);
        assert!(c.pin.is_empty());
        let with_pin = serde_json::from_str::<Pkcs11Config>(
            r#"{"module_path": "/m.so", "token_label": "t", "key_label": "k", "pin": "1234"}"#,
        );
        assert!(with_pin.is_err());
    }

    #[test]
    fn pin_file_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, body: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).expect("write");
            p
        };
        let lf = write("lf", b"1234\n");
        assert_eq!(read_pin_from_file(&lf).expect("pin").as_str(), "1234");
        let crlf = write("crlf", b"12 34\r\n");
        assert_eq!(read_pin_from_file(&crlf).expect("pin").as_str(), "12 34");
        let bare = write("bare", b"abcd");
        assert_eq!(read_pin_from_file(&bare).expect("pin").as_str(), "abcd");
        let empty = write("empty", b"\n");
        assert!(matches!(
            read_pin_from_file(&empty),
            Err(PinError::Empty { .. })
        ));
        let big = write("big", &[b'1'; 1025]);
        assert!(matches!(
            read_pin_from_file(&big),
            Err(PinError::FileTooLarge { .. })
        ));
        let binary = write("binary", &[0xff, 0xfe]);
        assert!(matches!(
            read_pin_from_file(&binary),
            Err(PinError::FileNotUnicode { .. })
        ));
        assert!(matches!(
            read_pin_from_file(&dir.path().join("missing")),
            Err(PinError::Read { .. })
        ));
    }

    #[test]
    fn pin_env_unset_is_an_error_naming_the_variable() {
        let err = read_pin_from_env("CAIRN_KEYS_PKCS11_TEST_SURELY_UNSET").expect_err("unset");
        assert!(
            err.to_string()
                .contains("CAIRN_KEYS_PKCS11_TEST_SURELY_UNSET")
        );
    }
}
