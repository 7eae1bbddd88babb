//! The verifier against a real HTTP provider on loopback.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{Idp, ManualClock, Mode, p256, public_jwk, sign_token};
use keys::SoftwareSigner;
use oidc::{
    AdmissionRule, IssuerConfig, IssuerRegistry, IssuerType, PrincipalError, SubjectAltName,
    TokenError,
};
use oidc_discovery::{
    DiscoveryOptions, FetchError, TokenVerifier, VerifyTokenError, static_jwks_from_files,
};
use serde_json::{Value, json};

fn email_issuer(url: &str) -> IssuerConfig {
    IssuerConfig::exact(url, IssuerType::Email)
}

fn verifier(issuers: Vec<IssuerConfig>, clock: &Arc<ManualClock>) -> TokenVerifier {
    let registry = IssuerRegistry::new(issuers, BTreeMap::new()).unwrap();
    let options = DiscoveryOptions {
        clock: clock.clone(),
        ..DiscoveryOptions::default()
    };
    TokenVerifier::new(registry, options).unwrap()
}

fn claims(iss: &str, clock: &ManualClock) -> Value {
    let now = clock.unix_now();
    json!({
        "iss": iss, "aud": "sigstore", "sub": "user-1234", "email": "alice@example.com",
        "email_verified": true, "iat": now, "exp": now + 600,
    })
}

fn jwks(keys: &[(&SoftwareSigner, &str)]) -> Value {
    json!({ "keys": keys.iter().map(|(s, kid)| public_jwk(s, kid)).collect::<Vec<_>>() })
}

#[tokio::test]
async fn verifies_and_caches_keys() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k1")])).await;
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    let token = sign_token(&key, "k1", &claims(&idp.issuer, &clock));

    let verified = v.verify(&token).await.unwrap();
    assert_eq!(
        verified.principal.san,
        SubjectAltName::Email("alice@example.com".into())
    );
    assert_eq!(
        verified.principal.challenges,
        vec!["alice@example.com".to_owned()]
    );
    assert_eq!(verified.claims.subject(), Some("user-1234"));
    assert_eq!(
        verified.issuer.config().url.as_deref(),
        Some(idp.issuer.as_str())
    );
    assert_eq!(idp.hits(), (1, 1));

    for _ in 0..5 {
        v.verify(&token).await.unwrap();
    }
    assert_eq!(idp.hits(), (1, 1), "cached keys are reused");
}

#[tokio::test]
async fn key_rotation_refetches_on_an_unknown_kid() {
    let old = p256();
    let new = p256();
    let idp = Idp::start(jwks(&[(&old, "old")])).await;
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    v.verify(&sign_token(&old, "old", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();

    idp.set_keys(jwks(&[(&new, "new")]));
    clock.advance(Duration::from_secs(11));
    v.verify(&sign_token(&new, "new", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    assert_eq!(idp.hits(), (2, 2));

    // The old key is gone from the refreshed set.
    clock.advance(Duration::from_secs(11));
    let err = v
        .verify(&sign_token(&old, "old", &claims(&idp.issuer, &clock)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::InvalidToken(TokenError::UnknownKeyId)
    );
    assert_eq!(idp.hits(), (3, 3));
}

#[tokio::test]
async fn refetches_for_unknown_kids_are_rate_limited() {
    let k1 = p256();
    let k2 = p256();
    let idp = Idp::start(jwks(&[(&k1, "k1")])).await;
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    v.verify(&sign_token(&k1, "k1", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    idp.set_keys(jwks(&[(&k1, "k1"), (&k2, "k2")]));

    // Within the interval nothing is fetched, however many unknown kids arrive.
    clock.advance(Duration::from_secs(1));
    for i in 0..50 {
        let err = v
            .verify(&sign_token(
                &k2,
                &format!("made-up-{i}"),
                &claims(&idp.issuer, &clock),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            VerifyTokenError::InvalidToken(TokenError::UnknownKeyId)
        );
    }
    let err = v
        .verify(&sign_token(&k2, "k2", &claims(&idp.issuer, &clock)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::InvalidToken(TokenError::UnknownKeyId)
    );
    assert_eq!(idp.hits(), (1, 1));

    // After the interval one refetch happens and finds the new key.
    clock.advance(Duration::from_secs(10));
    v.verify(&sign_token(&k2, "k2", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    assert_eq!(idp.hits(), (2, 2));
    // Known kids keep working without fetching; unknown ones are limited again.
    v.verify(&sign_token(&k1, "k1", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    let _ = v
        .verify(&sign_token(&k2, "k3", &claims(&idp.issuer, &clock)))
        .await;
    assert_eq!(idp.hits(), (2, 2));
}

#[tokio::test]
async fn keys_expire_after_the_ttl() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k")])).await;
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    v.verify(&sign_token(&key, "k", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(30 * 60));
    v.verify(&sign_token(&key, "k", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    assert_eq!(idp.hits(), (1, 1));
    clock.advance(Duration::from_secs(31 * 60));
    v.verify(&sign_token(&key, "k", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    assert_eq!(idp.hits(), (2, 2));

    // When the refresh fails, the keys fetched before stay in use.
    idp.set_mode(Mode::JwksError);
    clock.advance(Duration::from_secs(61 * 60));
    v.verify(&sign_token(&key, "k", &claims(&idp.issuer, &clock)))
        .await
        .unwrap();
    assert_eq!(idp.hits(), (3, 3));
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k")])).await;
    let clock = ManualClock::new();
    let v = Arc::new(verifier(vec![email_issuer(&idp.issuer)], &clock));
    let token = sign_token(&key, "k", &claims(&idp.issuer, &clock));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let v = Arc::clone(&v);
        let token = token.clone();
        tasks.spawn(async move { v.verify(&token).await.map(|_| ()) });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(idp.hits(), (1, 1));
}

#[tokio::test]
async fn discovery_must_name_the_same_issuer() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k")])).await;
    idp.claim_issuer(&format!("{}/", idp.issuer));
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    let token = sign_token(&key, "k", &claims(&idp.issuer, &clock));
    let err = v.verify(&token).await.unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::IdpUnavailable(FetchError::IssuerMismatch {
            expected: idp.issuer.clone(),
            found: format!("{}/", idp.issuer),
        })
    );
    // The failure is remembered: no new request until the interval has passed.
    assert!(v.verify(&token).await.is_err());
    assert_eq!(idp.hits(), (1, 0));
    clock.advance(Duration::from_secs(10));
    assert!(v.verify(&token).await.is_err());
    assert_eq!(idp.hits(), (2, 0));
}

#[tokio::test]
async fn unreachable_provider() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let issuer = format!("http://127.0.0.1:{port}");
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&issuer)], &clock);
    let token = sign_token(&p256(), "k", &claims(&issuer, &clock));
    match v.verify(&token).await.unwrap_err() {
        VerifyTokenError::IdpUnavailable(FetchError::Request { url, .. }) => {
            assert_eq!(url, format!("{issuer}/.well-known/openid-configuration"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_bodies_are_bounded() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k")])).await;
    let clock = ManualClock::new();
    let v = verifier(vec![email_issuer(&idp.issuer)], &clock);
    let token = sign_token(&key, "k", &claims(&idp.issuer, &clock));

    idp.set_mode(Mode::Redirect);
    assert!(matches!(
        v.verify(&token).await,
        Err(VerifyTokenError::IdpUnavailable(FetchError::Status {
            status: 302,
            ..
        }))
    ));
    idp.set_mode(Mode::HugeJwks);
    clock.advance(Duration::from_secs(10));
    assert!(matches!(
        v.verify(&token).await,
        Err(VerifyTokenError::IdpUnavailable(FetchError::TooLarge {
            max: 1_048_576,
            ..
        }))
    ));
    idp.set_mode(Mode::Normal);
    idp.set_keys(json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}));
    clock.advance(Duration::from_secs(10));
    assert!(matches!(
        v.verify(&token).await,
        Err(VerifyTokenError::IdpUnavailable(
            FetchError::NoUsableKeys { .. }
        ))
    ));
    assert_eq!(idp.hits(), (3, 2));
}

#[tokio::test]
async fn unknown_issuers_rejected_identities_and_expired_tokens() {
    let key = p256();
    let idp = Idp::start(jwks(&[(&key, "k")])).await;
    let clock = ManualClock::new();
    let mut issuer = email_issuer(&idp.issuer);
    issuer.admit.push(AdmissionRule {
        claim: "email".into(),
        pattern: r".*@example\.com".into(),
    });
    let v = verifier(vec![issuer], &clock);

    let stranger = sign_token(&key, "k", &claims("https://evil.example.net", &clock));
    let err = v.verify(&stranger).await.unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::UnknownIssuer {
            issuer: "https://evil.example.net".into()
        }
    );
    assert_eq!(
        idp.hits(),
        (0, 0),
        "nothing is fetched for an unknown issuer"
    );

    let mut body = claims(&idp.issuer, &clock);
    body["email"] = json!("alice@example.org");
    let err = v.verify(&sign_token(&key, "k", &body)).await.unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::IdentityRejected(PrincipalError::NotAdmitted {
            claim: "email".into()
        })
    );

    let mut body = claims(&idp.issuer, &clock);
    body["email_verified"] = json!(false);
    let token = sign_token(&key, "k", &body);
    let err = v.verify(&token).await.unwrap_err();
    assert_eq!(
        err,
        VerifyTokenError::IdentityRejected(PrincipalError::EmailNotVerified)
    );
    for part in token.split('.') {
        assert!(!err.to_string().contains(part));
    }

    let token = sign_token(&key, "k", &claims(&idp.issuer, &clock));
    clock.advance(Duration::from_secs(600 + 61));
    assert!(matches!(
        v.verify(&token).await,
        Err(VerifyTokenError::InvalidToken(TokenError::Expired { .. }))
    ));
    assert!(matches!(
        v.verify("not-a-token").await,
        Err(VerifyTokenError::InvalidToken(TokenError::Malformed(_)))
    ));
}

#[tokio::test]
async fn static_keys_need_no_provider() {
    let key = p256();
    let clock = ManualClock::new();
    let unreachable = "http://127.0.0.1:9";

    // Inline JWKS in the issuer configuration.
    let mut inline = email_issuer(unreachable);
    inline.jwks = Some(jwks(&[(&key, "k")]).to_string());
    let v = verifier(vec![inline], &clock);
    v.verify(&sign_token(&key, "k", &claims(unreachable, &clock)))
        .await
        .unwrap();

    // A JWKS file, read once at startup.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks(&[(&key, "k")]).to_string()).unwrap();
    let mut from_file = email_issuer(unreachable);
    from_file.jwks_file = Some(path.clone());
    let registry = IssuerRegistry::new(vec![from_file], BTreeMap::new()).unwrap();
    let static_jwks = static_jwks_from_files(&registry).unwrap();
    assert_eq!(static_jwks.len(), 1);
    let v = TokenVerifier::new(
        registry,
        DiscoveryOptions {
            static_jwks,
            clock: clock.clone(),
            ..DiscoveryOptions::default()
        },
    )
    .unwrap();
    v.verify(&sign_token(&key, "k", &claims(unreachable, &clock)))
        .await
        .unwrap();
    // A kid not in the static set is simply unknown; nothing is fetched.
    assert_eq!(
        v.verify(&sign_token(&key, "other", &claims(unreachable, &clock)))
            .await
            .unwrap_err(),
        VerifyTokenError::InvalidToken(TokenError::UnknownKeyId)
    );

    std::fs::write(&path, "{\"keys\": []}").unwrap();
    let mut empty = email_issuer(unreachable);
    empty.jwks_file = Some(path);
    let registry = IssuerRegistry::new(vec![empty], BTreeMap::new()).unwrap();
    assert!(static_jwks_from_files(&registry).is_err());
}
