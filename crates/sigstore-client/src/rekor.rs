//! Rekor v1: create entries, read them back, search the index, and fetch the log's state and
//! consistency proofs.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rekor_types::{
    ConsistencyProof, EntryRef, LogEntry, LogInfo, SearchIndex, SearchIndexPublicKey,
};
use serde_json::Value;
use thiserror::Error;

use crate::http::{DEFAULT_TIMEOUT, Http, HttpError, normalize_base_url, server_message};

/// Why a Rekor request failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RekorError {
    /// Transport failure, unexpected status or unreadable answer.
    #[error("Rekor")]
    Http(#[from] HttpError),
    /// The log already holds an entry with the same canonical body (HTTP 409).
    #[error(
        "Rekor: the log already holds an identical entry ({message}){}",
        location.as_deref().map(|l| format!("; it is at {l}")).unwrap_or_default()
    )]
    Conflict {
        /// The server's message.
        message: String,
        /// The `Location` header: where the existing entry is.
        location: Option<String>,
    },
    /// No entry with that index or UUID.
    #[error("Rekor: no entry {what}")]
    NotFound {
        /// `with log index N` / `with UUID U`.
        what: String,
    },
    /// A UUID or EntryID argument that is not 64 or 80 hex characters.
    #[error("not a Rekor UUID or entry ID")]
    BadUuid(#[from] rekor_types::IdError),
    /// The entry the server returned is not the one asked for or not self-consistent.
    #[error("Rekor returned an inconsistent entry: {0}")]
    InconsistentEntry(String),
    /// The search query is empty.
    #[error("a search needs a hash, an email or a public key")]
    EmptySearch,
}

/// What `log search` looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// A SHA-256 digest, hex.
    Sha256(String),
    /// An e-mail address (certificate SAN).
    Email(String),
    /// A public key or certificate, PEM.
    PublicKeyPem(String),
}

/// A client for one Rekor v1 instance.
#[derive(Debug, Clone)]
pub struct RekorClient {
    base_url: String,
    http: Http,
}

impl RekorClient {
    /// A client for the Rekor at `base_url` (the API is under `BASE/api/v1/`).
    pub fn new(base_url: &str) -> Result<RekorClient, HttpError> {
        RekorClient::with_timeout(base_url, DEFAULT_TIMEOUT)
    }

    /// [`RekorClient::new`] with another request timeout.
    pub fn with_timeout(base_url: &str, timeout: Duration) -> Result<RekorClient, HttpError> {
        Ok(RekorClient {
            base_url: normalize_base_url(base_url)?,
            http: Http::new(timeout)?,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /api/v1/log/entries`: append a proposed entry. A 409 (the same canonical body is
    /// already logged) is [`RekorError::Conflict`]. The answer must be one entry whose UUID is
    /// the leaf hash of its body.
    pub async fn create_entry(&self, proposed: &Value) -> Result<LogEntry, RekorError> {
        let url = format!("{}/api/v1/log/entries", self.base_url);
        let builder = self
            .http
            .client()
            .post(&url)
            .header("Accept", "application/json")
            .json(proposed);
        let reply = self.http.send(builder, &url).await?;
        if reply.status.as_u16() == 409 {
            return Err(RekorError::Conflict {
                message: server_message(&reply.body),
                location: reply.header("location").map(crate::http::one_line),
            });
        }
        let reply = reply.require_success()?;
        let entry: LogEntry = reply.json()?;
        check_entry_id(&entry)?;
        Ok(entry)
    }

    /// `GET /api/v1/log/entries?logIndex=N`.
    pub async fn get_by_index(&self, log_index: u64) -> Result<LogEntry, RekorError> {
        let url = format!("{}/api/v1/log/entries?logIndex={log_index}", self.base_url);
        let entry = self
            .get_entry(&url, || format!("with log index {log_index}"))
            .await?;
        if u64::try_from(entry.entry.log_index).ok() != Some(log_index) {
            return Err(RekorError::InconsistentEntry(format!(
                "asked for log index {log_index}, got {}",
                entry.entry.log_index
            )));
        }
        Ok(entry)
    }

    /// `GET /api/v1/log/entries/{uuid}` with a 64-hex UUID or an 80-hex entry ID.
    pub async fn get_by_uuid(&self, uuid: &str) -> Result<LogEntry, RekorError> {
        let wanted: EntryRef = uuid.trim().parse()?;
        let uuid = uuid.trim().to_ascii_lowercase();
        let url = format!("{}/api/v1/log/entries/{uuid}", self.base_url);
        let entry = self.get_entry(&url, || format!("with UUID {uuid}")).await?;
        let got: EntryRef = entry
            .entry_id
            .parse()
            .map_err(|e| RekorError::InconsistentEntry(format!("entry ID: {e}")))?;
        if got.uuid() != wanted.uuid() {
            return Err(RekorError::InconsistentEntry(format!(
                "asked for UUID {uuid}, got {}",
                entry.entry_id
            )));
        }
        Ok(entry)
    }

    async fn get_entry(
        &self,
        url: &str,
        what: impl Fn() -> String,
    ) -> Result<LogEntry, RekorError> {
        let builder = self
            .http
            .client()
            .get(url)
            .header("Accept", "application/json");
        let reply = self.http.send(builder, url).await?;
        if reply.status.as_u16() == 404 {
            return Err(RekorError::NotFound { what: what() });
        }
        let entry: LogEntry = reply.require_success()?.json()?;
        check_entry_id(&entry)?;
        Ok(entry)
    }

    /// `POST /api/v1/index/retrieve`: the entry UUIDs the index holds for `query`.
    pub async fn search_index(&self, query: &SearchQuery) -> Result<Vec<String>, RekorError> {
        let mut index = SearchIndex::default();
        match query {
            SearchQuery::Sha256(hex) => index.hash = Some(format!("sha256:{}", hex.trim())),
            SearchQuery::Email(email) => index.email = Some(email.trim().to_owned()),
            SearchQuery::PublicKeyPem(pem) => {
                index.public_key = Some(SearchIndexPublicKey {
                    content: Some(STANDARD.encode(pem.as_bytes())),
                    format: "x509".to_owned(),
                    url: None,
                });
            }
        }
        let url = format!("{}/api/v1/index/retrieve", self.base_url);
        let builder = self
            .http
            .client()
            .post(&url)
            .header("Accept", "application/json")
            .json(&index);
        let reply = self.http.send(builder, &url).await?.require_success()?;
        let uuids: Vec<String> = reply.json()?;
        Ok(uuids)
    }

    /// `GET /api/v1/log`: tree size, root hash and signed checkpoint of the active shard.
    pub async fn log_info(&self) -> Result<LogInfo, RekorError> {
        let url = format!("{}/api/v1/log", self.base_url);
        let builder = self
            .http
            .client()
            .get(&url)
            .header("Accept", "application/json");
        Ok(self
            .http
            .send(builder, &url)
            .await?
            .require_success()?
            .json()?)
    }

    /// `GET /api/v1/log/proof?firstSize=F&lastSize=L`.
    pub async fn consistency_proof(
        &self,
        first_size: u64,
        last_size: u64,
    ) -> Result<ConsistencyProof, RekorError> {
        let url = format!(
            "{}/api/v1/log/proof?firstSize={first_size}&lastSize={last_size}",
            self.base_url
        );
        let builder = self
            .http
            .client()
            .get(&url)
            .header("Accept", "application/json");
        Ok(self
            .http
            .send(builder, &url)
            .await?
            .require_success()?
            .json()?)
    }
}

/// The entry's UUID (the last 64 hex of its ID) must be the leaf hash of its body.
fn check_entry_id(entry: &LogEntry) -> Result<(), RekorError> {
    let id: EntryRef = entry.entry_id.parse().map_err(|e| {
        RekorError::InconsistentEntry(format!("entry ID {:?}: {e}", entry.entry_id))
    })?;
    let expected = rekor_types::EntryUuid::for_body(&entry.entry.body);
    if id.uuid() != expected {
        return Err(RekorError::InconsistentEntry(format!(
            "entry ID {} does not name its body (leaf hash {expected})",
            entry.entry_id
        )));
    }
    Ok(())
}
