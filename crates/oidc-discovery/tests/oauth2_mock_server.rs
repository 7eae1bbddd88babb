//! Interop with an independent OpenID provider: `oauth2-mock-server` from npm (its keys and
//! tokens come from the `jose` library), started through `scripts/oidc-mock-server.mjs`.
//!
//! Needs node and `scripts/install-oauth2-mock-server`; without them the test says SKIPPED,
//! unless `CAIRN_REQUIRE_TOOLS=1`, in which case it fails.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use oidc::{
    CertificateExtension, IssuerConfig, IssuerRegistry, IssuerType, PrincipalError, SubjectAltName,
    TokenError,
};
use oidc_discovery::{DiscoveryOptions, TokenVerifier, VerifyTokenError};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The running provider; killed (it is our own child) when dropped.
struct MockServer {
    child: Child,
    issuer: String,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tools_available() -> bool {
    let required = std::env::var("CAIRN_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let package = workspace_root()
        .join(".tools/oauth2-mock-server/node_modules/oauth2-mock-server/package.json");
    let reason = if !node {
        "node is not installed"
    } else if !package.exists() {
        "oauth2-mock-server is not installed (run scripts/install-oauth2-mock-server)"
    } else {
        return true;
    };
    assert!(!required, "CAIRN_REQUIRE_TOOLS=1 but {reason}");
    eprintln!("SKIPPED: {reason}");
    false
}

fn start(alg: &str) -> MockServer {
    let mut child = Command::new("node")
        .arg(workspace_root().join("scripts/oidc-mock-server.mjs"))
        .args(["--alg", alg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let issuer = line
        .strip_prefix("issuer ")
        .unwrap_or_else(|| panic!("unexpected first line from the mock server: {line:?}"))
        .trim()
        .to_owned();
    MockServer { child, issuer }
}

/// A token from the provider's token endpoint, with the given claims as form fields.
async fn token(issuer: &str, fields: &[(&str, &str)]) -> String {
    let mut body = String::from("grant_type=client_credentials");
    for (name, value) in fields {
        body.push('&');
        body.push_str(name);
        body.push('=');
        body.push_str(
            &value
                .replace('@', "%40")
                .replace(':', "%3A")
                .replace('/', "%2F"),
        );
    }
    let response = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let json: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    json["access_token"].as_str().unwrap().to_owned()
}

fn verifier(issuers: Vec<IssuerConfig>) -> TokenVerifier {
    let registry = IssuerRegistry::new(issuers, BTreeMap::new()).unwrap();
    TokenVerifier::new(registry, DiscoveryOptions::default()).unwrap()
}

const ALICE: &[(&str, &str)] = &[
    ("aud", "sigstore"),
    ("sub", "alice"),
    ("email", "alice@example.com"),
    ("email_verified", "true"),
];

#[tokio::test]
async fn tokens_from_oauth2_mock_server_verify() {
    if !tools_available() {
        return;
    }
    for alg in ["RS256", "PS256", "ES256", "EdDSA"] {
        let server = start(alg);
        let v = verifier(vec![IssuerConfig::exact(&server.issuer, IssuerType::Email)]);
        let jwt = token(&server.issuer, ALICE).await;
        let verified = v
            .verify(&jwt)
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(
            verified.principal.san,
            SubjectAltName::Email("alice@example.com".into())
        );
        assert_eq!(
            verified.principal.challenges,
            vec!["alice@example.com".to_owned()]
        );
        assert_eq!(
            verified.principal.extension(CertificateExtension::Issuer),
            Some(server.issuer.as_str())
        );
        assert_eq!(
            verified
                .principal
                .extension(CertificateExtension::TokenSubject),
            Some("alice")
        );
        let header = oidc::parse_jws(&jwt).unwrap().header;
        assert_eq!(header.alg.name(), alg);
    }
}

#[tokio::test]
async fn oauth2_mock_server_rejections() {
    if !tools_available() {
        return;
    }
    let server = start("RS256");

    // A URI issuer whose subject domain is the provider's own origin.
    let mut uri = IssuerConfig::exact(&server.issuer, IssuerType::Uri);
    uri.subject_domain = Some(server.issuer.clone());
    let v = verifier(vec![uri]);
    let subject = format!("{}/users/alice", server.issuer);
    let jwt = token(&server.issuer, &[("aud", "sigstore"), ("sub", &subject)]).await;
    let verified = v.verify(&jwt).await.unwrap();
    assert_eq!(verified.principal.san, SubjectAltName::Uri(subject.clone()));
    assert_eq!(verified.principal.challenges, vec![subject]);

    let v = verifier(vec![IssuerConfig::exact(&server.issuer, IssuerType::Email)]);
    let wrong_audience = token(&server.issuer, &[("aud", "someone-else"), ("sub", "alice")]).await;
    assert_eq!(
        v.verify(&wrong_audience).await.unwrap_err(),
        VerifyTokenError::InvalidToken(TokenError::WrongAudience)
    );
    let unverified = token(
        &server.issuer,
        &[
            ("aud", "sigstore"),
            ("sub", "alice"),
            ("email", "alice@example.com"),
            ("email_verified", "false"),
        ],
    )
    .await;
    assert_eq!(
        v.verify(&unverified).await.unwrap_err(),
        VerifyTokenError::IdentityRejected(PrincipalError::EmailNotVerified)
    );

    // Keys of another provider instance do not verify this one's tokens.
    let other = start("RS256");
    let v = verifier(vec![IssuerConfig::exact(&other.issuer, IssuerType::Email)]);
    let mut forged: Vec<String> = token(&server.issuer, ALICE)
        .await
        .split('.')
        .map(str::to_owned)
        .collect();
    let other_jwt = token(&other.issuer, ALICE).await;
    let other_parts: Vec<&str> = other_jwt.split('.').collect();
    forged[1] = other_parts[1].to_owned(); // claims of `other`, signature of `server`
    forged[0] = other_parts[0].to_owned();
    assert!(matches!(
        v.verify(&forged.join(".")).await,
        Err(VerifyTokenError::InvalidToken(TokenError::BadSignature))
    ));
}
