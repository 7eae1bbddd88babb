//! Round trips of every TLS structure, exact byte layouts, and hostile input (proptest: decoders
//! never panic and never accept trailing bytes).

use ct_types::{
    AddChainRequest, AddChainResponse, DecodeError, DigitallySigned, ExtraData, GetSthResponse,
    HashAlgorithm, LogEntryType, MerkleTreeLeaf, PrecertChainEntry, SignatureAlgorithm,
    SignedCertificateTimestamp, SignedEntry, SignedTreeHead, decode_sct_list, encode_sct_list,
    sct_list_from_extension_value, sct_signed_input, sth_signed_input,
};
use proptest::prelude::*;
use sha2::Digest as _;

fn sample_sct() -> SignedCertificateTimestamp {
    SignedCertificateTimestamp {
        log_id: [0xAB; 32],
        timestamp: 0x0102_0304_0506_0708,
        extensions: vec![],
        signature: DigitallySigned {
            hash: HashAlgorithm::Sha256,
            signature_algorithm: SignatureAlgorithm::Ecdsa,
            signature: vec![0x30, 0x02, 0x01, 0x00],
        },
    }
}

#[test]
fn sct_layout_is_rfc6962() {
    let bytes = sample_sct().encode().expect("encodes");
    let mut want = vec![0u8];
    want.extend_from_slice(&[0xAB; 32]);
    want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    want.extend_from_slice(&[0, 0]); // extensions
    want.extend_from_slice(&[4, 3, 0, 4, 0x30, 0x02, 0x01, 0x00]);
    assert_eq!(bytes, want);
    assert_eq!(SignedCertificateTimestamp::decode(&bytes), Ok(sample_sct()));

    let list = encode_sct_list(&[sample_sct()]).expect("encodes");
    assert_eq!(bytes.len(), 51);
    assert_eq!(&list[..4], &[0, 53, 0, 51]);
    assert_eq!(&list[4..], &bytes[..]);
    assert_eq!(decode_sct_list(&list), Ok(vec![sample_sct()]));
}

#[test]
fn signed_inputs_have_the_rfc6962_layout() {
    let x509 = SignedEntry::X509 {
        certificate: vec![0xC0, 0xDE],
    };
    let input = sct_signed_input(0x10, &x509, &[]).expect("encodes");
    assert_eq!(
        input,
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 2, 0xC0, 0xDE, 0, 0
        ]
    );
    let precert = SignedEntry::Precert {
        issuer_key_hash: [7; 32],
        tbs_certificate: vec![0x30, 0x00],
    };
    let input = sct_signed_input(1, &precert, &[9]).expect("encodes");
    let mut want = vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1];
    want.extend_from_slice(&[7; 32]);
    want.extend_from_slice(&[0, 0, 2, 0x30, 0x00, 0, 1, 9]);
    assert_eq!(input, want);

    let leaf = MerkleTreeLeaf::new(1, precert, vec![9]);
    let encoded = leaf.encode().expect("encodes");
    // version 0, leaf_type 0, then the same as the signed input after its two type bytes.
    assert_eq!(&encoded[..2], &[0, 0]);
    assert_eq!(&encoded[2..], &want[2..]);
    assert_eq!(MerkleTreeLeaf::decode(&encoded), Ok(leaf.clone()));
    let mut hashed = vec![0u8];
    hashed.extend_from_slice(&encoded);
    assert_eq!(
        leaf.leaf_hash().expect("hashes"),
        <[u8; 32]>::from(sha2::Sha256::digest(&hashed))
    );

    let sth = sth_signed_input(2, 3, &[5; 32]);
    assert_eq!(
        &sth[..18],
        &[0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]
    );
    assert_eq!(&sth[18..], &[5; 32]);
}

#[test]
fn extra_data_layouts() {
    let x509 = ExtraData::X509 {
        certificate_chain: vec![vec![1, 2], vec![3]],
    };
    let bytes = x509.encode().expect("encodes");
    assert_eq!(bytes, [0, 0, 9, 0, 0, 2, 1, 2, 0, 0, 1, 3]);
    assert_eq!(ExtraData::decode(LogEntryType::X509, &bytes), Ok(x509));

    let precert = ExtraData::Precert(PrecertChainEntry {
        pre_certificate: vec![0xAA],
        precertificate_chain: vec![vec![0xBB]],
    });
    let bytes = precert.encode().expect("encodes");
    assert_eq!(bytes, [0, 0, 1, 0xAA, 0, 0, 4, 0, 0, 1, 0xBB]);
    assert_eq!(
        ExtraData::decode(LogEntryType::Precert, &bytes),
        Ok(precert)
    );
}

#[test]
fn strictness() {
    let bytes = sample_sct().encode().expect("encodes");
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        SignedCertificateTimestamp::decode(&trailing),
        Err(DecodeError::TrailingBytes { .. })
    ));
    let mut v2 = bytes.clone();
    v2[0] = 1;
    assert!(matches!(
        SignedCertificateTimestamp::decode(&v2),
        Err(DecodeError::Unsupported { .. })
    ));
    let mut sha384 = bytes.clone();
    sha384[43] = 5;
    assert!(matches!(
        SignedCertificateTimestamp::decode(&sha384),
        Err(DecodeError::Unsupported { .. })
    ));
    assert!(matches!(
        decode_sct_list(&[0, 0]),
        Err(DecodeError::Empty { .. })
    ));
    assert!(matches!(
        decode_sct_list(&[0, 2, 0, 0]),
        Err(DecodeError::Empty { .. })
    ));
    assert!(encode_sct_list(&[]).is_err());
    // An ASN.1Cert must not be empty.
    assert!(matches!(
        ExtraData::decode(LogEntryType::X509, &[0, 0, 3, 0, 0, 0]),
        Err(DecodeError::Empty { .. })
    ));
    // A u16-prefixed field cannot hold more than 65535 bytes.
    let mut huge = sample_sct();
    huge.extensions = vec![0; 70_000];
    assert!(huge.encode().is_err());
}

#[test]
fn sth_round_trip() {
    let sth = SignedTreeHead {
        tree_size: 42,
        timestamp: 1_700_000_000_000,
        sha256_root_hash: [3; 32],
        tree_head_signature: sample_sct().signature,
    };
    let bytes = sth.encode().expect("encodes");
    assert_eq!(&bytes[..50], &sth.signed_input()[..]);
    assert_eq!(SignedTreeHead::decode(&bytes), Ok(sth.clone()));
    let json = GetSthResponse::from_sth(&sth).expect("encodes");
    assert_eq!(json.to_sth(), Ok(sth));
}

#[test]
fn signed_sth_and_sct_verify() {
    let signer = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256)
        .expect("key generation");
    let key = keys::Signer::public_key(&signer).clone();
    let sth = SignedTreeHead::sign(&signer, 5, 6, [7; 32]).expect("signs");
    sth.verify(&key).expect("verifies");
    let mut forged = sth.clone();
    forged.tree_size += 1;
    assert!(forged.verify(&key).is_err());

    let entry = SignedEntry::X509 {
        certificate: vec![1, 2, 3],
    };
    let sct = SignedCertificateTimestamp::sign(&signer, 99, &entry, vec![]).expect("signs");
    assert_eq!(sct.log_id, key.spki_sha256());
    ct_types::verify_sct(&sct, &key, &entry).expect("verifies");

    // Ed25519 and P-384 keys cannot sign CT structures (SHA-256 ECDSA only).
    for alg in [
        keys::SigningAlgorithm::Ed25519,
        keys::SigningAlgorithm::EcdsaP384Sha384,
    ] {
        let other = keys::SoftwareSigner::generate(alg).expect("key generation");
        assert!(SignedCertificateTimestamp::sign(&other, 1, &entry, vec![]).is_err());
    }
}

#[test]
fn json_field_names_match_certificate_transparency_go() {
    let response = AddChainResponse::from_sct(&sample_sct()).expect("encodes");
    let json = serde_json::to_value(&response).expect("serializes");
    let object = json.as_object().expect("object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["extensions", "id", "sct_version", "signature", "timestamp"]
    );
    assert_eq!(json["sct_version"], 0);
    assert_eq!(json["extensions"], "");
    assert_eq!(json["timestamp"], 0x0102_0304_0506_0708u64);
    assert_eq!(response.to_sct(), Ok(sample_sct()));

    let request: AddChainRequest =
        serde_json::from_str(r#"{"chain":["AQI=","Aw=="]}"#).expect("parses");
    assert_eq!(request.chain, vec![vec![1, 2], vec![3]]);
    assert!(serde_json::from_str::<AddChainRequest>(r#"{"chain":["!!"]}"#).is_err());
}

fn arb_signed() -> impl Strategy<Value = DigitallySigned> {
    (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..80)).prop_map(|(rsa, signature)| {
        DigitallySigned {
            hash: HashAlgorithm::Sha256,
            signature_algorithm: if rsa {
                SignatureAlgorithm::Rsa
            } else {
                SignatureAlgorithm::Ecdsa
            },
            signature,
        }
    })
}

fn arb_sct() -> impl Strategy<Value = SignedCertificateTimestamp> {
    (
        any::<[u8; 32]>(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..20),
        arb_signed(),
    )
        .prop_map(
            |(log_id, timestamp, extensions, signature)| SignedCertificateTimestamp {
                log_id,
                timestamp,
                extensions,
                signature,
            },
        )
}

fn arb_entry() -> impl Strategy<Value = SignedEntry> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..60)
            .prop_map(|certificate| SignedEntry::X509 { certificate }),
        (
            any::<[u8; 32]>(),
            proptest::collection::vec(any::<u8>(), 1..60)
        )
            .prop_map(|(issuer_key_hash, tbs_certificate)| SignedEntry::Precert {
                issuer_key_hash,
                tbs_certificate
            }),
    ]
}

fn arb_chain() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..20), 0..4)
}

/// Run every decoder on `bytes`; none may panic.
fn decode_everything(bytes: &[u8]) {
    let _ = DigitallySigned::decode(bytes);
    let _ = SignedCertificateTimestamp::decode(bytes);
    let _ = decode_sct_list(bytes);
    let _ = sct_list_from_extension_value(bytes);
    let _ = MerkleTreeLeaf::decode(bytes);
    let _ = ExtraData::decode(LogEntryType::X509, bytes);
    let _ = ExtraData::decode(LogEntryType::Precert, bytes);
    let _ = SignedTreeHead::decode(bytes);
    let _ = ct_types::tbs_without_extension(bytes, &ct_types::CT_POISON_OID);
    let _ = ct_types::embedded_scts(bytes);
}

proptest! {
    #[test]
    fn sct_lists_round_trip(scts in proptest::collection::vec(arb_sct(), 1..5)) {
        let list = encode_sct_list(&scts).expect("encodes");
        prop_assert_eq!(decode_sct_list(&list).expect("decodes"), scts.clone());
        let extension = ct_types::sct_list_extension_value(&scts).expect("encodes");
        prop_assert_eq!(sct_list_from_extension_value(&extension).expect("decodes"), scts);
    }

    #[test]
    fn leaves_round_trip(timestamp in any::<u64>(), entry in arb_entry(),
                         extensions in proptest::collection::vec(any::<u8>(), 0..10)) {
        let leaf = MerkleTreeLeaf::new(timestamp, entry, extensions);
        let bytes = leaf.encode().expect("encodes");
        prop_assert_eq!(MerkleTreeLeaf::decode(&bytes).expect("decodes"), leaf);
    }

    #[test]
    fn extra_data_round_trips(pre in proptest::collection::vec(any::<u8>(), 1..30),
                              chain in arb_chain()) {
        let x509 = ExtraData::X509 { certificate_chain: chain.clone() };
        prop_assert_eq!(ExtraData::decode(LogEntryType::X509, &x509.encode().expect("encodes"))
            .expect("decodes"), x509);
        let precert = ExtraData::Precert(PrecertChainEntry {
            pre_certificate: pre,
            precertificate_chain: chain,
        });
        prop_assert_eq!(ExtraData::decode(LogEntryType::Precert, &precert.encode().expect("encodes"))
            .expect("decodes"), precert);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        decode_everything(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(sct in arb_sct(), entry in arb_entry(),
                                     position in any::<usize>(), value in any::<u8>(),
                                     cut in any::<usize>()) {
        let list = encode_sct_list(std::slice::from_ref(&sct)).expect("encodes");
        let leaf = MerkleTreeLeaf::new(sct.timestamp, entry, vec![]).encode().expect("encodes");
        for mut bytes in [list, leaf] {
            let at = position % bytes.len();
            bytes[at] = value;
            decode_everything(&bytes);
            bytes.truncate(cut % (bytes.len() + 1));
            decode_everything(&bytes);
        }
    }
}
