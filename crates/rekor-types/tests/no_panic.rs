//! No input makes `canonicalize` (or the request validators) panic: random bytes, random JSON,
//! and random mutations of the valid proposals from `tests/data/gen.py`.

mod common;

use common::vectors;
use proptest::prelude::*;
use rekor_types::{
    EntryPolicy, SearchIndex, SearchLogQuery, canonicalize, canonicalize_value, jcs,
};
use serde_json::Value;

fn valid_proposals() -> Vec<String> {
    vectors()["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["proposed"].as_str().expect("proposed").to_owned())
        .collect()
}

/// Arbitrary JSON values (bounded depth and size).
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("hashedrekord"),
            Just("dsse"),
            Just("intoto"),
            Just("0.0.1"),
            Just("0.0.2"),
            Just("LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K"),
            Just("e30="),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("apiVersion".to_owned()),
                    Just("kind".to_owned()),
                    Just("spec".to_owned()),
                    Just("content".to_owned()),
                    Just("envelope".to_owned()),
                    Just("signatures".to_owned()),
                    Just("publicKey".to_owned()),
                    Just("proposedContent".to_owned()),
                    Just("verifiers".to_owned()),
                    "[a-zA-Z]{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON pointer to a node of `v`, chosen by walking down with `choices`.
fn random_pointer(v: &Value, choices: &[usize]) -> String {
    let mut pointer = String::new();
    let mut cur = v;
    for &c in choices {
        match cur {
            Value::Object(map) if !map.is_empty() => {
                let Some((k, next)) = map.iter().nth(c % map.len()) else {
                    break;
                };
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                cur = next;
            }
            Value::Array(items) if !items.is_empty() => {
                let i = c % items.len();
                pointer.push_str(&format!("/{i}"));
                cur = &items[i];
            }
            _ => break,
        }
    }
    pointer
}

/// Replace the value at a random path of `v` (chosen by `choices`) with `new`.
fn replace_at(v: &mut Value, choices: &[usize], new: Value) {
    let pointer = random_pointer(v, choices);
    if let Some(slot) = v.pointer_mut(&pointer) {
        *slot = new;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = canonicalize(&bytes, &EntryPolicy::default());
        let _ = jcs::canonicalize_json(&bytes);
    }

    #[test]
    fn random_json_never_panics(value in arb_json()) {
        let _ = canonicalize_value(&value, &EntryPolicy::default());
        let text = serde_json::to_vec(&value).expect("serialize");
        // JCS output is JSON and a fixed point.
        let once = jcs::to_canonical_vec(&value);
        let reparsed = jcs::canonicalize_json(&once).expect("JCS output is JSON");
        prop_assert_eq!(&reparsed, &once);
        let _ = canonicalize(&text, &EntryPolicy::default());
        if let Ok(q) = serde_json::from_value::<SearchLogQuery>(value.clone()) {
            let _ = q.validate();
        }
        if let Ok(q) = serde_json::from_value::<SearchIndex>(value) {
            let _ = q.lookup();
        }
    }

    #[test]
    fn mutated_proposals_never_panic(
        which in any::<usize>(),
        path in prop::collection::vec(any::<usize>(), 0..8),
        replacement in arb_json(),
    ) {
        let proposals = valid_proposals();
        let text = &proposals[which % proposals.len()];
        let mut value: Value = serde_json::from_str(text).expect("valid proposal");
        replace_at(&mut value, &path, replacement);
        let _ = canonicalize_value(&value, &EntryPolicy::default());
    }

    #[test]
    fn byte_mutations_of_proposals_never_panic(
        which in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let proposals = valid_proposals();
        let mut bytes = proposals[which % proposals.len()].clone().into_bytes();
        for (pos, byte) in edits {
            let len = bytes.len();
            bytes[pos % len] = byte;
        }
        let _ = canonicalize(&bytes, &EntryPolicy::default());
    }

    #[test]
    fn mutated_nested_strings_never_panic(
        which in any::<usize>(),
        path in prop::collection::vec(any::<usize>(), 1..8),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        // Mutate the bytes *inside* a nested string (a base64 key, an envelope string...),
        // reaching the PEM, DER, envelope and signature parsers with near-valid input.
        let proposals = valid_proposals();
        let mut value: Value = serde_json::from_str(&proposals[which % proposals.len()])
            .expect("valid proposal");
        let pointer = random_pointer(&value, &path);
        let cur = value.pointer_mut(&pointer).expect("pointer exists");
        if let Value::String(s) = cur {
            let mut bytes = std::mem::take(s).into_bytes();
            if !bytes.is_empty() {
                for (pos, byte) in edits {
                    let len = bytes.len();
                    bytes[pos % len] = byte;
                }
            }
            *s = String::from_utf8_lossy(&bytes).into_owned();
        }
        let _ = canonicalize_value(&value, &EntryPolicy::default());
    }
}

#[test]
fn base64_content_mutations_reach_the_inner_parsers() {
    // Decode each nested base64 PEM / signature, flip bytes, re-encode: exercises DER and
    // signature parsing with near-valid input, deterministically.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    for text in valid_proposals() {
        let value: Value = serde_json::from_str(&text).expect("proposal");
        let mut pointers = Vec::new();
        collect_strings(&value, String::new(), &mut pointers);
        for pointer in pointers {
            let Some(Value::String(s)) = value.pointer(&pointer) else {
                continue;
            };
            let Ok(raw) = engine.decode(s) else { continue };
            for i in (0..raw.len()).step_by(raw.len().max(16) / 16) {
                let mut bad = raw.clone();
                bad[i] ^= 0xff;
                let mut v = value.clone();
                if let Some(slot) = v.pointer_mut(&pointer) {
                    *slot = Value::String(engine.encode(&bad));
                }
                // Must not panic, and a change to signed or key material must not be accepted
                // with the original body.
                // (The third verifier of the "extra verifier skipped" case is never read.)
                if let Ok(entry) = canonicalize_value(&v, &EntryPolicy::default())
                    && pointer != "/spec/proposedContent/verifiers/2"
                {
                    let original =
                        canonicalize_value(&value, &EntryPolicy::default()).expect("valid");
                    assert!(
                        entry.body != original.body,
                        "{pointer} byte {i} changed nothing"
                    );
                }
            }
        }
    }
}

fn collect_strings(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, format!("{path}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                collect_strings(item, format!("{path}/{k}"), out);
            }
        }
        _ => {}
    }
}
