//! The client subcommands against a real `cairn up --dev`: `cairn sign`, `cairn attest`,
//! `cairn verify` and `cairn log`.
//!
//! Bundles are checked by independent verifiers too: sigstore-python 4.5.1
//! (`sigstore verify identity --offline` with the instance's trust config) and `@sigstore/verify`
//! (through `tests/interop/js-verify.mjs`); managed-key signatures with the `openssl` CLI.
//! Without the clients (`scripts/install-clients`) those checks say SKIPPED, unless
//! `CAIRN_REQUIRE_TOOLS=1`, in which case they fail.
//!
//! Every failure must be a non-zero exit with exactly one `cairn: error: …` line on stderr and
//! no panic; a forked or rolled-back log must exit with code 3 and leave the state file alone.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{Server, args, cairn, unique_tag};

/// Exit code of `cairn log verify-consistency` for a forked or rolled-back log.
const EXIT_LOG_MISBEHAVIOUR: i32 = 3;

// ---------------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------------

/// What one `cairn` invocation did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> &Run {
        assert_eq!(self.code, Some(0), "cairn failed: {self:#?}");
        self
    }

    /// A failure with `code`, one `cairn: error:` line containing `needle`, only `cairn:`
    /// lines otherwise (warnings), and no panic.
    fn fails_with(&self, code: i32, needle: &str) -> &Run {
        assert_eq!(self.code, Some(code), "exit code: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        let errors: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with("cairn: error: "))
            .collect();
        assert_eq!(errors.len(), 1, "exactly one error line: {self:#?}");
        assert!(
            lines.iter().all(|l| l.starts_with("cairn: ")),
            "nothing but cairn: lines on stderr: {self:#?}"
        );
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        assert!(
            errors[0].contains(needle),
            "the error line mentions {needle:?}: {self:#?}"
        );
        self
    }

    fn fails(&self, needle: &str) -> &Run {
        self.fails_with(1, needle)
    }
}

fn run_in<I, S>(dir: &Path, items: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = cairn()
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("CAIRN_KEY_PASSWORD")
        .envs(env.iter().copied())
        .current_dir(dir)
        .args(items)
        .output()
        .expect("run cairn");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read JSON file")).expect("JSON")
}

// ---------------------------------------------------------------------------------------------
// A running instance
// ---------------------------------------------------------------------------------------------

struct Instance {
    server: Server,
    /// The working directory for the client (artifacts, bundles, state files).
    work: tempfile::TempDir,
    data: PathBuf,
}

impl Instance {
    fn start(name: &str) -> Instance {
        let work = tempfile::tempdir().expect("temp dir");
        let data = work.path().join("data");
        let server = Server::start(
            name,
            &args([
                OsStr::new("--dev"),
                OsStr::new("--data-dir"),
                data.as_os_str(),
            ]),
        );
        Instance { server, work, data }
    }

    fn base(&self) -> &str {
        &self.server.base
    }

    fn dir(&self) -> &Path {
        self.work.path()
    }

    fn trust_config(&self) -> PathBuf {
        self.data.join("trust/trust_config.json")
    }

    fn trusted_root(&self) -> PathBuf {
        self.data.join("trust/trusted_root.json")
    }

    fn issuer(&self) -> String {
        format!("{}/dev/oidc", self.base())
    }

    fn token(&self, email: &str) -> String {
        let run = self.run(["dev", "token", "--url", self.base(), "--email", email]);
        run.ok();
        run.stdout.trim().to_owned()
    }

    fn run<I, S>(&self, items: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run_in(self.dir(), items, &[])
    }

    /// A file with content unique to this run, in the work directory.
    fn artifact(&self, name: &str) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, format!("{} {name}\n", unique_tag("artifact"))).expect("write");
        path
    }
}

// ---------------------------------------------------------------------------------------------
// Independent verifiers
// ---------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// sigstore-python and `@sigstore/verify`, if installed.
struct Tools {
    sigstore_python: PathBuf,
    js_modules: PathBuf,
}

fn tools() -> Option<Tools> {
    let root = repo_root();
    let tools = Tools {
        sigstore_python: root.join(".tools/venv/bin/sigstore"),
        js_modules: root.join(".tools/node/node_modules"),
    };
    let present = tools.sigstore_python.is_file()
        && tools.js_modules.join("@sigstore/verify").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if present {
        return Some(tools);
    }
    if std::env::var("CAIRN_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("sigstore-python / @sigstore/verify are missing: run scripts/install-clients");
    }
    eprintln!("SKIPPED: sigstore-python and sigstore-js checks (run scripts/install-clients)");
    None
}

impl Tools {
    /// `sigstore verify identity --offline` with the instance's trust config.
    fn python_verify(
        &self,
        instance: &Instance,
        bundle: &Path,
        identity: &str,
        file: &Path,
    ) -> (bool, String) {
        let output = Command::new(&self.sigstore_python)
            .arg("--trust-config")
            .arg(instance.trust_config())
            .args(["verify", "identity", "--offline", "--bundle"])
            .arg(bundle)
            .args(["--cert-identity", identity, "--cert-oidc-issuer"])
            .arg(instance.issuer())
            .arg(file)
            .output()
            .expect("run sigstore-python");
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    /// `@sigstore/verify` against the trusted root (FILE only for message signatures).
    fn js_verify(
        &self,
        instance: &Instance,
        bundle: &Path,
        identity: &str,
        file: Option<&Path>,
    ) -> (bool, String) {
        let mut cmd = Command::new("node");
        cmd.env("SIGSTORE_JS_MODULES", &self.js_modules)
            .arg(repo_root().join("services/cairn/tests/interop/js-verify.mjs"))
            .arg(instance.trusted_root())
            .arg(bundle)
            .arg(identity)
            .arg(instance.issuer());
        if let Some(file) = file {
            cmd.arg(file);
        }
        let output = cmd.output().expect("run node");
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Bundle shape
// ---------------------------------------------------------------------------------------------

/// The one tlog entry of a v0.3 bundle, checked for the parts every verifier needs.
fn check_tlog_entry(bundle: &Value, kind: &str) -> Value {
    assert_eq!(
        bundle["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json",
        "{bundle}"
    );
    let entries = bundle["verificationMaterial"]["tlogEntries"]
        .as_array()
        .expect("tlogEntries");
    assert_eq!(entries.len(), 1, "{bundle}");
    let entry = entries[0].clone();
    assert_eq!(entry["kindVersion"]["kind"], kind, "{bundle}");
    assert_eq!(entry["kindVersion"]["version"], "0.0.1", "{bundle}");
    assert!(
        entry["inclusionPromise"]["signedEntryTimestamp"].is_string(),
        "{bundle}"
    );
    assert!(
        entry["inclusionProof"]["checkpoint"]["envelope"].is_string(),
        "{bundle}"
    );
    let body = B64
        .decode(entry["canonicalizedBody"].as_str().expect("body"))
        .expect("base64 body");
    let body: Value = serde_json::from_slice(&body).expect("body is JSON");
    assert_eq!(body["kind"], kind);
    body
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn keyless_sign_and_attest_verify_with_every_client() {
    let instance = Instance::start("keyless");
    let tools = tools();
    let alice = "alice@example.com";
    let token = instance.token(alice);
    let file = instance.artifact("release.tar.gz");
    let bundle = instance.dir().join("release.sigstore.json");

    instance
        .run([
            OsStr::new("sign"),
            OsStr::new("--identity-token"),
            OsStr::new(&token),
            OsStr::new("--trust-config"),
            instance.trust_config().as_os_str(),
            OsStr::new("--bundle"),
            bundle.as_os_str(),
            file.as_os_str(),
        ])
        .ok();
    let json = read_json(&bundle);
    let body = check_tlog_entry(&json, "hashedrekord");
    let artifact = std::fs::read(&file).expect("artifact");
    let digest = B64.encode(Sha256::digest(&artifact));
    assert_eq!(
        json["messageSignature"]["messageDigest"],
        serde_json::json!({"algorithm": "SHA2_256", "digest": digest})
    );
    assert_eq!(
        body["spec"]["data"]["hash"]["value"],
        sha256_hex(&artifact),
        "the log entry is for this artifact"
    );
    assert!(
        json["verificationMaterial"]["certificate"]["rawBytes"].is_string(),
        "{json}"
    );
    // The trust config names the TSA, so the bundle carries a time-stamp.
    assert_eq!(
        json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{json}"
    );

    // Attest, with the token from the environment this time.
    let predicate = instance.dir().join("provenance.json");
    std::fs::write(
        &predicate,
        r#"{"buildDefinition":{"buildType":"https://example.com/build"},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
    )
    .expect("write predicate");
    let attestation = instance.dir().join("release.intoto.json");
    run_in(
        instance.dir(),
        [
            OsStr::new("attest"),
            OsStr::new("--trust-config"),
            instance.trust_config().as_os_str(),
            OsStr::new("--predicate-type"),
            OsStr::new("https://slsa.dev/provenance/v1"),
            OsStr::new("--predicate"),
            predicate.as_os_str(),
            OsStr::new("--bundle"),
            attestation.as_os_str(),
            file.as_os_str(),
        ],
        &[("SIGSTORE_ID_TOKEN", &token)],
    )
    .ok();
    let json = read_json(&attestation);
    let body = check_tlog_entry(&json, "dsse");
    let envelope = &json["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let payload = B64
        .decode(envelope["payload"].as_str().expect("payload"))
        .expect("base64");
    let statement: Value = serde_json::from_slice(&payload).expect("statement JSON");
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(statement["subject"][0]["name"], "release.tar.gz");
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        sha256_hex(&artifact)
    );
    assert_eq!(
        body["spec"]["payloadHash"]["value"],
        sha256_hex(&payload),
        "the log entry is for this envelope"
    );

    // cairn verify: both bundles, by file and by digest, exact and regexp identities.
    let issuer = instance.issuer();
    let root = instance.trusted_root();
    let verify = |bundle: &Path, identity: &[&str], issuer: &str, artifact: &OsStr| {
        let mut items: Vec<&OsStr> = vec![
            OsStr::new("verify"),
            OsStr::new("--bundle"),
            bundle.as_os_str(),
            OsStr::new("--trusted-root"),
            root.as_os_str(),
            OsStr::new("--certificate-oidc-issuer"),
            OsStr::new(issuer),
        ];
        items.extend(identity.iter().map(OsStr::new));
        items.push(artifact);
        instance.run(items)
    };
    let exact = ["--certificate-identity", alice];
    let digest_arg = format!("sha256:{}", sha256_hex(&artifact));
    for path in [&bundle, &attestation] {
        let run = verify(path, &exact, &issuer, file.as_os_str());
        run.ok();
        assert!(
            run.stdout.starts_with("OK: ") && run.stdout.contains(alice),
            "{run:#?}"
        );
        verify(path, &exact, &issuer, OsStr::new(&digest_arg)).ok();
        verify(
            path,
            &["--certificate-identity-regexp", r".*@example\.com"],
            &issuer,
            file.as_os_str(),
        )
        .ok();
        verify(
            path,
            &["--certificate-identity", "mallory@example.com"],
            &issuer,
            file.as_os_str(),
        )
        .fails("identity");
        verify(
            path,
            &["--certificate-identity-regexp", "alice"],
            &issuer,
            file.as_os_str(),
        )
        .fails("identity");
        verify(
            path,
            &exact,
            "https://accounts.google.com",
            file.as_os_str(),
        )
        .fails("issuer");
    }
    let other = instance.artifact("other.bin");
    verify(&bundle, &exact, &issuer, other.as_os_str()).fails("does not verify");
    verify(&attestation, &exact, &issuer, other.as_os_str()).fails("does not verify");
    let zeros = format!("sha256:{}", "0".repeat(64));
    verify(&bundle, &exact, &issuer, OsStr::new(&zeros)).fails("does not verify");

    // A tampered bundle: another signature in the same bundle.
    let mut tampered = read_json(&bundle);
    tampered["messageSignature"]["signature"] =
        Value::String(B64.encode(b"not the signature at all"));
    let tampered_path = instance.dir().join("tampered.json");
    std::fs::write(&tampered_path, tampered.to_string()).expect("write");
    verify(&tampered_path, &exact, &issuer, file.as_os_str()).fails("does not verify");
    // A corrupt bundle, a missing bundle.
    let corrupt = instance.dir().join("corrupt.json");
    std::fs::write(&corrupt, &std::fs::read(&bundle).expect("bundle")[..200]).expect("write");
    verify(&corrupt, &exact, &issuer, file.as_os_str()).fails("malformed bundle");
    verify(
        &instance.dir().join("missing.json"),
        &exact,
        &issuer,
        file.as_os_str(),
    )
    .fails("missing.json");
    // No --trusted-root: ./cairn-data/trust/trusted_root.json is used when present, else the
    // command says what to pass.
    let no_root = [
        OsStr::new("verify"),
        OsStr::new("--bundle"),
        bundle.as_os_str(),
        OsStr::new("--certificate-identity"),
        OsStr::new(alice),
        OsStr::new("--certificate-oidc-issuer"),
        OsStr::new(&issuer),
        file.as_os_str(),
    ];
    instance.run(no_root).fails("no trusted root");
    let default_root = instance.dir().join("cairn-data/trust");
    std::fs::create_dir_all(&default_root).expect("mkdir");
    std::fs::copy(&root, default_root.join("trusted_root.json")).expect("copy");
    instance.run(no_root).ok();
    // A trusted root that does not parse.
    std::fs::write(default_root.join("trusted_root.json"), b"[]").expect("write");
    instance.run(no_root).fails("trusted root");

    let Some(tools) = tools else {
        return;
    };
    for (what, path) in [("bundle", &bundle), ("attestation", &attestation)] {
        let (ok, out) = tools.python_verify(&instance, path, alice, &file);
        assert!(ok, "sigstore-python rejects the {what}: {out}");
        let (ok, _) = tools.python_verify(&instance, path, "mallory@example.com", &file);
        assert!(
            !ok,
            "sigstore-python accepts the {what} for another identity"
        );
    }
    let (ok, out) = tools.js_verify(&instance, &bundle, alice, Some(&file));
    assert!(ok, "@sigstore/verify rejects the bundle: {out}");
    let (ok, out) = tools.js_verify(&instance, &attestation, alice, None);
    assert!(ok, "@sigstore/verify rejects the attestation: {out}");
    let (ok, _) = tools.python_verify(&instance, &bundle, alice, &other);
    assert!(!ok, "sigstore-python accepts the bundle for another file");
}

/// Generate a P-256 key pair with the openssl CLI: (private PEM, public PEM).
fn openssl_key(dir: &Path, name: &str, passphrase: Option<&str>) -> (PathBuf, PathBuf) {
    let private = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
    ]);
    if let Some(pass) = passphrase {
        cmd.args(["-aes-256-cbc", "-pass", &format!("pass:{pass}")]);
    }
    let status = cmd.arg("-out").arg(&private).status().expect("openssl");
    assert!(status.success(), "openssl genpkey");
    let mut cmd = Command::new("openssl");
    cmd.args(["pkey", "-pubout", "-in"]).arg(&private);
    if let Some(pass) = passphrase {
        cmd.args(["-passin", &format!("pass:{pass}")]);
    }
    let status = cmd.arg("-out").arg(&public).status().expect("openssl");
    assert!(status.success(), "openssl pkey -pubout");
    (private, public)
}

#[test]
fn managed_key_signing() {
    let instance = Instance::start("managed-key");
    let (private, public) = openssl_key(instance.dir(), "release", None);
    let file = instance.artifact("tool.bin");
    let bundle = instance.dir().join("tool.sigstore.json");
    instance
        .run([
            OsStr::new("sign"),
            OsStr::new("--key"),
            private.as_os_str(),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--bundle"),
            bundle.as_os_str(),
            file.as_os_str(),
        ])
        .ok();
    let json = read_json(&bundle);
    assert!(
        json["verificationMaterial"]["publicKey"]["hint"].is_string(),
        "{json}"
    );
    assert!(json["verificationMaterial"]["certificate"].is_null());
    let body = check_tlog_entry(&json, "hashedrekord");
    let logged_key = B64
        .decode(
            body["spec"]["signature"]["publicKey"]["content"]
                .as_str()
                .expect("key"),
        )
        .expect("base64");
    assert_eq!(
        String::from_utf8(logged_key).expect("PEM"),
        std::fs::read_to_string(&public).expect("public key"),
        "the log holds the managed public key"
    );

    // openssl agrees that the signature is over the artifact with that key.
    let signature = B64
        .decode(json["messageSignature"]["signature"].as_str().expect("sig"))
        .expect("base64");
    let sig_path = instance.dir().join("tool.sig");
    std::fs::write(&sig_path, signature).expect("write");
    let output = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig_path)
        .arg(&file)
        .output()
        .expect("openssl dgst");
    assert!(
        output.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&output.stdout)
    );

    // cairn verify with the key; with another key; as if it were keyless.
    let verify_key = |key: &Path| {
        instance.run([
            OsStr::new("verify"),
            OsStr::new("--bundle"),
            bundle.as_os_str(),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--key"),
            key.as_os_str(),
            file.as_os_str(),
        ])
    };
    verify_key(&public).ok();
    let (_, stranger) = openssl_key(instance.dir(), "stranger", None);
    verify_key(&stranger).fails("does not verify");
    instance
        .run([
            OsStr::new("verify"),
            OsStr::new("--bundle"),
            bundle.as_os_str(),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--certificate-identity"),
            OsStr::new("alice@example.com"),
            OsStr::new("--certificate-oidc-issuer"),
            OsStr::new(&instance.issuer()),
            file.as_os_str(),
        ])
        .fails("managed key");

    // An encrypted key needs its passphrase.
    let (encrypted, _) = openssl_key(instance.dir(), "locked", Some("correct horse"));
    let sign_locked = |env: &[(&str, &str)]| {
        run_in(
            instance.dir(),
            [
                OsStr::new("sign"),
                OsStr::new("--key"),
                encrypted.as_os_str(),
                OsStr::new("--rekor-url"),
                OsStr::new(instance.base()),
                OsStr::new("--trusted-root"),
                instance.trusted_root().as_os_str(),
                OsStr::new("--bundle"),
                instance.dir().join("locked.json").as_os_str(),
                file.as_os_str(),
            ],
            env,
        )
    };
    sign_locked(&[]).fails("CAIRN_KEY_PASSWORD");
    sign_locked(&[("CAIRN_KEY_PASSWORD", "wrong")]).fails("could not decrypt");
    sign_locked(&[("CAIRN_KEY_PASSWORD", "correct horse")]).ok();

    // Attest with the key.
    let predicate = instance.dir().join("vuln.json");
    std::fs::write(&predicate, r#"{"scanner":{"result":[]}}"#).expect("write");
    let attestation = instance.dir().join("tool.att.json");
    instance
        .run([
            OsStr::new("attest"),
            OsStr::new("--key"),
            private.as_os_str(),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--type"),
            OsStr::new("vuln"),
            OsStr::new("--predicate"),
            predicate.as_os_str(),
            OsStr::new("--bundle"),
            attestation.as_os_str(),
            file.as_os_str(),
        ])
        .ok();
    let json = read_json(&attestation);
    check_tlog_entry(&json, "dsse");
    let statement: Value = serde_json::from_slice(
        &B64.decode(json["dsseEnvelope"]["payload"].as_str().expect("payload"))
            .expect("base64"),
    )
    .expect("statement");
    assert_eq!(
        statement["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    instance
        .run([
            OsStr::new("verify"),
            OsStr::new("--bundle"),
            attestation.as_os_str(),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--key"),
            public.as_os_str(),
            file.as_os_str(),
        ])
        .ok();

    // The log's index finds the entry by key, by digest.
    let entry_uuid = {
        let body = B64
            .decode(
                read_json(&bundle)["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
                    .as_str()
                    .expect("body"),
            )
            .expect("base64");
        let mut leaf = vec![0u8];
        leaf.extend_from_slice(&body);
        sha256_hex(&leaf)
    };
    let by_key = instance.run([
        OsStr::new("log"),
        OsStr::new("search"),
        OsStr::new("--rekor-url"),
        OsStr::new(instance.base()),
        OsStr::new("--public-key"),
        public.as_os_str(),
    ]);
    by_key.ok();
    assert!(
        by_key.stdout.lines().any(|l| l.ends_with(&entry_uuid)),
        "search by key finds {entry_uuid}: {by_key:#?}"
    );
    let artifact = std::fs::read(&file).expect("artifact");
    let by_hash = instance.run([
        "log",
        "search",
        "--rekor-url",
        instance.base(),
        "--sha256",
        &sha256_hex(&artifact),
    ]);
    by_hash.ok();
    assert!(
        by_hash.stdout.lines().any(|l| l.ends_with(&entry_uuid)),
        "search by digest finds {entry_uuid}: {by_hash:#?}"
    );
}

#[test]
fn bad_inputs_fail_with_one_line() {
    let instance = Instance::start("bad-inputs");
    let file = instance.artifact("a.txt");
    let bundle = instance.dir().join("a.json");
    let token = instance.token("alice@example.com");
    let trust_config = instance.trust_config();
    let sign = |extra: &[&OsStr]| {
        let mut items: Vec<std::ffi::OsString> = vec!["sign".into()];
        items.extend(extra.iter().map(|a| a.to_os_string()));
        items.extend(["--bundle".into(), bundle.clone().into_os_string()]);
        items
    };

    // No token anywhere.
    instance
        .run(sign(&[
            OsStr::new("--trust-config"),
            trust_config.as_os_str(),
            file.as_os_str(),
        ]))
        .fails("no identity token");
    // Not a JWT.
    instance
        .run(sign(&[
            OsStr::new("--identity-token"),
            OsStr::new("not-a-token"),
            OsStr::new("--trust-config"),
            trust_config.as_os_str(),
            file.as_os_str(),
        ]))
        .fails("not a JWT");
    // Nothing listens on port 1.
    let run = instance.run(sign(&[
        OsStr::new("--identity-token"),
        OsStr::new(&token),
        OsStr::new("--fulcio-url"),
        OsStr::new("http://127.0.0.1:1"),
        OsStr::new("--rekor-url"),
        OsStr::new("http://127.0.0.1:1"),
        file.as_os_str(),
    ]));
    run.fails("cannot reach http://127.0.0.1:1");
    assert!(!run.stderr.contains(&token), "the token is never printed");
    // A missing trust config, a missing artifact.
    instance
        .run(sign(&[
            OsStr::new("--identity-token"),
            OsStr::new(&token),
            OsStr::new("--trust-config"),
            OsStr::new("missing.json"),
            file.as_os_str(),
        ]))
        .fails("missing.json");
    instance
        .run(sign(&[
            OsStr::new("--identity-token"),
            OsStr::new(&token),
            OsStr::new("--trust-config"),
            trust_config.as_os_str(),
            OsStr::new("missing.bin"),
        ]))
        .fails("missing.bin");
    assert!(!bundle.exists(), "no bundle was written by any failure");
    // A trust config that is not one.
    let junk = instance.dir().join("junk.json");
    std::fs::write(&junk, b"{\"mediaType\": 7}").expect("write");
    instance
        .run(sign(&[
            OsStr::new("--identity-token"),
            OsStr::new(&token),
            OsStr::new("--trust-config"),
            junk.as_os_str(),
            file.as_os_str(),
        ]))
        .fails("trust config");
    // A trusted root whose log key is not the server's: the new bundle fails its self-check,
    // and nothing is written.
    let mut root = read_json(&instance.trusted_root());
    let (_, stranger) = openssl_key(instance.dir(), "stranger", None);
    let stranger_der = Command::new("openssl")
        .args(["pkey", "-pubin", "-outform", "DER", "-in"])
        .arg(&stranger)
        .output()
        .expect("openssl")
        .stdout;
    root["tlogs"][0]["publicKey"]["rawBytes"] = Value::String(B64.encode(stranger_der));
    let wrong_root = instance.dir().join("wrong-root.json");
    std::fs::write(&wrong_root, root.to_string()).expect("write");
    instance
        .run(sign(&[
            OsStr::new("--identity-token"),
            OsStr::new(&token),
            OsStr::new("--fulcio-url"),
            OsStr::new(instance.base()),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            OsStr::new("--trusted-root"),
            wrong_root.as_os_str(),
            file.as_os_str(),
        ]))
        .fails("does not verify against the trusted root");
    assert!(!bundle.exists(), "no bundle was written by any failure");
    // A predicate that is not a JSON object.
    let predicate = instance.dir().join("list.json");
    std::fs::write(&predicate, b"[1, 2]").expect("write");
    let mut attest = sign(&[
        OsStr::new("--identity-token"),
        OsStr::new(&token),
        OsStr::new("--trust-config"),
        trust_config.as_os_str(),
        OsStr::new("--type"),
        OsStr::new("custom"),
        OsStr::new("--predicate"),
        predicate.as_os_str(),
        file.as_os_str(),
    ]);
    attest[0] = "attest".into();
    instance.run(attest).fails("JSON object");

    // An Ed25519 managed key cannot sign a hashedrekord.
    let ed_key = instance.dir().join("ed.key");
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ED25519", "-out"])
        .arg(&ed_key)
        .status()
        .expect("openssl");
    assert!(status.success());
    instance
        .run(sign(&[
            OsStr::new("--key"),
            ed_key.as_os_str(),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            file.as_os_str(),
        ]))
        .fails("Ed25519");

    // Log commands.
    instance
        .run([
            "log",
            "get",
            "--rekor-url",
            instance.base(),
            "--uuid",
            "../../etc/passwd",
        ])
        .fails("not a Rekor UUID");
    instance
        .run([
            "log",
            "get",
            "--rekor-url",
            instance.base(),
            "--log-index",
            "999999",
        ])
        .fails("no entry with log index 999999");
    instance
        .run([
            "log",
            "search",
            "--rekor-url",
            instance.base(),
            "--sha256",
            "abc",
        ])
        .fails("64 hex");
    instance
        .run([
            "log",
            "verify-consistency",
            "--rekor-url",
            "http://127.0.0.1:1",
            "--public-key",
            "missing.pem",
            "--state-file",
            "state.json",
        ])
        .fails("missing.pem");
    // No --trusted-root and no ./cairn-data in the working directory.
    instance
        .run([
            "log",
            "verify-consistency",
            "--rekor-url",
            instance.base(),
            "--state-file",
            "state.json",
        ])
        .fails("no trusted root");
    instance
        .run([
            OsStr::new("log"),
            OsStr::new("verify-consistency"),
            OsStr::new("--rekor-url"),
            OsStr::new("http://127.0.0.1:1"),
            OsStr::new("--trusted-root"),
            instance.trusted_root().as_os_str(),
            OsStr::new("--state-file"),
            OsStr::new("state.json"),
        ])
        .fails("cannot reach");
    assert!(!instance.dir().join("state.json").exists());
}

#[test]
fn log_get_and_consistency_audit() {
    let instance = Instance::start("log");
    let (private, _) = openssl_key(instance.dir(), "k", None);
    let sign = |name: &str| {
        let file = instance.artifact(name);
        let bundle = instance.dir().join(format!("{name}.json"));
        instance
            .run([
                OsStr::new("sign"),
                OsStr::new("--key"),
                private.as_os_str(),
                OsStr::new("--rekor-url"),
                OsStr::new(instance.base()),
                OsStr::new("--trusted-root"),
                instance.trusted_root().as_os_str(),
                OsStr::new("--bundle"),
                bundle.as_os_str(),
                file.as_os_str(),
            ])
            .ok();
        read_json(&bundle)["verificationMaterial"]["tlogEntries"][0]["logIndex"]
            .as_str()
            .expect("logIndex")
            .to_owned()
    };
    let index = sign("one");

    // get by index, verified with the trusted root; then by the UUID it printed.
    let root = instance.trusted_root();
    let got = instance.run([
        OsStr::new("log"),
        OsStr::new("get"),
        OsStr::new("--rekor-url"),
        OsStr::new(instance.base()),
        OsStr::new("--log-index"),
        OsStr::new(&index),
        OsStr::new("--trusted-root"),
        root.as_os_str(),
    ]);
    got.ok();
    assert!(got.stderr.contains("cairn: verified entry"), "{got:#?}");
    let entry: Value = serde_json::from_str(&got.stdout).expect("entry JSON on stdout");
    let (entry_id, value) = entry
        .as_object()
        .and_then(|m| m.iter().next())
        .expect("one entry");
    assert_eq!(value["logIndex"].to_string(), index);
    let by_uuid = instance.run([
        "log",
        "get",
        "--rekor-url",
        instance.base(),
        "--uuid",
        &entry_id[16..],
    ]);
    by_uuid.ok();
    assert_eq!(
        serde_json::from_str::<Value>(&by_uuid.stdout).expect("JSON")[entry_id]["body"],
        value["body"]
    );
    // Verified against a key that is not the log's, the entry is refused.
    let (_, stranger) = openssl_key(instance.dir(), "stranger", None);
    instance
        .run([
            OsStr::new("log"),
            OsStr::new("get"),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            OsStr::new("--log-index"),
            OsStr::new(&index),
            OsStr::new("--public-key"),
            stranger.as_os_str(),
        ])
        .fails("does not verify");

    // verify-consistency: store, stay, grow.
    let state = instance.dir().join("audit.json");
    let audit = |state: &Path| {
        instance.run([
            OsStr::new("log"),
            OsStr::new("verify-consistency"),
            OsStr::new("--rekor-url"),
            OsStr::new(instance.base()),
            OsStr::new("--trusted-root"),
            root.as_os_str(),
            OsStr::new("--state-file"),
            state.as_os_str(),
        ])
    };
    let first = audit(&state);
    first.ok();
    assert!(first.stdout.starts_with("initialized:"), "{first:#?}");
    let stored = read_json(&state);
    let size = stored["tree_size"].as_u64().expect("tree_size");
    assert!(size >= 2, "{stored}");
    assert!(
        stored["checkpoint"]
            .as_str()
            .is_some_and(|c| c.contains(&format!("\n{size}\n"))),
        "{stored}"
    );
    let again = audit(&state);
    again.ok();
    assert!(again.stdout.starts_with("unchanged:"), "{again:#?}");
    sign("two");
    sign("three");
    let grown = audit(&state);
    grown.ok();
    assert_eq!(
        grown.stdout.trim(),
        format!(
            "consistent: size {size} -> {}, consistency proof verified",
            size + 2
        )
    );
    assert_eq!(read_json(&state)["tree_size"], size + 2);

    // Forged state files: another root at the same size, a larger size.
    let mut forged = read_json(&state);
    forged["root_hash"] = Value::String("ab".repeat(32));
    let forged_root = instance.dir().join("forged-root.json");
    std::fs::write(&forged_root, forged.to_string()).expect("write");
    audit(&forged_root).fails_with(EXIT_LOG_MISBEHAVIOUR, "LOG FORKED");
    assert_eq!(read_json(&forged_root), forged, "state file untouched");

    let mut forged = read_json(&state);
    forged["tree_size"] = Value::from(size + 100);
    let forged_size = instance.dir().join("forged-size.json");
    std::fs::write(&forged_size, forged.to_string()).expect("write");
    audit(&forged_size).fails_with(EXIT_LOG_MISBEHAVIOUR, "LOG ROLLED BACK");
    assert_eq!(read_json(&forged_size), forged, "state file untouched");

    // An older size with a root that is not the log's: the proof cannot verify.
    let mut forged = read_json(&state);
    forged["tree_size"] = Value::from(size);
    let forged_old = instance.dir().join("forged-old.json");
    std::fs::write(&forged_old, forged.to_string()).expect("write");
    audit(&forged_old).fails_with(EXIT_LOG_MISBEHAVIOUR, "LOG FORKED");

    // A corrupt state file is an ordinary error.
    let corrupt = instance.dir().join("corrupt.json");
    std::fs::write(&corrupt, b"{\"tree_size\":").expect("write");
    audit(&corrupt).fails("not a cairn log state file");
}

/// Copy a directory tree (the server must not be running).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A real log rolled back to an old copy of its database, then grown in a different direction:
/// the auditor must see the rollback, then the fork, both with exit code 3.
#[test]
fn rollback_and_fork_of_a_real_log_are_caught() {
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let snapshot = work.path().join("snapshot");
    // A fixed public URL keeps the checkpoint origin the same across restarts on new ports.
    let start = |dir: &Path| {
        Server::start(
            "rollback",
            &args([
                OsStr::new("--data-dir"),
                dir.as_os_str(),
                OsStr::new("--public-url"),
                OsStr::new("http://rekor.cairn.test"),
            ]),
        )
    };
    let key = openssl_key(work.path(), "k", None).0;
    let root = data.join("trust/trusted_root.json");
    let sign = |server: &Server, n: usize| {
        for i in 0..n {
            let file = work.path().join(format!("f{i}"));
            std::fs::write(&file, unique_tag("rollback")).expect("write");
            run_in(
                work.path(),
                [
                    OsStr::new("sign"),
                    OsStr::new("--key"),
                    key.as_os_str(),
                    OsStr::new("--rekor-url"),
                    OsStr::new(&server.base),
                    OsStr::new("--trusted-root"),
                    root.as_os_str(),
                    OsStr::new("--bundle"),
                    work.path().join("b.json").as_os_str(),
                    file.as_os_str(),
                ],
                &[],
            )
            .ok();
        }
    };
    let state = work.path().join("audit.json");
    let audit = |server: &Server| {
        run_in(
            work.path(),
            [
                OsStr::new("log"),
                OsStr::new("verify-consistency"),
                OsStr::new("--rekor-url"),
                OsStr::new(&server.base),
                OsStr::new("--trusted-root"),
                root.as_os_str(),
                OsStr::new("--state-file"),
                state.as_os_str(),
            ],
            &[],
        )
    };

    let mut server = start(&data);
    sign(&server, 2);
    server.kill_9();
    drop(server);
    copy_dir(&data, &snapshot);

    let mut server = start(&data);
    sign(&server, 2);
    audit(&server).ok();
    let stored = std::fs::read(&state).expect("state");
    server.kill_9();
    drop(server);

    // The old copy: fewer entries than the auditor has seen.
    let server = start(&snapshot);
    audit(&server).fails_with(EXIT_LOG_MISBEHAVIOUR, "LOG ROLLED BACK");
    assert_eq!(std::fs::read(&state).expect("state"), stored);
    // The old copy grows past the size seen, with other entries: a fork.
    sign(&server, 3);
    audit(&server).fails_with(EXIT_LOG_MISBEHAVIOUR, "LOG FORKED");
    assert_eq!(std::fs::read(&state).expect("state"), stored);
}
