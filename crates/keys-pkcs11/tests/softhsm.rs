//! `Pkcs11Signer` against a real PKCS#11 module: SoftHSM2 with throwaway tokens.
//!
//! SoftHSM2 reads its configuration (where tokens live) from `SOFTHSM2_CONF` once, when the
//! module is initialized, and the module is initialized once per process. Setting an environment
//! variable inside the test process needs `unsafe` in edition 2024 (forbidden here), and would
//! race with the tests running in parallel threads anyway. So:
//!
//! - `softhsm_suite` (the one test that does work in a normal run) creates a temporary token
//!   directory and `softhsm2.conf`, initializes one token per case with `softhsm2-util`, imports
//!   an OpenSSL-generated key, and then runs this same test binary again as a child process with
//!   `SOFTHSM2_CONF` set, selecting the `case_*` tests. It fails unless the child passes and
//!   reports every case in [`CASES`] as `ok`.
//! - The `case_*` tests are `#[ignore]`d so that a normal run does not execute them without the
//!   fixture; in the child they run (in parallel threads, sharing the one module) with
//!   `--include-ignored`. Run without the fixture (`cargo test -- --ignored`), they print why and
//!   pass.
//!
//! Each case has its own token, because login state belongs to a token: a case that logs out or
//! tries a wrong PIN must not disturb another.
//!
//! Without `softhsm2-util`, the module or `openssl`, the suite prints SKIPPED and passes, unless
//! `CAIRN_REQUIRE_TOOLS=1` is set, in which case it fails and says to run `scripts/install-softhsm`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use keys::{PublicKey, Signer, SigningAlgorithm};
use keys_pkcs11::{KeyOrigin, Pkcs11Config, Pkcs11Error, Pkcs11Signer};
use zeroize::Zeroizing;

// Not hex, so they cannot turn up by chance in the hex of a key ID or hash in Debug output.
const USER_PIN: &str = "user-pin-4711";
const SO_PIN: &str = "so-pin-0815";

/// Set in the child: the module path. Its presence means "the fixture exists".
const ENV_MODULE: &str = "CAIRN_PKCS11_TEST_MODULE";
/// Set in the child: the fixture directory (scratch files for openssl).
const ENV_DIR: &str = "CAIRN_PKCS11_TEST_DIR";

/// One token per case (labels).
const TOKENS: &[&str] = &[
    "p256",
    "p384",
    "ensure",
    "import",
    "negative",
    "concurrent",
    "recovery",
    "shared",
];

/// Every case the child must report as passed.
const CASES: &[&str] = &[
    "case_generate_and_sign_p256",
    "case_generate_and_sign_p384",
    "case_ensure_key_generates_once",
    "case_imported_openssl_key",
    "case_negative_paths",
    "case_concurrent_signing",
    "case_recovers_after_logout",
    "case_two_signers_share_a_token",
];

/// `CKA_EC_PARAMS` for P-256 (the DER of the `secp256r1` OID).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

const MODULE_CANDIDATES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

// ---------------------------------------------------------------------------------------------
// The parent: fixture and child process.

fn tool_works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The module path, or `None` after printing SKIPPED (or panicking when tools are required).
fn tools_or_skip() -> Option<PathBuf> {
    let module = std::env::var_os("SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .or_else(|| {
            MODULE_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        });
    let missing = if !tool_works("softhsm2-util", "--version") {
        Some("softhsm2-util not found")
    } else if module.is_none() {
        Some("libsofthsm2.so not found")
    } else if !tool_works("openssl", "version") {
        Some("openssl not found")
    } else {
        None
    };
    if let Some(what) = missing {
        if std::env::var("CAIRN_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{what}, and CAIRN_REQUIRE_TOOLS=1: run scripts/install-softhsm");
        }
        eprintln!("SKIPPED keys-pkcs11 SoftHSM2 tests: {what} (run scripts/install-softhsm)");
        return None;
    }
    module
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn softhsm_suite() {
    if std::env::var_os(ENV_MODULE).is_some() {
        return; // We are the child; the cases do the work.
    }
    let Some(module) = tools_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).expect("token dir");
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .expect("write conf");
    let softhsm = || {
        let mut cmd = Command::new("softhsm2-util");
        cmd.env("SOFTHSM2_CONF", &conf);
        cmd
    };
    for label in TOKENS {
        run(softhsm().args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            USER_PIN,
            "--so-pin",
            SO_PIN,
        ]));
    }
    // A P-256 key made by OpenSSL, imported with and without its public key object.
    let key_pem = dir.path().join("imported-key.pem");
    run(Command::new("openssl").args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        path_str(&key_pem),
    ]));
    run(Command::new("openssl").args([
        "pkey",
        "-in",
        path_str(&key_pem),
        "-pubout",
        "-out",
        path_str(&dir.path().join("imported-pub.pem")),
    ]));
    let import = |label: &str, id: &str, extra: &[&str]| {
        run(softhsm()
            .args(["--import", path_str(&key_pem), "--token", "import"])
            .args(["--label", label, "--id", id, "--pin", USER_PIN])
            .args(extra));
    };
    import("imported", "0a0b0c", &[]);
    import("private-only", "0d0e0f", &["--no-public-key"]);

    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .args([
            "case_",
            "--include-ignored",
            "--test-threads=4",
            "--nocapture",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .env(ENV_MODULE, &module)
        .env(ENV_DIR, dir.path())
        .output()
        .expect("run child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- child stdout ---\n{stdout}\n--- child stderr ---\n{stderr}");
    assert!(out.status.success(), "SoftHSM2 cases failed (see above)");
    for case in CASES {
        assert!(
            stdout.contains(&format!("test {case} ... ok")),
            "case {case} did not run and pass in the child"
        );
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

// ---------------------------------------------------------------------------------------------
// Helpers for the cases (run in the child).

struct Fixture {
    module: PathBuf,
    dir: PathBuf,
}

impl Fixture {
    fn from_env() -> Option<Fixture> {
        let module = std::env::var_os(ENV_MODULE)?;
        let dir = std::env::var_os(ENV_DIR)?;
        Some(Fixture {
            module: module.into(),
            dir: dir.into(),
        })
    }

    fn config(&self, token: &str, key: &str) -> Pkcs11Config {
        Pkcs11Config::new(
            &self.module,
            token,
            key,
            Zeroizing::new(USER_PIN.to_owned()),
        )
    }

    /// A raw cryptoki context (the module is already initialized by then, or gets initialized
    /// here; either way it is the same process-wide module state) and the slot of `token`.
    fn raw_slot(&self, token: &str) -> (Pkcs11, Slot) {
        let ctx = Pkcs11::new(&self.module).expect("load module");
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => panic!("initialize: {e}"),
        }
        let slot = ctx
            .get_slots_with_token()
            .expect("slots")
            .into_iter()
            .find(|s| ctx.get_token_info(*s).expect("token info").label() == token)
            .expect("token exists");
        (ctx, slot)
    }

    /// A raw cryptoki session on `token`, logged in as the user, for checking what the token
    /// holds independently of the crate under test.
    fn raw_session(&self, token: &str) -> Session {
        let (ctx, slot) = self.raw_slot(token);
        let session = ctx.open_rw_session(slot).expect("session");
        match session.login(UserType::User, Some(&AuthPin::from(USER_PIN.to_owned()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => panic!("login: {e}"),
        }
        session
    }

    /// Verify with the openssl CLI: `openssl dgst -sha256|-sha384 -verify pub.pem -signature
    /// sig.der msg`. Returns whether openssl said "Verified OK".
    fn openssl_verifies(&self, name: &str, key: &PublicKey, message: &[u8], sig: &[u8]) -> bool {
        let base = self.dir.join(name);
        let (pem, msg, sig_path) = (
            base.with_extension("pub.pem"),
            base.with_extension("msg"),
            base.with_extension("sig.der"),
        );
        std::fs::write(&pem, key.to_pem()).expect("write pem");
        std::fs::write(&msg, message).expect("write msg");
        std::fs::write(&sig_path, sig).expect("write sig");
        let digest = match key.kind() {
            keys::KeyKind::EcdsaP256 => "-sha256",
            keys::KeyKind::EcdsaP384 => "-sha384",
            other => panic!("unexpected key kind {other:?}"),
        };
        let out = Command::new("openssl")
            .args(["dgst", digest, "-verify", path_str(&pem), "-signature"])
            .args([path_str(&sig_path), path_str(&msg)])
            .output()
            .expect("run openssl");
        let said_ok = String::from_utf8_lossy(&out.stdout).contains("Verified OK");
        assert_eq!(
            out.status.success(),
            said_ok,
            "openssl exit status vs output"
        );
        said_ok
    }
}

macro_rules! fixture_or_return {
    () => {
        match Fixture::from_env() {
            Some(fixture) => fixture,
            None => {
                eprintln!("this case runs inside softhsm_suite's child process; nothing to do");
                return;
            }
        }
    };
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"hello, cairn".to_vec(),
        (0..10_000u32).map(|i| (i % 251) as u8).collect(),
    ]
}

/// Sign, verify with `keys` and with openssl, and check that tampering is caught by both.
fn sign_and_check_everywhere(fx: &Fixture, name: &str, signer: &Pkcs11Signer) {
    for (i, message) in messages().into_iter().enumerate() {
        let sig = signer.sign(&message).expect("sign");
        signer
            .public_key()
            .verify(&message, &sig)
            .expect("keys verifies");
        assert!(
            fx.openssl_verifies(&format!("{name}-{i}"), signer.public_key(), &message, &sig),
            "openssl rejected a signature for message {i}"
        );
        let mut tampered = message.clone();
        tampered.push(1);
        assert!(signer.public_key().verify(&tampered, &sig).is_err());
        assert!(
            !fx.openssl_verifies(
                &format!("{name}-{i}-tampered"),
                signer.public_key(),
                &tampered,
                &sig
            ),
            "openssl accepted a signature over a tampered message"
        );
    }
}

/// What the token itself says about a private key, read without the crate under test.
fn raw_private_key_attributes(session: &Session, label: &str) -> Vec<Attribute> {
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .expect("find");
    assert_eq!(handles.len(), 1, "exactly one private key labelled {label}");
    session
        .get_attributes(
            handles[0],
            &[
                AttributeType::Token,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::Sign,
                AttributeType::Value,
            ],
        )
        .expect("attributes")
}

// ---------------------------------------------------------------------------------------------
// The cases.

fn generate_and_sign(token: &str, algorithm: SigningAlgorithm, kind: keys::KeyKind) {
    let fx = fixture_or_return!();
    let config = fx.config(token, "ca");
    let signer = Pkcs11Signer::generate(&config, algorithm).expect("generate");
    assert_eq!(signer.algorithm(), algorithm);
    assert_eq!(signer.public_key().kind(), kind);
    assert_eq!(signer.key_label(), "ca");
    assert_eq!(signer.token_label(), token);
    assert_eq!(signer.key_id().len(), 16);
    let protection = signer.protection();
    assert!(protection.is_non_exportable(), "{protection:?}");
    assert!(protection.always_sensitive && protection.never_extractable && protection.local);

    sign_and_check_everywhere(&fx, token, &signer);

    // The token agrees: a sensitive, non-extractable token object whose value cannot be read.
    let raw = fx.raw_session(token);
    let attrs = raw_private_key_attributes(&raw, "ca");
    assert!(attrs.contains(&Attribute::Token(true)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Sign(true)), "{attrs:?}");
    assert!(
        !attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
        "CKA_VALUE of the private key was readable: {attrs:?}"
    );

    // Opening again finds the same key; generating again refuses to make a second one.
    let reopened = Pkcs11Signer::open(&config).expect("open");
    assert_eq!(reopened.public_key(), signer.public_key());
    assert_eq!(reopened.key_id(), signer.key_id());
    let sig = reopened.sign(b"reopened").expect("sign");
    signer
        .public_key()
        .verify(b"reopened", &sig)
        .expect("verify");
    assert!(matches!(
        Pkcs11Signer::generate(&config, algorithm),
        Err(Pkcs11Error::KeyExists { label }) if label == "ca"
    ));
    let (ensured, origin) = Pkcs11Signer::ensure_key(&config, algorithm).expect("ensure");
    assert_eq!(origin, KeyOrigin::Existing);
    assert_eq!(ensured.public_key(), signer.public_key());
    let other = match algorithm {
        SigningAlgorithm::EcdsaP256Sha256 => SigningAlgorithm::EcdsaP384Sha384,
        _ => SigningAlgorithm::EcdsaP256Sha256,
    };
    assert!(matches!(
        Pkcs11Signer::ensure_key(&config, other),
        Err(Pkcs11Error::AlgorithmMismatch { found, wanted, .. })
            if found == algorithm && wanted == other
    ));

    // Debug shows public information only.
    let debug = format!("{signer:?}");
    assert!(debug.contains("\"ca\"") && debug.contains(token), "{debug}");
    assert!(!debug.contains(USER_PIN), "{debug}");
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_generate_and_sign_p256() {
    generate_and_sign(
        "p256",
        SigningAlgorithm::EcdsaP256Sha256,
        keys::KeyKind::EcdsaP256,
    );
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_generate_and_sign_p384() {
    generate_and_sign(
        "p384",
        SigningAlgorithm::EcdsaP384Sha384,
        keys::KeyKind::EcdsaP384,
    );
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_ensure_key_generates_once() {
    let fx = fixture_or_return!();
    let config = fx.config("ensure", "tsa");
    assert!(matches!(
        Pkcs11Signer::open(&config),
        Err(Pkcs11Error::KeyNotFound { label }) if label == "tsa"
    ));
    assert!(matches!(
        Pkcs11Signer::ensure_key(&config, SigningAlgorithm::Ed25519),
        Err(Pkcs11Error::UnsupportedAlgorithm(SigningAlgorithm::Ed25519))
    ));
    let (first, origin) =
        Pkcs11Signer::ensure_key(&config, SigningAlgorithm::EcdsaP384Sha384).expect("ensure");
    assert_eq!(origin, KeyOrigin::Generated);
    let (second, origin) =
        Pkcs11Signer::ensure_key(&config, SigningAlgorithm::EcdsaP384Sha384).expect("ensure");
    assert_eq!(origin, KeyOrigin::Existing);
    assert_eq!(first.public_key(), second.public_key());
    let sig = second.sign(b"timestamp").expect("sign");
    assert!(fx.openssl_verifies("ensure", first.public_key(), b"timestamp", &sig));
    // Exactly one key pair exists under the label.
    let raw = fx.raw_session("ensure");
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        let found = raw
            .find_objects(&[Attribute::Class(class), Attribute::Label(b"tsa".to_vec())])
            .expect("find");
        assert_eq!(found.len(), 1, "{class:?}");
    }
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_imported_openssl_key() {
    let fx = fixture_or_return!();
    let expected = PublicKey::from_pem(
        &std::fs::read_to_string(fx.dir.join("imported-pub.pem")).expect("read openssl pub"),
    )
    .expect("openssl public key");
    let signer = Pkcs11Signer::open(&fx.config("import", "imported")).expect("open imported");
    assert_eq!(
        signer.public_key(),
        &expected,
        "public key read from the token differs from openssl's"
    );
    assert_eq!(signer.key_id(), [0x0a, 0x0b, 0x0c]);
    // Imported, so not generated on the token.
    assert!(!signer.protection().local);
    sign_and_check_everywhere(&fx, "imported", &signer);

    // The same key imported without its public key object: the public half cannot be found
    // unless the token offers CKA_PUBLIC_KEY_INFO on the private key.
    match Pkcs11Signer::open(&fx.config("import", "private-only")) {
        // SoftHSM 2.6 does not offer it.
        Err(Pkcs11Error::PublicKeyNotFound { label }) => assert_eq!(label, "private-only"),
        Ok(signer) => {
            assert_eq!(signer.public_key(), &expected);
            let sig = signer.sign(b"x").expect("sign");
            expected.verify(b"x", &sig).expect("verify");
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_negative_paths() {
    let fx = fixture_or_return!();
    // Wrong PIN first, before anything in this process has logged in to the token (login state
    // is shared per token, and an already-logged-in token does not check the PIN again).
    let wrong_pin = fx
        .config("negative", "ca")
        .with_pin(Zeroizing::new("wrong-pin-zz".into()));
    match Pkcs11Signer::open(&wrong_pin) {
        Err(err @ Pkcs11Error::LoginFailed { .. }) => {
            assert_eq!(err.return_code(), Some(RvError::PinIncorrect));
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains("wrong-pin-zz"),
                "PIN leaked into the error: {shown}"
            );
        }
        other => panic!("expected LoginFailed, got {other:?}"),
    }

    // Correct PIN: create a P-256 key, an RSA key and a P-521 key with the raw API.
    let good = fx.config("negative", "ca");
    let signer = Pkcs11Signer::generate(&good, SigningAlgorithm::EcdsaP256Sha256).expect("gen");
    let raw = fx.raw_session("negative");
    raw.generate_key_pair(
        &Mechanism::RsaPkcsKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::ModulusBits(2048.into()),
            Attribute::PublicExponent(vec![1, 0, 1]),
            Attribute::Label(b"rsa".to_vec()),
        ],
        &[
            Attribute::Token(true),
            Attribute::Sign(true),
            Attribute::Label(b"rsa".to_vec()),
        ],
    )
    .expect("RSA key pair");
    let p521_params = vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    raw.generate_key_pair(
        &Mechanism::EccKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::EcParams(p521_params),
            Attribute::Label(b"p521".to_vec()),
        ],
        &[
            Attribute::Token(true),
            Attribute::Sign(true),
            Attribute::Label(b"p521".to_vec()),
        ],
    )
    .expect("P-521 key pair");

    for (label, want) in [("rsa", "EC"), ("p521", "P-256 or P-384")] {
        match Pkcs11Signer::open(&fx.config("negative", label)) {
            Err(Pkcs11Error::UnsupportedKeyType { label: l, detail }) => {
                assert_eq!(l, label);
                assert!(detail.contains(want), "{detail}");
            }
            other => panic!("{label}: expected UnsupportedKeyType, got {other:?}"),
        }
    }
    // A private key whose "public key" (same label and ID) belongs to another key pair: the
    // open-time self-test signature does not verify.
    let pair = |label: &[u8]| {
        raw.generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::EcParams(P256_PARAMS.to_vec()),
                Attribute::Label(label.to_vec()),
            ],
            &[
                Attribute::Token(true),
                Attribute::Sign(true),
                Attribute::Label(label.to_vec()),
            ],
        )
        .expect("P-256 key pair")
    };
    let (_a_public, a_private) = pair(b"mm-a");
    let (b_public, _b_private) = pair(b"mm-b");
    raw.update_attributes(
        a_private,
        &[
            Attribute::Label(b"mismatch".to_vec()),
            Attribute::Id(b"mm".to_vec()),
        ],
    )
    .expect("relabel A's private key");
    raw.update_attributes(
        b_public,
        &[
            Attribute::Label(b"mismatch".to_vec()),
            Attribute::Id(b"mm".to_vec()),
        ],
    )
    .expect("relabel B's public key");
    assert!(matches!(
        Pkcs11Signer::open(&fx.config("negative", "mismatch")),
        Err(Pkcs11Error::KeyPairMismatch { label }) if label == "mismatch"
    ));

    assert!(matches!(
        Pkcs11Signer::open(&fx.config("negative", "no-such-key")),
        Err(Pkcs11Error::KeyNotFound { label }) if label == "no-such-key"
    ));
    assert!(matches!(
        Pkcs11Signer::open(&fx.config("no-such-token", "ca")),
        Err(Pkcs11Error::TokenNotFound { token }) if token.contains("no-such-token")
    ));
    assert!(matches!(
        Pkcs11Signer::generate(&good, SigningAlgorithm::Ed25519),
        Err(Pkcs11Error::UnsupportedAlgorithm(_))
    ));

    // By slot ID: the right slot opens the same key, an unknown one is TokenNotFound.
    let mut by_slot = good.clone();
    by_slot.token_label = None;
    by_slot.slot_id = Some(signer.slot_id());
    let same = Pkcs11Signer::open(&by_slot).expect("open by slot");
    assert_eq!(same.public_key(), signer.public_key());
    by_slot.slot_id = Some(0xdead_beef);
    assert!(matches!(
        Pkcs11Signer::open(&by_slot),
        Err(Pkcs11Error::TokenNotFound { .. })
    ));

    // Module paths: missing file, and a file that is not a shared library.
    let mut missing = good.clone();
    missing.module_path = fx.dir.join("no-such-module.so");
    assert!(matches!(
        Pkcs11Signer::open(&missing),
        Err(Pkcs11Error::ModuleNotFound { .. })
    ));
    let junk = fx.dir.join("junk-module.so");
    std::fs::write(&junk, b"not an ELF file").expect("write junk");
    let mut not_a_module = good.clone();
    not_a_module.module_path = junk;
    assert!(matches!(
        Pkcs11Signer::open(&not_a_module),
        Err(Pkcs11Error::ModuleLoad { .. })
    ));

    // An invalid configuration is refused before the module is touched.
    let mut both = good.clone();
    both.slot_id = Some(1);
    assert!(matches!(
        Pkcs11Signer::open(&both),
        Err(Pkcs11Error::InvalidConfig(_))
    ));
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_concurrent_signing() {
    let fx = fixture_or_return!();
    let mut config = fx.config("concurrent", "ca");
    // Fewer sessions than threads, so threads also wait for returned sessions.
    config.max_sessions = 3;
    let signer = Arc::new(
        Pkcs11Signer::generate(&config, SigningAlgorithm::EcdsaP256Sha256).expect("generate"),
    );
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let signer = Arc::clone(&signer);
            std::thread::spawn(move || {
                (0..25u8)
                    .map(|i| {
                        let message = [b'm', t, i];
                        let sig = signer.sign(&message).expect("sign");
                        (message, sig)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().expect("thread"));
    }
    assert_eq!(all.len(), 200);
    assert_eq!(signer.recoveries(), 0);
    for (message, sig) in &all {
        signer.public_key().verify(message, sig).expect("verify");
    }
    // ECDSA is randomized: no two signatures repeat.
    let mut sigs: Vec<_> = all.iter().map(|(_, s)| s.clone()).collect();
    sigs.sort();
    sigs.dedup();
    assert_eq!(sigs.len(), 200);
    let (message, sig) = &all[199];
    assert!(fx.openssl_verifies("concurrent", signer.public_key(), message, sig));
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_recovers_after_logout() {
    let fx = fixture_or_return!();
    let config = fx.config("recovery", "ca");
    let signer =
        Pkcs11Signer::generate(&config, SigningAlgorithm::EcdsaP256Sha256).expect("generate");
    signer.sign(b"before").expect("sign before logout");
    assert_eq!(signer.recoveries(), 0);
    // C_Logout on any session logs the whole application out of the token: the signer's pooled
    // sessions lose access to the private key.
    let raw = fx.raw_session("recovery");
    raw.logout().expect("logout");
    let sig = signer
        .sign(b"after")
        .expect("sign after logout (retried on a new session)");
    signer.public_key().verify(b"after", &sig).expect("verify");
    assert_eq!(
        signer.recoveries(),
        1,
        "the first attempt should have failed and been retried"
    );
    signer.sign(b"again").expect("sign again");
    assert_eq!(signer.recoveries(), 1, "the new session stays logged in");
    assert!(fx.openssl_verifies("recovery", signer.public_key(), b"after", &sig));
}

#[test]
#[ignore = "runs in the child process started by softhsm_suite"]
fn case_two_signers_share_a_token() {
    let fx = fixture_or_return!();
    let ca = Pkcs11Signer::generate(
        &fx.config("shared", "ca"),
        SigningAlgorithm::EcdsaP256Sha256,
    )
    .expect("generate ca");
    let tsa = Pkcs11Signer::generate(
        &fx.config("shared", "tsa"),
        SigningAlgorithm::EcdsaP384Sha384,
    )
    .expect("generate tsa");
    assert_ne!(ca.public_key(), tsa.public_key());
    let second_ca = Pkcs11Signer::open(&fx.config("shared", "ca")).expect("open ca again");
    for signer in [&ca, &tsa, &second_ca] {
        let sig = signer.sign(b"shared").expect("sign");
        signer.public_key().verify(b"shared", &sig).expect("verify");
    }
    // Dropping one signer closes its sessions only; the module stays initialized and the
    // others stay logged in.
    drop(ca);
    for signer in [&tsa, &second_ca] {
        let sig = signer
            .sign(b"after drop")
            .expect("sign after another signer dropped");
        signer
            .public_key()
            .verify(b"after drop", &sig)
            .expect("verify");
    }
}
