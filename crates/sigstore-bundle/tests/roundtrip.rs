//! Round trips against bundles written by real clients (fixtures live with `sigstore-verify`).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;
use sigstore_bundle::{
    Bundle, BundleVersion, Content, SignerMaterial, TransparencyLogEntry, rekor_v1_entry_from_json,
};

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sigstore-verify/tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const CAIRN_BUNDLES: [&str; 5] = [
    "cairn/py.sigstore.json",
    "cairn/js.sigstore.json",
    "cairn/py-dsse.sigstore.json",
    "cairn/js-dsse.sigstore.json",
    "cairn/js-intoto.sigstore.json",
];

#[test]
fn client_bundles_round_trip_to_the_same_json() {
    for name in CAIRN_BUNDLES {
        let raw = fixture(name);
        let bundle = Bundle::from_json(&raw).unwrap();
        let original: Value = serde_json::from_slice(&raw).unwrap();
        let written: Value = serde_json::from_str(&bundle.to_json()).unwrap();
        assert_eq!(written, original, "{name}");
        // And parsing what we wrote gives the same bundle.
        assert_eq!(
            Bundle::from_json(bundle.to_json().as_bytes()).unwrap(),
            bundle
        );
    }
}

#[test]
fn python_bundle_fields() {
    let bundle = Bundle::from_json(&fixture("cairn/py.sigstore.json")).unwrap();
    assert_eq!(bundle.version(), Some(BundleVersion::V0_3));
    assert!(matches!(
        bundle.verification_material.signer,
        SignerMaterial::Certificate(_)
    ));
    let entry = &bundle.verification_material.tlog_entries[0];
    assert_eq!(entry.kind_version.kind, "hashedrekord");
    assert_eq!(entry.log_id.key_id.len(), 32);
    assert!(entry.integrated_time > 1_700_000_000);
    let proof = entry.inclusion_proof.as_ref().unwrap();
    assert_eq!(proof.root_hash.len(), 32);
    assert!(proof.checkpoint.envelope.contains(" - "));
    let Content::MessageSignature(sig) = &bundle.content else {
        panic!("not a message signature")
    };
    let artifact = fixture("cairn/artifact.txt");
    use sha2::Digest as _;
    assert_eq!(
        sig.message_digest.as_ref().unwrap().digest,
        sha2::Sha256::digest(&artifact).to_vec()
    );
    assert_eq!(bundle.rfc3161_timestamps().count(), 1);
}

#[test]
fn accepts_every_media_type_and_rejects_others() {
    let raw = fixture("cairn/py.sigstore.json");
    let mut value: Value = serde_json::from_slice(&raw).unwrap();
    for (mt, v) in [
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V0_1,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V0_2,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            BundleVersion::V0_3,
        ),
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            BundleVersion::V0_3,
        ),
    ] {
        value["mediaType"] = Value::from(mt);
        let b = Bundle::from_json(value.to_string().as_bytes()).unwrap();
        assert_eq!(b.version(), Some(v));
    }
    value["mediaType"] = Value::from("application/vnd.dev.sigstore.bundle.v0.4+json");
    assert!(Bundle::from_json(value.to_string().as_bytes()).is_err());
}

#[test]
fn reads_numbers_url_safe_base64_and_snake_case() {
    let raw = fixture("cairn/py.sigstore.json");
    let reference = Bundle::from_json(&raw).unwrap();
    let mut value: Value = serde_json::from_slice(&raw).unwrap();
    let entry = &mut value["verificationMaterial"]["tlogEntries"][0];
    let idx: i64 = entry["logIndex"].as_str().unwrap().parse().unwrap();
    entry["logIndex"] = Value::from(idx);
    let t: i64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    entry["integratedTime"] = Value::from(t);
    // URL-safe, unpadded signature.
    let sig = value["messageSignature"]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let url_safe = sig
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned();
    value["messageSignature"]["signature"] = Value::from(url_safe);
    // snake_case member names.
    let vm = value
        .as_object_mut()
        .unwrap()
        .remove("verificationMaterial")
        .unwrap();
    value["verification_material"] = vm;
    let b = Bundle::from_json(value.to_string().as_bytes()).unwrap();
    assert_eq!(b, reference);
}

#[test]
fn rejects_structural_errors() {
    let raw = fixture("cairn/py.sigstore.json");
    let value: Value = serde_json::from_slice(&raw).unwrap();

    let mut both = value.clone();
    both["dsseEnvelope"] = serde_json::json!({"payload":"", "payloadType":"x", "signatures":[]});
    assert!(Bundle::from_json(both.to_string().as_bytes()).is_err());

    let mut neither = value.clone();
    neither.as_object_mut().unwrap().remove("messageSignature");
    assert!(Bundle::from_json(neither.to_string().as_bytes()).is_err());

    let mut two_materials = value.clone();
    two_materials["verificationMaterial"]["publicKey"] = serde_json::json!({"hint": "k"});
    assert!(Bundle::from_json(two_materials.to_string().as_bytes()).is_err());

    let mut bad_b64 = value.clone();
    bad_b64["messageSignature"]["signature"] = Value::from("not base64!");
    assert!(Bundle::from_json(bad_b64.to_string().as_bytes()).is_err());

    let mut bad_int = value;
    bad_int["verificationMaterial"]["tlogEntries"][0]["logIndex"] = Value::from("12x");
    assert!(Bundle::from_json(bad_int.to_string().as_bytes()).is_err());
}

#[test]
fn empty_proof_fields_are_always_written() {
    let mut bundle = Bundle::from_json(&fixture("cairn/py.sigstore.json")).unwrap();
    let entry = &mut bundle.verification_material.tlog_entries[0];
    let proof = entry.inclusion_proof.as_mut().unwrap();
    proof.log_index = 0;
    proof.hashes.clear();
    let json: Value = serde_json::from_str(&bundle.to_json()).unwrap();
    let proof = &json["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
    assert_eq!(proof["logIndex"], Value::from("0"));
    assert_eq!(proof["hashes"], Value::Array(vec![]));
}

#[test]
fn rekor_v1_response_maps_to_the_bundle_entry() {
    // The managed-key fixture is a raw `POST /api/v1/log/entries` response from Cairn.
    let raw = fixture("cairn/managed-key/mk-rekor-response.json");
    let entry = rekor_v1_entry_from_json(&raw).unwrap();
    let value: Value = serde_json::from_slice(&raw).unwrap();
    let (_, anon) = value.as_object().unwrap().iter().next().unwrap();
    assert_eq!(
        hex::encode(&entry.log_id.key_id),
        anon["logID"].as_str().unwrap()
    );
    assert_eq!(entry.log_index, anon["logIndex"].as_i64().unwrap());
    assert_eq!(
        entry.integrated_time,
        anon["integratedTime"].as_i64().unwrap()
    );
    assert_eq!(entry.kind_version.kind, "hashedrekord");
    assert_eq!(entry.kind_version.version, "0.0.1");
    let body_b64 = anon["body"].as_str().unwrap();
    assert_eq!(
        sigstore_bundle::wire::encode_b64(&entry.canonicalized_body),
        body_b64
    );
    let proof = entry.inclusion_proof.as_ref().unwrap();
    let v = &anon["verification"]["inclusionProof"];
    assert_eq!(
        hex::encode(&proof.root_hash),
        v["rootHash"].as_str().unwrap()
    );
    assert_eq!(proof.tree_size, v["treeSize"].as_i64().unwrap());
    assert_eq!(proof.checkpoint.envelope, v["checkpoint"].as_str().unwrap());
    assert_eq!(proof.hashes.len(), v["hashes"].as_array().unwrap().len());
    assert_eq!(
        sigstore_bundle::wire::encode_b64(
            &entry
                .inclusion_promise
                .as_ref()
                .unwrap()
                .signed_entry_timestamp
        ),
        anon["verification"]["signedEntryTimestamp"]
            .as_str()
            .unwrap()
    );
    // Written as the python client writes a v1 entry.
    let written: Value = serde_json::to_value(&entry).unwrap();
    assert_eq!(
        written["logIndex"],
        Value::from(entry.log_index.to_string())
    );
    assert!(written["inclusionProof"]["hashes"].is_array());
}

#[test]
fn rekor_v2_response_parses_with_null_promise() {
    let json = br#"{"logIndex":"735","logId":{"keyId":"AAAA"},
      "kindVersion":{"kind":"hashedrekord","version":"0.0.2"},"integratedTime":"0",
      "inclusionPromise":null,
      "inclusionProof":{"logIndex":"735","rootHash":"AAAA","treeSize":"736","hashes":[],
        "checkpoint":{"envelope":"x"}},"canonicalizedBody":"e30="}"#;
    let e = TransparencyLogEntry::from_rekor_v2_response(json).unwrap();
    assert_eq!(e.log_index, 735);
    assert!(e.inclusion_promise.is_none());
    assert_eq!(e.canonicalized_body, b"{}");
    let written: Value = serde_json::to_value(&e).unwrap();
    assert!(written.get("integratedTime").is_none());
}

#[test]
fn constructors_write_v0_3_bundles() {
    let entry =
        rekor_v1_entry_from_json(&fixture("cairn/managed-key/mk-rekor-response.json")).unwrap();
    let b = Bundle::new_message_signature(
        vec![1, 2, 3],
        [7; 32],
        vec![9],
        entry.clone(),
        vec![vec![4, 5]],
    );
    let json: Value = serde_json::from_str(&b.to_json()).unwrap();
    assert_eq!(
        json["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(
        json["verificationMaterial"]["certificate"]["rawBytes"],
        "AQID"
    );
    assert_eq!(
        json["messageSignature"]["messageDigest"]["algorithm"],
        "SHA2_256"
    );
    assert_eq!(
        json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"],
        "BAU="
    );
    assert_eq!(Bundle::from_json(b.to_json().as_bytes()).unwrap(), b);
    assert_eq!(
        sigstore_bundle::dsse_pae("application/vnd.in-toto+json", b"{}"),
        b"DSSEv1 28 application/vnd.in-toto+json 2 {}"
    );
}
