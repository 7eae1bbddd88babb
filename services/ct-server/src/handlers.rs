//! The RFC 6962 endpoints (§4), each extract → state → JSON, with CTFE's parameter rules.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ct_types::{
    AddChainRequest, AddChainResponse, GetEntriesResponse, GetEntryAndProofResponse,
    GetProofByHashResponse, GetRootsResponse, GetSthConsistencyResponse, GetSthResponse, LeafEntry,
};
use serde::Deserialize;
use tlog_core::Hash;

use crate::config::MAX_GET_ENTRIES;
use crate::error::CtError;
use crate::state::CtState;

/// `POST /ct/v1/add-chain`.
pub(crate) async fn add_chain(
    State(state): State<CtState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<AddChainResponse>, CtError> {
    let chain = read_chain(&state, &headers, body).await?;
    let sct = state.add_chain(&chain).await?;
    sct_response(&sct)
}

/// `POST /ct/v1/add-pre-chain`.
pub(crate) async fn add_pre_chain(
    State(state): State<CtState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<AddChainResponse>, CtError> {
    let chain = read_chain(&state, &headers, body).await?;
    let sct = state.add_pre_chain(&chain).await?;
    sct_response(&sct)
}

fn sct_response(
    sct: &ct_types::SignedCertificateTimestamp,
) -> Result<Json<AddChainResponse>, CtError> {
    AddChainResponse::from_sct(sct)
        .map(Json)
        .map_err(|e| CtError::Internal(format!("encoding the SCT: {e}")))
}

/// Read and parse an `AddChainRequest` body of at most `max_request_bytes`.
async fn read_chain(
    state: &CtState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<Vec<u8>>, CtError> {
    let limit = state.0.config.max_request_bytes;
    let bytes = match read_body(headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(err) => {
            state.log_rejection(match err {
                CtError::TooLarge { .. } => "too_large",
                _ => "unreadable",
            });
            return Err(err);
        }
    };
    let request: AddChainRequest = serde_json::from_slice(&bytes).map_err(|e| {
        state.log_rejection("bad_json");
        CtError::BadRequest(format!("invalid add-chain body: {e}"))
    })?;
    Ok(request.chain)
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, CtError> {
    service_kit::body::read_limited(headers, body, limit)
        .await
        .map_err(|e| match e {
            service_kit::body::BodyError::TooLarge { limit } => CtError::TooLarge { limit },
            service_kit::body::BodyError::Unreadable => {
                CtError::BadRequest("could not read the request body".into())
            }
        })
}

fn bad_query(rejection: QueryRejection) -> CtError {
    CtError::BadRequest(format!(
        "invalid query parameters: {}",
        rejection.body_text()
    ))
}

/// A non-negative decimal no larger than `i64::MAX` (CTFE parses them as int64).
fn parse_count(name: &str, value: Option<&str>) -> Result<u64, CtError> {
    value
        .ok_or_else(|| CtError::BadRequest(format!("parameter {name:?} is required")))?
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= i64::MAX as u64)
        .ok_or_else(|| {
            CtError::BadRequest(format!("parameter {name:?} must be a non-negative integer"))
        })
}

fn encode_hashes(hashes: &[Hash]) -> Vec<Vec<u8>> {
    hashes.iter().map(|h| h.0.to_vec()).collect()
}

/// `GET /ct/v1/get-sth`.
pub(crate) async fn get_sth(State(state): State<CtState>) -> Result<Json<GetSthResponse>, CtError> {
    let sth = state.signed_tree_head().await?;
    GetSthResponse::from_sth(&sth)
        .map(Json)
        .map_err(|e| CtError::Internal(format!("encoding the STH: {e}")))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConsistencyQuery {
    first: Option<String>,
    second: Option<String>,
}

/// `GET /ct/v1/get-sth-consistency?first=&second=`: empty when `first` is 0 or equals `second`.
pub(crate) async fn get_sth_consistency(
    State(state): State<CtState>,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<GetSthConsistencyResponse>, CtError> {
    let Query(query) = query.map_err(bad_query)?;
    let first = parse_count("first", query.first.as_deref())?;
    let second = parse_count("second", query.second.as_deref())?;
    if second < first {
        return Err(CtError::BadRequest(format!(
            "invalid first, second params: {first} {second}"
        )));
    }
    let size = state.0.log.refresh_head().await?.size;
    if second > size {
        return Err(CtError::BadRequest(format!(
            "second ({second}) is larger than the tree ({size})"
        )));
    }
    let consistency = if first == 0 || first == second {
        Vec::new()
    } else {
        encode_hashes(&state.0.log.consistency_proof(first, second).await?)
    };
    Ok(Json(GetSthConsistencyResponse { consistency }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProofByHashQuery {
    hash: Option<String>,
    tree_size: Option<String>,
}

/// `GET /ct/v1/get-proof-by-hash?hash=&tree_size=`.
pub(crate) async fn get_proof_by_hash(
    State(state): State<CtState>,
    query: Result<Query<ProofByHashQuery>, QueryRejection>,
) -> Result<Json<GetProofByHashResponse>, CtError> {
    let Query(query) = query.map_err(bad_query)?;
    let hash = query
        .hash
        .filter(|h| !h.is_empty())
        .ok_or_else(|| CtError::BadRequest("parameter \"hash\" is required".into()))?;
    let hash = STANDARD
        .decode(hash.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .map(Hash)
        .ok_or_else(|| CtError::BadRequest("hash must be base64 of 32 bytes".into()))?;
    let tree_size = parse_count("tree_size", query.tree_size.as_deref())?;
    if tree_size == 0 {
        return Err(CtError::BadRequest("tree_size must be at least 1".into()));
    }
    let size = state.0.log.refresh_head().await?.size;
    if tree_size > size {
        return Err(CtError::BadRequest(format!(
            "tree_size ({tree_size}) is larger than the tree ({size})"
        )));
    }
    let leaf_index = state
        .0
        .index_of(&hash)
        .await?
        .filter(|index| *index < tree_size)
        .ok_or_else(|| {
            CtError::NotFound(format!(
                "no leaf with that hash in the tree of size {tree_size}"
            ))
        })?;
    let audit_path = state.0.log.inclusion_proof(leaf_index, tree_size).await?;
    Ok(Json(GetProofByHashResponse {
        leaf_index,
        audit_path: encode_hashes(&audit_path),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EntriesQuery {
    start: Option<String>,
    end: Option<String>,
}

/// `GET /ct/v1/get-entries?start=&end=`: inclusive, at most 1000, clipped to the tree.
pub(crate) async fn get_entries(
    State(state): State<CtState>,
    query: Result<Query<EntriesQuery>, QueryRejection>,
) -> Result<Json<GetEntriesResponse>, CtError> {
    let Query(query) = query.map_err(bad_query)?;
    let start = parse_count("start", query.start.as_deref())?;
    let end = parse_count("end", query.end.as_deref())?;
    if start > end {
        return Err(CtError::BadRequest(format!(
            "start ({start}) and end ({end}) is not a valid range"
        )));
    }
    let size = state.0.log.refresh_head().await?.size;
    if start >= size {
        return Err(CtError::BadRequest(format!(
            "need tree size {} to get leaves but the tree has {size}",
            start + 1
        )));
    }
    let end = end.min(start + MAX_GET_ENTRIES - 1).min(size - 1);
    let mut entries = Vec::with_capacity((end - start + 1) as usize);
    for index in start..=end {
        let opened = state.0.opened_entry(index).await?;
        entries.push(LeafEntry {
            leaf_input: opened.leaf_input,
            extra_data: opened.extra_data,
        });
    }
    Ok(Json(GetEntriesResponse { entries }))
}

/// `GET /ct/v1/get-roots`.
pub(crate) async fn get_roots(State(state): State<CtState>) -> Json<GetRootsResponse> {
    Json(GetRootsResponse {
        certificates: state.roots_der(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct EntryAndProofQuery {
    leaf_index: Option<String>,
    tree_size: Option<String>,
}

/// `GET /ct/v1/get-entry-and-proof?leaf_index=&tree_size=`.
pub(crate) async fn get_entry_and_proof(
    State(state): State<CtState>,
    query: Result<Query<EntryAndProofQuery>, QueryRejection>,
) -> Result<Json<GetEntryAndProofResponse>, CtError> {
    let Query(query) = query.map_err(bad_query)?;
    let leaf_index = parse_count("leaf_index", query.leaf_index.as_deref())?;
    let tree_size = parse_count("tree_size", query.tree_size.as_deref())?;
    if tree_size == 0 {
        return Err(CtError::BadRequest("tree_size must be at least 1".into()));
    }
    if leaf_index >= tree_size {
        return Err(CtError::BadRequest(format!(
            "leaf_index {leaf_index} out of range for tree of size {tree_size}"
        )));
    }
    let size = state.0.log.refresh_head().await?.size;
    if tree_size > size {
        return Err(CtError::BadRequest(format!(
            "tree_size ({tree_size}) is larger than the tree ({size})"
        )));
    }
    let opened = state.0.opened_entry(leaf_index).await?;
    let audit_path = state.0.log.inclusion_proof(leaf_index, tree_size).await?;
    Ok(Json(GetEntryAndProofResponse {
        leaf_input: opened.leaf_input,
        extra_data: opened.extra_data,
        audit_path: encode_hashes(&audit_path),
    }))
}
