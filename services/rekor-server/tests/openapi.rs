//! The OpenAPI document (`openapi/rekor-v1.json`) against the router that serves it.
//!
//! - The set of (path, method) pairs in the document equals the set of routes in `src/lib.rs`
//!   (read from its source, so the list is not repeated here), and a live router answers every
//!   documented pair from a handler and every other method on those paths with 405.
//! - Every `$ref` resolves, and the schemas use only keywords the validator below understands.
//! - A battery of real requests (all five entry kinds, bad input of each sort, a storage fault,
//!   a full queue) produces every documented status of every operation, each response matching
//!   the documented schema, content type and headers; requests the server accepts match the
//!   documented request schemas.
//!
//! The validator is a small JSON Schema subset written here (no dependency on the server's
//! types). For responses it treats an object schema that lists `properties` and says nothing
//! about `additionalProperties` as closed, so a member the server sends but the document does
//! not mention is an error.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use prometheus_client::registry::Registry;
use rekor_server::config::RekorConfig;
use rekor_server::{RekorState, router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tlog_core::{Hash, NodeId};
use tlog_engine::memory::{CommitFault, MemoryStorage};
use tlog_engine::{
    BatchCommit, CommitOutcome, EngineMetrics, LogStorage, StorageError, StoredEntry, StoredHead,
};

/// The document, as compiled into the server.
const DOCUMENT: &str = include_str!("../openapi/rekor-v1.json");
/// The router's source: the routes are read from here.
const ROUTER_SOURCE: &str = include_str!("../src/lib.rs");
/// Every HTTP method a route could be registered for.
const METHODS: [&str; 7] = ["get", "head", "post", "put", "delete", "patch", "options"];
/// Header the test router's fallbacks set, so "no route" is told apart from a handler's 404.
const PROBE_HEADER: &str = "x-openapi-probe";

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("the OpenAPI document is JSON")
}

/// `(path template, method)` of every operation in the document, in document order.
fn documented_operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for method in item.as_object().expect("path item is an object").keys() {
            assert!(
                METHODS.contains(&method.as_str()),
                "{path}: unexpected key {method:?} in path item"
            );
            out.push((path.clone(), method.clone()));
        }
    }
    out
}

/// `/api/v1/log/entries/{entryUUID}` and `/api/v1/log/entries/{entry_uuid}` both become
/// `/api/v1/log/entries/{}`.
fn normalize_template(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// The operation object for `method` on `path`.
fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "no documented operation {method} {path}");
    op
}

/// Follow `$ref`s (only local ones exist) until a non-reference object.
fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => value = resolve(doc, reference).expect("reference resolves"),
            None => return value,
        }
    }
    panic!("reference chain too long")
}

/// Resolve a local reference (`#/a/b~1c`) as an RFC 6901 JSON pointer.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

/// Documented statuses of an operation.
fn documented_statuses(doc: &Value, path: &str, method: &str) -> BTreeSet<u16> {
    operation(doc, path, method)["responses"]
        .as_object()
        .expect("responses is an object")
        .keys()
        .map(|k| {
            k.parse::<u16>()
                .unwrap_or_else(|_| panic!("{method} {path}: status {k:?} is not a number"))
        })
        .collect()
}

// ---- The document on its own ----

#[test]
fn document_is_openapi_3_0_and_names_its_own_path() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi is a string");
    let minor = version
        .strip_prefix("3.0.")
        .expect("the document declares OpenAPI 3.0.x");
    assert!(minor.parse::<u32>().is_ok(), "openapi = {version:?}");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("/api/v1/openapi.json"),
        "info.description names the stable path of the document"
    );
    let ops = documented_operations(&doc);
    assert!(!ops.is_empty());
    let mut ids = BTreeSet::new();
    for (path, method) in &ops {
        let op = operation(&doc, path, method);
        let id = op["operationId"]
            .as_str()
            .expect("every operation has an id");
        assert!(ids.insert(id.to_owned()), "operationId {id} is repeated");
        assert!(
            !documented_statuses(&doc, path, method).is_empty(),
            "{method} {path} lists no responses"
        );
        // Every path parameter of the template is declared, and nothing else is in the path.
        let mut declared = BTreeSet::new();
        for param in op["parameters"].as_array().into_iter().flatten() {
            let param = deref(&doc, param);
            if param["in"] == "path" {
                assert_eq!(
                    param["required"], true,
                    "{method} {path}: path params are required"
                );
                declared.insert(format!("{{{}}}", param["name"].as_str().unwrap()));
            }
        }
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter(|s| s.starts_with('{'))
            .map(str::to_owned)
            .collect();
        assert_eq!(declared, in_template, "{method} {path}: path parameters");
    }
}

#[test]
fn every_ref_resolves_and_stands_alone() {
    fn walk(doc: &Value, value: &Value, at: &str, count: &mut usize) {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let reference = reference.as_str().expect("$ref is a string");
                    assert!(
                        reference.starts_with("#/"),
                        "{at}: only local references are used, found {reference}"
                    );
                    assert!(
                        resolve(doc, reference).is_some(),
                        "{at}: $ref {reference} does not resolve"
                    );
                    // OpenAPI 3.0 ignores the siblings of a $ref; a sibling is a silent mistake.
                    assert_eq!(map.len(), 1, "{at}: $ref with sibling members");
                    *count += 1;
                }
                for (k, v) in map {
                    walk(doc, v, &format!("{at}/{k}"), count);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(doc, v, &format!("{at}/{i}"), count);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut count = 0;
    walk(&doc, &doc, "#", &mut count);
    assert!(count > 20, "expected many references, found {count}");

    // Every component is used somewhere.
    for kind in ["schemas", "responses"] {
        for name in doc["components"][kind].as_object().unwrap().keys() {
            let needle = format!("\"#/components/{kind}/{name}\"");
            assert!(
                DOCUMENT.contains(&needle),
                "components.{kind}.{name} is never used"
            );
        }
    }
}

/// Keywords the validator below implements, plus annotations it may ignore.
const SCHEMA_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "oneOf",
    "anyOf",
    "allOf",
    // Annotations.
    "description",
    "example",
    "default",
];

#[test]
fn schemas_use_only_keywords_the_validator_understands() {
    fn check(schema: &Value, at: &str) {
        let map = schema
            .as_object()
            .unwrap_or_else(|| panic!("{at}: a schema is an object"));
        for (k, v) in map {
            assert!(
                SCHEMA_KEYWORDS.contains(&k.as_str()),
                "{at}: keyword {k:?} is not understood by the test's validator"
            );
            match k.as_str() {
                "properties" => {
                    for (name, sub) in v.as_object().unwrap() {
                        check(sub, &format!("{at}/properties/{name}"));
                    }
                }
                "items" => check(v, &format!("{at}/items")),
                "additionalProperties" if v.is_object() => {
                    check(v, &format!("{at}/additionalProperties"))
                }
                "oneOf" | "anyOf" | "allOf" => {
                    for (i, sub) in v.as_array().unwrap().iter().enumerate() {
                        check(sub, &format!("{at}/{k}/{i}"));
                    }
                }
                "format" => assert!(
                    ["byte", "int64"].contains(&v.as_str().unwrap()),
                    "{at}: format {v} is not checked by the validator"
                ),
                _ => {}
            }
        }
    }
    fn find(value: &Value, at: &str, count: &mut usize) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let here = format!("{at}/{k}");
                    if k == "schema" {
                        check(v, &here);
                        *count += 1;
                    } else {
                        find(v, &here, count);
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    find(v, &format!("{at}/{i}"), count);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut count = 0;
    find(&doc["paths"], "#/paths", &mut count);
    find(
        &doc["components"]["responses"],
        "#/components/responses",
        &mut count,
    );
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        check(schema, &format!("#/components/schemas/{name}"));
        count += 1;
    }
    assert!(count > 20, "found only {count} schemas");
}

/// `(normalized path, method)` of every `.route(...)` in `src/lib.rs`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    for unsupported in [".nest(", ".merge(", ".route_service(", ".nest_service("] {
        assert!(
            !ROUTER_SOURCE.contains(unsupported),
            "src/lib.rs uses {unsupported}; teach routes_in_source() about it"
        );
    }
    let method_call =
        regex::Regex::new(r"(?:^|[^A-Za-z0-9_:])(get|head|post|put|delete|patch|options)\(")
            .unwrap();
    let mut out = BTreeSet::new();
    let mut rest = ROUTER_SOURCE;
    while let Some(start) = rest.find(".route(") {
        let call = &rest[start + ".route(".len()..];
        // The call's arguments: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut end = call.len();
        for (i, c) in call.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &call[..end];
        let open = args.find('"').expect("route path is a string literal");
        let close = args[open + 1..].find('"').expect("closing quote") + open + 1;
        let path = normalize_template(&args[open + 1..close]);
        let mut methods = 0;
        for capture in method_call.captures_iter(&args[close..]) {
            out.insert((path.clone(), capture[1].to_owned()));
            methods += 1;
        }
        assert!(methods > 0, "no method found for route {path}");
        rest = &call[end..];
    }
    out
}

#[test]
fn documented_operations_equal_the_routes_in_the_source() {
    let doc = document();
    let documented: BTreeSet<(String, String)> = documented_operations(&doc)
        .into_iter()
        .map(|(path, method)| (normalize_template(&path), method))
        .collect();
    let routed = routes_in_source();
    assert!(routed.len() >= 9, "parsed only {routed:?}");
    assert_eq!(
        documented, routed,
        "documented operations (left) differ from the routes in src/lib.rs (right)"
    );
}

#[test]
fn create_entry_lists_exactly_the_statuses_the_handler_produces() {
    let doc = document();
    assert_eq!(
        documented_statuses(&doc, "/api/v1/log/entries", "post"),
        BTreeSet::from([201, 400, 409, 413, 415, 500, 503])
    );
}

// ---- A small JSON Schema validator (the subset in SCHEMA_KEYWORDS) ----

struct Validator<'a> {
    doc: &'a Value,
    /// Treat objects with `properties` and no `additionalProperties` as closed.
    closed: bool,
}

impl Validator<'_> {
    fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, "$", &mut errors);
        errors
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = resolve(self.doc, reference).expect("reference resolves");
            return self.check(target, value, at, errors);
        }
        if value.is_null() && schema["nullable"] == true {
            return;
        }
        let mut fail = |message: String| errors.push(format!("{at}: {message}"));
        if let Some(kind) = schema.get("type").and_then(Value::as_str) {
            let ok = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                other => panic!("unknown type {other}"),
            };
            if !ok {
                fail(format!("expected {kind}, got {value}"));
                return;
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            fail(format!("{value} is not one of {allowed:?}"));
        }
        if let Some(text) = value.as_str() {
            let chars = text.chars().count() as u64;
            if schema["minLength"].as_u64().is_some_and(|min| chars < min) {
                fail(format!("shorter than minLength: {text:?}"));
            }
            if schema["maxLength"].as_u64().is_some_and(|max| chars > max) {
                fail(format!("longer than maxLength: {text:?}"));
            }
            if let Some(pattern) = schema["pattern"].as_str() {
                let re = regex::Regex::new(pattern).expect("pattern compiles");
                if !re.is_match(text) {
                    fail(format!("{text:?} does not match {pattern}"));
                }
            }
            if schema["format"] == "byte" && B64.decode(text).is_err() {
                fail(format!("{text:?} is not standard base64"));
            }
        }
        if value.is_number() {
            if schema["format"] == "int64" && !value.is_i64() {
                fail(format!("{value} is outside int64"));
            }
            let number = value.as_f64().unwrap();
            if schema["minimum"].as_f64().is_some_and(|min| number < min) {
                fail(format!("{value} is below the minimum"));
            }
            if schema["maximum"].as_f64().is_some_and(|max| number > max) {
                fail(format!("{value} is above the maximum"));
            }
        }
        if let Some(items) = value.as_array() {
            let len = items.len() as u64;
            if schema["minItems"].as_u64().is_some_and(|min| len < min) {
                fail(format!("{len} items, fewer than minItems"));
            }
            if schema["maxItems"].as_u64().is_some_and(|max| len > max) {
                fail(format!("{len} items, more than maxItems"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        if let Some(map) = value.as_object() {
            self.check_object(schema, map, at, errors);
        }
        // (keyword, fewest and most sub-schemas that must match; None = all of them)
        for (keyword, need) in [
            ("allOf", None),
            ("anyOf", Some((1, usize::MAX))),
            ("oneOf", Some((1, 1))),
        ] {
            let Some(subs) = schema.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let passing = subs
                .iter()
                .filter(|sub| {
                    let mut sub_errors = Vec::new();
                    self.check(sub, value, at, &mut sub_errors);
                    sub_errors.is_empty()
                })
                .count();
            let ok = match need {
                None => passing == subs.len(),
                Some((least, most)) => (least..=most).contains(&passing),
            };
            if !ok {
                errors.push(format!("{at}: {passing} of the {keyword} schemas match"));
            }
        }
    }

    fn check_object(
        &self,
        schema: &Value,
        map: &serde_json::Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let len = map.len() as u64;
        if schema["minProperties"]
            .as_u64()
            .is_some_and(|min| len < min)
        {
            errors.push(format!("{at}: fewer than minProperties members"));
        }
        if schema["maxProperties"]
            .as_u64()
            .is_some_and(|max| len > max)
        {
            errors.push(format!("{at}: more than maxProperties members"));
        }
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !map.contains_key(name) {
                errors.push(format!("{at}: required member {name} is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, member) in map {
            let here = format!("{at}.{name}");
            if let Some(sub) = properties.and_then(|p| p.get(name)) {
                self.check(sub, member, &here, errors);
                continue;
            }
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => errors.push(format!("{here}: not allowed")),
                Some(sub) if sub.is_object() => self.check(sub, member, &here, errors),
                None if self.closed && properties.is_some() => {
                    errors.push(format!("{here}: sent but not documented"))
                }
                _ => {}
            }
        }
    }
}

#[test]
fn the_validator_rejects_what_it_should() {
    let doc = document();
    let v = Validator {
        doc: &doc,
        closed: true,
    };
    let error = json!({"$ref": "#/components/schemas/Error"});
    assert!(
        v.errors(&error, &json!({"code": 400, "message": "x"}))
            .is_empty()
    );
    assert!(
        !v.errors(&error, &json!({"code": "400", "message": "x"}))
            .is_empty()
    );
    assert!(!v.errors(&error, &json!({"message": "x"})).is_empty());
    assert!(
        !v.errors(&error, &json!({"code": 1, "message": "x", "extra": 1}))
            .is_empty(),
        "closed mode refuses undocumented members"
    );
    let entry = json!({"$ref": "#/components/schemas/LogEntry"});
    assert!(!v.errors(&entry, &json!({})).is_empty(), "minProperties");
    let proposed = json!({"$ref": "#/components/schemas/ProposedEntry"});
    assert!(
        !v.errors(
            &proposed,
            &json!({"kind": "rpm", "apiVersion": "0.0.1", "spec": {}})
        )
        .is_empty(),
        "oneOf: no branch"
    );
    let proof = json!({"$ref": "#/components/schemas/ConsistencyProof"});
    assert!(
        !v.errors(
            &proof,
            &json!({"hashes": ["AB"], "rootHash": "00".repeat(32)})
        )
        .is_empty(),
        "pattern"
    );
}

// ---- Live server ----

/// Storage whose commits can be held at a gate, to fill the append queue on purpose.
#[derive(Debug)]
struct GatedStorage {
    inner: MemoryStorage,
    gate: Arc<tokio::sync::RwLock<()>>,
    /// Commits that reached the gate so far.
    commits_at_gate: AtomicU64,
}

#[async_trait]
impl LogStorage for GatedStorage {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        self.inner.load_head().await
    }

    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError> {
        self.commits_at_gate.fetch_add(1, Ordering::SeqCst);
        let _open = self.gate.read().await;
        self.inner.commit_batch(batch).await
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        self.inner.read_nodes(nodes).await
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        self.inner.entry_by_index(index).await
    }

    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.inner.find_leaf_hashes(hashes).await
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        self.inner.search_key(key, limit).await
    }
}

struct Server {
    base: String,
    client: reqwest::Client,
    storage: Arc<GatedStorage>,
    doc: Value,
    /// `(path template, method, status)` seen so far.
    seen: BTreeSet<(String, String, u16)>,
}

/// Small limits so that 413 and 503 are easy to reach.
const MAX_ENTRY_BYTES: usize = 8192;

async fn start() -> Server {
    let key = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let storage = Arc::new(GatedStorage {
        inner: MemoryStorage::new(),
        gate: Arc::new(tokio::sync::RwLock::new(())),
        commits_at_gate: AtomicU64::new(0),
    });
    let config = RekorConfig {
        max_entry_bytes: MAX_ENTRY_BYTES,
        batch_max_entries: 1,
        queue_capacity: 1,
        ..RekorConfig::default()
    };
    let state = RekorState::open(
        storage.clone(),
        Arc::new(key),
        &addr.to_string(),
        &config,
        EngineMetrics::unregistered(),
        &mut Registry::default(),
    )
    .await
    .unwrap();
    let probe = |status: StatusCode, value: &'static str| {
        move || async move { (status, [(PROBE_HEADER, value)], "") }
    };
    let app = router(state)
        .fallback(probe(StatusCode::NOT_FOUND, "no-route"))
        .method_not_allowed_fallback(probe(StatusCode::METHOD_NOT_ALLOWED, "no-method"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        storage,
        doc: document(),
        seen: BTreeSet::new(),
    }
}

/// A request body: JSON, or raw bytes with a content type.
enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

async fn send(server: &Server, method: &str, path: &str, body: Body) -> Reply {
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base));
    request = match body {
        Body::None => request,
        Body::Json(value) => request.json(&value),
        Body::Raw(content_type, bytes) => request
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes),
    };
    let response = request.send().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

impl Server {
    /// Send a request to the documented operation `method template` (at concrete `path`) and
    /// check the reply against the document: a documented status, a documented content type,
    /// a body matching the schema, the documented headers present and matching theirs. JSON
    /// request bodies are checked against the documented request schema when the server
    /// accepts them.
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        body: Body,
        expect: u16,
    ) -> Reply {
        let request_json = match &body {
            Body::Json(value) => Some(value.clone()),
            _ => None,
        };
        let reply = send(self, method, path, body).await;
        let what = format!("{} {path}", method.to_ascii_uppercase());
        assert_eq!(
            reply.status,
            expect,
            "{what}: status (body {:?})",
            String::from_utf8_lossy(&reply.body)
        );
        self.check_reply(method, template, &what, &reply);
        if let (Some(value), true) = (request_json, reply.status < 300) {
            let op = operation(&self.doc, template, method);
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let errors = Validator {
                doc: &self.doc,
                closed: false,
            }
            .errors(schema, &value);
            assert!(
                errors.is_empty(),
                "{what}: accepted request body: {errors:#?}"
            );
        }
        self.seen
            .insert((template.to_owned(), method.to_owned(), reply.status));
        reply
    }

    fn check_reply(&self, method: &str, template: &str, what: &str, reply: &Reply) {
        assert!(
            !reply.headers.contains_key(PROBE_HEADER),
            "{what}: answered by a fallback, not a handler"
        );
        let op = operation(&self.doc, template, method);
        let response = op["responses"]
            .get(reply.status.to_string())
            .unwrap_or_else(|| panic!("{what}: status {} is not documented", reply.status));
        let response = deref(&self.doc, response);
        let content_type = reply
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| {
                v.to_str()
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let media = response["content"]
            .get(&content_type)
            .unwrap_or_else(|| panic!("{what}: content type {content_type:?} is not documented"));
        let validator = Validator {
            doc: &self.doc,
            closed: true,
        };
        let body = if content_type == "application/json" {
            serde_json::from_slice(&reply.body)
                .unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"))
        } else {
            Value::String(String::from_utf8(reply.body.clone()).expect("text body"))
        };
        let errors = validator.errors(&media["schema"], &body);
        assert!(errors.is_empty(), "{what}: response body: {errors:#?}");
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let value = reply
                .headers
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{what}: documented header {name} is missing"));
            let value = value.to_str().unwrap();
            let as_json = match header["schema"]["type"].as_str() {
                Some("integer") => json!(value.parse::<i64>().expect("integer header")),
                _ => json!(value),
            };
            let errors = validator.errors(&header["schema"], &as_json);
            assert!(errors.is_empty(), "{what}: header {name}: {errors:#?}");
        }
    }
}

/// A path for `template` with every parameter filled in.
fn sample_path(template: &str) -> String {
    let mut out = String::new();
    for segment in template.split('/').skip(1) {
        out.push('/');
        if segment.starts_with('{') {
            out.push_str(&"ab".repeat(32));
        } else {
            out.push_str(segment);
        }
    }
    out
}

#[tokio::test]
async fn the_router_serves_exactly_the_documented_methods() {
    let server = start().await;
    let doc = document();
    let ops = documented_operations(&doc);
    let paths: BTreeSet<&String> = ops.iter().map(|(p, _)| p).collect();
    for template in paths {
        let path = sample_path(template);
        let documented: BTreeSet<&str> = ops
            .iter()
            .filter(|(p, _)| p == template)
            .map(|(_, m)| m.as_str())
            .collect();
        for method in METHODS {
            let body = if method == "post" || method == "put" || method == "patch" {
                Body::Json(json!({}))
            } else {
                Body::None
            };
            let reply = send(&server, method, &path, body).await;
            let probe = reply
                .headers
                .get(PROBE_HEADER)
                .map(|v| v.to_str().unwrap().to_owned());
            let served =
                documented.contains(method) || (method == "head" && documented.contains("get"));
            if served {
                assert_eq!(probe, None, "{method} {path} is documented but not routed");
                if documented.contains(method) {
                    let statuses = documented_statuses(&doc, template, method);
                    assert!(
                        statuses.contains(&reply.status),
                        "{method} {path}: status {} not documented",
                        reply.status
                    );
                }
            } else {
                assert_eq!(reply.status, 405, "{method} {path}");
                assert_eq!(probe.as_deref(), Some("no-method"), "{method} {path}");
            }
        }
    }
    // The probe really tells "no route" apart.
    let reply = send(&server, "get", "/api/v1/no-such-thing", Body::None).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.headers[PROBE_HEADER], "no-route");
}

#[tokio::test]
async fn the_served_document_is_the_file() {
    let server = start().await;
    let reply = send(&server, "get", "/api/v1/openapi.json", Body::None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, DOCUMENT.as_bytes());
}

// ---- Entries of every kind, built here ----

fn client_key() -> keys::SoftwareSigner {
    keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap()
}

fn pem_b64(signer: &keys::SoftwareSigner) -> String {
    B64.encode(keys::Signer::public_key(signer).to_pem())
}

fn hashedrekord(signer: &keys::SoftwareSigner, artifact: &[u8]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact))}},
            "signature": {
                "content": B64.encode(keys::Signer::sign(signer, artifact).unwrap()),
                "publicKey": {"content": pem_b64(signer)},
            },
        },
    })
}

const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// An in-toto statement and its DSSE signature (over the PAE) by `signer`.
fn signed_statement(signer: &keys::SoftwareSigner, name: &str) -> (Vec<u8>, Vec<u8>) {
    let payload = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": hex::encode(Sha256::digest(name))}}],
        "predicateType": "https://example.com/predicate",
        "predicate": {},
    })
    .to_string()
    .into_bytes();
    let mut pae = format!(
        "DSSEv1 {} {} {} ",
        PAYLOAD_TYPE.len(),
        PAYLOAD_TYPE,
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    let signature = keys::Signer::sign(signer, &pae).unwrap();
    (payload, signature)
}

fn envelope_text(payload: &[u8], signature: &[u8]) -> String {
    json!({
        "payloadType": PAYLOAD_TYPE,
        "payload": B64.encode(payload),
        "signatures": [{"sig": B64.encode(signature)}],
    })
    .to_string()
}

fn dsse(signer: &keys::SoftwareSigner, name: &str) -> Value {
    let (payload, signature) = signed_statement(signer, name);
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope_text(&payload, &signature),
            "verifiers": [pem_b64(signer)],
        }},
    })
}

fn intoto_v001(signer: &keys::SoftwareSigner, name: &str) -> Value {
    let (payload, signature) = signed_statement(signer, name);
    json!({
        "apiVersion": "0.0.1",
        "kind": "intoto",
        "spec": {
            "content": {"envelope": envelope_text(&payload, &signature)},
            "publicKey": pem_b64(signer),
        },
    })
}

fn intoto_v002(signer: &keys::SoftwareSigner, name: &str) -> Value {
    let (payload, signature) = signed_statement(signer, name);
    let twice = |bytes: &[u8]| B64.encode(B64.encode(bytes));
    json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {
                "payloadType": PAYLOAD_TYPE,
                "payload": twice(&payload),
                "signatures": [{"sig": twice(&signature), "publicKey": pem_b64(signer)}],
            },
            "hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
        }},
    })
}

fn rekord(signer: &keys::SoftwareSigner, artifact: &[u8]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "signature": {
                "format": "x509",
                "content": B64.encode(keys::Signer::sign(signer, artifact).unwrap()),
                "publicKey": {"content": pem_b64(signer)},
            },
            "data": {
                "content": B64.encode(artifact),
                "hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact))},
            },
        },
    })
}

/// The single `(EntryID, entry)` of a `LogEntry` body.
fn only_entry(body: &Value) -> (String, Value) {
    let (id, entry) = body.as_object().unwrap().iter().next().unwrap();
    (id.clone(), entry.clone())
}

/// Statuses the battery below cannot produce, and why: the in-memory storage fails commits on
/// request, but never reads.
const NOT_EXERCISED: &[(&str, &str, u16)] = &[
    ("/api/v1/log", "get", 500),
    ("/api/v1/log/proof", "get", 500),
    ("/api/v1/log/entries", "get", 500),
    ("/api/v1/log/entries/{entryUUID}", "get", 500),
    ("/api/v1/log/entries/retrieve", "post", 500),
    ("/api/v1/index/retrieve", "post", 500),
];

#[tokio::test]
async fn every_documented_response_is_produced_and_matches_the_document() {
    let mut s = start().await;
    let signer = client_key();
    const ENTRIES: &str = "/api/v1/log/entries";
    const BY_UUID: &str = "/api/v1/log/entries/{entryUUID}";
    const RETRIEVE: &str = "/api/v1/log/entries/retrieve";
    const INDEX: &str = "/api/v1/index/retrieve";
    const PROOF: &str = "/api/v1/log/proof";
    const PUBLIC_KEY: &str = "/api/v1/log/publicKey";
    let text = |bytes: &[u8]| Body::Raw("text/plain", bytes.to_vec());

    // createLogEntry: one entry of each kind, then every refusal.
    let proposals = [
        hashedrekord(&signer, b"openapi artifact"),
        dsse(&signer, "dsse subject"),
        intoto_v001(&signer, "intoto 0.0.1 subject"),
        intoto_v002(&signer, "intoto 0.0.2 subject"),
        rekord(&signer, b"rekord artifact"),
    ];
    let mut created = Vec::new();
    for proposed in &proposals {
        let reply = s
            .call("post", ENTRIES, ENTRIES, Body::Json(proposed.clone()), 201)
            .await;
        let (id, entry) = only_entry(&reply.json());
        assert_eq!(reply.headers["etag"].to_str().unwrap(), id);
        created.push((id, entry["logIndex"].as_u64().unwrap()));
    }
    let conflict = s
        .call(
            "post",
            ENTRIES,
            ENTRIES,
            Body::Json(proposals[0].clone()),
            409,
        )
        .await;
    assert_eq!(
        conflict.headers["location"].to_str().unwrap(),
        format!("{ENTRIES}/{}", created[0].0)
    );
    s.call(
        "post",
        ENTRIES,
        ENTRIES,
        Body::Json(json!({"kind": "rpm"})),
        400,
    )
    .await;
    s.call("post", ENTRIES, ENTRIES, text(b"{}"), 415).await;
    let oversized = json!({"apiVersion": "0.0.1", "kind": "hashedrekord",
        "spec": {"x": "a".repeat(MAX_ENTRY_BYTES)}});
    s.call("post", ENTRIES, ENTRIES, Body::Json(oversized.clone()), 413)
        .await;
    s.storage
        .inner
        .inject_commit_fault(CommitFault::FailAndDiscard);
    s.call(
        "post",
        ENTRIES,
        ENTRIES,
        Body::Json(hashedrekord(&signer, b"storage fails")),
        500,
    )
    .await;

    // 503: hold one commit at the gate, fill the one-slot queue, and send one more.
    {
        let closed = s.storage.gate.clone().write_owned().await;
        let spawn_create = |s: &Server, artifact: &'static [u8]| {
            let (client, url) = (s.client.clone(), format!("{}{ENTRIES}", s.base));
            let body = hashedrekord(&signer, artifact);
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
        };
        let before = s.storage.commits_at_gate.load(Ordering::SeqCst);
        let first = spawn_create(&s, b"held at the gate");
        tokio::time::timeout(Duration::from_secs(10), async {
            while s.storage.commits_at_gate.load(Ordering::SeqCst) == before {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
        .await
        .expect("the first append reaches the storage");
        let mut queued = [
            spawn_create(&s, b"queued one"),
            spawn_create(&s, b"queued two"),
        ];
        // Exactly one of the two finds the queue full and is answered at once.
        let refused = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(i) = queued.iter().position(|t| t.is_finished()) {
                    return i;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("one append is refused while the queue is full");
        drop(closed);
        let response = (&mut queued[refused]).await.unwrap();
        let reply = Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        assert_eq!(reply.status, 503);
        s.check_reply("post", ENTRIES, "POST (queue full)", &reply);
        s.seen.insert((ENTRIES.to_owned(), "post".to_owned(), 503));
        assert_eq!(first.await.unwrap().status(), 201);
        assert_eq!((&mut queued[1 - refused]).await.unwrap().status(), 201);
    }

    // getLogInfo, getPublicKey, getLogProof.
    let info = s
        .call("get", "/api/v1/log", "/api/v1/log", Body::None, 200)
        .await;
    let size = info.json()["treeSize"].as_u64().unwrap();
    let tree_id = info.json()["treeID"].as_str().unwrap().to_owned();
    s.call("get", PUBLIC_KEY, PUBLIC_KEY, Body::None, 200).await;
    s.call(
        "get",
        PUBLIC_KEY,
        &format!("{PUBLIC_KEY}?treeID={tree_id}"),
        Body::None,
        200,
    )
    .await;
    s.call(
        "get",
        PUBLIC_KEY,
        &format!("{PUBLIC_KEY}?treeID=1"),
        Body::None,
        400,
    )
    .await;
    let repeated = s
        .call(
            "get",
            PUBLIC_KEY,
            &format!("{PUBLIC_KEY}?treeID=1&treeID=2"),
            Body::None,
            400,
        )
        .await;
    assert!(
        repeated.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "a query string the framework cannot decode still gets a JSON Error body"
    );
    for (query, status) in [
        (format!("firstSize=2&lastSize={size}"), 200),
        (format!("lastSize={size}&treeID={tree_id}"), 200),
        (format!("firstSize={size}&lastSize={size}"), 200),
        (format!("firstSize=1&lastSize={}", size + 1), 400),
        ("firstSize=3&lastSize=2".to_owned(), 400),
        ("firstSize=1".to_owned(), 400),
    ] {
        s.call(
            "get",
            PROOF,
            &format!("{PROOF}?{query}"),
            Body::None,
            status,
        )
        .await;
    }

    // getLogEntryByIndex, getLogEntryByUUID.
    for (query, status) in [
        ("logIndex=0".to_owned(), 200),
        (format!("logIndex={}", created[3].1), 200),
        ("logIndex=999999".to_owned(), 404),
        ("logIndex=-1".to_owned(), 400),
        (String::new(), 400),
    ] {
        s.call(
            "get",
            ENTRIES,
            &format!("{ENTRIES}?{query}"),
            Body::None,
            status,
        )
        .await;
    }
    let (id, _) = created[1].clone();
    for (reference, status) in [
        (id.clone(), 200),
        (id[16..].to_owned(), 200),
        (id.to_uppercase(), 200),
        ("cd".repeat(32), 404),
        (format!("{}{}", "0000000000000001", &id[16..]), 404),
        ("f".repeat(80), 400),
        ("not-an-id".to_owned(), 400),
    ] {
        s.call(
            "get",
            BY_UUID,
            &format!("{ENTRIES}/{reference}"),
            Body::None,
            status,
        )
        .await;
    }

    // searchLogQuery.
    let query = json!({
        "entryUUIDs": [created[0].0, "ef".repeat(32)],
        "logIndexes": [created[2].1],
        "entries": [proposals[3]],
    });
    let found = s
        .call("post", RETRIEVE, RETRIEVE, Body::Json(query), 200)
        .await
        .json();
    assert_eq!(found.as_array().unwrap().len(), 3);
    s.call("post", RETRIEVE, RETRIEVE, Body::Json(json!({})), 200)
        .await;
    for (body, status) in [
        (json!({"logIndexes": (0..11).collect::<Vec<u64>>()}), 422),
        (json!({"entryUUIDs": []}), 422),
        (json!({"logIndexes": [-1]}), 422),
        (json!({"entryUUIDs": ["xyz"]}), 422),
        (json!({"entryUUIDs": ["f".repeat(80)]}), 400),
        (json!({"entries": [{"kind": "hashedrekord"}]}), 400),
        (json!({"logIndexes": "all"}), 400),
    ] {
        s.call("post", RETRIEVE, RETRIEVE, Body::Json(body), status)
            .await;
    }
    s.call("post", RETRIEVE, RETRIEVE, text(b"{}"), 415).await;
    let huge = json!({"entries": [{"pad": "a".repeat(MAX_ENTRY_BYTES * 10)}]});
    s.call("post", RETRIEVE, RETRIEVE, Body::Json(huge), 413)
        .await;

    // searchIndex.
    let by_key = json!({"publicKey": {"format": "x509", "content": pem_b64(&signer)}});
    let ids = s
        .call("post", INDEX, INDEX, Body::Json(by_key), 200)
        .await
        .json();
    assert!(ids.as_array().unwrap().contains(&json!(created[0].0)));
    let by_hash = json!({"hash": hex::encode(Sha256::digest(b"openapi artifact")),
        "operator": "and", "email": null});
    s.call("post", INDEX, INDEX, Body::Json(by_hash), 200).await;
    for body in [
        json!({}),
        json!({"hash": "1234"}),
        json!({"email": "nobody"}),
        json!({"operator": "xor", "hash": "ab".repeat(32)}),
        json!({"publicKey": {"format": "ssh", "content": "AAAA"}}),
        json!({"publicKey": {"format": "x509", "url": "https://example.com/key"}}),
    ] {
        s.call("post", INDEX, INDEX, Body::Json(body), 400).await;
    }
    s.call("post", INDEX, INDEX, text(b"{}"), 415).await;
    s.call("post", INDEX, INDEX, Body::Json(oversized), 413)
        .await;

    // getOpenApiDocument.
    let path = "/api/v1/openapi.json";
    s.call("get", path, path, Body::None, 200).await;

    // Every documented status was produced, except those listed as not exercised.
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, method) in documented_operations(&doc) {
        for status in documented_statuses(&doc, &path, &method) {
            documented.insert((path.clone(), method.clone(), status));
        }
    }
    let mut covered = s.seen.clone();
    for (path, method, status) in NOT_EXERCISED {
        assert!(
            covered.insert(((*path).to_owned(), (*method).to_owned(), *status)),
            "{method} {path} {status} is exercised after all; drop it from NOT_EXERCISED"
        );
    }
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "documented but never produced: {missing:?}"
    );
    let undocumented: Vec<_> = covered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "produced but not documented: {undocumented:?}"
    );
}
