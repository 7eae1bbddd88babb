//! `GET /api/v1/log`, `GET /api/v1/log/publicKey`, `GET /api/v1/log/proof`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rekor_types::{ConsistencyProof, LogInfo};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::bad_query;
use crate::state::RekorState;

/// `GET /api/v1/log`: the newest tree head, with its signed checkpoint.
pub(crate) async fn log_info(State(state): State<RekorState>) -> Result<Json<LogInfo>, ApiError> {
    let head = state.0.log.refresh_head().await?;
    let signed_tree_head = String::from_utf8(head.checkpoint.clone())
        .map_err(|_| ApiError::Internal("stored checkpoint is not UTF-8".into()))?;
    Ok(Json(LogInfo {
        inactive_shards: None,
        root_hash: head.root.to_hex(),
        signed_tree_head,
        tree_id: state.0.tree_id.get().to_string(),
        tree_size: i64::try_from(head.size)
            .map_err(|_| ApiError::Internal("tree size beyond i64".into()))?,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TreeQuery {
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

/// Accept an absent `treeID` or ours (decimal); anything else names a shard we do not have.
fn check_tree_id(state: &RekorState, tree_id: Option<&str>) -> Result<(), ApiError> {
    match tree_id {
        None => Ok(()),
        Some(given) if given == state.0.tree_id.get().to_string() => Ok(()),
        Some(given) => Err(ApiError::BadRequest(format!("unknown treeID {given:?}"))),
    }
}

/// `GET /api/v1/log/publicKey`: the log key as PEM.
pub(crate) async fn public_key(
    State(state): State<RekorState>,
    query: Result<Query<TreeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    check_tree_id(&state, query.tree_id.as_deref())?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        state.0.public_key_pem.clone(),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProofQuery {
    first_size: Option<String>,
    last_size: Option<String>,
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

fn parse_size(name: &str, value: &str) -> Result<u64, ApiError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= i64::MAX as u64)
        .ok_or_else(|| ApiError::BadRequest(format!("{name} must be a non-negative integer")))
}

/// `GET /api/v1/log/proof?firstSize=&lastSize=`: a consistency proof between two tree sizes.
pub(crate) async fn consistency_proof(
    State(state): State<RekorState>,
    query: Result<Query<ProofQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    check_tree_id(&state, query.tree_id.as_deref())?;
    let first = match query.first_size.as_deref() {
        Some(v) => parse_size("firstSize", v)?,
        None => 1,
    };
    let last = match query.last_size.as_deref() {
        Some(v) => parse_size("lastSize", v)?,
        None => return Err(ApiError::BadRequest("lastSize is required".into())),
    };
    if first < 1 {
        return Err(ApiError::BadRequest("firstSize must be at least 1".into()));
    }
    if first > last {
        return Err(ApiError::BadRequest(format!(
            "firstSize({first}) must be less than or equal to lastSize({last})"
        )));
    }
    let hashes = state.0.log.consistency_proof(first, last).await?;
    let root = state.0.log.root_at(last).await?;
    Ok(Json(ConsistencyProof {
        hashes: hashes.iter().map(|h| h.to_hex()).collect(),
        root_hash: root.to_hex(),
    }))
}
