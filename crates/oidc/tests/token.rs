//! Token verification: real signatures from two producers, and every rejection path.

#![allow(clippy::unwrap_used)]

mod common;

use common::{b64, jwks, public_jwk, python_tokens, sign_token};
use keys::{SigningAlgorithm, SoftwareSigner};
use oidc::{
    Expectations, JwkSet, JwksError, MalformedToken, TokenError, TokenPart, peek_issuer, verify,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ISS: &str = "https://idp.example.com";
const NOW: i64 = 1_700_000_000;

fn audiences() -> Vec<String> {
    vec!["sigstore".to_owned(), "cairn".to_owned()]
}

fn expect(audiences: &[String]) -> Expectations<'_> {
    Expectations {
        issuer: ISS,
        audiences,
        now_unix: NOW,
        leeway_secs: 60,
    }
}

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": "sigstore", "sub": "alice", "email": "alice@example.com",
        "email_verified": true, "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 300,
    })
}

fn es256() -> SoftwareSigner {
    SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap()
}

fn header(kid: &str) -> Value {
    json!({ "alg": "ES256", "typ": "JWT", "kid": kid })
}

/// The token's parts, none of which may appear in an error message.
fn assert_not_leaked(err: &TokenError, token: &str) {
    let text = format!("{err} {err:?}");
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!text.contains(part), "error text leaks the token: {text}");
    }
}

#[test]
fn es256_token_from_software_signer_verifies() {
    let signer = es256();
    let keys = jwks(&[public_jwk(&signer, "k1")]);
    let mut body = claims();
    body["repository_owner"] = json!("octo-org");
    let token = sign_token(&signer, &header("k1"), &body);
    let aud = audiences();
    let verified = verify(&token, &keys, &expect(&aud)).unwrap();
    assert_eq!(verified.subject(), Some("alice"));
    assert_eq!(verified.get_str("repository_owner"), Some("octo-org"));
    assert_eq!(verified.as_map(), body.as_object().unwrap());
    assert_eq!(peek_issuer(&token).unwrap(), ISS);
}

#[test]
fn es384_and_ed25519_from_software_signers_verify() {
    let aud = audiences();
    for (alg, name) in [
        (SigningAlgorithm::EcdsaP384Sha384, "ES384"),
        (SigningAlgorithm::Ed25519, "EdDSA"),
    ] {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let keys = jwks(&[public_jwk(&signer, "k")]);
        let token = sign_token(&signer, &json!({ "alg": name, "kid": "k" }), &claims());
        verify(&token, &keys, &expect(&aud)).unwrap();
    }
}

#[test]
fn every_algorithm_from_an_independent_producer_verifies() {
    let algs = [
        ("rsa", "RS256"),
        ("rsa", "RS384"),
        ("rsa", "RS512"),
        ("rsa", "PS256"),
        ("p256", "ES256"),
        ("p384", "ES384"),
        ("ed", "EdDSA"),
    ];
    let request = json!({
        "keys": [
            {"name": "rsa", "type": "rsa", "bits": 3072},
            {"name": "p256", "type": "ec", "curve": "P-256"},
            {"name": "p384", "type": "ec", "curve": "P-384"},
            {"name": "ed", "type": "ed25519"},
        ],
        "tokens": algs.iter().map(|(key, alg)| json!({
            "key": key, "alg": alg, "header": {"kid": key}, "claims": claims(),
        })).chain([json!({"key": "rsa", "alg": "RS256", "claims": claims()})]).collect::<Vec<_>>(),
    });
    let Some(out) = python_tokens(&request) else {
        return;
    };
    let keys: Vec<Value> = ["rsa", "p256", "p384", "ed"]
        .iter()
        .map(|name| {
            let mut jwk = out["jwks"][name].clone();
            jwk["kid"] = json!(name);
            jwk["use"] = json!("sig");
            jwk
        })
        .collect();
    let set = jwks(&keys);
    assert_eq!(set.keys.len(), 4);
    let aud = audiences();
    for (i, (_, alg)) in algs.iter().enumerate() {
        let token = out["tokens"][i].as_str().unwrap();
        let claims = verify(token, &set, &expect(&aud)).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(claims.subject(), Some("alice"));

        // Any change to the signed bytes breaks the signature.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut body = claims.as_map().clone();
        body.insert("sub".into(), json!("mallory"));
        parts[1] = b64(Value::Object(body).to_string().as_bytes());
        let forged = parts.join(".");
        assert_eq!(
            verify(&forged, &set, &expect(&aud)),
            Err(TokenError::BadSignature),
            "{alg}"
        );
    }

    // Without a kid, every key fitting the algorithm is tried.
    let unnamed = jwks(&["p384", "rsa"].map(|n| out["jwks"][n].clone()));
    let no_kid = out["tokens"][algs.len()].as_str().unwrap();
    verify(no_kid, &unnamed, &expect(&aud)).unwrap();
    let no_rsa = jwks(&["p384", "p256", "ed"].map(|n| out["jwks"][n].clone()));
    assert_eq!(
        verify(no_kid, &no_rsa, &expect(&aud)),
        Err(TokenError::NoKeyForAlgorithm { alg: "RS256" })
    );
    // With a kid that the set does not have, nothing is tried.
    let named = out["tokens"][0].as_str().unwrap(); // RS256, kid "rsa"
    assert_eq!(
        verify(named, &unnamed, &expect(&aud)),
        Err(TokenError::UnknownKeyId)
    );
}

#[test]
fn alg_none_and_hmac_with_the_public_key_are_refused() {
    let request = json!({
        "keys": [{"name": "rsa", "type": "rsa"}],
        "tokens": [
            {"key": "rsa", "alg": "none", "claims": claims()},
            {"key": "rsa", "alg": "HS256", "claims": claims()},
            {"key": "rsa", "alg": "HS256", "header": {"kid": "rsa"}, "claims": claims()},
        ],
    });
    let Some(out) = python_tokens(&request) else {
        return;
    };
    let mut jwk = out["jwks"]["rsa"].clone();
    jwk["kid"] = json!("rsa");
    // A symmetric key in the set is skipped, so it can never verify anything.
    let set = jwks(&[jwk, json!({"kty": "oct", "k": "c2VjcmV0", "kid": "rsa"})]);
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.skipped, 1);
    let aud = audiences();
    for (i, alg) in ["none", "HS256", "HS256"].iter().enumerate() {
        let token = out["tokens"][i].as_str().unwrap();
        let err = verify(token, &set, &expect(&aud)).unwrap_err();
        assert_eq!(
            err,
            TokenError::UnsupportedAlgorithm {
                alg: (*alg).to_owned()
            }
        );
        assert_not_leaked(&err, token);
    }
    // Other spellings of none are refused just the same.
    for alg in ["None", "NONE", "nOnE", "", "ES256K", "PS384", "RSA1_5"] {
        let token = format!(
            "{}.{}.",
            b64(json!({"alg": alg}).to_string().as_bytes()),
            b64(b"{}")
        );
        assert!(
            matches!(
                verify(&token, &set, &expect(&aud)),
                Err(TokenError::UnsupportedAlgorithm { .. })
            ),
            "{alg}"
        );
    }
}

#[test]
fn key_confusion_is_refused() {
    let p256 = es256();
    let p384 = SoftwareSigner::generate(SigningAlgorithm::EcdsaP384Sha384).unwrap();
    let ed = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let aud = audiences();
    let token = sign_token(&p256, &header("k"), &claims());

    // The kid names a key of another type or curve.
    for other in [&p384, &ed] {
        let set = jwks(&[public_jwk(other, "k")]);
        assert_eq!(
            verify(&token, &set, &expect(&aud)),
            Err(TokenError::NoKeyForAlgorithm { alg: "ES256" })
        );
    }
    // The key declares another algorithm.
    let mut jwk = public_jwk(&p256, "k");
    jwk["alg"] = json!("ES384");
    assert_eq!(
        verify(&token, &jwks(&[jwk.clone()]), &expect(&aud)),
        Err(TokenError::NoKeyForAlgorithm { alg: "ES256" })
    );
    jwk["alg"] = json!("ES256");
    verify(&token, &jwks(&[jwk]), &expect(&aud)).unwrap();

    // A P-256 token whose header claims EdDSA does not verify with the P-256 key.
    let mut parts: Vec<&str> = token.split('.').collect();
    let ed_header = b64(json!({"alg": "EdDSA", "kid": "k"}).to_string().as_bytes());
    parts[0] = &ed_header;
    let relabelled = parts.join(".");
    assert_eq!(
        verify(&relabelled, &jwks(&[public_jwk(&p256, "k")]), &expect(&aud)),
        Err(TokenError::NoKeyForAlgorithm { alg: "EdDSA" })
    );
}

#[test]
fn kid_selects_keys() {
    let a = es256();
    let b = es256();
    let aud = audiences();
    let set = jwks(&[public_jwk(&a, "a"), public_jwk(&b, "b")]);
    let token_b = sign_token(&b, &header("b"), &claims());
    verify(&token_b, &set, &expect(&aud)).unwrap();

    // Signed by b but naming a: only a is tried.
    let mislabelled = sign_token(&b, &header("a"), &claims());
    assert_eq!(
        verify(&mislabelled, &set, &expect(&aud)),
        Err(TokenError::BadSignature)
    );
    // A kid the set does not have.
    let unknown = sign_token(&b, &header("c"), &claims());
    assert_eq!(
        verify(&unknown, &set, &expect(&aud)),
        Err(TokenError::UnknownKeyId)
    );
    // No kid: every fitting key is tried.
    let no_kid = sign_token(&b, &json!({"alg": "ES256"}), &claims());
    verify(&no_kid, &set, &expect(&aud)).unwrap();
    // No kid and no fitting key.
    let ed = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    assert_eq!(
        verify(&no_kid, &jwks(&[public_jwk(&ed, "e")]), &expect(&aud)),
        Err(TokenError::NoKeyForAlgorithm { alg: "ES256" })
    );
    assert_eq!(
        verify(&no_kid, &JwkSet::default(), &expect(&aud)),
        Err(TokenError::NoKeyForAlgorithm { alg: "ES256" })
    );
}

#[test]
fn time_claims_with_leeway() {
    let signer = es256();
    let keys = jwks(&[public_jwk(&signer, "k")]);
    let aud = audiences();
    let check = |field: &str, value: i64| {
        let mut body = claims();
        body[field] = json!(value);
        verify(
            &sign_token(&signer, &header("k"), &body),
            &keys,
            &expect(&aud),
        )
    };
    check("exp", NOW - 60).unwrap();
    assert_eq!(
        check("exp", NOW - 61),
        Err(TokenError::Expired {
            exp: NOW - 61,
            now: NOW
        })
    );
    check("nbf", NOW + 60).unwrap();
    assert_eq!(
        check("nbf", NOW + 61),
        Err(TokenError::NotYetValid {
            nbf: NOW + 61,
            now: NOW
        })
    );
    check("iat", NOW + 60).unwrap();
    assert_eq!(
        check("iat", NOW + 61),
        Err(TokenError::IssuedInFuture {
            iat: NOW + 61,
            now: NOW
        })
    );

    // Fractional NumericDates are accepted; other types are not.
    let mut body = claims();
    body["exp"] = json!((NOW + 10) as f64 + 0.5);
    verify(
        &sign_token(&signer, &header("k"), &body),
        &keys,
        &expect(&aud),
    )
    .unwrap();
    body["exp"] = json!("1700000300");
    assert_eq!(
        verify(
            &sign_token(&signer, &header("k"), &body),
            &keys,
            &expect(&aud)
        ),
        Err(TokenError::MalformedClaim("exp"))
    );
    body.as_object_mut().unwrap().remove("exp");
    assert_eq!(
        verify(
            &sign_token(&signer, &header("k"), &body),
            &keys,
            &expect(&aud)
        ),
        Err(TokenError::MissingClaim("exp"))
    );
}

#[test]
fn issuer_audience_and_subject() {
    let signer = es256();
    let keys = jwks(&[public_jwk(&signer, "k")]);
    let aud = audiences();
    let check = |edit: &dyn Fn(&mut Value)| {
        let mut body = claims();
        edit(&mut body);
        verify(
            &sign_token(&signer, &header("k"), &body),
            &keys,
            &expect(&aud),
        )
    };
    assert_eq!(
        check(&|b| b["iss"] = json!("https://idp.example.com/")),
        Err(TokenError::WrongIssuer)
    );
    assert_eq!(
        check(&|b| b["iss"] = json!(["https://idp.example.com"])),
        Err(TokenError::MalformedClaim("iss"))
    );
    assert_eq!(
        check(&|b| b["aud"] = json!("other")),
        Err(TokenError::WrongAudience)
    );
    assert_eq!(
        check(&|b| b["aud"] = json!(["other", "x"])),
        Err(TokenError::WrongAudience)
    );
    check(&|b| b["aud"] = json!(["other", "cairn"])).unwrap();
    assert_eq!(
        check(&|b| b["aud"] = json!(["sigstore", 1])),
        Err(TokenError::MalformedClaim("aud"))
    );
    assert_eq!(
        check(&|b| {
            b.as_object_mut().unwrap().remove("aud");
        }),
        Err(TokenError::MissingClaim("aud"))
    );
    assert_eq!(
        check(&|b| b["sub"] = json!("")),
        Err(TokenError::MalformedClaim("sub"))
    );
    assert_eq!(
        check(&|b| {
            b.as_object_mut().unwrap().remove("sub");
        }),
        Err(TokenError::MissingClaim("sub"))
    );
}

#[test]
fn malformed_and_oversize_tokens() {
    let signer = es256();
    let keys = jwks(&[public_jwk(&signer, "k")]);
    let aud = audiences();
    let good = sign_token(&signer, &header("k"), &claims());
    let parts: Vec<&str> = good.split('.').collect();

    let mut big = claims();
    big["padding"] = json!("x".repeat(oidc::MAX_TOKEN_BYTES));
    let oversize = sign_token(&signer, &header("k"), &big);
    let err = verify(&oversize, &keys, &expect(&aud)).unwrap_err();
    assert!(matches!(
        err,
        TokenError::TooLarge {
            max: oidc::MAX_TOKEN_BYTES,
            ..
        }
    ));
    assert!(matches!(
        peek_issuer(&oversize),
        Err(TokenError::TooLarge { .. })
    ));
    assert_not_leaked(&err, &oversize);

    let cases: Vec<(String, TokenError)> = vec![
        (
            format!("{}.{}", parts[0], parts[1]),
            TokenError::Malformed(MalformedToken::NotThreeParts),
        ),
        (
            format!("{good}.x"),
            TokenError::Malformed(MalformedToken::NotThreeParts),
        ),
        (
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            TokenError::Malformed(MalformedToken::Base64(TokenPart::Header)),
        ),
        (
            format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
            TokenError::Malformed(MalformedToken::Base64(TokenPart::Payload)),
        ),
        (
            format!("{}.{}.{}!", parts[0], parts[1], parts[2]),
            TokenError::Malformed(MalformedToken::Base64(TokenPart::Signature)),
        ),
        (
            format!("{}.{}.{}", b64(b"[1]"), parts[1], parts[2]),
            TokenError::Malformed(MalformedToken::NotAnObject(TokenPart::Header)),
        ),
        (
            format!("{}.{}.{}", parts[0], b64(b"{\"a\":"), parts[2]),
            TokenError::Malformed(MalformedToken::Json(TokenPart::Payload)),
        ),
        (
            format!("{}.{}.{}", b64(b"{\"typ\":\"JWT\"}"), parts[1], parts[2]),
            TokenError::Malformed(MalformedToken::HeaderAlg),
        ),
        (
            format!(
                "{}.{}.{}",
                b64(br#"{"alg":"ES256","kid":7}"#),
                parts[1],
                parts[2]
            ),
            TokenError::Malformed(MalformedToken::HeaderMember),
        ),
        (
            format!(
                "{}.{}.{}",
                b64(br#"{"alg":"ES256","crit":["b64"],"b64":false}"#),
                parts[1],
                parts[2]
            ),
            TokenError::CriticalHeader,
        ),
        (
            format!("{}.{}.{}", parts[0], parts[1], b64(&[1; 63])),
            TokenError::BadSignature,
        ),
    ];
    for (token, expected) in cases {
        let err = verify(&token, &keys, &expect(&aud)).unwrap_err();
        assert_eq!(err, expected, "{token}");
        assert_not_leaked(&err, &token);
    }
    assert_eq!(
        peek_issuer("a.b"),
        Err(TokenError::Malformed(MalformedToken::NotThreeParts))
    );
    let no_iss = sign_token(&signer, &header("k"), &json!({"sub": "x"}));
    assert_eq!(peek_issuer(&no_iss), Err(TokenError::MissingClaim("iss")));
}

#[test]
fn jwks_documents() {
    let p256 = es256();
    let good = public_jwk(&p256, "good");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut jwk = good.clone();
        edit(&mut jwk);
        jwk
    };
    let set = jwks(&[
        good.clone(),
        with(&|k| k["use"] = json!("enc")),
        with(&|k| k["key_ops"] = json!(["encrypt"])),
        with(&|k| k["key_ops"] = json!(["verify"])),
        with(&|k| k["d"] = json!("AAAA")),
        with(&|k| k["crv"] = json!("P-521")),
        with(&|k| k["x"] = json!("AAAA")),
        with(&|k| k["x"] = json!(k["y"].clone())), // not on the curve
        with(&|k| k["kid"] = json!(5)),
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}), // far too small
        json!({"kty": "OKP", "crv": "X25519", "x": b64(&[9; 32])}),
        json!("not an object"),
    ]);
    assert_eq!(set.keys.len(), 2, "{set:?}");
    assert_eq!(set.skipped, 10);
    assert!(set.contains_kid("good"));

    assert_eq!(JwkSet::from_json(b"nope").unwrap_err(), JwksError::NotJson);
    assert_eq!(
        JwkSet::from_json(b"{\"keys\":{}}").unwrap_err(),
        JwksError::MissingKeys
    );
    let many = json!({ "keys": vec![good.clone(); 101] }).to_string();
    assert_eq!(
        JwkSet::from_json(many.as_bytes()).unwrap_err(),
        JwksError::TooManyKeys {
            count: 101,
            max: 100
        }
    );
    let huge = vec![b' '; oidc::MAX_JWKS_BYTES + 1];
    assert!(matches!(
        JwkSet::from_json(&huge),
        Err(JwksError::TooLarge { .. })
    ));
}

#[test]
fn small_rsa_keys_from_an_independent_producer_are_skipped() {
    let request = json!({
        "keys": [{"name": "small", "type": "rsa", "bits": 1024}, {"name": "ok", "type": "rsa", "bits": 2048}],
        "tokens": [],
    });
    let Some(out) = python_tokens(&request) else {
        return;
    };
    let set = jwks(&[out["jwks"]["small"].clone(), out["jwks"]["ok"].clone()]);
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].kind, oidc::JwkKind::Rsa);
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(input in "[A-Za-z0-9_.=-]{0,400}") {
        let aud = audiences();
        let _ = verify(&input, &JwkSet::default(), &expect(&aud));
        let _ = peek_issuer(&input);
    }

    #[test]
    fn mutated_tokens_never_verify_falsely(index in 0usize..2000, byte in any::<u8>()) {
        let signer = es256();
        let keys = jwks(&[public_jwk(&signer, "k")]);
        let token = sign_token(&signer, &header("k"), &claims());
        let mut bytes = token.clone().into_bytes();
        let i = index % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(mutated) = String::from_utf8(bytes) {
            let aud = audiences();
            // Base64 has slack bits in its last character, so a few mutations decode to the same
            // bytes; those may verify, and only those.
            if verify(&mutated, &keys, &expect(&aud)).is_ok() {
                let decoded = |t: &str| t.split('.').map(|p| {
                    use base64::Engine as _;
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok()
                }).collect::<Vec<_>>();
                prop_assert_eq!(decoded(&mutated), decoded(&token));
            }
        }
    }
}
