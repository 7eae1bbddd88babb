//! Tokens checked by an independent verifier: `openssl ts -verify` against chains made by the
//! `openssl` CLI, plus a byte-for-byte golden check of the `TSTInfo` and a Rust re-check of the
//! CMS signature over the signed attributes.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::Digest;
use support::{
    Chain, INTERMEDIATE_EXT, KeyType, LEAF_EXT, make_chain, openssl_ok, standard_chain, ts_verify,
};
use tsa::asn1::{EssCertIdV2, SignedData, SigningCertificateV2, TimeStampResp, TstInfo, oid};
use tsa::{
    Accuracy, AuthorityError, IssueError, Nonce, PkiFailureInfo, TimestampAuthority,
    TimestampRequest, random_serial,
};

const POLICY: ObjectIdentifier = oid::SIGSTORE_TSA_POLICY;

fn authority(chain: &Chain) -> TimestampAuthority {
    TimestampAuthority::new(
        chain.signer.clone(),
        chain.chain_der.clone(),
        POLICY,
        Accuracy::ONE_SECOND,
    )
    .unwrap()
}

/// `openssl ts -query` for a file with `data`, with extra flags; returns the DER query.
fn openssl_query(chain: &Chain, data: &[u8], flags: &[&str]) -> Vec<u8> {
    std::fs::write(chain.path("data.bin"), data).unwrap();
    let mut args = vec!["ts", "-query", "-data", "data.bin", "-out", "req.tsq"];
    args.extend_from_slice(flags);
    openssl_ok(chain.dir.path(), &args);
    std::fs::read(chain.path("req.tsq")).unwrap()
}

fn respond(authority: &TimestampAuthority, req: &TimestampRequest) -> Vec<u8> {
    authority
        .respond(req, SystemTime::now(), &random_serial().unwrap())
        .unwrap()
}

fn assert_verifies(chain: &Chain, resp: &[u8], against: &[&str]) {
    let (ok, text) = ts_verify(chain, resp, against);
    assert!(ok, "openssl ts -verify failed:\n{text}");
}

#[test]
fn der_query_with_cert_req_verifies_for_each_imprint_hash() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    for hash in ["-sha256", "-sha384", "-sha512"] {
        let query = openssl_query(&chain, b"hello, timestamp", &[hash, "-cert"]);
        let req = TimestampRequest::from_der(&query).unwrap();
        assert!(req.cert_req());
        assert!(req.nonce().is_some(), "openssl sends a nonce by default");
        let resp = respond(&authority, &req);
        assert_verifies(&chain, &resp, &["-queryfile", "req.tsq"]);
        // The same token also verifies against the data itself, and as plain CMS.
        assert_verifies(&chain, &resp, &["-data", "data.bin"]);
        cms_verify(&chain, &resp);
    }
}

#[test]
fn der_query_without_cert_req_verifies_with_the_leaf_supplied() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let query = openssl_query(&chain, b"no certificate please", &["-sha256", "-no_nonce"]);
    let req = TimestampRequest::from_der(&query).unwrap();
    assert!(!req.cert_req());
    let resp = respond(&authority, &req);
    // `untrusted.pem` holds the leaf, so openssl finds the signer there.
    assert_verifies(&chain, &resp, &["-queryfile", "req.tsq"]);
    let token = signed_data(&resp);
    assert!(token.certificates.is_none());
}

#[test]
fn p384_key_verifies() {
    // A P-384 key signs with SHA-384 (digestAlgorithm and ecdsa-with-SHA384).
    let chain = standard_chain(KeyType::P384);
    let authority = authority(&chain);
    let query = openssl_query(&chain, b"other keys", &["-sha256", "-cert"]);
    let resp = respond(&authority, &TimestampRequest::from_der(&query).unwrap());
    check_cms_signature(&chain, &resp);
    assert_verifies(&chain, &resp, &["-queryfile", "req.tsq"]);
    let token = signed_data(&resp);
    let si = &token.signer_infos.as_slice()[0];
    assert_eq!(si.digest_algorithm.oid, oid::SHA384);
    assert_eq!(si.signature_algorithm.oid, oid::ECDSA_WITH_SHA384);
}

#[test]
fn ed25519_keys_are_refused() {
    // No Sigstore client (nor OpenSSL's `ts -verify`) checks Ed25519 time-stamp signatures.
    let chain = standard_chain(KeyType::Ed25519);
    assert_eq!(
        new_with(&chain).unwrap_err(),
        AuthorityError::UnsupportedKey(keys::KeyKind::Ed25519)
    );
}

/// `openssl cms -verify` of the token inside `resp`, extracted by `openssl ts -reply`.
fn cms_verify(chain: &Chain, resp: &[u8]) {
    let d = chain.dir.path();
    std::fs::write(chain.path("cms.tsr"), resp).unwrap();
    openssl_ok(
        d,
        &[
            "ts",
            "-reply",
            "-in",
            "cms.tsr",
            "-token_out",
            "-out",
            "token.der",
        ],
    );
    // `cms -verify` builds chains only from the message's own certificates, so the
    // intermediate goes into the trust file (without `-partial_chain` the chain must still
    // reach the self-signed root).
    let cas = [
        std::fs::read_to_string(chain.path("intermediate.pem")).unwrap(),
        std::fs::read_to_string(chain.path("root.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(chain.path("cas.pem"), cas).unwrap();
    let out = support::openssl(
        d,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "token.der",
            "-CAfile",
            "cas.pem",
            "-certfile",
            "untrusted.pem",
            "-purpose",
            "timestampsign",
            "-binary",
            "-out",
            "tst.der",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("Verification successful"),
        "{stderr}"
    );
    let tst = std::fs::read(chain.path("tst.der")).unwrap();
    assert_eq!(TstInfo::from_der(&tst).unwrap(), tst_info(resp));
}

#[test]
fn json_request_verifies_against_the_digest() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let artifact_sig = b"the signature bytes a client timestamps";
    let digest = sha2::Sha256::digest(artifact_sig);
    use base64::Engine as _;
    let body = format!(
        r#"{{"artifactHash":"{}","hashAlgorithm":"sha256"}}"#,
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
    let resp = respond(&authority, &req);
    assert_verifies(&chain, &resp, &["-digest", &hex::encode(digest)]);
    // A different digest must not verify.
    let (ok, _) = ts_verify(&chain, &resp, &["-digest", &hex::encode([0u8; 32])]);
    assert!(!ok);
}

#[test]
fn nonce_and_policy_are_checked_by_openssl() {
    let chain = standard_chain(KeyType::P256);
    let other_policy = ObjectIdentifier::new_unwrap("1.2.3.4.5");
    let authority = authority(&chain);
    let query = openssl_query(&chain, b"policy", &["-sha256", "-tspolicy", "1.2.3.4.5"]);
    let req = TimestampRequest::from_der(&query).unwrap();
    assert_eq!(req.policy(), Some(other_policy));
    let err = authority
        .respond(&req, SystemTime::now(), &[1])
        .unwrap_err();
    assert_eq!(err, IssueError::UnacceptedPolicy(other_policy));
    assert_eq!(err.failure_info(), PkiFailureInfo::UnacceptedPolicy);

    let authority = authority.with_accepted_policies([other_policy]);
    let resp = respond(&authority, &req);
    assert_verifies(&chain, &resp, &["-queryfile", "req.tsq"]);
    assert_eq!(tst_info(&resp).policy, other_policy);

    // A response to a different query (other nonce) fails openssl's nonce check.
    let resp = respond(
        &authority,
        &req.clone().with_nonce(Some(Nonce::from_u64(7))),
    );
    let (ok, text) = ts_verify(&chain, &resp, &["-queryfile", "req.tsq"]);
    assert!(!ok);
    assert!(text.contains("nonce mismatch"), "{text}");
}

#[test]
fn reply_text_shows_the_granted_fields() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let req = TimestampRequest::new(keys::HashAlgorithm::Sha256, vec![0xab; 32])
        .unwrap()
        .with_nonce(Some(Nonce::from_u64(0x1234_5678_9abc_def0)));
    let at = UNIX_EPOCH + Duration::from_millis(1_767_323_045_678);
    let resp = authority.respond(&req, at, &[0x42; 20]).unwrap();
    std::fs::write(chain.path("r.tsr"), &resp).unwrap();
    let text = openssl_ok(chain.dir.path(), &["ts", "-reply", "-in", "r.tsr", "-text"]);
    for want in [
        "Status: Granted.",
        "Policy OID: 1.3.6.1.4.1.57264.2",
        "Hash Algorithm: sha256",
        "Time stamp: Jan  2 03:04:05 2026 GMT",
        "Accuracy: 0x01 seconds, unspecified millis, unspecified micros",
        "Ordering: no",
        "Nonce: 0x123456789ABCDEF0",
        "TSA: DirName:/O=Cairn Test/CN=Cairn Test TSA",
        "Serial number: 0x4242424242424242424242424242424242424242",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn rejection_is_understood_by_openssl() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    for (failure, text) in [
        (
            PkiFailureInfo::BadAlg,
            "unrecognized or unsupported algorithm identifier",
        ),
        (
            PkiFailureInfo::BadDataFormat,
            "the data submitted has the wrong format",
        ),
        (
            PkiFailureInfo::UnacceptedPolicy,
            "the requested TSA policy is not supported by the TSA",
        ),
    ] {
        let resp = authority.reject(failure, Some("refused by test")).unwrap();
        std::fs::write(chain.path("r.tsr"), &resp).unwrap();
        let out = openssl_ok(chain.dir.path(), &["ts", "-reply", "-in", "r.tsr", "-text"]);
        assert!(out.contains("Status: Rejected."), "{out}");
        assert!(out.contains("Status description: refused by test"), "{out}");
        assert!(out.contains("TST info:\nNot included."), "{out}");
        assert!(
            out.contains(&format!("Failure info: {text}\n")),
            "{failure:?}: {out}"
        );
    }
}

/// The exact `TSTInfo` bytes for fixed inputs, assembled here from the RFC 3161 definition.
#[test]
fn golden_tst_info() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let digest: Vec<u8> = (0..32).collect();
    let req = TimestampRequest::new(keys::HashAlgorithm::Sha256, digest.clone())
        .unwrap()
        .with_nonce(Some(Nonce::from_u64(0x0102_0304_0506_0708)))
        .with_cert_req(true);
    // 2026-01-02T03:04:05.678Z: the fraction is dropped.
    let at = UNIX_EPOCH + Duration::from_millis(1_767_323_045_678);
    let resp = authority.respond(&req, at, &[0x11; 20]).unwrap();

    let leaf = x509_cert::Certificate::from_der(&chain.chain_der[0]).unwrap();
    let subject = leaf.tbs_certificate().subject().to_der().unwrap();
    let tlv = |tag: u8, content: &[u8]| -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 128 {
            out.push(content.len() as u8);
        } else {
            out.extend([0x81, content.len() as u8]);
        }
        out.extend_from_slice(content);
        out
    };
    let body = [
        hex::decode("020101").unwrap(),                 // version 1
        hex::decode("06092b0601040183bf3002").unwrap(), // policy 1.3.6.1.4.1.57264.2
        hex::decode("3031300d0609608648016503040201050004").unwrap(), // imprint: sha256, NULL
        vec![0x20],
        digest,
        [vec![0x02, 0x14], vec![0x11; 20]].concat(), // serial
        [vec![0x18, 0x0f], b"20260102030405Z".to_vec()].concat(), // genTime, whole seconds
        hex::decode("3003020101").unwrap(),          // accuracy 1 s
        hex::decode("02080102030405060708").unwrap(), // nonce
        tlv(0xa0, &tlv(0xa4, &subject)),             // tsa [0] { directoryName [4] }
    ]
    .concat();
    let want = tlv(0x30, &body);

    let token = signed_data(&resp);
    let got = token.encap_content_info.e_content.unwrap();
    assert_eq!(hex::encode(got.as_bytes()), hex::encode(&want));
    assert_eq!(token.encap_content_info.e_content_type, oid::TST_INFO);
}

/// The CMS structure: versions, algorithms, sid, and the signed attributes (sorted, with the
/// right values), and the signature over them checked with the leaf's key.
#[test]
fn signed_data_structure() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    for hash in [keys::HashAlgorithm::Sha256, keys::HashAlgorithm::Sha384] {
        let req = TimestampRequest::new(hash, vec![7; hash.digest_len()])
            .unwrap()
            .with_cert_req(true);
        let resp = respond(&authority, &req);
        let parsed = TimeStampResp::from_der(&resp).unwrap();
        assert_eq!(parsed.status.status, 0);
        assert!(parsed.status.fail_info.is_none());
        let token = signed_data(&resp);
        assert_eq!(token.version, 3);
        assert_eq!(token.digest_algorithms.len(), 1);
        assert_eq!(token.digest_algorithms.as_slice()[0].oid, oid::SHA256);
        assert!(token.digest_algorithms.as_slice()[0].parameters.is_none());
        let certs = token.certificates.as_ref().unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs.as_slice()[0].to_der().unwrap(), chain.chain_der[0]);

        assert_eq!(token.signer_infos.len(), 1);
        let si = &token.signer_infos.as_slice()[0];
        assert_eq!(si.version, 1);
        let leaf = x509_cert::Certificate::from_der(&chain.chain_der[0]).unwrap();
        assert_eq!(&si.sid.issuer, leaf.tbs_certificate().issuer());
        assert_eq!(si.sid.serial_number.as_bytes(), [3]);
        assert_eq!(si.signature_algorithm.oid, oid::ECDSA_WITH_SHA256);

        let attrs = si.signed_attrs.as_ref().unwrap();
        let types: Vec<String> = attrs.iter().map(|a| a.oid.to_string()).collect();
        // DER order of the encoded attributes (by length first, then bytes).
        assert_eq!(
            types,
            [
                "1.2.840.113549.1.9.3",
                "1.2.840.113549.1.9.5",
                "1.2.840.113549.1.9.4",
                "1.2.840.113549.1.9.16.2.47"
            ]
        );
        let value = |oid: ObjectIdentifier| {
            let attr = attrs.iter().find(|a| a.oid == oid).unwrap();
            assert_eq!(attr.values.len(), 1);
            attr.values.as_slice()[0].to_der().unwrap()
        };
        let e_content = token.encap_content_info.e_content.as_ref().unwrap();
        assert_eq!(
            value(oid::MESSAGE_DIGEST),
            [
                vec![0x04, 0x20],
                sha2::Sha256::digest(e_content.as_bytes()).to_vec()
            ]
            .concat()
        );
        assert_eq!(value(oid::CONTENT_TYPE), oid::TST_INFO.to_der().unwrap());
        let ess = SigningCertificateV2::from_der(&value(oid::SIGNING_CERTIFICATE_V2)).unwrap();
        let EssCertIdV2 {
            hash_algorithm,
            cert_hash,
            issuer_serial,
        } = &ess.certs[0];
        match hash {
            keys::HashAlgorithm::Sha256 => {
                assert!(hash_algorithm.is_none());
                assert_eq!(
                    cert_hash.as_bytes(),
                    sha2::Sha256::digest(&chain.chain_der[0]).as_slice()
                );
            }
            _ => {
                assert_eq!(hash_algorithm.as_ref().unwrap().oid, oid::SHA384);
                assert_eq!(
                    cert_hash.as_bytes(),
                    sha2::Sha384::digest(&chain.chain_der[0]).as_slice()
                );
            }
        }
        assert_eq!(
            issuer_serial.as_ref().unwrap().serial_number.as_bytes(),
            [3]
        );
        check_cms_signature(&chain, &resp);
    }
}

/// Verify the `SignerInfo` signature over the DER `SET OF` signed attributes with the leaf key.
fn check_cms_signature(chain: &Chain, resp: &[u8]) {
    let token = signed_data(resp);
    let si = &token.signer_infos.as_slice()[0];
    let signed = si.signed_attrs.as_ref().unwrap().to_der().unwrap();
    assert_eq!(signed[0], 0x31, "signed over the SET OF tag, not [0]");
    let key = chain.signer.public_key();
    key.verify(&signed, si.signature.as_bytes()).unwrap();
}

fn signed_data(resp: &[u8]) -> SignedData {
    let parsed = TimeStampResp::from_der(resp).unwrap();
    let token = parsed.time_stamp_token.unwrap();
    assert_eq!(token.content_type, oid::SIGNED_DATA);
    token.content.decode_as::<SignedData>().unwrap()
}

fn tst_info(resp: &[u8]) -> TstInfo {
    let token = signed_data(resp);
    TstInfo::from_der(token.encap_content_info.e_content.unwrap().as_bytes()).unwrap()
}

#[test]
fn gen_time_is_whole_seconds_utc() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let req = TimestampRequest::new(keys::HashAlgorithm::Sha256, vec![1; 32]).unwrap();
    let now = SystemTime::now();
    let info = tst_info(&respond(&authority, &req));
    let der = info.gen_time.to_der().unwrap();
    assert_eq!(der.len(), 17, "YYYYMMDDHHMMSSZ: {der:02x?}");
    assert_eq!(der[16], b'Z');
    let stamped = info.gen_time.to_system_time();
    let whole = UNIX_EPOCH + Duration::from_secs(now.duration_since(UNIX_EPOCH).unwrap().as_secs());
    assert!(stamped >= whole && stamped <= whole + Duration::from_secs(2));
}

#[test]
fn serials_are_used_as_given() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    let req = TimestampRequest::new(keys::HashAlgorithm::Sha256, vec![1; 32]).unwrap();
    let a = tst_info(
        &authority
            .respond(&req, SystemTime::now(), &[0, 0x80])
            .unwrap(),
    );
    assert_eq!(a.serial_number.as_bytes(), [0, 0x80]);
    assert_eq!(
        authority.respond(&req, SystemTime::now(), &[0, 0]),
        Err(IssueError::InvalidSerial)
    );
}

// ---- Chain checks at construction ----

fn new_with(chain: &Chain) -> Result<TimestampAuthority, AuthorityError> {
    TimestampAuthority::new(
        chain.signer.clone(),
        chain.chain_der.clone(),
        POLICY,
        Accuracy::ONE_SECOND,
    )
}

#[test]
fn leaf_extended_key_usage_must_be_only_time_stamping_and_critical() {
    let noncritical = LEAF_EXT.replace(
        "extendedKeyUsage=critical,timeStamping",
        "extendedKeyUsage=timeStamping",
    );
    let two = LEAF_EXT.replace("critical,timeStamping", "critical,timeStamping,codeSigning");
    let absent = LEAF_EXT.replace("extendedKeyUsage=critical,timeStamping\n", "");
    for ext in [noncritical, two, absent] {
        let chain = make_chain(KeyType::P256, &ext, INTERMEDIATE_EXT);
        assert!(
            matches!(
                new_with(&chain),
                Err(AuthorityError::LeafExtendedKeyUsage(_))
            ),
            "{ext}: {:?}",
            new_with(&chain)
        );
    }
}

#[test]
fn leaf_must_not_be_a_ca_and_must_only_sign() {
    let ca = LEAF_EXT.replace("CA:FALSE", "CA:TRUE");
    let chain = make_chain(KeyType::P256, &ca, INTERMEDIATE_EXT);
    assert_eq!(new_with(&chain).unwrap_err(), AuthorityError::LeafIsCa);
    let encipher = LEAF_EXT.replace("digitalSignature", "digitalSignature,keyEncipherment");
    let chain = make_chain(KeyType::P256, &encipher, INTERMEDIATE_EXT);
    assert_eq!(new_with(&chain).unwrap_err(), AuthorityError::LeafKeyUsage);
}

#[test]
fn signer_must_hold_the_leaf_key() {
    let chain = standard_chain(KeyType::P256);
    let other = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let err = TimestampAuthority::new(
        Arc::new(other),
        chain.chain_der.clone(),
        POLICY,
        Accuracy::ONE_SECOND,
    )
    .unwrap_err();
    assert_eq!(err, AuthorityError::KeyMismatch);
}

#[test]
fn intermediates_need_the_time_stamping_eku() {
    let no_eku = INTERMEDIATE_EXT.replace("extendedKeyUsage=timeStamping\n", "");
    let chain = make_chain(KeyType::P256, LEAF_EXT, &no_eku);
    assert_eq!(
        new_with(&chain).unwrap_err(),
        AuthorityError::CaExtendedKeyUsage { index: 1 }
    );
    let code_signing = INTERMEDIATE_EXT.replace(
        "extendedKeyUsage=timeStamping",
        "extendedKeyUsage=codeSigning",
    );
    let chain = make_chain(KeyType::P256, LEAF_EXT, &code_signing);
    assert_eq!(
        new_with(&chain).unwrap_err(),
        AuthorityError::CaExtendedKeyUsage { index: 1 }
    );
    let not_ca = INTERMEDIATE_EXT.replace("CA:TRUE,pathlen:0", "CA:FALSE");
    let chain = make_chain(KeyType::P256, LEAF_EXT, &not_ca);
    assert_eq!(
        new_with(&chain).unwrap_err(),
        AuthorityError::NotCa { index: 1 }
    );
}

#[test]
fn chain_order_length_and_signatures() {
    let chain = standard_chain(KeyType::P256);
    let new = |certs: Vec<Vec<u8>>| {
        TimestampAuthority::new(chain.signer.clone(), certs, POLICY, Accuracy::ONE_SECOND)
    };
    let [leaf, intermediate, root] = [0, 1, 2].map(|i| chain.chain_der[i].clone());
    assert_eq!(
        new(vec![leaf.clone()]).unwrap_err(),
        AuthorityError::ChainTooShort { len: 1 }
    );
    // Leaf and intermediate only: the intermediate is then the trust anchor, as upstream allows.
    assert!(new(vec![leaf.clone(), intermediate.clone()]).is_ok());
    assert_eq!(
        new(vec![leaf.clone(), root.clone()]).unwrap_err(),
        AuthorityError::IssuerMismatch { index: 0 }
    );
    assert!(matches!(
        new(vec![leaf.clone(), b"junk".to_vec()]).unwrap_err(),
        AuthorityError::Certificate { index: 1, .. }
    ));

    // A second root with the same name but another key: names chain, signatures do not.
    let d = chain.dir.path();
    support::self_signed(
        d,
        "impostor",
        "/O=Cairn Test/CN=Cairn Test Root",
        KeyType::P256,
        support::ROOT_EXT,
    );
    let impostor = support::der_of(d, "impostor");
    assert!(matches!(
        new(vec![leaf, intermediate, impostor]).unwrap_err(),
        AuthorityError::BadSignature { index: 1, .. }
    ));
}

#[test]
fn validity_window() {
    let chain = standard_chain(KeyType::P256);
    let authority = authority(&chain);
    assert!(authority.check_valid_at(SystemTime::now()).is_ok());
    assert!(matches!(
        authority.check_valid_at(UNIX_EPOCH),
        Err(AuthorityError::NotValidAt { .. })
    ));
    assert!(matches!(
        authority.check_valid_at(SystemTime::now() + Duration::from_secs(20 * 365 * 86400)),
        Err(AuthorityError::NotValidAt { .. })
    ));
}
