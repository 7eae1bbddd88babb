//! `POST /api/v1/index/retrieve`: entry IDs by artifact hash, public key or email.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use rekor_types::{SearchIndex, SearchOperator};

use crate::error::ApiError;
use crate::extract::{parse_json, read_json_body};
use crate::state::RekorState;

/// Most entries returned per criterion. Upstream has no bound; an unbounded answer to a popular
/// key would be a denial-of-service lever.
pub(crate) const MAX_RESULTS_PER_KEY: usize = 10_000;

/// Look up each criterion, then take the union (`or`, the default) or intersection (`and`).
/// Answers entry IDs (tree ID + UUID), ascending by log index.
pub(crate) async fn retrieve(
    State(state): State<RekorState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Vec<String>>, ApiError> {
    let inner = &state.0;
    let bytes = read_json_body(&headers, body, inner.policy.max_entry_bytes).await?;
    let query: SearchIndex = parse_json(&bytes)?;
    let lookup = query
        .lookup()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if lookup.keys.is_empty() {
        return Err(ApiError::BadRequest(
            "at least one of hash, publicKey or email is required".into(),
        ));
    }
    let mut combined: Option<BTreeSet<u64>> = None;
    for key in &lookup.keys {
        let hits: BTreeSet<u64> = inner
            .log
            .search(key, MAX_RESULTS_PER_KEY)
            .await?
            .into_iter()
            .collect();
        combined = Some(match (combined, lookup.operator) {
            (None, _) => hits,
            (Some(acc), SearchOperator::Or) => acc.union(&hits).copied().collect(),
            (Some(acc), SearchOperator::And) => acc.intersection(&hits).copied().collect(),
        });
    }
    let mut ids = Vec::new();
    for index in combined.unwrap_or_default() {
        if let Some(entry) = inner.log.entry(index).await? {
            ids.push(inner.entry_id(&entry.leaf_hash).to_string());
        }
    }
    Ok(Json(ids))
}
