//! `POST /api/v1/log/entries`, `GET /api/v1/log/entries?logIndex=`,
//! `GET /api/v1/log/entries/{entryUUID}`, `POST /api/v1/log/entries/retrieve`.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rekor_types::{EntryError, EntryRef, LogEntry, SearchLogQuery, SearchQueryError};
use serde::Deserialize;
use tlog_core::Hash;
use tlog_engine::{AppendError, AppendOutcome, PendingEntry, StoredEntry};

use crate::error::ApiError;
use crate::extract::{bad_query, parse_json, read_json_body};
use crate::state::RekorState;

/// `POST /api/v1/log/entries`: verify, canonicalize and append a proposed entry.
///
/// 201 with `{"<entryID>": LogEntry}`, `ETag: <entryID>` and `Location`; 409 with `Location` for
/// an entry that is already in the log; 400 for anything that does not verify; 413 beyond the
/// size limit; 503 when the log pushes back.
pub(crate) async fn create(
    State(state): State<RekorState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let inner = &state.0;
    let bytes = match read_json_body(&headers, body, inner.policy.max_entry_bytes).await {
        Ok(bytes) => bytes,
        Err(err) => {
            inner.metrics.rejected(match err {
                ApiError::TooLarge { .. } => "too_large",
                _ => "unreadable",
            });
            return Err(err);
        }
    };
    let canonical = match rekor_types::canonicalize(&bytes, &inner.policy) {
        Ok(canonical) => canonical,
        Err(err) => {
            let (reason, api) = match &err {
                EntryError::TooLarge { .. } => (
                    "too_large",
                    ApiError::TooLarge {
                        limit: inner.policy.max_entry_bytes,
                    },
                ),
                _ => ("invalid_entry", ApiError::BadRequest(err.to_string())),
            };
            inner.metrics.rejected(reason);
            return Err(api);
        }
    };
    let kind = canonical.kind.as_str();
    let leaf = canonical.body;
    let outcome = inner
        .log
        .append(PendingEntry {
            leaf: leaf.clone(),
            search_keys: canonical.index_keys,
        })
        .await;
    let appended = match outcome {
        Ok(AppendOutcome::Appended(appended)) => appended,
        Ok(AppendOutcome::Duplicate { index }) => {
            inner.metrics.rejected("duplicate");
            let entry =
                inner.log.entry(index).await?.ok_or_else(|| {
                    ApiError::Internal(format!("duplicate index {index} not found"))
                })?;
            return Err(ApiError::Conflict {
                entry_id: inner.entry_id(&entry.leaf_hash).to_string(),
            });
        }
        Err(err) => {
            let (reason, api) = match err {
                AppendError::Overloaded | AppendError::Contention => (
                    "overloaded",
                    ApiError::Unavailable("the log is busy; retry later".into()),
                ),
                AppendError::ShuttingDown => (
                    "shutting_down",
                    ApiError::Unavailable("the log is shutting down".into()),
                ),
                other => ("internal", ApiError::Internal(other.to_string())),
            };
            inner.metrics.rejected(reason);
            return Err(api);
        }
    };
    inner.metrics.appended(kind);
    let stored = StoredEntry {
        index: appended.index,
        leaf_hash: appended.leaf_hash,
        leaf,
        integrated_time: appended.integrated_time,
    };
    let entry = inner.log_entry(&stored, &appended.head, &appended.inclusion_proof)?;
    Ok(created(entry))
}

fn created(entry: LogEntry) -> Response {
    let etag = HeaderValue::from_str(&entry.entry_id).ok();
    let location = HeaderValue::from_str(&format!("/api/v1/log/entries/{}", entry.entry_id)).ok();
    let mut response = (StatusCode::CREATED, Json(entry)).into_response();
    let headers = response.headers_mut();
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    if let Some(location) = location {
        headers.insert(header::LOCATION, location);
    }
    response
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexQuery {
    log_index: Option<String>,
}

/// `GET /api/v1/log/entries?logIndex=N`.
pub(crate) async fn get_by_index(
    State(state): State<RekorState>,
    query: Result<Query<IndexQuery>, QueryRejection>,
) -> Result<Json<LogEntry>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let raw = query
        .log_index
        .ok_or_else(|| ApiError::BadRequest("logIndex is required".into()))?;
    let index = raw
        .parse::<u64>()
        .map_err(|_| ApiError::BadRequest("logIndex must be a non-negative integer".into()))?;
    let entry = state
        .0
        .log
        .entry(index)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no entry at logIndex {index}")))?;
    Ok(Json(state.0.log_entry_at_latest(&entry).await?))
}

/// `GET /api/v1/log/entries/{entryUUID}`: by 64-hex UUID or 80-hex EntryID.
pub(crate) async fn get_by_uuid(
    State(state): State<RekorState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<LogEntry>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::BadRequest(format!("invalid entryUUID: {e}")))?;
    let reference: EntryRef = id
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("invalid entryUUID: {e}")))?;
    let entry = lookup(&state, &reference)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no entry with UUID {id}")))?;
    Ok(Json(state.0.log_entry_at_latest(&entry).await?))
}

async fn lookup(state: &RekorState, reference: &EntryRef) -> Result<Option<StoredEntry>, ApiError> {
    if let EntryRef::EntryId(id) = reference
        && id.tree_id != state.0.tree_id
    {
        return Ok(None);
    }
    let hash = Hash(*reference.uuid().leaf_hash());
    Ok(state.0.log.entry_by_leaf_hash(&hash).await?)
}

/// `POST /api/v1/log/entries/retrieve`: entries by UUID, by index or by content. Unknown ones are
/// skipped, as upstream does.
pub(crate) async fn retrieve(
    State(state): State<RekorState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Vec<LogEntry>>, ApiError> {
    let inner = &state.0;
    let bytes = read_json_body(&headers, body, inner.policy.max_entry_bytes * 10).await?;
    let query: SearchLogQuery = parse_json(&bytes)?;
    let valid = query.validate().map_err(|e| match e {
        // Upstream: a malformed 80-character EntryID is a 400, schema misses are 422.
        SearchQueryError::InvalidEntryUuid { ref value, .. } if value.len() == 80 => {
            ApiError::BadRequest(e.to_string())
        }
        other => ApiError::Unprocessable(other.to_string()),
    })?;
    let mut found = Vec::new();
    for reference in &valid.entry_refs {
        if let Some(entry) = lookup(&state, reference).await? {
            found.push(entry);
        }
    }
    for index in &valid.log_indexes {
        if let Some(entry) = inner.log.entry(*index).await? {
            found.push(entry);
        }
    }
    for proposed in &valid.entries {
        let canonical = rekor_types::canonicalize_value(proposed, &inner.policy)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let hash = Hash(canonical.leaf_hash());
        if let Some(entry) = inner.log.entry_by_leaf_hash(&hash).await? {
            found.push(entry);
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for entry in &found {
        out.push(inner.log_entry_at_latest(entry).await?);
    }
    Ok(Json(out))
}
