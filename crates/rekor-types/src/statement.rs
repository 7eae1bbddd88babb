//! Index keys from an in-toto statement ([in-toto Statement v0.1/v1]) carried in a DSSE
//! payload: `alg:digest` for every subject digest and, for SLSA provenance v0.2 predicates,
//! every material digest.
//!
//! Rekor parses the payload into Go structs; this reads the same members from untyped JSON. A
//! payload that is not a JSON object contributes no keys (Rekor then drops the entry's index
//! keys altogether; we keep the others). Within one digest set the algorithms are taken in
//! sorted order (Go iterates its map in random order).
//!
//! [in-toto Statement v0.1/v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md

use serde_json::Value;

/// `alg:digest` keys of the statement in `payload` (subjects first, then SLSA materials).
pub(crate) fn statement_index_keys(payload: &[u8]) -> Vec<String> {
    let Ok(Value::Object(statement)) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    if let Some(Value::Array(subjects)) = statement.get("subject") {
        for subject in subjects {
            push_digest_set(&mut keys, subject.get("digest"));
        }
    }
    if let Some(Value::Array(materials)) =
        statement.get("predicate").and_then(|p| p.get("materials"))
    {
        for material in materials {
            push_digest_set(&mut keys, material.get("digest"));
        }
    }
    keys
}

fn push_digest_set(keys: &mut Vec<String>, digest: Option<&Value>) {
    let Some(Value::Object(set)) = digest else {
        return;
    };
    let mut pairs: Vec<(&String, &str)> = set
        .iter()
        .filter_map(|(alg, v)| v.as_str().map(|d| (alg, d)))
        .collect();
    pairs.sort();
    for (alg, digest) in pairs {
        keys.push(format!("{alg}:{digest}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_materials() {
        let payload = br#"{"_type":"https://in-toto.io/Statement/v0.1",
            "subject":[{"name":"a","digest":{"sha512":"bb","sha256":"aa"}},{"name":"b","digest":{"sha256":"cc"}}],
            "predicateType":"https://slsa.dev/provenance/v0.2",
            "predicate":{"materials":[{"uri":"git+https://x","digest":{"sha1":"dd"}}]}}"#;
        assert_eq!(
            statement_index_keys(payload),
            ["sha256:aa", "sha512:bb", "sha256:cc", "sha1:dd"]
        );
        assert!(statement_index_keys(b"not json").is_empty());
        assert!(statement_index_keys(b"[1,2]").is_empty());
    }
}
