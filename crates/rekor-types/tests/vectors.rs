//! Known answers produced by the independent Python generator `tests/data/gen.py`.

mod common;

use common::{error_name, vectors};
use rekor_types::{EntryPolicy, canonicalize, jcs, set_payload};

#[test]
fn every_valid_case_canonicalizes_to_the_python_golden() {
    let v = vectors();
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() >= 11, "expected at least 11 cases");
    let policy = EntryPolicy::default();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let proposed = case["proposed"].as_str().expect("proposed");
        let entry = canonicalize(proposed.as_bytes(), &policy)
            .unwrap_or_else(|e| panic!("{name}: refused: {e}"));
        let body = String::from_utf8(entry.body.clone()).expect("body is UTF-8");
        assert_eq!(body, case["body"].as_str().expect("body"), "{name}: body");
        assert_eq!(
            entry.uuid().to_string(),
            case["uuid"].as_str().expect("uuid"),
            "{name}: uuid"
        );
        assert_eq!(entry.kind.as_str(), case["kind"], "{name}: kind");
        assert_eq!(entry.api_version, case["api_version"], "{name}: apiVersion");
        let want_keys: Vec<&str> = case["index_keys"]
            .as_array()
            .expect("index_keys")
            .iter()
            .map(|k| k.as_str().expect("key"))
            .collect();
        assert_eq!(entry.index_keys, want_keys, "{name}: index keys");
        // The body is already canonical: canonicalizing it again changes nothing.
        assert_eq!(
            jcs::canonicalize_json(&entry.body).expect("body is JSON"),
            entry.body,
            "{name}: body is not a JCS fixed point"
        );
    }
}

#[test]
fn every_rejection_case_fails_with_the_expected_error() {
    let v = vectors();
    let rejections = v["rejections"].as_array().expect("rejections");
    assert!(rejections.len() >= 6);
    for case in rejections {
        let name = case["name"].as_str().expect("name");
        let proposed = case["proposed"].as_str().expect("proposed");
        let err = canonicalize(proposed.as_bytes(), &EntryPolicy::default()).expect_err(name);
        assert_eq!(error_name(&err), case["error"], "{name}: {err}");
    }
}

#[test]
fn set_payloads_match_python() {
    let v = vectors();
    let cases = v["set_payloads"].as_array().expect("set_payloads");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let payload = set_payload(
            case["body"].as_str().expect("body"),
            case["integrated_time"].as_i64().expect("integrated_time"),
            case["log_id"].as_str().expect("log_id"),
            case["log_index"].as_i64().expect("log_index"),
        );
        assert_eq!(
            String::from_utf8(payload).expect("UTF-8"),
            case["payload"].as_str().expect("payload")
        );
    }
}

#[test]
fn generator_output_is_checked_in_unchanged_when_python_is_available() {
    // Re-run the generator if python3 with `cryptography` is installed; it is deterministic, so
    // its output must equal the committed file. Skipped (with a note) otherwise.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let output = std::process::Command::new("python3")
        .arg("gen.py")
        .current_dir(dir)
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let committed = std::fs::read(format!("{dir}/vectors.json")).expect("vectors.json");
            assert!(
                out.stdout == committed,
                "tests/data/gen.py output differs from vectors.json; regenerate it"
            );
        }
        _ => eprintln!("SKIPPED: python3 with pyca/cryptography not available to re-run gen.py"),
    }
}

#[test]
fn jcs_matches_the_independent_python_canonicalizer() {
    // Includes the RFC 8785 §3.2.2 and §3.2.3 examples (gen.py asserts the RFC's outputs).
    let v = vectors();
    let cases = v["jcs"].as_array().expect("jcs");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let input = case["input"].as_str().expect("input");
        let want = case["output"].as_str().expect("output");
        let got = jcs::canonicalize_json(input.as_bytes()).expect("input is JSON");
        assert_eq!(
            String::from_utf8(got).expect("UTF-8"),
            want,
            "input {input}"
        );
    }
}
