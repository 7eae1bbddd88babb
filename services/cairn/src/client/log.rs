//! `cairn log`: read and audit a Rekor v1 log.
//!
//! - `get` prints one entry (by log index or UUID) as the log returns it and, given the log's
//!   key, verifies its signed entry timestamp, inclusion proof and checkpoint;
//! - `search` prints the UUIDs the log's index holds for a SHA-256 digest, an e-mail address or
//!   a public key (the index is unauthenticated: fetch and verify what it points to);
//! - `verify-consistency` checks that the log only grew since the last run, remembering the
//!   last verified checkpoint in a state file; a fork or rollback exits with code 3.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{ArgGroup, Args, Subcommand};
use sigstore_client::{AuditOutcome, LogKeyring, RekorClient, SearchQuery};

use super::{load_trusted_root, print_line, read_bounded, runtime, trusted_root_path};

/// Largest public key file read, in bytes.
const MAX_PUBLIC_KEY_BYTES: u64 = 64 * 1024;

/// `cairn log …`.
#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Print one entry; with --trusted-root or --public-key, verify it first.
    Get(GetArgs),
    /// List the UUIDs of entries for a SHA-256 digest, an e-mail address or a public key.
    Search(SearchArgs),
    /// Check that the log is consistent with the checkpoint verified last time (stored in
    /// --state-file), then store the new one. Exit code 3 if the log forked or rolled back.
    VerifyConsistency(ConsistencyArgs),
}

/// `cairn log get`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["log_index", "uuid"])))]
pub(crate) struct GetArgs {
    /// Rekor base URL.
    #[arg(long, value_name = "URL")]
    rekor_url: String,
    /// The entry's log index.
    #[arg(long, value_name = "N")]
    log_index: Option<u64>,
    /// The entry's UUID (64 hex) or entry ID (80 hex).
    #[arg(long, value_name = "UUID")]
    uuid: Option<String>,
    /// Verify the entry with the log keys of this trusted root.
    #[arg(long, value_name = "FILE", conflicts_with = "public_key")]
    trusted_root: Option<PathBuf>,
    /// Verify the entry with this log public key (PEM).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
}

/// `cairn log search`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("query").required(true).args(["sha256", "email", "public_key"])))]
pub(crate) struct SearchArgs {
    /// Rekor base URL.
    #[arg(long, value_name = "URL")]
    rekor_url: String,
    /// Entries for an artifact with this SHA-256 digest (64 hex).
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
    /// Entries whose certificate names this e-mail address.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// Entries signed with this public key or certificate (PEM file).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
}

/// `cairn log verify-consistency`.
#[derive(Debug, Args)]
pub(crate) struct ConsistencyArgs {
    /// Rekor base URL.
    #[arg(long, value_name = "URL")]
    rekor_url: String,
    /// Trust the log keys of this trusted root [default: ./cairn-data/trust/trusted_root.json
    /// if present].
    #[arg(long, value_name = "FILE", conflicts_with = "public_key")]
    trusted_root: Option<PathBuf>,
    /// Trust this log public key (PEM) instead of a trusted root.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Where the last verified checkpoint is kept (created on the first run).
    #[arg(long, value_name = "FILE")]
    state_file: PathBuf,
}

/// Run a `cairn log` subcommand.
pub(crate) fn run(command: LogCommand) -> anyhow::Result<()> {
    match command {
        LogCommand::Get(args) => get(args),
        LogCommand::Search(args) => search(args),
        LogCommand::VerifyConsistency(args) => verify_consistency(args),
    }
}

fn keyring_from_pem_file(path: &Path) -> anyhow::Result<LogKeyring> {
    let bytes = read_bounded(path, MAX_PUBLIC_KEY_BYTES, "public key")?;
    let pem = String::from_utf8(bytes)
        .with_context(|| format!("public key {} is not PEM text", path.display()))?;
    LogKeyring::from_pem(&pem).with_context(|| format!("public key {}", path.display()))
}

fn keyring_from_root(path: &Path) -> anyhow::Result<LogKeyring> {
    let root = load_trusted_root(path)?;
    LogKeyring::from_trusted_root(&root).with_context(|| format!("trusted root {}", path.display()))
}

fn get(args: GetArgs) -> anyhow::Result<()> {
    let keyring = match (&args.trusted_root, &args.public_key) {
        (Some(root), _) => Some(keyring_from_root(root)?),
        (None, Some(key)) => Some(keyring_from_pem_file(key)?),
        (None, None) => None,
    };
    let rekor = RekorClient::new(&args.rekor_url)?;
    let entry = runtime()?.block_on(async {
        match args.log_index {
            Some(index) => rekor.get_by_index(index).await,
            // clap requires one of the two; an empty UUID is refused as malformed.
            None => {
                rekor
                    .get_by_uuid(args.uuid.as_deref().unwrap_or_default())
                    .await
            }
        }
    })?;
    if let Some(keyring) = &keyring {
        let checkpoint = sigstore_client::verify_log_entry(&entry, keyring)
            .with_context(|| format!("entry {} does not verify", entry.entry_id))?;
        eprintln!(
            "cairn: verified entry {} (log index {}): signed entry timestamp, inclusion proof, \
             checkpoint of size {}",
            entry.entry_id, entry.entry.log_index, checkpoint.size
        );
    }
    let json = serde_json::to_string_pretty(&entry).context("encoding the entry")?;
    print_line(&json)
}

fn search(args: SearchArgs) -> anyhow::Result<()> {
    let query = if let Some(hex) = &args.sha256 {
        let hex = hex.trim().strip_prefix("sha256:").unwrap_or(hex.trim());
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("--sha256 must be 64 hex digits");
        }
        SearchQuery::Sha256(hex.to_ascii_lowercase())
    } else if let Some(email) = &args.email {
        SearchQuery::Email(email.clone())
    } else if let Some(path) = &args.public_key {
        let bytes = read_bounded(path, MAX_PUBLIC_KEY_BYTES, "public key")?;
        let pem = String::from_utf8(bytes)
            .with_context(|| format!("public key {} is not PEM text", path.display()))?;
        SearchQuery::PublicKeyPem(pem)
    } else {
        anyhow::bail!("pass --sha256 HEX, --email EMAIL or --public-key FILE");
    };
    let rekor = RekorClient::new(&args.rekor_url)?;
    let uuids = runtime()?.block_on(rekor.search_index(&query))?;
    if !uuids.is_empty() {
        print_line(&uuids.join("\n"))?;
    }
    if uuids.is_empty() {
        eprintln!("cairn: no entries found");
    }
    Ok(())
}

fn verify_consistency(args: ConsistencyArgs) -> anyhow::Result<()> {
    let keyring = match &args.public_key {
        Some(key) => keyring_from_pem_file(key)?,
        None => keyring_from_root(&trusted_root_path(args.trusted_root.as_deref())?)?,
    };
    let rekor = RekorClient::new(&args.rekor_url)?;
    let outcome = runtime()?.block_on(sigstore_client::verify_consistency(
        &rekor,
        &args.state_file,
        &keyring,
    ))?;
    let line = match outcome {
        AuditOutcome::Initialized { size } => format!(
            "initialized: verified checkpoint of size {size} stored in {}",
            args.state_file.display()
        ),
        AuditOutcome::Unchanged { size } => format!("unchanged: size {size}, same root"),
        AuditOutcome::Consistent { from, to } => {
            format!("consistent: size {from} -> {to}, consistency proof verified")
        }
    };
    print_line(&line)
}
