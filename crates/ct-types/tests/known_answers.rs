//! Known answers from real data: a Sigstore staging certificate with an embedded SCT, verified
//! against the staging CT log's key (fixtures and provenance in `tests/fixtures/`). The expected
//! digests were computed with python `cryptography`, independently of this crate.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ct_types::{
    CtVerifyError, SCT_LIST_OID, SignedEntry, embedded_scts, precert_entry_from_final_cert,
    sct_list_extension_value, tbs_without_extension, verify_sct,
};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).expect("fixture PEM body is base64")
}

fn leaf_der() -> Vec<u8> {
    pem_body(include_str!("fixtures/sigstage-leaf.pem"))
}

fn issuer_spki_der() -> Vec<u8> {
    let der = pem_body(include_str!("fixtures/sigstage-intermediate.pem"));
    let cert = x509_cert::Certificate::from_der(&der).expect("intermediate parses");
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .expect("SPKI encodes")
}

fn log_key() -> keys::PublicKey {
    keys::PublicKey::from_pem(include_str!("fixtures/sigstage-ctfe-2022-2.pub.pem"))
        .expect("log key parses")
}

/// SHA-256 of `tbs_precertificate_bytes` of the leaf, from python `cryptography` 48.
const PRECERT_TBS_SHA256: &str = "2693a35e1a13dc659f4434a47aea3f17bc9733089e02560d294cb24038bbc46f";
/// SHA-256 of the intermediate's DER SPKI, from python `cryptography` 48.
const ISSUER_KEY_HASH: &str = "639a75005a9df13820ec7e67045fe536b571852908ea41e9a5d0c4db78dcd407";
/// The SCT-list extension's value (inner OCTET STRING), from python `cryptography` 48.
const SCT_EXTENSION_VALUE: &str = "047a00780076002b30bcdc6888c9e2e1d826295e741f4839319602f29c33cb5e4340feb2ac867a000001843c73d8a00000040300473045022100a7fc949b2f1b3476cdcdc9c9f4c8835440005e96d6c099c6031449ffb1d9b9d202207e6e2529d8572685872510bc212eccc58237c91fe83735fa767b6eaa91c9db86";

#[test]
fn staging_sct_decodes_to_the_known_fields() {
    let scts = embedded_scts(&leaf_der()).expect("SCT list decodes");
    assert_eq!(scts.len(), 1);
    let sct = &scts[0];
    assert_eq!(
        STANDARD.encode(sct.log_id),
        "KzC83GiIyeLh2CYpXnQfSDkxlgLynDPLXkNA/rKshno="
    );
    assert_eq!(sct.log_id, log_key().spki_sha256());
    // openssl x509 -text: "Timestamp : Nov  3 07:45:35.904 2022 GMT".
    assert_eq!(sct.timestamp, 1_667_461_535_904);
    assert!(sct.extensions.is_empty());
    assert_eq!(sct.signature.signature.len(), 0x47);
    // Re-encoding gives back the certificate's bytes exactly.
    assert_eq!(
        hex::encode(sct_list_extension_value(&scts).expect("encodes")),
        SCT_EXTENSION_VALUE
    );
}

#[test]
fn precert_entry_matches_python_cryptography() {
    let entry = precert_entry_from_final_cert(&leaf_der(), &issuer_spki_der()).expect("entry");
    let SignedEntry::Precert {
        issuer_key_hash,
        tbs_certificate,
    } = entry
    else {
        panic!("expected a precert entry");
    };
    assert_eq!(hex::encode(issuer_key_hash), ISSUER_KEY_HASH);
    assert_eq!(tbs_certificate.len(), 703);
    assert_eq!(
        hex::encode(Sha256::digest(&tbs_certificate)),
        PRECERT_TBS_SHA256
    );
}

#[test]
fn staging_sct_verifies_under_the_staging_log_key() {
    let scts = embedded_scts(&leaf_der()).expect("SCT list decodes");
    let entry = precert_entry_from_final_cert(&leaf_der(), &issuer_spki_der()).expect("entry");
    verify_sct(&scts[0], &log_key(), &entry).expect("the real SCT verifies");
}

#[test]
fn tampering_breaks_the_staging_sct() {
    let scts = embedded_scts(&leaf_der()).expect("SCT list decodes");
    let sct = &scts[0];
    let entry = precert_entry_from_final_cert(&leaf_der(), &issuer_spki_der()).expect("entry");
    let SignedEntry::Precert {
        issuer_key_hash,
        tbs_certificate,
    } = entry.clone()
    else {
        panic!("expected a precert entry");
    };

    // Another issuer key hash.
    let mut wrong_issuer = issuer_key_hash;
    wrong_issuer[0] ^= 1;
    let other = SignedEntry::Precert {
        issuer_key_hash: wrong_issuer,
        tbs_certificate: tbs_certificate.clone(),
    };
    assert_eq!(
        verify_sct(sct, &log_key(), &other),
        Err(CtVerifyError::BadSignature)
    );

    // One TBS byte changed.
    let mut tbs = tbs_certificate.clone();
    let last = tbs.len() - 1;
    tbs[last] ^= 1;
    let other = SignedEntry::Precert {
        issuer_key_hash,
        tbs_certificate: tbs,
    };
    assert_eq!(
        verify_sct(sct, &log_key(), &other),
        Err(CtVerifyError::BadSignature)
    );

    // Another timestamp.
    let mut later = sct.clone();
    later.timestamp += 1;
    assert_eq!(
        verify_sct(&later, &log_key(), &entry),
        Err(CtVerifyError::BadSignature)
    );

    // The same bytes as an x509 entry.
    let x509 = SignedEntry::X509 {
        certificate: tbs_certificate,
    };
    assert_eq!(
        verify_sct(sct, &log_key(), &x509),
        Err(CtVerifyError::BadSignature)
    );

    // Another log's key.
    let stranger = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256)
        .expect("key generation");
    assert_eq!(
        verify_sct(sct, keys::Signer::public_key(&stranger), &entry),
        Err(CtVerifyError::LogIdMismatch)
    );
}

#[test]
fn removing_an_absent_extension_is_an_error() {
    // The leaf has no poison; removing it must fail rather than return the TBS unchanged.
    assert!(tbs_without_extension(&leaf_der(), &ct_types::CT_POISON_OID).is_err());
    // The SCT list is there exactly once.
    assert!(tbs_without_extension(&leaf_der(), &SCT_LIST_OID).is_ok());
}

#[test]
fn the_staging_leaf_is_not_a_precertificate() {
    let cert = x509_cert::Certificate::from_der(&leaf_der()).expect("leaf parses");
    assert_eq!(ct_types::is_precertificate(&cert), Ok(false));
}
