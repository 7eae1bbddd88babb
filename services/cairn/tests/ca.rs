//! The Fulcio-compatible CA of a real `cairn up --dev`, over HTTP: both request shapes, the
//! legacy v1 API, the trust bundle and configuration, and every refusal the issue lists — each a
//! 4xx with a JSON `{code, message}` body, no certificate, and nothing added to the CT log.
//!
//! Tokens are minted with the development issuer's key read from the data directory, so that
//! expired, wrong-audience and otherwise broken tokens can be made; foreign tokens are signed by
//! a key the server never saw. Certificates are checked with the openssl CLI.

mod common;

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use common::{Server, args};
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use serde_json::{Value, json};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A compact ES256 JWT over `claims` with `header`, signed by `key`.
fn jwt(key: &SoftwareSigner, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let der = key.sign(input.as_bytes()).expect("sign");
    let raw = oidc::ecdsa_der_to_jws(&der, 32).expect("jws signature");
    format!("{input}.{}", B64URL.encode(raw))
}

struct Ca {
    server: Server,
    issuer: String,
    dev_key: SoftwareSigner,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl Ca {
    /// A CA client for a server started by the test itself (`--dev`, data in `data`).
    fn attach(server: Server, data: &Path, issuer: String) -> Ca {
        let key_pem = std::fs::read_to_string(data.join("keys/dev-oidc.pem")).expect("dev key");
        Ca {
            issuer,
            server,
            dev_key: SoftwareSigner::from_pem(&key_pem).expect("dev key parses"),
            client: reqwest::Client::new(),
            _dir: tempfile::tempdir().expect("tempdir"),
            dir: data.to_owned(),
        }
    }

    fn start() -> Ca {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().to_owned();
        // A small body limit, so that the 413 case fits in the socket buffers (a 4 MiB body
        // would still be in flight when the server answers and closes the connection).
        let server = Server::start_with_env(
            "ca",
            &args(["--dev", "--data-dir", path.to_str().expect("utf-8")]),
            &[("CAIRN_CA__MAX_REQUEST_BYTES", "8192")],
        );
        let dev_key = SoftwareSigner::from_pem(
            &std::fs::read_to_string(path.join("keys/dev-oidc.pem")).expect("dev key"),
        )
        .expect("dev key parses");
        let issuer = format!("{}/dev/oidc", server.base);
        Ca {
            server,
            issuer,
            dev_key,
            client: reqwest::Client::new(),
            _dir: dir,
            dir: path,
        }
    }

    fn kid(&self) -> String {
        hex::encode(&self.dev_key.public_key().spki_sha256()[..8])
    }

    fn claims(&self, email: &str) -> Value {
        let now = now();
        json!({"iss": self.issuer, "aud": "sigstore", "sub": email, "email": email,
               "email_verified": true, "iat": now, "nbf": now, "exp": now + 300})
    }

    fn token_with(&self, claims: &Value) -> String {
        jwt(
            &self.dev_key,
            &json!({"alg": "ES256", "typ": "JWT", "kid": self.kid()}),
            claims,
        )
    }

    async fn ct_size(&self) -> u64 {
        ct_size(&self.client, &self.server.base).await
    }

    async fn post_v2(&self, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/v2/signingCert", self.server.base))
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("signingCert");
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(Value::Null);
        (status, json)
    }
}

/// The CT log's tree size at `base` (its signed tree head).
async fn ct_size(client: &reqwest::Client, base: &str) -> u64 {
    let sth: Value = client
        .get(format!("{base}/ct/v1/get-sth"))
        .send()
        .await
        .expect("get-sth")
        .json()
        .await
        .expect("sth json");
    sth["tree_size"].as_u64().expect("tree_size")
}

/// The PEM chain of a successful `/api/v2/signingCert` answer.
fn issued_chain(body: &Value) -> Vec<String> {
    serde_json::from_value(body["signedCertificateEmbeddedSct"]["chain"]["certificates"].clone())
        .expect("certificates")
}

/// The js/cosign request shape: public key + proof of possession over `challenge`.
fn key_request(token: &str, key: &SoftwareSigner, challenge: &str) -> Value {
    let proof = key.sign(challenge.as_bytes()).expect("sign challenge");
    json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()},
            "proofOfPossession": B64.encode(proof),
        }
    })
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed by this test");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Check an issued chain with openssl: it verifies to the root, and the leaf carries the SAN,
/// the issuer extension and an SCT list.
fn check_chain_with_openssl(dir: &Path, chain: &[String], email: &str) {
    assert!(chain.len() >= 3, "leaf, intermediate and root expected");
    std::fs::write(dir.join("leaf.pem"), format!("{}\n", chain[0])).expect("write");
    std::fs::write(
        dir.join("untrusted.pem"),
        format!("{}\n", chain[1..chain.len() - 1].join("\n")),
    )
    .expect("write");
    std::fs::write(
        dir.join("root.pem"),
        format!("{}\n", chain[chain.len() - 1]),
    )
    .expect("write");
    let (ok, out) = openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "untrusted.pem",
            "-purpose",
            "any",
            "leaf.pem",
        ],
    );
    assert!(ok, "openssl verify failed:\n{out}");
    let (ok, text) = openssl(dir, &["x509", "-in", "leaf.pem", "-noout", "-text"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("email:{email}")),
        "SAN missing:\n{text}"
    );
    assert!(
        text.contains("CT Precertificate SCTs"),
        "no SCT list:\n{text}"
    );
    assert!(text.contains("Code Signing"), "no codeSigning EKU:\n{text}");
    assert!(
        text.contains("1.3.6.1.4.1.57264.1.8"),
        "no issuer (V2) extension:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_issues_in_both_shapes_and_refuses_bad_requests_without_logging_them() {
    let ca = Ca::start();
    let work = tempfile::tempdir().expect("tempdir");
    let email = "alice@example.com";
    let token = ca.token_with(&ca.claims(email));
    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");

    // Public key + proof of possession (sigstore-js / cosign), token in the body.
    let size0 = ca.ct_size().await;
    let (status, body) = ca.post_v2(&key_request(&token, &key, email), None).await;
    assert_eq!(status, 200, "{body}\n{}", ca.server.stderr_tail());
    let chain = issued_chain(&body);
    assert!(
        chain.iter().all(|pem| !pem.ends_with('\n')),
        "PEMs are trimmed"
    );
    check_chain_with_openssl(work.path(), &chain, email);
    assert_eq!(ca.ct_size().await, size0 + 1, "one precertificate logged");

    // The same token again (upstream allows reuse until it expires), token in the header.
    let (status, body) = ca
        .post_v2(
            &json!({"publicKeyRequest": key_request(&token, &key, email)["publicKeyRequest"].clone()}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // CSR shape (sigstore-python): base64 of a PEM CSR made by openssl.
    let (ok, out) = openssl(
        work.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/",
            "-keyout",
            "csr-key.pem",
            "-out",
            "csr.pem",
        ],
    );
    assert!(ok, "{out}");
    let csr_pem = std::fs::read(work.path().join("csr.pem")).expect("csr");
    let (status, body) = ca
        .post_v2(
            &json!({"certificateSigningRequest": B64.encode(&csr_pem)}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Legacy v1: 201, a PEM chain body.
    let proof = key.sign(email.as_bytes()).expect("sign");
    let response = ca
        .client
        .post(format!("{}/api/v1/signingCert", ca.server.base))
        .bearer_auth(&token)
        .json(&json!({"publicKey": {"content": B64.encode(key.public_key().to_pem()), "algorithm": "ecdsa"},
                      "signedEmailAddress": B64.encode(proof)}))
        .send()
        .await
        .expect("v1");
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "application/pem-certificate-chain"
    );
    let text = response.text().await.expect("body");
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");

    // Trust bundle, root certificate and configuration.
    let bundle: Value = ca
        .client
        .get(format!("{}/api/v2/trustBundle", ca.server.base))
        .send()
        .await
        .expect("trustBundle")
        .json()
        .await
        .expect("json");
    assert_eq!(
        bundle["chains"][0]["certificates"].as_array().map(Vec::len),
        Some(2)
    );
    let config: Value = ca
        .client
        .get(format!("{}/api/v2/configuration", ca.server.base))
        .send()
        .await
        .expect("configuration")
        .json()
        .await
        .expect("json");
    let issuers = config["issuers"].as_array().expect("issuers");
    assert!(
        issuers.iter().any(|i| i["issuerUrl"] == ca.issuer.as_str()
            && i["issuerType"] == "email"
            && i["audience"] == "sigstore"
            && i["challengeClaim"] == "email"),
        "{config}"
    );

    // ---- refusals: each 4xx, JSON, and nothing logged ----
    let logged = ca.ct_size().await;
    let foreign = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
    let mut expired = ca.claims(email);
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    expired["nbf"] = json!(now() - 7200);
    let mut wrong_aud = ca.claims(email);
    wrong_aud["aud"] = json!("someone-else");
    let mut unverified = ca.claims(email);
    unverified["email_verified"] = json!(false);
    let mut unknown_issuer = ca.claims(email);
    unknown_issuer["iss"] = json!("https://idp.example.com");
    let none_token = format!(
        "{}.{}.",
        B64URL.encode(json!({"alg": "none"}).to_string()),
        B64URL.encode(ca.claims(email).to_string())
    );
    let foreign_token = jwt(
        &foreign,
        &json!({"alg": "ES256", "typ": "JWT", "kid": ca.kid()}),
        &ca.claims(email),
    );

    let mut csr_der_tampered = {
        let (ok, out) = openssl(
            work.path(),
            &[
                "req", "-in", "csr.pem", "-outform", "DER", "-out", "csr.der",
            ],
        );
        assert!(ok, "{out}");
        std::fs::read(work.path().join("csr.der")).expect("csr der")
    };
    let last = csr_der_tampered.len() - 1;
    csr_der_tampered[last] ^= 0x01;

    let (ok, out) = openssl(work.path(), &["genrsa", "-out", "rsa1024.pem", "1024"]);
    assert!(ok, "{out}");
    let (ok, rsa_pub) = openssl(work.path(), &["rsa", "-in", "rsa1024.pem", "-pubout"]);
    assert!(ok, "{rsa_pub}");
    let rsa_pub = rsa_pub
        .lines()
        .filter(|l| !l.starts_with("writing"))
        .collect::<Vec<_>>()
        .join("\n");

    let cases: Vec<(&str, Value, Option<String>, &str)> = vec![
        (
            "garbage token",
            key_request("not.a.token", &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "no token at all",
            json!({"publicKeyRequest": key_request("", &key, email)["publicKeyRequest"].clone()}),
            None,
            "There was an error processing the identity token",
        ),
        (
            "expired token",
            key_request(&ca.token_with(&expired), &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "wrong audience",
            key_request(&ca.token_with(&wrong_aud), &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "unverified email",
            key_request(&ca.token_with(&unverified), &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "unknown issuer",
            key_request(&ca.token_with(&unknown_issuer), &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "alg none",
            key_request(&none_token, &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "foreign signature",
            key_request(&foreign_token, &key, email),
            None,
            "There was an error processing the identity token",
        ),
        (
            "proof over another identity",
            key_request(&token, &key, "mallory@example.com"),
            None,
            "The signature supplied in the request could not be verified",
        ),
        (
            "proof by another key",
            {
                let mut body = key_request(&token, &foreign, email);
                body["publicKeyRequest"]["publicKey"]["content"] = json!(key.public_key().to_pem());
                body
            },
            None,
            "The signature supplied in the request could not be verified",
        ),
        (
            "unparseable public key",
            {
                let mut body = key_request(&token, &key, email);
                body["publicKeyRequest"]["publicKey"]["content"] =
                    json!("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
                body
            },
            None,
            "The public key supplied in the request could not be parsed",
        ),
        (
            "RSA-1024 key",
            {
                let mut body = key_request(&token, &key, email);
                body["publicKeyRequest"]["publicKey"]["content"] = json!(rsa_pub);
                body
            },
            None,
            "The public key supplied in the request is insecure",
        ),
        (
            "garbage CSR",
            json!({"certificateSigningRequest": B64.encode(b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----\n")}),
            Some(token.clone()),
            "The certificate signing request could not be parsed",
        ),
        (
            "CSR with a bad self-signature",
            json!({"certificateSigningRequest": B64.encode(&csr_der_tampered)}),
            Some(token.clone()),
            "The signature supplied in the request could not be verified",
        ),
        (
            "CSR that is not base64",
            json!({"certificateSigningRequest": "%%%"}),
            Some(token.clone()),
            "The certificate signing request could not be parsed",
        ),
    ];
    for (case, body, bearer, message) in cases {
        let (status, json) = ca.post_v2(&body, bearer.as_deref()).await;
        assert_eq!(status, 400, "{case}: {json}");
        assert_eq!(json["code"], 3, "{case}: {json}");
        assert_eq!(json["message"], message, "{case}: {json}");
        assert!(json.get("signedCertificateEmbeddedSct").is_none(), "{case}");
    }

    // Not JSON at all, and too large.
    let response = ca
        .client
        .post(format!("{}/api/v2/signingCert", ca.server.base))
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 400);
    // A client of its own: the server closes the connection after refusing the body.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2/signingCert", ca.server.base))
        .body(vec![b' '; 16 << 10])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 413);
    let json: Value = response.json().await.expect("413 is JSON");
    assert!(json["message"].is_string());

    assert_eq!(
        ca.ct_size().await,
        logged,
        "no refused request reached the CT log"
    );
    // Tokens never appear in the server's log.
    assert!(
        !ca.server.stderr_tail().contains(&token[..40]),
        "a token was logged:\n{}",
        ca.server.stderr_tail()
    );
    let _ = &ca.dir;
}

/// The PKCS#11 module of SoftHSM2, if installed (scripts/install-softhsm).
fn softhsm_module() -> Option<&'static str> {
    let candidates = [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ];
    let module = candidates.into_iter().find(|p| Path::new(p).is_file());
    let util = Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .is_ok();
    match (module, util) {
        (Some(module), true) => Some(module),
        _ if std::env::var("CAIRN_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("SoftHSM2 is missing: run scripts/install-softhsm (CAIRN_REQUIRE_TOOLS=1)")
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_issues_with_a_key_held_in_a_pkcs11_token() {
    let Some(module) = softhsm_module() else {
        eprintln!("SKIPPED: SoftHSM2 not installed (scripts/install-softhsm)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).expect("token dir");
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .expect("conf");
    let init = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "cairn-ca",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let config = dir.path().join("cairn.toml");
    std::fs::write(
        &config,
        format!(
            "[ca.signer]\nbackend = \"pkcs11\"\n[ca.signer.pkcs11]\nmodule_path = \"{module}\"\n\
             token_label = \"cairn-ca\"\nkey_label = \"fulcio-issuing\"\n"
        ),
    )
    .expect("config");
    let data = dir.path().join("data");
    let env = [
        ("SOFTHSM2_CONF", conf.to_str().expect("utf-8")),
        ("CAIRN_PKCS11_PIN", "1234"),
    ];
    // A fixed public URL: the logs' checkpoint names and the dev issuer stay the same across
    // restarts on different ports.
    let public_url = "http://cairn-pkcs11.test";
    let flags = args([
        "--dev",
        "--public-url",
        public_url,
        "--config",
        config.to_str().expect("utf-8"),
        "--data-dir",
        data.to_str().expect("utf-8"),
    ]);

    let mut roots = Vec::new();
    for round in 0..2 {
        // The second start finds the key in the token and the chain in the data directory.
        let server = Server::start_with_env("pkcs11", &flags, &env);
        let ca = Ca::attach(server, &data, format!("{public_url}/dev/oidc"));
        let email = "hsm@example.com";
        let token = ca.token_with(&ca.claims(email));
        let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
        let (status, body) = ca.post_v2(&key_request(&token, &key, email), None).await;
        assert_eq!(
            status,
            200,
            "round {round}: {body}\n{}",
            ca.server.stderr_tail()
        );
        let chain = issued_chain(&body);
        // The token key is the root: leaf + root.
        assert_eq!(chain.len(), 2, "round {round}");
        let work = tempfile::tempdir().expect("tempdir");
        std::fs::write(work.path().join("leaf.pem"), format!("{}\n", chain[0])).expect("write");
        std::fs::write(work.path().join("root.pem"), format!("{}\n", chain[1])).expect("write");
        let (ok, out) = openssl(
            work.path(),
            &[
                "verify", "-CAfile", "root.pem", "-purpose", "any", "leaf.pem",
            ],
        );
        assert!(ok, "round {round}: {out}");
        roots.push(chain[1].clone());
        assert!(
            !data.join("ca/key.pem").exists(),
            "no private key file is written for a PKCS#11 CA"
        );
    }
    assert_eq!(roots[0], roots[1], "the same CA across restarts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_loads_a_chain_and_an_encrypted_key_from_files() {
    // Make a chain and key the way an operator's key ceremony would, with openssl: a root and a
    // codeSigning intermediate, the intermediate's key encrypted (PBES2, AES-256-CBC).
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl_ca(d);
    let (ok, out) = openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "inter.key",
            "-passout",
            "pass:correct horse",
            "-out",
            "inter.enc.pem",
        ],
    );
    assert!(ok, "{out}");
    std::fs::write(
        d.join("cairn.toml"),
        format!(
            "[ca.signer]\nbackend = \"file\"\nchain_file = \"{}\"\nkey_file = \"{}\"\n",
            d.join("chain.pem").display(),
            d.join("inter.enc.pem").display()
        ),
    )
    .expect("config");
    let flags = |data: &str| {
        args([
            "--dev".to_owned(),
            "--config".to_owned(),
            d.join("cairn.toml").display().to_string(),
            "--data-dir".to_owned(),
            d.join(data).display().to_string(),
        ])
    };

    // A wrong passphrase stops the start with a clear message (and no key material in it).
    let output = common::cairn()
        .args(["up", "--listen", "127.0.0.1:0"])
        .args(flags("wrong"))
        .env("CAIRN_CA_KEY_PASSPHRASE", "battery staple")
        .output()
        .expect("run cairn up");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("decrypting key file"), "{stderr}");

    let server = Server::start_with_env(
        "file-ca",
        &flags("data"),
        &[("CAIRN_CA_KEY_PASSPHRASE", "correct horse")],
    );
    let issuer = format!("{}/dev/oidc", server.base);
    let ca = Ca::attach(server, &d.join("data"), issuer);
    let email = "file@example.com";
    let token = ca.token_with(&ca.claims(email));
    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
    let (status, body) = ca.post_v2(&key_request(&token, &key, email), None).await;
    assert_eq!(status, 200, "{body}\n{}", ca.server.stderr_tail());
    let chain = issued_chain(&body);
    assert!(
        chain[2].contains(
            std::fs::read_to_string(d.join("root.pem"))
                .expect("root")
                .trim()
        ),
        "the operator's root ends the chain"
    );
    check_chain_with_openssl(d, &chain, email);
}

/// A root and a codeSigning intermediate made with openssl in `d`: `chain.pem` (intermediate,
/// root), `root.pem`, and the intermediate's key `inter.key` (PEM, unencrypted).
fn openssl_ca(d: &Path) {
    let run = |args: &[&str]| {
        let (ok, out) = openssl(d, args);
        assert!(ok, "openssl {args:?}: {out}");
    };
    std::fs::write(
        d.join("ext.cnf"),
        "[req]\ndistinguished_name=dn\n[dn]\n[root]\nbasicConstraints=critical,CA:TRUE,pathlen:1\n\
         keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n\
         [inter]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .expect("ext");
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "root.key",
    ]);
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "root.key",
        "-subj",
        "/O=Example/CN=remote-ct root",
        "-days",
        "3650",
        "-config",
        "ext.cnf",
        "-extensions",
        "root",
        "-out",
        "root.pem",
    ]);
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "inter.key",
    ]);
    run(&[
        "req",
        "-new",
        "-key",
        "inter.key",
        "-subj",
        "/O=Example/CN=remote-ct issuing",
        "-config",
        "ext.cnf",
        "-out",
        "inter.csr",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "inter.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-CAcreateserial",
        "-days",
        "3000",
        "-extfile",
        "ext.cnf",
        "-extensions",
        "inter",
        "-out",
        "inter.pem",
    ]);
    let chain = format!(
        "{}{}",
        std::fs::read_to_string(d.join("inter.pem")).expect("inter"),
        std::fs::read_to_string(d.join("root.pem")).expect("root")
    );
    std::fs::write(d.join("chain.pem"), chain).expect("chain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_gets_scts_from_a_ct_log_deployed_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl_ca(d);
    // Instance A: only the CT log matters; it accepts chains to the other CA's root.
    std::fs::write(
        d.join("a.toml"),
        format!(
            "[ca]\nenabled = false\n[ct]\nextra_roots_file = \"{}\"\n",
            d.join("root.pem").display()
        ),
    )
    .expect("config a");
    let a = Server::start(
        "ct-host",
        &args([
            "--config",
            d.join("a.toml").to_str().expect("utf-8"),
            "--data-dir",
            d.join("a").to_str().expect("utf-8"),
        ]),
    );
    let ct_key = SoftwareSigner::from_pem(
        &std::fs::read_to_string(d.join("a/keys/ct.pem")).expect("ct key"),
    )
    .expect("ct key parses");
    std::fs::write(d.join("ct.pub.pem"), ct_key.public_key().to_pem()).expect("write");
    let other = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
    std::fs::write(d.join("wrong.pub.pem"), other.public_key().to_pem()).expect("write");

    let client = reqwest::Client::new();

    for (name, key_file, expect_ok) in [("b", "ct.pub.pem", true), ("c", "wrong.pub.pem", false)] {
        // Instance B (C): a CA with no CT log of its own, submitting to A over HTTP.
        std::fs::write(
            d.join(format!("{name}.toml")),
            format!(
                "[ca]\nct_url = \"{}\"\nct_public_key_file = \"{}\"\n[ca.signer]\nbackend = \"file\"\n\
                 chain_file = \"{}\"\nkey_file = \"{}\"\n[ct]\nenabled = false\n",
                a.base,
                d.join(key_file).display(),
                d.join("chain.pem").display(),
                d.join("inter.key").display()
            ),
        )
        .expect("config");
        let data = d.join(name);
        let server = Server::start(
            name,
            &args([
                "--dev",
                "--config",
                d.join(format!("{name}.toml")).to_str().expect("utf-8"),
                "--data-dir",
                data.to_str().expect("utf-8"),
            ]),
        );
        let issuer = format!("{}/dev/oidc", server.base);
        let ca = Ca::attach(server, &data, issuer);
        let before = ct_size(&client, &a.base).await;
        let email = "remote@example.com";
        let token = ca.token_with(&ca.claims(email));
        let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
        let (status, body) = ca.post_v2(&key_request(&token, &key, email), None).await;
        if expect_ok {
            assert_eq!(status, 200, "{body}\n{}", ca.server.stderr_tail());
            let chain = issued_chain(&body);
            check_chain_with_openssl(&data, &chain, email);
            assert_eq!(
                ct_size(&client, &a.base).await,
                before + 1,
                "the precertificate went to A"
            );
            // The trust files name A's CT log.
            let root: Value = serde_json::from_slice(
                &std::fs::read(data.join("trust/trusted_root.json")).expect("trusted root"),
            )
            .expect("json");
            assert_eq!(root["ctlogs"][0]["baseUrl"], a.base.as_str());
            assert_eq!(
                root["ctlogs"][0]["logId"]["keyId"],
                B64.encode(ct_key.public_key().spki_sha256())
            );
        } else {
            // An SCT that does not verify with the configured key is never embedded.
            assert_eq!(status, 500, "{body}");
            assert_eq!(
                body["message"], "Error entering certificate in CTL",
                "{body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_ca_lives_in_memory_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("e.toml"), "[ca.signer]\nbackend = \"ephemeral\"\n").expect("config");
    let mut roots = Vec::new();
    for _ in 0..2 {
        let server = Server::start(
            "ephemeral",
            &args([
                "--public-url",
                "http://ephemeral.test",
                "--config",
                d.join("e.toml").to_str().expect("utf-8"),
                "--data-dir",
                d.join("data").to_str().expect("utf-8"),
            ]),
        );
        let bundle: Value = reqwest::get(format!("{}/api/v2/trustBundle", server.base))
            .await
            .expect("trustBundle")
            .json()
            .await
            .expect("json");
        roots.push(bundle["chains"][0]["certificates"][1].clone());
        assert!(
            !d.join("data/ca").exists(),
            "an ephemeral CA writes nothing"
        );
    }
    assert_ne!(roots[0], roots[1], "every start makes a new CA");
}
