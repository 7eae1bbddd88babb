//! The architecture rules, checked on the real workspace, and the checker itself checked on
//! made-up workspaces (so that it can fail).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::{Violation, check_layers};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn cargo_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("metadata JSON")
}

#[test]
fn workspace_obeys_the_layer_rules() {
    let metadata = cargo_metadata();
    let violations = check_layers(&metadata);
    assert!(
        violations.is_empty(),
        "architecture rules broken:\n{}",
        violations
            .iter()
            .map(|v| format!("  - {}", v.0))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The rule has teeth only if pure crates exist: name the ones it protected.
    let pure: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["metadata"]["cairn"]["layer"] == "pure")
        .filter_map(|p| p["name"].as_str())
        .collect();
    for expected in ["tlog-core", "tlog-tiles", "signed-note", "keys"] {
        assert!(pure.contains(&expected), "{expected} must be declared pure");
    }
}

#[test]
fn every_crate_inherits_workspace_lints_and_has_a_readme() {
    let metadata = cargo_metadata();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut problems = Vec::new();
    for pkg in metadata["packages"].as_array().expect("packages") {
        if !members.contains(&pkg["id"].as_str().unwrap_or_default()) {
            continue;
        }
        let manifest = PathBuf::from(pkg["manifest_path"].as_str().expect("manifest path"));
        let text = std::fs::read_to_string(&manifest).expect("read manifest");
        let name = pkg["name"].as_str().unwrap_or_default();
        if !text.contains("[lints]\nworkspace = true") {
            problems.push(format!("{name}: missing `[lints] workspace = true`"));
        }
        let readme = manifest.with_file_name("README.md");
        if !readme.is_file() {
            problems.push(format!("{name}: missing README.md"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The workspace denies `unsafe` code; exactly one module, the SQLite page-cache FFI, lifts that.
#[test]
fn only_the_sqlite_page_cache_allows_unsafe_code() {
    const ALLOWED: &str = "crates/store-sqlite/src/page_cache.rs";
    let root = workspace_root();
    let mut offenders = Vec::new();
    let mut found_in_allowed = false;
    for dir in ["crates", "services"] {
        visit_rust_files(&root.join(dir), &mut |path, text| {
            if text.contains("allow(unsafe_code)") {
                let relative = path.strip_prefix(&root).unwrap_or(path).to_string_lossy();
                if relative.starts_with(ALLOWED) {
                    found_in_allowed = true;
                } else if !relative.ends_with("tests/tidy.rs") {
                    offenders.push(relative.into_owned());
                }
            }
        });
    }
    assert!(
        offenders.is_empty(),
        "unsafe code allowed in {offenders:#?}"
    );
    assert!(
        found_in_allowed,
        "the tidy rule no longer matches store-sqlite's page_cache"
    );
}

fn visit_rust_files(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            visit_rust_files(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            f(&path, &text);
        }
    }
}

/// A workspace member of a fake workspace: `(name, layer, normal deps, dev deps)`.
type FakeMember<'a> = (&'a str, Option<&'a str>, &'a [&'a str], &'a [&'a str]);

/// A fake `cargo metadata` document; names not listed as members are external crates.
fn fake(members: &[FakeMember<'_>], external: &[(&str, &[&str])]) -> Value {
    let id = |name: &str| format!("path+file:///ws#{name}@0.0.0");
    let mut packages = Vec::new();
    let mut nodes = Vec::new();
    let dep = |name: &str, kind: Value| json!({"pkg": id(name), "dep_kinds": [{"kind": kind}]});
    for (name, layer, deps, dev) in members {
        let metadata = match layer {
            Some(layer) => json!({"cairn": {"layer": layer}}),
            None => Value::Null,
        };
        packages.push(json!({"id": id(name), "name": name, "metadata": metadata}));
        let mut all: Vec<Value> = deps.iter().map(|d| dep(d, Value::Null)).collect();
        all.extend(dev.iter().map(|d| dep(d, json!("dev"))));
        nodes.push(json!({"id": id(name), "deps": all}));
    }
    for (name, deps) in external {
        packages.push(json!({"id": id(name), "name": name, "metadata": null}));
        let all: Vec<Value> = deps.iter().map(|d| dep(d, Value::Null)).collect();
        nodes.push(json!({"id": id(name), "deps": all}));
    }
    json!({
        "packages": packages,
        "workspace_members": members.iter().map(|m| id(m.0)).collect::<Vec<_>>(),
        "resolve": {"nodes": nodes},
    })
}

fn messages(violations: Vec<Violation>) -> Vec<String> {
    violations.into_iter().map(|v| v.0).collect()
}

#[test]
fn checker_finds_a_runtime_deep_in_a_pure_crates_tree() {
    let metadata = fake(
        &[("merkle", Some("pure"), &["helper"], &[])],
        &[
            ("helper", &["inner"]),
            ("inner", &["tokio"]),
            ("tokio", &[]),
        ],
    );
    let found = messages(check_layers(&metadata));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("merkle -> helper -> inner -> tokio"),
        "{found:?}"
    );
}

#[test]
fn checker_ignores_dev_dependencies_of_pure_crates() {
    let metadata = fake(
        &[("merkle", Some("pure"), &["sha"], &["tokio"])],
        &[("sha", &[]), ("tokio", &[])],
    );
    assert!(check_layers(&metadata).is_empty());
}

#[test]
fn checker_enforces_layer_direction() {
    let metadata = fake(
        &[
            ("proto", Some("pure"), &["kit"], &[]),
            ("kit", Some("plumbing"), &[], &[]),
            ("rekor", Some("service"), &["fulcio", "kit", "proto"], &[]),
            ("fulcio", Some("service"), &[], &[]),
            ("cairn", Some("binary"), &["rekor", "fulcio"], &[]),
            ("stray", None, &[], &[]),
            ("odd", Some("misc"), &[], &[]),
        ],
        &[],
    );
    let found = messages(check_layers(&metadata));
    assert!(
        found
            .iter()
            .any(|m| m.contains("proto (Pure) must not depend on kit")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("rekor (Service) must not depend on fulcio")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("stray: no [package.metadata.cairn] layer")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("odd: unknown layer \"misc\"")),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");
}
