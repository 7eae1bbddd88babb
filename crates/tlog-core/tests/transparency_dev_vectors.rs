//! Runs every JSON case of transparency-dev/merkle's `testdata/` (inclusion,
//! consistency, subtreeinclusion, subtreeconsistency) against the verifiers.
//!
//! The vectors are read at run time from `$CAIRN_VECTORS_DIR` or
//! `<workspace>/../shared/vectors` and are never copied into the project.
//!
//! Upstream's Go verifiers take hashes as `[]byte`, so some cases use values
//! our typed API cannot express:
//! - `null` / empty / short byte strings (e.g. `""` as a "garbage" proof
//!   element or an empty leaf hash). Upstream rejects them by length; here
//!   `Hash::from_slice` rejects them before a verifier can be called. Such a
//!   case must have `wantErr: true`, and is counted separately.
//! - the placeholders `"don't care 1"` / `"don't care 2"` (12 bytes), used
//!   where upstream only compares roots with each other. They are mapped to
//!   distinct 32-byte values (the leaf hash of the placeholder), which keeps
//!   equal placeholders equal and different ones different.
//! - `"proof": null` means an empty proof, as in Go.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tlog_core::{
    Hash, leaf_hash, verify_consistency, verify_inclusion, verify_subtree_consistency,
    verify_subtree_inclusion,
};

fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CAIRN_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    };
    let testdata = dir.join("transparency-dev-merkle/testdata");
    if testdata.is_dir() {
        return Some(testdata);
    }
    if std::env::var("CAIRN_REQUIRE_VECTORS").as_deref() == Ok("1") {
        panic!(
            "transparency-dev/merkle vectors not found at {} and CAIRN_REQUIRE_VECTORS=1",
            testdata.display()
        );
    }
    eprintln!(
        "SKIPPED: transparency-dev/merkle vectors not found at {}",
        testdata.display()
    );
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read vectors dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// A decoded hash field, or the raw bytes when they cannot be a `Hash`.
fn decode_hash(value: &Value) -> Result<Hash, Vec<u8>> {
    let bytes = match value {
        Value::Null => Vec::new(),
        Value::String(s) => STANDARD.decode(s).expect("valid base64 in vector"),
        other => panic!("unexpected hash field {other}"),
    };
    if bytes.starts_with(b"don't care") {
        return Ok(leaf_hash(&bytes));
    }
    Hash::from_slice(&bytes).map_err(|_| bytes)
}

fn decode_proof(value: &Value) -> Result<Vec<Hash>, Vec<u8>> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(decode_hash).collect(),
        other => panic!("unexpected proof field {other}"),
    }
}

fn u64_field(case: &Value, name: &str) -> u64 {
    case[name]
        .as_u64()
        .unwrap_or_else(|| panic!("field {name} is not a u64"))
}

#[derive(Default)]
struct Tally {
    ran: usize,
    accepted: usize,
    rejected_by_verifier: usize,
    rejected_at_decoding: usize,
    failures: Vec<String>,
}

/// Runs one folder. `verify` returns `Ok(Ok(()))` / `Ok(Err(msg))` for a
/// verifier outcome, `Err(bytes)` when a field could not be decoded.
fn run_folder(
    root: &Path,
    folder: &str,
    verify: impl Fn(&Value) -> Result<Result<(), String>, Vec<u8>>,
) -> Tally {
    let mut files = Vec::new();
    json_files(&root.join(folder), &mut files);
    let mut tally = Tally::default();
    for path in files {
        let case: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("read case")).expect("json");
        let want_err = case["wantErr"].as_bool().expect("wantErr");
        tally.ran += 1;
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        match verify(&case) {
            Ok(Ok(())) => {
                tally.accepted += 1;
                if want_err {
                    tally.failures.push(format!("{name}: accepted, want error"));
                }
            }
            Ok(Err(err)) => {
                tally.rejected_by_verifier += 1;
                if !want_err {
                    tally
                        .failures
                        .push(format!("{name}: rejected ({err}), want success"));
                }
            }
            Err(bytes) => {
                tally.rejected_at_decoding += 1;
                if !want_err {
                    tally.failures.push(format!(
                        "{name}: field {bytes:?} is not a 32-byte hash, want success"
                    ));
                }
            }
        }
    }
    eprintln!(
        "{folder}: {} cases ran ({} accepted, {} rejected by the verifier, {} rejected as non-32-byte hashes)",
        tally.ran, tally.accepted, tally.rejected_by_verifier, tally.rejected_at_decoding
    );
    tally
}

fn check(tally: Tally, expected_at_least: usize) {
    assert!(
        tally.failures.is_empty(),
        "{} failing cases:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.ran >= expected_at_least,
        "only {} cases found, expected at least {expected_at_least}",
        tally.ran
    );
    assert!(tally.accepted > 0 && tally.rejected_by_verifier > 0);
}

#[test]
fn inclusion_vectors() {
    let Some(root) = vectors_dir() else { return };
    let tally = run_folder(&root, "inclusion", |case| {
        let leaf = decode_hash(&case["leafHash"])?;
        let tree_root = decode_hash(&case["root"])?;
        let proof = decode_proof(&case["proof"])?;
        let index = u64_field(case, "leafIdx");
        let size = u64_field(case, "treeSize");
        Ok(verify_inclusion(&leaf, index, size, &proof, &tree_root).map_err(|e| e.to_string()))
    });
    check(tally, 98);
}

#[test]
fn consistency_vectors() {
    let Some(root) = vectors_dir() else { return };
    let tally = run_folder(&root, "consistency", |case| {
        let root1 = decode_hash(&case["root1"])?;
        let root2 = decode_hash(&case["root2"])?;
        let proof = decode_proof(&case["proof"])?;
        let size1 = u64_field(case, "size1");
        let size2 = u64_field(case, "size2");
        Ok(verify_consistency(size1, size2, &root1, &root2, &proof).map_err(|e| e.to_string()))
    });
    check(tally, 98);
}

#[test]
fn subtree_inclusion_vectors() {
    let Some(root) = vectors_dir() else { return };
    let tally = run_folder(&root, "subtreeinclusion", |case| {
        let leaf = decode_hash(&case["leafHash"])?;
        let subtree_root = decode_hash(&case["root"])?;
        let proof = decode_proof(&case["proof"])?;
        let index = u64_field(case, "leafIdx");
        let start = u64_field(case, "start");
        let end = u64_field(case, "end");
        Ok(
            verify_subtree_inclusion(&leaf, index, start, end, &proof, &subtree_root)
                .map_err(|e| e.to_string()),
        )
    });
    check(tally, 204);
}

#[test]
fn subtree_consistency_vectors() {
    let Some(root) = vectors_dir() else { return };
    let tally = run_folder(&root, "subtreeconsistency", |case| {
        let subtree_root = decode_hash(&case["root1"])?;
        let tree_root = decode_hash(&case["root2"])?;
        let proof = decode_proof(&case["proof"])?;
        let start = u64_field(case, "start");
        let end = u64_field(case, "end");
        let size = u64_field(case, "size");
        Ok(
            verify_subtree_consistency(start, end, size, &proof, &subtree_root, &tree_root)
                .map_err(|e| e.to_string()),
        )
    });
    check(tally, 118);
}
