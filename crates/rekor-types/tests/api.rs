//! The v1 API shapes serialize with upstream's member names and order, and the request types
//! validate as upstream does.

mod common;

use common::{b64, key_pem, vectors};
use rekor_types::{
    ConsistencyProof, EntryId, EntryRef, EntryUuid, ErrorBody, IdError, InactiveShardLogInfo,
    InclusionProof, LogEntry, LogEntryAnon, LogEntryVerification, LogInfo, SearchIndex,
    SearchIndexError, SearchIndexPublicKey, SearchLogQuery, SearchOperator, SearchQueryError,
    TreeId,
};
use serde_json::json;

const UUID: &str = "3a4b9bd9bca2b9a7d6a6e7d46d3e5f7e0d8e3dbaac6a3c1d6a64cd3e5e71aab1";

fn sample_entry() -> LogEntry {
    let tree = TreeId::new(1193050959916656506).expect("tree id");
    let uuid: EntryUuid = UUID.parse().expect("uuid");
    LogEntry {
        entry_id: EntryId::new(tree, uuid).to_string(),
        entry: LogEntryAnon {
            attestation: None,
            body: b"{\"a\":1}".to_vec(),
            integrated_time: 1710869186,
            log_id: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d".to_owned(),
            log_index: 79571823,
            verification: Some(LogEntryVerification {
                inclusion_proof: Some(InclusionProof {
                    checkpoint:
                        "rekor.example - 1193050959916656506\n2\nAAAA\n\n— rekor.example sig\n"
                            .to_owned(),
                    hashes: vec!["aa".repeat(32)],
                    log_index: 1,
                    root_hash: "bb".repeat(32),
                    tree_size: 2,
                }),
                signed_entry_timestamp: Some(vec![0x30, 0x45]),
            }),
        },
    }
}

#[test]
fn log_entry_serializes_in_upstream_member_order() {
    let text = serde_json::to_string(&sample_entry()).expect("serialize");
    // Written by hand from the OpenAPI / go-swagger model (alphabetical Go struct fields).
    let want = concat!(
        r#"{"108e9186e8c5677a3a4b9bd9bca2b9a7d6a6e7d46d3e5f7e0d8e3dbaac6a3c1d6a64cd3e5e71aab1":"#,
        r#"{"body":"eyJhIjoxfQ==","integratedTime":1710869186,"#,
        r#""logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d","#,
        r#""logIndex":79571823,"verification":{"inclusionProof":{"#,
        r#""checkpoint":"rekor.example - 1193050959916656506\n2\nAAAA\n\n— rekor.example sig\n","#,
        r#""hashes":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],"#,
        r#""logIndex":1,"rootHash":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","treeSize":2},"#,
        r#""signedEntryTimestamp":"MEU="}}}"#
    );
    assert_eq!(text, want);
    let back: LogEntry = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(back, sample_entry());
}

#[test]
fn log_entry_needs_exactly_one_member() {
    assert!(serde_json::from_str::<LogEntry>("{}").is_err());
    let one = serde_json::to_value(sample_entry()).expect("value");
    let inner = one
        .as_object()
        .expect("object")
        .values()
        .next()
        .expect("entry")
        .clone();
    let two = json!({"a": inner.clone(), "b": inner});
    assert!(serde_json::from_value::<LogEntry>(two).is_err());
    // Without verification (upstream omits it when nil) and with a bad body.
    let bare = json!({"x": {"body": "e30=", "integratedTime": 1, "logID": "00", "logIndex": 0}});
    let entry: LogEntry = serde_json::from_value(bare.clone()).expect("bare");
    assert_eq!(entry.entry.body, b"{}");
    assert_eq!(serde_json::to_value(&entry).expect("value"), bare);
    let bad = json!({"x": {"body": "e30", "integratedTime": 1, "logID": "00", "logIndex": 0}});
    assert!(serde_json::from_value::<LogEntry>(bad).is_err());
}

#[test]
fn log_info_and_proofs() {
    let info = LogInfo {
        inactive_shards: None,
        root_hash: "ab".repeat(32),
        signed_tree_head: "note\n".to_owned(),
        tree_id: "42".to_owned(),
        tree_size: 7,
    };
    assert_eq!(
        serde_json::to_string(&info).expect("json"),
        format!(
            r#"{{"inactiveShards":null,"rootHash":"{}","signedTreeHead":"note\n","treeID":"42","treeSize":7}}"#,
            "ab".repeat(32)
        )
    );
    let sharded = LogInfo {
        inactive_shards: Some(vec![InactiveShardLogInfo {
            root_hash: "cd".repeat(32),
            signed_tree_head: "old\n".to_owned(),
            tree_id: "41".to_owned(),
            tree_size: 3,
        }]),
        ..info
    };
    let text = serde_json::to_string(&sharded).expect("json");
    assert!(text.starts_with(&format!(
        r#"{{"inactiveShards":[{{"rootHash":"{}","signedTreeHead":"old\n","treeID":"41","treeSize":3}}],"#,
        "cd".repeat(32)
    )));
    assert_eq!(
        serde_json::from_str::<LogInfo>(&text).expect("parse"),
        sharded
    );

    let proof = ConsistencyProof {
        hashes: vec![],
        root_hash: "ef".repeat(32),
    };
    assert_eq!(
        serde_json::to_string(&proof).expect("json"),
        format!(r#"{{"hashes":[],"rootHash":"{}"}}"#, "ef".repeat(32))
    );
}

#[test]
fn error_body_omits_empty_members() {
    assert_eq!(
        serde_json::to_string(&ErrorBody::new(400, "bad")).expect("json"),
        r#"{"code":400,"message":"bad"}"#
    );
    assert_eq!(
        serde_json::to_string(&ErrorBody::new(404, "")).expect("json"),
        r#"{"code":404}"#
    );
    let parsed: ErrorBody = serde_json::from_str(r#"{"message":"x"}"#).expect("parse");
    assert_eq!(
        parsed,
        ErrorBody {
            code: 0,
            message: "x".to_owned()
        }
    );
}

#[test]
fn search_log_query_limits() {
    let uuid = UUID.to_owned();
    let ten = SearchLogQuery {
        entry_uuids: Some(vec![uuid.clone(); 4]),
        log_indexes: Some(vec![0, 1, 2, 3, 4, 5]),
        entries: None,
    };
    let valid = ten.validate().expect("10 queries are allowed");
    assert_eq!(valid.entry_refs.len(), 4);
    assert_eq!(valid.log_indexes, vec![0, 1, 2, 3, 4, 5]);

    let eleven = SearchLogQuery {
        entries: Some(vec![json!({})]),
        ..ten.clone()
    };
    assert_eq!(
        eleven.validate(),
        Err(SearchQueryError::TooManyQueries { total: 11, max: 10 })
    );
    let one_list_too_long = SearchLogQuery {
        log_indexes: Some((0..11).collect()),
        ..SearchLogQuery::default()
    };
    assert!(matches!(
        one_list_too_long.validate(),
        Err(SearchQueryError::TooManyQueries { total: 11, .. })
    ));
    for (query, field) in [
        (
            SearchLogQuery {
                entries: Some(vec![]),
                ..SearchLogQuery::default()
            },
            "entries",
        ),
        (
            SearchLogQuery {
                entry_uuids: Some(vec![]),
                ..SearchLogQuery::default()
            },
            "entryUUIDs",
        ),
        (
            SearchLogQuery {
                log_indexes: Some(vec![]),
                ..SearchLogQuery::default()
            },
            "logIndexes",
        ),
    ] {
        assert_eq!(query.validate(), Err(SearchQueryError::EmptyList { field }));
    }
    let negative = SearchLogQuery {
        log_indexes: Some(vec![3, -1]),
        ..SearchLogQuery::default()
    };
    assert_eq!(
        negative.validate(),
        Err(SearchQueryError::NegativeLogIndex {
            index: 1,
            value: -1
        })
    );
    let bad_id = SearchLogQuery {
        entry_uuids: Some(vec![uuid.clone(), "abc".to_owned()]),
        ..SearchLogQuery::default()
    };
    assert!(matches!(
        bad_id.validate(),
        Err(SearchQueryError::InvalidEntryUuid { index: 1, .. })
    ));
    let zero_tree = format!("{}{uuid}", "0".repeat(16));
    let with_id = SearchLogQuery {
        entry_uuids: Some(vec![format!("108e9186e8c5677a{uuid}"), zero_tree]),
        ..SearchLogQuery::default()
    };
    let refs = with_id.validate().expect("valid").entry_refs;
    assert!(matches!(refs[0], EntryRef::EntryId(_)));
    assert_eq!(refs[1], EntryRef::Uuid(UUID.parse().expect("uuid")));
    assert!(SearchLogQuery::default().validate().is_ok());
}

#[test]
fn search_log_query_parses_upstream_json() {
    let q: SearchLogQuery = serde_json::from_str(&format!(
        r#"{{"entryUUIDs":["{UUID}"],"logIndexes":[5],"entries":[{{"kind":"dsse"}}]}}"#
    ))
    .expect("parse");
    assert_eq!(q.entry_uuids.as_deref(), Some(&[UUID.to_owned()][..]));
    assert_eq!(q.log_indexes.as_deref(), Some(&[5][..]));
    assert_eq!(q.entries.as_ref().map(Vec::len), Some(1));
    assert!(serde_json::from_str::<SearchLogQuery>(r#"{"logIndexes":[1.5]}"#).is_err());
}

#[test]
fn search_index_lookup_keys_match_entry_index_keys() {
    let v = vectors();
    let case = |name: &str| {
        v["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["name"] == name)
            .expect("case")
            .clone()
    };
    // A key search finds hashedrekord entries by their (prefix-less) key index key.
    let hr = case("hashedrekord-p256-key-crlf-76col");
    let q = SearchIndex {
        public_key: Some(SearchIndexPublicKey {
            content: Some(b64(key_pem("p256").as_bytes())),
            format: "x509".to_owned(),
            url: None,
        }),
        ..SearchIndex::default()
    };
    let lookup = q.lookup().expect("lookup");
    assert_eq!(
        lookup.keys,
        vec![hr["index_keys"][0].as_str().expect("key")]
    );
    assert_eq!(lookup.operator, SearchOperator::Or);

    // Certificate + email + hash, combined with "and".
    let cert_case = case("hashedrekord-p256-cert-no-trailing-newline");
    let keys: Vec<&str> = cert_case["index_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k.as_str().expect("key"))
        .collect();
    let digest = keys
        .last()
        .expect("digest key")
        .trim_start_matches("sha256:");
    let q = SearchIndex {
        email: Some("ALICE@example.COM".to_owned()),
        hash: Some(digest.to_uppercase()),
        operator: Some("and".to_owned()),
        public_key: Some(SearchIndexPublicKey {
            content: Some(b64(key_pem("certificate").as_bytes())),
            format: "x509".to_owned(),
            url: None,
        }),
    };
    let lookup = q.lookup().expect("lookup");
    assert_eq!(lookup.operator, SearchOperator::And);
    assert_eq!(lookup.keys.len(), 3);
    for key in &lookup.keys {
        assert!(
            keys.contains(&key.as_str()),
            "{key} is not an index key of the entry"
        );
    }
}

#[test]
fn search_index_refusals() {
    let pk = |format: &str, content: Option<&str>, url: Option<&str>| SearchIndex {
        public_key: Some(SearchIndexPublicKey {
            content: content.map(str::to_owned),
            format: format.to_owned(),
            url: url.map(str::to_owned),
        }),
        ..SearchIndex::default()
    };
    assert!(matches!(
        pk("pgp", Some("AAAA"), None).lookup(),
        Err(SearchIndexError::UnsupportedPkiFormat { .. })
    ));
    assert!(matches!(
        pk("x509", None, Some("https://example.com/key.pem")).lookup(),
        Err(SearchIndexError::UrlNotSupported)
    ));
    assert!(matches!(
        pk("x509", None, None).lookup(),
        Err(SearchIndexError::MissingContent)
    ));
    assert!(matches!(
        pk("x509", Some(&b64(b"junk")), None).lookup(),
        Err(SearchIndexError::MalformedPublicKey(_))
    ));
    let hash = |h: &str| SearchIndex {
        hash: Some(h.to_owned()),
        ..SearchIndex::default()
    };
    assert!(matches!(
        hash("sha384:abcd").lookup(),
        Err(SearchIndexError::InvalidHash { .. })
    ));
    assert_eq!(
        hash(&"A".repeat(40)).lookup().expect("sha1").keys,
        vec![format!("sha1:{}", "a".repeat(40))]
    );
    let op = SearchIndex {
        operator: Some("xor".to_owned()),
        ..SearchIndex::default()
    };
    assert!(matches!(
        op.lookup(),
        Err(SearchIndexError::InvalidOperator { .. })
    ));
    let email = SearchIndex {
        email: Some("no-at-sign".to_owned()),
        ..SearchIndex::default()
    };
    assert!(matches!(
        email.lookup(),
        Err(SearchIndexError::InvalidEmail { .. })
    ));
    assert!(
        SearchIndex::default()
            .lookup()
            .expect("empty")
            .keys
            .is_empty()
    );
}

#[test]
fn ids_in_both_cases() {
    let upper = format!("108E9186E8C5677A{}", UUID.to_uppercase());
    let id: EntryId = upper.parse().expect("uppercase EntryID");
    assert_eq!(id.to_string(), upper.to_lowercase());
    assert_eq!(id.tree_id.get(), 1193050959916656506);
    assert_eq!(
        "12".parse::<EntryRef>(),
        Err(IdError::Length {
            len: 2,
            expected: "64 or 80"
        })
    );
}
