//! Real, unmodified Sigstore clients against a real `cairn up`, with tokens from an independent
//! OpenID provider (oauth2-mock-server) on loopback:
//!
//! - sigstore-python 4.5.1 `sign` and `attest` with `--trust-config` (Fulcio CSR path, its
//!   sign-time SCT check against the CT key in the trust config, the TSA with DER requests,
//!   Rekor v1 hashedrekord and dsse entries);
//! - sigstore-js `sign` and `attest` (Fulcio public-key + proof-of-possession path, the TSA's
//!   JSON requests, Rekor v1);
//! - `cairn sign` and `cairn attest`;
//! - every bundle verified offline by sigstore-python, by `@sigstore/verify` and by
//!   `cairn verify` against the instance's trust files (chain, profile, exactly one SCT, tlog
//!   proof, SET, checkpoint, RFC 3161 timestamp, identity policy);
//! - negative cases: wrong identity, wrong issuer, tampered artifact, and a bundle checked
//!   against another instance's trust root are refused by every verifier.
//!
//! The clients are installed by `scripts/install-clients` and `scripts/install-oauth2-mock-server`
//! into `.tools/`. Without them the test says SKIPPED, unless `CAIRN_REQUIRE_TOOLS=1` (as CI
//! sets), in which case it fails.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Server, args};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Tools {
    sigstore_python: PathBuf,
    js_modules: PathBuf,
    oidc_mock: PathBuf,
}

fn tools() -> Option<Tools> {
    let root = repo_root();
    let tools = Tools {
        sigstore_python: root.join(".tools/venv/bin/sigstore"),
        js_modules: root.join(".tools/node/node_modules"),
        oidc_mock: root.join("scripts/oidc-mock-server.mjs"),
    };
    let present = tools.sigstore_python.is_file()
        && tools.js_modules.join("sigstore").is_dir()
        && tools.js_modules.join("@sigstore/verify").is_dir()
        && root
            .join(".tools/oauth2-mock-server/node_modules/oauth2-mock-server")
            .is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if present {
        return Some(tools);
    }
    if std::env::var("CAIRN_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!(
            "the interop clients are missing: run scripts/install-clients and \
             scripts/install-oauth2-mock-server (CAIRN_REQUIRE_TOOLS=1 forbids skipping)"
        );
    }
    eprintln!("SKIPPED: interop clients not installed (scripts/install-clients)");
    None
}

/// oauth2-mock-server, killed on drop.
struct OidcProvider {
    child: Child,
    issuer: String,
}

impl OidcProvider {
    fn start(script: &Path) -> OidcProvider {
        let mut child = Command::new("node")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start oauth2-mock-server");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the issuer line");
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("unexpected first line from the OIDC mock: {line:?}"))
            .to_owned();
        OidcProvider { child, issuer }
    }

    /// A token with `aud=sigstore` and the given claims, from the provider's token endpoint.
    fn token(&self, claims: &[(&str, &str)]) -> String {
        let mut form = vec![("grant_type", "client_credentials"), ("aud", "sigstore")];
        form.extend_from_slice(claims);
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('@', "%40")))
            .collect::<Vec<_>>()
            .join("&");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let url = format!("{}/token", self.issuer);
        let json: serde_json::Value = runtime.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("token JSON")
        });
        json["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a client command; returns (success, combined output).
fn run(cmd: &mut Command) -> (bool, String) {
    let output = cmd.output().expect("run client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

struct Clients<'a> {
    tools: &'a Tools,
    dir: &'a Path,
}

impl Clients<'_> {
    fn python(&self, trust_config: &Path) -> Command {
        let mut cmd = Command::new(&self.tools.sigstore_python);
        cmd.arg("--trust-config").arg(trust_config);
        cmd.current_dir(self.dir);
        cmd
    }

    fn node(&self, script: &str) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(
            repo_root()
                .join("services/cairn/tests/interop")
                .join(script),
        );
        cmd.env("SIGSTORE_JS_MODULES", &self.tools.js_modules);
        cmd.current_dir(self.dir);
        cmd
    }

    fn python_verify(
        &self,
        trust_config: &Path,
        bundle: &Path,
        identity: &str,
        issuer: &str,
        file: &Path,
    ) -> (bool, String) {
        run(self
            .python(trust_config)
            .args(["verify", "identity", "--offline", "--bundle"])
            .arg(bundle)
            .args(["--cert-identity", identity, "--cert-oidc-issuer", issuer])
            .arg(file))
    }

    fn cairn_verify(
        &self,
        trusted_root: &Path,
        bundle: &Path,
        identity: &str,
        issuer: &str,
        file: &Path,
    ) -> (bool, String) {
        run(common::cairn()
            .args(["verify", "--bundle"])
            .arg(bundle)
            .arg("--trusted-root")
            .arg(trusted_root)
            .args([
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
            ])
            .arg(file)
            .current_dir(self.dir))
    }

    fn js_verify(
        &self,
        trusted_root: &Path,
        bundle: &Path,
        identity: &str,
        issuer: &str,
        file: Option<&Path>,
    ) -> (bool, String) {
        let mut cmd = self.node("js-verify.mjs");
        cmd.arg(trusted_root).arg(bundle).args([identity, issuer]);
        if let Some(file) = file {
            cmd.arg(file);
        }
        run(&mut cmd)
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

#[test]
fn real_clients_sign_and_verify_against_cairn() {
    let Some(tools) = tools() else { return };
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let provider = OidcProvider::start(&tools.oidc_mock);
    let issuer = provider.issuer.clone();

    let data = dir.join("instance-a");
    let server = Server::start(
        "A",
        &args([
            "--data-dir",
            data.to_str().expect("utf-8 path"),
            "--oidc-issuer",
            &issuer,
        ]),
    );
    let trust_config = data.join("trust/trust_config.json");
    let trusted_root = data.join("trust/trusted_root.json");
    let clients = Clients { tools: &tools, dir };
    let alice = "alice@example.com";
    let token = provider.token(&[
        ("sub", "alice"),
        ("email", alice),
        ("email_verified", "true"),
    ]);

    // Artifacts are unique per run: neither client recovers from a Rekor 409.
    let nonce = format!("{:?}", std::time::SystemTime::now());
    let py_file = dir.join("python-artifact.txt");
    let js_file = dir.join("js-artifact.txt");
    write(&py_file, &format!("signed by sigstore-python {nonce}\n"));
    write(&js_file, &format!("signed by sigstore-js {nonce}\n"));

    // sigstore-python: sign and attest.
    let py_bundle = dir.join("python.sigstore.json");
    let (ok, out) = run(clients
        .python(&trust_config)
        .args(["sign", "--identity-token", &token, "--bundle"])
        .arg(&py_bundle)
        .arg(&py_file));
    assert!(
        ok,
        "sigstore-python sign failed:\n{out}\n{}",
        server.stderr_tail()
    );

    let predicate = dir.join("predicate.json");
    write(
        &predicate,
        r#"{"buildDefinition":{"buildType":"https://example.com/cairn-test","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
    );
    let py_attestation = dir.join("python.attestation.json");
    let (ok, out) = run(clients
        .python(&trust_config)
        .args(["attest", "--identity-token", &token])
        .args([
            "--predicate-type",
            "https://slsa.dev/provenance/v1",
            "--predicate",
        ])
        .arg(&predicate)
        .arg("--bundle")
        .arg(&py_attestation)
        .arg(&py_file));
    assert!(
        ok,
        "sigstore-python attest failed:\n{out}\n{}",
        server.stderr_tail()
    );

    // sigstore-js: sign, and attest an in-toto statement about the js artifact.
    let js_bundle = dir.join("js.sigstore.json");
    let (ok, out) = run(clients
        .node("js-sign.mjs")
        .args(["sign", &server.base, &token])
        .arg(&js_file)
        .arg(&js_bundle));
    assert!(
        ok,
        "sigstore-js sign failed:\n{out}\n{}",
        server.stderr_tail()
    );
    let statement = dir.join("statement.json");
    write(
        &statement,
        &serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "js-artifact.txt", "digest": {"sha256": sha256_hex(&js_file)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"buildType": "https://example.com/cairn-test", "externalParameters": {}},
                          "runDetails": {"builder": {"id": "https://example.com/builder"}}},
        })
        .to_string(),
    );
    let js_attestation = dir.join("js.attestation.json");
    let (ok, out) = run(clients
        .node("js-sign.mjs")
        .args(["attest", &server.base, &token])
        .arg(&statement)
        .arg(&js_attestation));
    assert!(
        ok,
        "sigstore-js attest failed:\n{out}\n{}",
        server.stderr_tail()
    );

    // cairn: sign and attest.
    let cairn_file = dir.join("cairn-artifact.txt");
    write(&cairn_file, &format!("signed by cairn {nonce}\n"));
    let cairn_bundle = dir.join("cairn.sigstore.json");
    let (ok, out) = run(common::cairn()
        .args(["sign", "--identity-token", &token, "--trust-config"])
        .arg(&trust_config)
        .arg("--bundle")
        .arg(&cairn_bundle)
        .arg(&cairn_file));
    assert!(ok, "cairn sign failed:\n{out}\n{}", server.stderr_tail());
    let cairn_attestation = dir.join("cairn.attestation.json");
    let (ok, out) = run(common::cairn()
        .args(["attest", "--identity-token", &token, "--trust-config"])
        .arg(&trust_config)
        .args([
            "--predicate-type",
            "https://slsa.dev/provenance/v1",
            "--predicate",
        ])
        .arg(&predicate)
        .arg("--bundle")
        .arg(&cairn_attestation)
        .arg(&cairn_file));
    assert!(ok, "cairn attest failed:\n{out}\n{}", server.stderr_tail());

    // Every bundle verifies in all three verifiers.
    let signed = [
        (&py_bundle, &py_file),
        (&py_attestation, &py_file),
        (&js_bundle, &js_file),
        (&js_attestation, &js_file),
        (&cairn_bundle, &cairn_file),
        (&cairn_attestation, &cairn_file),
    ];
    for (bundle, file) in signed {
        let (ok, out) = clients.python_verify(&trust_config, bundle, alice, &issuer, file);
        assert!(ok, "sigstore-python rejected {}:\n{out}", bundle.display());
        let is_dsse = std::fs::read_to_string(bundle)
            .expect("bundle")
            .contains("dsseEnvelope");
        let (ok, out) = clients.js_verify(
            &trusted_root,
            bundle,
            alice,
            &issuer,
            (!is_dsse).then_some(file.as_path()),
        );
        assert!(ok, "@sigstore/verify rejected {}:\n{out}", bundle.display());
        let (ok, out) = clients.cairn_verify(&trusted_root, bundle, alice, &issuer, file);
        assert!(ok, "cairn verify rejected {}:\n{out}", bundle.display());
    }

    // Negative cases, each refused by both verifiers.
    let tampered = dir.join("tampered.txt");
    write(
        &tampered,
        &format!("signed by sigstore-python {nonce} (changed)\n"),
    );
    for bundle in [&py_bundle, &js_bundle] {
        let file = if bundle == &py_bundle {
            &py_file
        } else {
            &js_file
        };
        let cases: [(&str, &str, &Path); 3] = [
            ("wrong identity", "mallory@example.com", file),
            ("wrong issuer", alice, file),
            ("tampered artifact", alice, &tampered),
        ];
        for (case, identity, artifact) in cases {
            let issuer_used = if case == "wrong issuer" {
                "https://accounts.example.com"
            } else {
                issuer.as_str()
            };
            let (ok, out) =
                clients.python_verify(&trust_config, bundle, identity, issuer_used, artifact);
            assert!(
                !ok,
                "sigstore-python accepted {case} for {}:\n{out}",
                bundle.display()
            );
            let (ok, out) =
                clients.js_verify(&trusted_root, bundle, identity, issuer_used, Some(artifact));
            assert!(
                !ok,
                "@sigstore/verify accepted {case} for {}:\n{out}",
                bundle.display()
            );
        }
    }

    // A bundle from this instance means nothing to another instance's trust root.
    let other = dir.join("instance-b");
    let other_server = Server::start(
        "B",
        &args([
            "--data-dir",
            other.to_str().expect("utf-8 path"),
            "--oidc-issuer",
            &issuer,
        ]),
    );
    drop(other_server);
    let other_config = other.join("trust/trust_config.json");
    let other_root = other.join("trust/trusted_root.json");
    let (ok, out) = clients.python_verify(&other_config, &py_bundle, alice, &issuer, &py_file);
    assert!(
        !ok,
        "sigstore-python accepted a bundle from another instance:\n{out}"
    );
    let (ok, out) = clients.js_verify(&other_root, &js_bundle, alice, &issuer, Some(&js_file));
    assert!(
        !ok,
        "@sigstore/verify accepted a bundle from another instance:\n{out}"
    );

    drop(server);
    std::thread::sleep(Duration::from_millis(10));
}
