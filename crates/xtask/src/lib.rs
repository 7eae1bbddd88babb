#![doc = include_str!("../README.md")]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// External crates that may never appear among a pure crate's (transitive, normal) dependencies:
/// async runtimes, HTTP clients and servers, database drivers.
pub const FORBIDDEN_IN_PURE: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "mio",
    "hyper",
    "hyper-util",
    "h2",
    "http-body",
    "axum",
    "axum-core",
    "tower",
    "tower-http",
    "tonic",
    "actix-web",
    "warp",
    "reqwest",
    "ureq",
    "isahc",
    "curl",
    "sqlx",
    "sqlx-core",
    "rusqlite",
    "libsqlite3-sys",
    "postgres",
    "tokio-postgres",
];

/// The architectural layer a crate declares in `[package.metadata.cairn] layer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// Protocol crates without I/O.
    Pure,
    /// Engines: I/O behind traits.
    Engine,
    /// Storage backends.
    Adapter,
    /// Shared HTTP plumbing.
    Plumbing,
    /// A service library exposing its router.
    Service,
    /// The one executable.
    Binary,
    /// Repository automation.
    Tooling,
}

impl Layer {
    fn parse(text: &str) -> Option<Layer> {
        Some(match text {
            "pure" => Layer::Pure,
            "engine" => Layer::Engine,
            "adapter" => Layer::Adapter,
            "plumbing" => Layer::Plumbing,
            "service" => Layer::Service,
            "binary" => Layer::Binary,
            "tooling" => Layer::Tooling,
            _ => return None,
        })
    }

    /// Rank used for the "dependencies point down" rule; adapters and plumbing share a rank.
    fn rank(self) -> u8 {
        match self {
            Layer::Pure => 0,
            Layer::Engine => 1,
            Layer::Adapter | Layer::Plumbing => 2,
            Layer::Service => 3,
            Layer::Binary => 4,
            Layer::Tooling => 5,
        }
    }

    /// Whether a crate of this layer may depend on another internal crate of `other` layer.
    fn may_depend_on(self, other: Layer) -> bool {
        if other == Layer::Binary {
            return false;
        }
        if self == other {
            return matches!(self, Layer::Pure | Layer::Engine | Layer::Tooling);
        }
        other.rank() < self.rank()
    }
}

/// One broken rule, in words a developer can act on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation(pub String);

struct Package {
    name: String,
    layer: Result<Layer, String>,
}

/// Check the layering rules on the JSON that `cargo metadata --format-version 1` prints.
pub fn check_layers(metadata: &Value) -> Vec<Violation> {
    let mut violations = BTreeSet::new();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();

    let mut names: BTreeMap<&str, &str> = BTreeMap::new(); // id -> name, every package
    let mut workspace: BTreeMap<&str, Package> = BTreeMap::new(); // id -> member
    for pkg in metadata["packages"].as_array().into_iter().flatten() {
        let (Some(id), Some(name)) = (pkg["id"].as_str(), pkg["name"].as_str()) else {
            continue;
        };
        names.insert(id, name);
        if members.contains(id) {
            let layer = match pkg["metadata"]["cairn"]["layer"].as_str() {
                Some(text) => Layer::parse(text).ok_or_else(|| text.to_owned()),
                None => Err(String::new()),
            };
            workspace.insert(
                id,
                Package {
                    name: name.to_owned(),
                    layer,
                },
            );
        }
    }

    // Normal (non-dev, non-build) dependency edges.
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(id) = node["id"].as_str() else {
            continue;
        };
        let deps = node["deps"].as_array().into_iter().flatten();
        let normal = deps.filter(|dep| {
            dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null())
        });
        edges.insert(id, normal.filter_map(|d| d["pkg"].as_str()).collect());
    }

    for (id, pkg) in &workspace {
        let layer = match &pkg.layer {
            Ok(layer) => *layer,
            Err(text) if text.is_empty() => {
                violations.insert(Violation(format!(
                    "{}: no [package.metadata.cairn] layer declared",
                    pkg.name
                )));
                continue;
            }
            Err(text) => {
                violations.insert(Violation(format!("{}: unknown layer {text:?}", pkg.name)));
                continue;
            }
        };

        for dep in edges.get(id).into_iter().flatten() {
            if let Some(dep_pkg) = workspace.get(dep)
                && let Ok(dep_layer) = dep_pkg.layer
                && !layer.may_depend_on(dep_layer)
            {
                violations.insert(Violation(format!(
                    "{} ({layer:?}) must not depend on {} ({dep_layer:?})",
                    pkg.name, dep_pkg.name
                )));
            }
        }

        if layer == Layer::Pure {
            // Walk the whole normal-dependency closure, remembering one path for the message.
            let mut seen: BTreeMap<&str, &str> = BTreeMap::new(); // id -> parent id
            let mut stack = vec![*id];
            while let Some(current) = stack.pop() {
                for dep in edges.get(current).into_iter().flatten() {
                    if seen.contains_key(dep) || dep == id {
                        continue;
                    }
                    seen.insert(dep, current);
                    stack.push(dep);
                }
            }
            for dep in seen.keys() {
                let dep_name = names.get(dep).copied().unwrap_or(dep);
                if FORBIDDEN_IN_PURE.contains(&dep_name) {
                    let mut path = vec![dep_name];
                    let mut at = *dep;
                    while let Some(parent) = seen.get(at) {
                        path.push(names.get(parent).copied().unwrap_or(parent));
                        at = parent;
                    }
                    path.push(&pkg.name);
                    path.reverse();
                    path.dedup();
                    violations.insert(Violation(format!(
                        "pure crate {} depends on {dep_name} (via {})",
                        pkg.name,
                        path.join(" -> ")
                    )));
                }
            }
        }
    }
    violations.into_iter().collect()
}
