//! [`Pkcs11Signer`]: open, generate, and sign with a key that stays in the token.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, RwLock};

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use keys::{PublicKey, SignError, Signer, SigningAlgorithm};
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::config::{Pkcs11Config, TokenSelector};
use crate::ecdsa::{self, Curve};
use crate::error::Pkcs11Error;
use crate::module;

/// The message signed (and verified) when a signer opens, to prove that the private key and the
/// public key found for it belong together.
const SELF_TEST_MESSAGE: &[u8] = b"cairn keys-pkcs11 self-test: private and public key match";

/// Serializes [`Pkcs11Signer::generate`] within the process, so two callers cannot both find a
/// label absent and both create a key with it. (Across processes, see the crate README.)
static GENERATE_LOCK: Mutex<()> = Mutex::new(());

/// Whether [`Pkcs11Signer::ensure_key`] found the key or created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// A private key with the label was already on the token.
    Existing,
    /// No key had the label; a new key pair was generated in the token.
    Generated,
}

/// How the token protects the private key, as its attributes report it.
///
/// An attribute the token does not report counts as the unsafe value (not sensitive,
/// extractable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyProtection {
    /// `CKA_SENSITIVE`: the key's value cannot be read in plaintext.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`: the key can be wrapped (exported encrypted).
    pub extractable: bool,
    /// `CKA_ALWAYS_SENSITIVE`: the key has been sensitive since it was created.
    pub always_sensitive: bool,
    /// `CKA_NEVER_EXTRACTABLE`: the key has never been extractable.
    pub never_extractable: bool,
    /// `CKA_LOCAL`: the key was generated on the token (not imported).
    pub local: bool,
}

impl KeyProtection {
    /// True when the key cannot leave the token: sensitive and not extractable.
    pub fn is_non_exportable(&self) -> bool {
        self.sensitive && !self.extractable
    }
}

/// A [`keys::Signer`] whose ECDSA P-256 or P-384 private key lives in a PKCS#11 token.
///
/// The private key is used through `C_Sign` with `CKM_ECDSA` only; its value is never read.
/// Messages are hashed in the process (SHA-256 for P-256, SHA-384 for P-384) and the token signs
/// the digest; its raw `r || s` output is re-encoded as a DER `Ecdsa-Sig-Value`, and every
/// signature is verified under [`Signer::public_key`] before it is returned.
///
/// # Threads
///
/// PKCS#11 sessions must not be used by two threads at once, and one session serializes its
/// operations, so the signer keeps a **pool** of up to `max_sessions` sessions: a signing call
/// takes an idle session (or opens one, logging in, while under the limit, or waits for one to
/// be returned), signs, and returns it. Signing from many threads therefore runs in parallel up
/// to the limit, which a single `Mutex<Session>` would not allow. A session that fails with an
/// error that a new session can cure (session closed or invalid, user logged out, token
/// removed, key handle invalid) is closed together with the idle ones, and the signature is
/// retried once on a fresh, logged-in session after looking the key up again.
pub struct Pkcs11Signer {
    ctx: Pkcs11,
    module_path: PathBuf,
    slot: Slot,
    token_label: String,
    login_required: bool,
    pin: Zeroizing<String>,
    key_label: String,
    key_id: Vec<u8>,
    key: RwLock<ObjectHandle>,
    curve: Curve,
    public: PublicKey,
    protection: KeyProtection,
    pool: SessionPool,
    recoveries: AtomicU64,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("module_path", &self.module_path)
            .field("token_label", &self.token_label)
            .field("slot_id", &self.slot.id())
            .field("key_label", &self.key_label)
            .field("key_id", &hex_string(&self.key_id))
            .field("algorithm", &self.algorithm())
            .field("public_key", &self.public)
            .field("max_sessions", &self.pool.max)
            .finish_non_exhaustive()
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token a configuration resolved to.
struct Token {
    ctx: Pkcs11,
    slot: Slot,
    label: String,
    login_required: bool,
}

/// What [`find_key`] learned about the configured key.
struct FoundKey {
    handle: ObjectHandle,
    id: Vec<u8>,
    curve: Curve,
    public: PublicKey,
    protection: KeyProtection,
}

impl Pkcs11Signer {
    /// Open the existing key named by `config`: load and initialize the module (once per
    /// process), find the token, log in as the user, find the private key by `CKA_LABEL` and its
    /// public key, and sign one self-test message to check that the two match.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::InvalidConfig`], `ModuleNotFound`/`ModuleLoad`/`ModuleInit`,
    /// `TokenNotFound`/`AmbiguousToken`, `Session`, `LoginFailed`, `KeyNotFound`/`AmbiguousKey`,
    /// `PublicKeyNotFound`, `UnsupportedKeyType`, `KeyPairMismatch`, and the attribute and
    /// encoding errors for a token that returns unusable key material.
    pub fn open(config: &Pkcs11Config) -> Result<Self, Pkcs11Error> {
        config.validate()?;
        let token = open_token(config)?;
        let session = open_session(&token, config, false)?;
        let found = find_key(&session, &config.key_label)?;
        let signer = Pkcs11Signer {
            ctx: token.ctx,
            module_path: config.module_path.clone(),
            slot: token.slot,
            token_label: token.label,
            login_required: token.login_required,
            pin: config.pin.clone(),
            key_label: config.key_label.clone(),
            key_id: found.id,
            key: RwLock::new(found.handle),
            curve: found.curve,
            public: found.public,
            protection: found.protection,
            pool: SessionPool::new(config.max_sessions, session),
            recoveries: AtomicU64::new(0),
        };
        signer.self_test()?;
        Ok(signer)
    }

    /// Generate a new key pair in the token (`CKM_EC_KEY_PAIR_GEN`) labelled
    /// `config.key_label`, then [`open`](Self::open) it.
    ///
    /// Both objects are token objects (`CKA_TOKEN`) and share a new 16-byte `CKA_ID`. The
    /// private key is `CKA_PRIVATE`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, with `CKA_SIGN` set
    /// and `CKA_DERIVE` cleared; the public key has `CKA_VERIFY`.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::UnsupportedAlgorithm`] for Ed25519, [`Pkcs11Error::KeyExists`] when a
    /// private key already has the label, [`Pkcs11Error::Generate`] when the token refuses, and
    /// everything [`open`](Self::open) returns.
    pub fn generate(
        config: &Pkcs11Config,
        algorithm: SigningAlgorithm,
    ) -> Result<Self, Pkcs11Error> {
        config.validate()?;
        let curve =
            Curve::from_algorithm(algorithm).ok_or(Pkcs11Error::UnsupportedAlgorithm(algorithm))?;
        let token = open_token(config)?;
        {
            let _generating = GENERATE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
            let session = open_session(&token, config, true)?;
            let existing = find_objects(
                &session,
                &config.key_label,
                &[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Label(config.key_label.as_bytes().to_vec()),
                ],
            )?;
            if !existing.is_empty() {
                return Err(Pkcs11Error::KeyExists {
                    label: config.key_label.clone(),
                });
            }
            generate_key_pair(&session, &config.key_label, curve)?;
        }
        Self::open(config)
    }

    /// Open the key if the token has it, otherwise generate it: what `cairn` calls when it
    /// starts with a PKCS#11 CA or TSA key.
    ///
    /// An existing key on another curve than `algorithm` is an error
    /// ([`Pkcs11Error::AlgorithmMismatch`]), not silently used.
    pub fn ensure_key(
        config: &Pkcs11Config,
        algorithm: SigningAlgorithm,
    ) -> Result<(Self, KeyOrigin), Pkcs11Error> {
        let wanted_curve =
            Curve::from_algorithm(algorithm).ok_or(Pkcs11Error::UnsupportedAlgorithm(algorithm))?;
        let checked = |signer: Self, origin| {
            if signer.curve == wanted_curve {
                Ok((signer, origin))
            } else {
                Err(Pkcs11Error::AlgorithmMismatch {
                    label: config.key_label.clone(),
                    found: signer.algorithm(),
                    wanted: algorithm,
                })
            }
        };
        match Self::open(config) {
            Ok(signer) => checked(signer, KeyOrigin::Existing),
            Err(Pkcs11Error::KeyNotFound { .. }) => match Self::generate(config, algorithm) {
                Ok(signer) => Ok((signer, KeyOrigin::Generated)),
                // Another caller in this process generated it between our open and generate.
                Err(Pkcs11Error::KeyExists { .. }) => {
                    checked(Self::open(config)?, KeyOrigin::Existing)
                }
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        }
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.curve.algorithm()
    }

    /// The key's `CKA_LABEL`.
    pub fn key_label(&self) -> &str {
        &self.key_label
    }

    /// The private key's `CKA_ID` (empty if the token has none).
    pub fn key_id(&self) -> &[u8] {
        &self.key_id
    }

    /// The label of the token holding the key.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    /// The slot ID of the token holding the key.
    pub fn slot_id(&self) -> u64 {
        self.slot.id()
    }

    /// How the token protects the private key (read when the signer was opened).
    pub fn protection(&self) -> KeyProtection {
        self.protection
    }

    /// How many times a signature was retried on a fresh session after a recoverable token
    /// error (see the type's docs): worth exporting as a metric, since a rising count means
    /// the token keeps dropping sessions or logins.
    pub fn recoveries(&self) -> u64 {
        self.recoveries.load(Ordering::Relaxed)
    }

    fn self_test(&self) -> Result<(), Pkcs11Error> {
        match self.sign_message(SELF_TEST_MESSAGE) {
            Err(Pkcs11Error::SignatureInvalid { label }) => {
                Err(Pkcs11Error::KeyPairMismatch { label })
            }
            other => other.map(drop),
        }
    }

    /// Hash, sign in the token, convert to DER, verify.
    fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let digest = self.curve.digest(message);
        let raw = self.sign_digest(&digest)?;
        let der = ecdsa::raw_signature_to_der(self.curve, &raw).map_err(|source| {
            Pkcs11Error::Encoding {
                label: self.key_label.clone(),
                source,
            }
        })?;
        // A signature that does not verify is never handed out (wrong key behind the label,
        // token fault).
        self.public
            .verify(message, &der)
            .map_err(|_| Pkcs11Error::SignatureInvalid {
                label: self.key_label.clone(),
            })?;
        Ok(der)
    }

    /// `C_Sign` with `CKM_ECDSA` over `digest`, with one retry on a fresh session.
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let lease = self.pool.take(|| self.new_session())?;
        let handle = *self.key.read().unwrap_or_else(PoisonError::into_inner);
        match lease.session().sign(&Mechanism::Ecdsa, handle, digest) {
            Ok(raw) => {
                lease.give_back();
                return Ok(raw);
            }
            // Dropping the lease closes the session rather than reasoning about the state the
            // token left it in.
            Err(err) if !is_recoverable(&err) => return Err(self.sign_error(err)),
            Err(_) => {
                drop(lease);
                // Whatever broke this session most likely broke the idle ones too.
                self.pool.discard_idle();
                self.recoveries.fetch_add(1, Ordering::Relaxed);
            }
        }
        let lease = self.pool.take(|| self.new_session())?;
        let session = lease.session();
        let raw = self
            .login(session)
            .and_then(|()| self.refind_key(session))
            .and_then(|handle| {
                session
                    .sign(&Mechanism::Ecdsa, handle, digest)
                    .map_err(|err| self.sign_error(err))
            })?;
        lease.give_back();
        Ok(raw)
    }

    fn sign_error(&self, source: CkError) -> Pkcs11Error {
        Pkcs11Error::Sign {
            label: self.key_label.clone(),
            source,
        }
    }

    fn new_session(&self) -> Result<Session, Pkcs11Error> {
        let session =
            self.ctx
                .open_ro_session(self.slot)
                .map_err(|source| Pkcs11Error::Session {
                    token: format!("label {:?}", self.token_label),
                    source,
                })?;
        self.login(&session)?;
        Ok(session)
    }

    fn login(&self, session: &Session) -> Result<(), Pkcs11Error> {
        if !self.login_required {
            return Ok(());
        }
        login_user(session, &self.pin, &format!("label {:?}", self.token_label))
    }

    /// Look the private key up again (after a handle went stale) and remember the new handle.
    /// The key must still carry the label and the `CKA_ID` it had when the signer opened;
    /// [`Pkcs11Signer::sign_message`] verifies the result in any case.
    fn refind_key(&self, session: &Session) -> Result<ObjectHandle, Pkcs11Error> {
        let mut template = vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(self.key_label.as_bytes().to_vec()),
        ];
        if !self.key_id.is_empty() {
            template.push(Attribute::Id(self.key_id.clone()));
        }
        let handle = single(
            find_objects(session, &self.key_label, &template)?,
            &self.key_label,
            "private key",
        )?
        .ok_or_else(|| Pkcs11Error::KeyNotFound {
            label: self.key_label.clone(),
        })?;
        *self.key.write().unwrap_or_else(PoisonError::into_inner) = handle;
        Ok(handle)
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_message(message)
            .map_err(|err| SignError::Backend(err.to_string()))
    }
}

/// Errors after which a new, logged-in session and a fresh key lookup may succeed.
fn is_recoverable(err: &CkError) -> bool {
    matches!(
        err,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::KeyHandleInvalid
                | RvError::ObjectHandleInvalid,
            _
        )
    )
}

/// Load the module and find the configured token.
fn open_token(config: &Pkcs11Config) -> Result<Token, Pkcs11Error> {
    let selector = config.token_selector()?;
    let ctx = module::context(&config.module_path)?;
    let init_err = |source| Pkcs11Error::ModuleInit {
        path: config.module_path.clone(),
        source,
    };
    let slots = ctx.get_slots_with_token().map_err(init_err)?;
    let mut matches = Vec::new();
    for slot in slots {
        let wanted = match &selector {
            TokenSelector::Slot(id) => slot.id() == *id,
            TokenSelector::Label(_) => true,
        };
        if !wanted {
            continue;
        }
        // A slot whose token cannot be queried (removed meanwhile) is not a match.
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        if !info.token_initialized() {
            continue;
        }
        if let TokenSelector::Label(label) = &selector
            && info.label() != label
        {
            continue;
        }
        matches.push((slot, info));
    }
    let count = matches.len();
    let mut matches = matches.into_iter();
    match (matches.next(), count) {
        (Some((slot, info)), 1) => Ok(Token {
            ctx,
            slot,
            label: info.label().to_owned(),
            login_required: info.login_required(),
        }),
        (None, _) => Err(Pkcs11Error::TokenNotFound {
            token: selector.to_string(),
        }),
        (Some(_), count) => Err(Pkcs11Error::AmbiguousToken {
            label: match selector {
                TokenSelector::Label(label) => label,
                TokenSelector::Slot(id) => id.to_string(),
            },
            count,
        }),
    }
}

/// Open a session on the token and log in as the user (if the token requires login).
fn open_session(
    token: &Token,
    config: &Pkcs11Config,
    read_write: bool,
) -> Result<Session, Pkcs11Error> {
    let name = format!("label {:?}", token.label);
    let session = if read_write {
        token.ctx.open_rw_session(token.slot)
    } else {
        token.ctx.open_ro_session(token.slot)
    }
    .map_err(|source| Pkcs11Error::Session {
        token: name.clone(),
        source,
    })?;
    if token.login_required {
        login_user(&session, &config.pin, &name)?;
    }
    Ok(session)
}

/// `C_Login(CKU_USER)`. Login state belongs to the application and the token, not to one
/// session, so `CKR_USER_ALREADY_LOGGED_IN` (another signer of this process on the same token)
/// counts as success: in that case the PIN given here is not checked again.
fn login_user(session: &Session, pin: &Zeroizing<String>, token: &str) -> Result<(), Pkcs11Error> {
    let pin = AuthPin::from(pin.as_str().to_owned());
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(source) => Err(Pkcs11Error::LoginFailed {
            token: token.to_owned(),
            source,
        }),
    }
}

fn find_objects(
    session: &Session,
    label: &str,
    template: &[Attribute],
) -> Result<Vec<ObjectHandle>, Pkcs11Error> {
    session
        .find_objects(template)
        .map_err(|source| Pkcs11Error::Attribute {
            label: label.to_owned(),
            source,
        })
}

/// The one handle in `handles`, `None` if there is none, an error if there are several.
fn single(
    handles: Vec<ObjectHandle>,
    label: &str,
    class: &'static str,
) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    match handles.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(Pkcs11Error::AmbiguousKey {
            label: label.to_owned(),
            class,
            count: many.len(),
        }),
    }
}

/// The attributes of one object that this crate reads, by name.
#[derive(Default)]
struct Attributes {
    key_type: Option<KeyType>,
    id: Option<Vec<u8>>,
    ec_params: Option<Vec<u8>>,
    ec_point: Option<Vec<u8>>,
    public_key_info: Option<Vec<u8>>,
    sign: Option<bool>,
    sensitive: Option<bool>,
    extractable: Option<bool>,
    always_sensitive: Option<bool>,
    never_extractable: Option<bool>,
    local: Option<bool>,
}

fn read_attributes(
    session: &Session,
    handle: ObjectHandle,
    label: &str,
    types: &[AttributeType],
) -> Result<Attributes, Pkcs11Error> {
    let values =
        session
            .get_attributes(handle, types)
            .map_err(|source| Pkcs11Error::Attribute {
                label: label.to_owned(),
                source,
            })?;
    let mut out = Attributes::default();
    for value in values {
        match value {
            Attribute::KeyType(v) => out.key_type = Some(v),
            Attribute::Id(v) => out.id = Some(v),
            Attribute::EcParams(v) => out.ec_params = Some(v),
            Attribute::EcPoint(v) => out.ec_point = Some(v),
            Attribute::PublicKeyInfo(v) => out.public_key_info = Some(v),
            Attribute::Sign(v) => out.sign = Some(v),
            Attribute::Sensitive(v) => out.sensitive = Some(v),
            Attribute::Extractable(v) => out.extractable = Some(v),
            Attribute::AlwaysSensitive(v) => out.always_sensitive = Some(v),
            Attribute::NeverExtractable(v) => out.never_extractable = Some(v),
            Attribute::Local(v) => out.local = Some(v),
            _ => {}
        }
    }
    Ok(out)
}

/// Find the private key labelled `label`, check it is an EC signing key on a supported curve,
/// and find its public key.
fn find_key(session: &Session, label: &str) -> Result<FoundKey, Pkcs11Error> {
    let unsupported = |detail: String| Pkcs11Error::UnsupportedKeyType {
        label: label.to_owned(),
        detail,
    };
    let handle = single(
        find_objects(
            session,
            label,
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ],
        )?,
        label,
        "private key",
    )?
    .ok_or_else(|| Pkcs11Error::KeyNotFound {
        label: label.to_owned(),
    })?;
    let private = read_attributes(
        session,
        handle,
        label,
        &[
            AttributeType::KeyType,
            AttributeType::Id,
            AttributeType::EcParams,
            AttributeType::PublicKeyInfo,
            AttributeType::Sign,
            AttributeType::Sensitive,
            AttributeType::Extractable,
            AttributeType::AlwaysSensitive,
            AttributeType::NeverExtractable,
            AttributeType::Local,
        ],
    )?;
    match private.key_type {
        Some(KeyType::EC) => {}
        Some(other) => return Err(unsupported(format!("key type {other}, expected EC"))),
        None => return Err(unsupported("key type not reported".into())),
    }
    if private.sign == Some(false) {
        return Err(unsupported("CKA_SIGN is false".into()));
    }
    let id = private.id.clone().unwrap_or_default();
    let protection = KeyProtection {
        sensitive: private.sensitive.unwrap_or(false),
        extractable: private.extractable.unwrap_or(true),
        always_sensitive: private.always_sensitive.unwrap_or(false),
        never_extractable: private.never_extractable.unwrap_or(false),
        local: private.local.unwrap_or(false),
    };

    let (curve, public) = match find_public_key(session, label, &id)? {
        Some(public_handle) => {
            let attrs = read_attributes(
                session,
                public_handle,
                label,
                &[AttributeType::EcParams, AttributeType::EcPoint],
            )?;
            let params = attrs
                .ec_params
                .ok_or_else(|| unsupported("public key has no CKA_EC_PARAMS".into()))?;
            let curve = curve_from_params(&params).map_err(unsupported)?;
            if private.ec_params.as_ref().is_some_and(|p| *p != params) {
                return Err(Pkcs11Error::KeyPairMismatch {
                    label: label.to_owned(),
                });
            }
            let point_attr = attrs
                .ec_point
                .ok_or_else(|| unsupported("public key has no CKA_EC_POINT".into()))?;
            let encoding = |source| Pkcs11Error::Encoding {
                label: label.to_owned(),
                source,
            };
            let point = ecdsa::ec_point_from_attribute(curve, &point_attr).map_err(encoding)?;
            let spki = ecdsa::spki_der(curve, point).map_err(encoding)?;
            (curve, public_key_from_spki(label, &spki)?)
        }
        // No public key object: PKCS#11 3.0 tokens may carry the SPKI on the private key.
        None => match private.public_key_info.as_deref() {
            Some(spki) if !spki.is_empty() => {
                let public = public_key_from_spki(label, spki)?;
                let curve = match public.kind() {
                    keys::KeyKind::EcdsaP256 => Curve::P256,
                    keys::KeyKind::EcdsaP384 => Curve::P384,
                    other => return Err(unsupported(format!("public key is {other:?}"))),
                };
                if private
                    .ec_params
                    .as_deref()
                    .is_some_and(|p| p != curve.ec_params())
                {
                    return Err(Pkcs11Error::KeyPairMismatch {
                        label: label.to_owned(),
                    });
                }
                (curve, public)
            }
            _ => {
                return Err(Pkcs11Error::PublicKeyNotFound {
                    label: label.to_owned(),
                });
            }
        },
    };
    Ok(FoundKey {
        handle,
        id,
        curve,
        public,
        protection,
    })
}

/// The public key object for the private key `label` / `id`: same label and ID, else same ID
/// (keys whose halves are labelled differently), else same label (keys without IDs).
fn find_public_key(
    session: &Session,
    label: &str,
    id: &[u8],
) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let class = Attribute::Class(ObjectClass::PUBLIC_KEY);
    let by_label = Attribute::Label(label.as_bytes().to_vec());
    let templates: Vec<Vec<Attribute>> = if id.is_empty() {
        vec![vec![class, by_label]]
    } else {
        let by_id = Attribute::Id(id.to_vec());
        vec![
            vec![class.clone(), by_label, by_id.clone()],
            vec![class, by_id],
        ]
    };
    for template in templates {
        if let Some(handle) = single(
            find_objects(session, label, &template)?,
            label,
            "public key",
        )? {
            return Ok(Some(handle));
        }
    }
    Ok(None)
}

fn curve_from_params(params: &[u8]) -> Result<Curve, String> {
    Curve::from_ec_params(params).ok_or_else(|| {
        format!(
            "CKA_EC_PARAMS {} is not P-256 or P-384",
            hex_string(&params[..params.len().min(32)])
        )
    })
}

fn public_key_from_spki(label: &str, spki: &[u8]) -> Result<PublicKey, Pkcs11Error> {
    PublicKey::from_spki_der(spki).map_err(|source| Pkcs11Error::InvalidPublicKey {
        label: label.to_owned(),
        source,
    })
}

/// `C_GenerateKeyPair` with templates for a non-exportable signing key.
fn generate_key_pair(session: &Session, label: &str, curve: Curve) -> Result<(), Pkcs11Error> {
    let id = new_key_id(label);
    let label_bytes = label.as_bytes().to_vec();
    let public_template = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(curve.ec_params().to_vec()),
        Attribute::Label(label_bytes.clone()),
        Attribute::Id(id.clone()),
    ];
    let private_template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Derive(false),
        Attribute::Label(label_bytes),
        Attribute::Id(id),
    ];
    session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &public_template,
            &private_template,
        )
        .map(drop)
        .map_err(|source| Pkcs11Error::Generate {
            label: label.to_owned(),
            source,
        })
}

/// A 16-byte `CKA_ID` linking the two halves of a generated pair. It only has to be unique on
/// the token, not secret: a hash of the label, the time and the process ID.
fn new_key_id(label: &str) -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"cairn keys-pkcs11 key id\0");
    hasher.update(label.as_bytes());
    hasher.update(nanos.to_be_bytes());
    hasher.update(std::process::id().to_be_bytes());
    hasher.finalize()[..16].to_vec()
}

/// Up to `max` sessions, shared by the signing threads (see [`Pkcs11Signer`]'s docs). Generic
/// only so that the unit tests can pool something other than a real session.
struct SessionPool<S = Session> {
    state: Mutex<PoolState<S>>,
    returned: Condvar,
    max: usize,
}

struct PoolState<S> {
    /// Logged-in sessions nobody is using.
    idle: Vec<S>,
    /// Sessions that exist: idle, lent out, or being opened.
    open: usize,
}

impl<S> SessionPool<S> {
    /// A pool holding `first` (the session the signer was opened with).
    fn new(max: usize, first: S) -> Self {
        SessionPool {
            state: Mutex::new(PoolState {
                idle: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle session, or a new one from `open_new` while under the limit, or the next one
    /// returned.
    fn take(
        &self,
        open_new: impl FnOnce() -> Result<S, Pkcs11Error>,
    ) -> Result<Lease<'_, S>, Pkcs11Error> {
        let mut state = self.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    session: Some(session),
                });
            }
            if state.open < self.max {
                state.open += 1;
                break;
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(state);
        match open_new() {
            Ok(session) => Ok(Lease {
                pool: self,
                session: Some(session),
            }),
            Err(err) => {
                self.forget(1);
                Err(err)
            }
        }
    }

    /// Close every idle session.
    fn discard_idle(&self) {
        let idle = {
            let mut state = self.lock();
            let idle = std::mem::take(&mut state.idle);
            state.open = state.open.saturating_sub(idle.len());
            idle
        };
        drop(idle);
        self.returned.notify_all();
    }

    fn forget(&self, count: usize) {
        {
            let mut state = self.lock();
            state.open = state.open.saturating_sub(count);
        }
        self.returned.notify_all();
    }
}

/// A session borrowed from the pool. [`Lease::give_back`] returns it for reuse; dropping the
/// lease otherwise (an error, a panic) closes the session and frees its place in the pool.
struct Lease<'a, S = Session> {
    pool: &'a SessionPool<S>,
    session: Option<S>,
}

impl<S> Lease<'_, S> {
    fn session(&self) -> &S {
        // Only `give_back` and `drop` take the session out, and both consume the lease.
        match &self.session {
            Some(session) => session,
            None => unreachable!("a lease holds its session until it is consumed"),
        }
    }

    /// Return a healthy session to the pool.
    fn give_back(mut self) {
        if let Some(session) = self.session.take() {
            self.pool.lock().idle.push(session);
            self.pool.returned.notify_one();
        }
    }
}

impl<S> Drop for Lease<'_, S> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            drop(session);
            self.pool.forget(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    /// A pooled "session" that counts how many exist at once.
    struct Fake {
        live: Arc<AtomicUsize>,
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn fake(live: &Arc<AtomicUsize>, peak: &AtomicUsize) -> Fake {
        let now = live.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        Fake {
            live: Arc::clone(live),
        }
    }

    #[test]
    fn pool_never_exceeds_its_limit_under_contention() {
        let live = Arc::new(AtomicUsize::new(0));
        let peak = AtomicUsize::new(0);
        let opened = AtomicUsize::new(0);
        let in_use = AtomicUsize::new(0);
        let peak_in_use = AtomicUsize::new(0);
        let pool = SessionPool::new(3, fake(&live, &peak));
        std::thread::scope(|scope| {
            for t in 0..8 {
                let (pool, live, peak, opened) = (&pool, &live, &peak, &opened);
                let (in_use, peak_in_use) = (&in_use, &peak_in_use);
                scope.spawn(move || {
                    for i in 0..200 {
                        let lease = pool
                            .take(|| {
                                opened.fetch_add(1, Ordering::SeqCst);
                                Ok(fake(live, peak))
                            })
                            .expect("take");
                        let now = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                        peak_in_use.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_use.fetch_sub(1, Ordering::SeqCst);
                        // Now and then a session "breaks" and is closed instead of returned.
                        if (t + i) % 17 == 0 {
                            drop(lease);
                        } else {
                            lease.give_back();
                        }
                    }
                });
            }
        });
        assert!(
            peak.load(Ordering::SeqCst) <= 3,
            "more than 3 sessions existed"
        );
        assert!(peak_in_use.load(Ordering::SeqCst) <= 3);
        // Broken sessions were replaced by new ones.
        assert!(opened.load(Ordering::SeqCst) > 0);
        let state = pool.lock();
        assert_eq!(state.open, state.idle.len());
        assert_eq!(state.open, live.load(Ordering::SeqCst));
    }

    #[test]
    fn failed_open_and_discard_free_their_place() {
        let live = Arc::new(AtomicUsize::new(0));
        let peak = AtomicUsize::new(0);
        let pool = SessionPool::new(1, fake(&live, &peak));
        // The only session is lent out and dropped (closed): its place is free again.
        drop(
            pool.take(|| unreachable!("an idle session exists"))
                .expect("take"),
        );
        assert_eq!(pool.lock().open, 0);
        assert_eq!(live.load(Ordering::SeqCst), 0);
        // Opening a replacement fails: the place stays free, no waiting forever next time.
        let failed = pool.take(|| Err(Pkcs11Error::InvalidConfig("test")));
        assert!(matches!(failed, Err(Pkcs11Error::InvalidConfig("test"))));
        assert_eq!(pool.lock().open, 0);
        let lease = pool.take(|| Ok(fake(&live, &peak))).expect("take");
        lease.give_back();
        pool.discard_idle();
        let state = pool.lock();
        assert_eq!((state.open, state.idle.len()), (0, 0));
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }
}
