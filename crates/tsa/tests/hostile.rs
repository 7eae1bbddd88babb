//! Hostile input: the parsers return errors, never panic, whatever the bytes; anything they
//! accept re-encodes to a request that parses to the same value.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tsa::{Nonce, TimestampRequest};

fn valid_der(nonce: u64, cert_req: bool, hash: u8) -> Vec<u8> {
    let alg = match hash % 3 {
        0 => keys::HashAlgorithm::Sha256,
        1 => keys::HashAlgorithm::Sha384,
        _ => keys::HashAlgorithm::Sha512,
    };
    TimestampRequest::new(alg, vec![0x5a; alg.digest_len()])
        .unwrap()
        .with_nonce(Some(Nonce::from_u64(nonce)))
        .with_cert_req(cert_req)
        .to_der()
        .unwrap()
}

fn roundtrips(req: &TimestampRequest) {
    let again = TimestampRequest::from_der(&req.to_der().unwrap()).unwrap();
    assert_eq!(&again, req);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn der_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(req) = TimestampRequest::from_der(&bytes) {
            roundtrips(&req);
        }
    }

    #[test]
    fn mutated_der_never_panics(
        nonce in any::<u64>(),
        cert_req in any::<bool>(),
        hash in any::<u8>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let mut der = valid_der(nonce, cert_req, hash);
        for (at, byte) in edits {
            let i = at % der.len();
            der[i] = byte;
        }
        let cut = cut % (der.len() + 1);
        for bytes in [&der[..], &der[..cut]] {
            if let Ok(req) = TimestampRequest::from_der(bytes) {
                roundtrips(&req);
            }
        }
    }

    #[test]
    fn json_never_panics(text in "\\PC{0,200}") {
        let _ = TimestampRequest::from_json(text.as_bytes());
    }

    #[test]
    fn json_shaped_input_never_panics(
        hash in "[A-Za-z0-9+/=]{0,100}",
        alg in prop_oneof![Just("sha256".to_owned()), Just("SHA384".to_owned()), "[a-z0-9]{0,8}"],
        nonce in prop_oneof![Just("null".to_owned()), "-?[0-9]{1,200}", "[0-9.eE+-]{1,20}"],
        certificates in prop_oneof![Just("true"), Just("false"), Just("null"), Just("1")],
        policy in "[0-9.]{0,40}",
    ) {
        let body = format!(
            r#"{{"artifactHash":"{hash}","hashAlgorithm":"{alg}","nonce":{nonce},"certificates":{certificates},"tsaPolicyOID":"{policy}"}}"#
        );
        if let Ok(req) = TimestampRequest::from_json(body.as_bytes()) {
            roundtrips(&req);
        }
    }

    #[test]
    fn any_u64_nonce_in_json_matches_der(nonce in any::<u64>()) {
        let body = format!(
            r#"{{"artifactHash":"{}","hashAlgorithm":"sha256","nonce":{nonce}}}"#,
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        );
        let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
        prop_assert_eq!(req.nonce(), Some(&Nonce::from_u64(nonce)));
    }
}
