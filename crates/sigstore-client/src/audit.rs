//! Auditing a Rekor v1 log: verifying its signed checkpoints and single entries against the
//! log's key, and checking, run after run, that the log only ever grows (no fork, no rollback).
//!
//! `verify_consistency` remembers the last verified checkpoint in a small JSON state file. Each
//! run fetches the current signed checkpoint, verifies it, and proves it consistent with the
//! stored one; only then is the state file replaced (atomically: temporary file, fsync,
//! rename). Any sign of log misbehaviour leaves the state file untouched and is reported as an
//! error for which [`AuditError::is_log_misbehaviour`] is true.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use signed_note::{KeyIdRule, Note, NoteKeyVerifier, NoteVerifier, SignedCheckpoint};
use thiserror::Error;
use tlog_core::Hash;

use crate::rekor::{RekorClient, RekorError};

/// Largest state file read, in bytes.
const MAX_STATE_BYTES: u64 = 1024 * 1024;

/// The public keys a Rekor log may sign with (all shards and rotations of one deployment).
#[derive(Debug, Clone, Default)]
pub struct LogKeyring {
    keys: Vec<keys::PublicKey>,
}

/// Why a keyring could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The trusted root lists no Rekor log key that this client can use.
    #[error("the trusted root has no usable transparency log key")]
    NoKeys,
    /// A key does not parse.
    #[error("log public key")]
    Key(#[from] keys::KeyError),
}

impl LogKeyring {
    /// One key.
    pub fn from_key(key: keys::PublicKey) -> LogKeyring {
        LogKeyring { keys: vec![key] }
    }

    /// A PEM `PUBLIC KEY`.
    pub fn from_pem(pem: &str) -> Result<LogKeyring, KeyringError> {
        Ok(LogKeyring::from_key(keys::PublicKey::from_pem(pem)?))
    }

    /// Every transparency-log key of a trusted root (keys that do not parse are skipped; at
    /// least one must).
    pub fn from_trusted_root(root: &trust_root::TrustedRoot) -> Result<LogKeyring, KeyringError> {
        let keys: Vec<keys::PublicKey> = root
            .tlogs
            .iter()
            .filter_map(|tlog| tlog.spki_der().ok())
            .filter_map(|der| keys::PublicKey::from_spki_der(&der).ok())
            .collect();
        if keys.is_empty() {
            return Err(KeyringError::NoKeys);
        }
        Ok(LogKeyring { keys })
    }

    /// The key whose log ID (SHA-256 of its SPKI) is `log_id_hex`.
    pub fn by_log_id(&self, log_id_hex: &str) -> Option<&keys::PublicKey> {
        self.keys
            .iter()
            .find(|k| hex::encode(k.spki_sha256()).eq_ignore_ascii_case(log_id_hex))
    }

    /// The keys.
    pub fn keys(&self) -> &[keys::PublicKey] {
        &self.keys
    }
}

/// Why a checkpoint or an entry did not verify.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The note does not parse, or a signature by the log key is invalid.
    #[error("checkpoint")]
    Note(#[from] signed_note::NoteError),
    /// The checkpoint text is not a checkpoint.
    #[error("checkpoint")]
    Checkpoint(#[from] signed_note::CheckpointError),
    /// No signature line carries the key hint of a trusted log key.
    #[error("checkpoint is not signed by a trusted log key")]
    UnknownKey,
    /// Rekor v1 checkpoints carry only the log's own signatures.
    #[error("checkpoint carries signatures by keys other than the log's")]
    ForeignSignature,
    /// The origin is not `<name> - <tree ID>`.
    #[error("checkpoint origin {0:?} is not a Rekor v1 origin (`<host> - <tree ID>`)")]
    NotRekorV1(String),
    /// The entry names a log this keyring does not know.
    #[error("entry is from log {0}, whose key is not trusted")]
    UnknownLog(String),
    /// A required part of the entry is missing.
    #[error("entry has no {0}")]
    Missing(&'static str),
    /// The signed entry timestamp does not verify.
    #[error("the signed entry timestamp does not verify")]
    BadSet,
    /// The inclusion proof does not lead to the stated root.
    #[error("inclusion proof: {0}")]
    Inclusion(String),
    /// The proof's checkpoint states another tree.
    #[error(
        "the inclusion proof is for tree {proof_size}/{proof_root}, its checkpoint says {checkpoint_size}/{checkpoint_root}"
    )]
    CheckpointMismatch {
        /// Size in the proof.
        proof_size: u64,
        /// Root in the proof.
        proof_root: String,
        /// Size in the checkpoint.
        checkpoint_size: u64,
        /// Root in the checkpoint.
        checkpoint_root: String,
    },
}

/// A Rekor v1 checkpoint whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// `<host> - <tree ID>`.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The whole signed note, as received.
    pub text: String,
}

/// Verify a Rekor v1 signed checkpoint: every signature line must carry the key hint
/// (SHA-256(SPKI)\[:4\]) of one trusted key and verify with it, and the origin must be a Rekor v1
/// origin.
pub fn verify_rekor_checkpoint(
    text: &str,
    keyring: &LogKeyring,
) -> Result<VerifiedCheckpoint, CheckError> {
    let note = Note::parse(text.as_bytes())?;
    let first = note.signatures().first().ok_or(CheckError::UnknownKey)?;
    let key = keyring
        .keys
        .iter()
        .find(|k| signed_note::rekor_v1_key_hint(k) == first.key_id())
        .ok_or(CheckError::UnknownKey)?;
    if note
        .signatures()
        .iter()
        .any(|s| s.key_id() != first.key_id())
    {
        return Err(CheckError::ForeignSignature);
    }
    let mut verifiers: Vec<NoteKeyVerifier> = Vec::new();
    for signature in note.signatures() {
        let name = signature.name().as_str();
        if verifiers.iter().all(|v| v.name() != name) {
            verifiers.push(NoteKeyVerifier::new(name, key.clone(), KeyIdRule::RekorV1)?);
        }
    }
    let refs: Vec<&dyn NoteVerifier> = verifiers.iter().map(|v| v as &dyn NoteVerifier).collect();
    let signed = SignedCheckpoint::verify(text.as_bytes(), &refs)?;
    let checkpoint = signed.checkpoint();
    if !signed_note::checkpoint::is_rekor_v1_origin(checkpoint.origin()) {
        return Err(CheckError::NotRekorV1(checkpoint.origin().to_owned()));
    }
    Ok(VerifiedCheckpoint {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: Hash(*checkpoint.root_hash()),
        text: text.to_owned(),
    })
}

/// Verify a log entry as an auditor reads it: its SET by the log key named by `logID`, its
/// inclusion proof to the stated root, and the signed checkpoint that states that root.
pub fn verify_log_entry(
    entry: &rekor_types::LogEntry,
    keyring: &LogKeyring,
) -> Result<VerifiedCheckpoint, CheckError> {
    let anon = &entry.entry;
    let key = keyring
        .by_log_id(&anon.log_id)
        .ok_or_else(|| CheckError::UnknownLog(anon.log_id.clone()))?;
    let verification = anon
        .verification
        .as_ref()
        .ok_or(CheckError::Missing("verification"))?;
    let set = verification
        .signed_entry_timestamp
        .as_ref()
        .ok_or(CheckError::Missing("signed entry timestamp"))?;
    let payload = rekor_types::set_payload(
        &STANDARD.encode(&anon.body),
        anon.integrated_time,
        &anon.log_id,
        anon.log_index,
    );
    key.verify(&payload, set).map_err(|_| CheckError::BadSet)?;

    let proof = verification
        .inclusion_proof
        .as_ref()
        .ok_or(CheckError::Missing("inclusion proof"))?;
    let inclusion = |reason: String| CheckError::Inclusion(reason);
    let index = u64::try_from(proof.log_index).map_err(|_| inclusion("negative index".into()))?;
    let size = u64::try_from(proof.tree_size).map_err(|_| inclusion("negative size".into()))?;
    let root = Hash::from_hex(&proof.root_hash).map_err(|e| inclusion(e.to_string()))?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| Hash::from_hex(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| inclusion(e.to_string()))?;
    let leaf = tlog_core::leaf_hash(&anon.body);
    tlog_core::verify_inclusion(&leaf, index, size, &hashes, &root)
        .map_err(|e| inclusion(e.to_string()))?;
    let checkpoint =
        verify_rekor_checkpoint(&proof.checkpoint, &LogKeyring::from_key(key.clone()))?;
    if checkpoint.size != size || checkpoint.root != root {
        return Err(CheckError::CheckpointMismatch {
            proof_size: size,
            proof_root: root.to_hex(),
            checkpoint_size: checkpoint.size,
            checkpoint_root: checkpoint.root.to_hex(),
        });
    }
    Ok(checkpoint)
}

/// What the state file remembers: the last checkpoint that verified and was consistent with
/// every earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditState {
    /// The log's base URL (informational).
    pub rekor_url: String,
    /// Checkpoint origin, `<host> - <tree ID>`.
    pub origin: String,
    /// Tree size.
    pub tree_size: u64,
    /// Root hash, hex.
    pub root_hash: String,
    /// The signed checkpoint, as the log served it (evidence if the log later forks).
    pub checkpoint: String,
}

/// What a successful audit run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditOutcome {
    /// No state file yet: the current checkpoint was verified and stored.
    Initialized {
        /// Its tree size.
        size: u64,
    },
    /// The log has not grown; same root as stored.
    Unchanged {
        /// The tree size.
        size: u64,
    },
    /// The log grew and the consistency proof verified.
    Consistent {
        /// Stored size.
        from: u64,
        /// Current size.
        to: u64,
    },
}

/// Why an audit run failed. See [`AuditError::is_log_misbehaviour`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Talking to the log failed.
    #[error(transparent)]
    Rekor(#[from] RekorError),
    /// The log's checkpoint does not verify.
    #[error("the log's signed checkpoint")]
    Checkpoint(#[from] CheckError),
    /// The state file cannot be read or is not a state file.
    #[error("state file {path}: {reason}")]
    StateRead {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The state file cannot be written.
    #[error("cannot write state file {path}: {reason}")]
    StateWrite {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The checkpoint names another log (origin / tree ID) than the stored one.
    #[error(
        "LOG CHANGED: the stored checkpoint is for {stored:?}, the log now signs {current:?}; \
         the state file was not updated"
    )]
    OriginChanged {
        /// Stored origin.
        stored: String,
        /// Current origin.
        current: String,
    },
    /// The log is smaller than it was.
    #[error(
        "LOG ROLLED BACK: it had {stored} entries, it now signs a checkpoint with {current}; \
         the state file was not updated"
    )]
    Rollback {
        /// Stored size.
        stored: u64,
        /// Current size.
        current: u64,
    },
    /// Two different roots for the same tree size, both signed by the log.
    #[error(
        "LOG FORKED: two signed checkpoints for size {size} with different roots \
         (stored {stored_root}, now {current_root}); the state file was not updated"
    )]
    Fork {
        /// The tree size.
        size: u64,
        /// Stored root, hex.
        stored_root: String,
        /// Current root, hex.
        current_root: String,
    },
    /// The log could not prove that its current tree extends the stored one.
    #[error(
        "LOG FORKED: no valid consistency proof from size {from} to {to} ({reason}); \
         the state file was not updated"
    )]
    Inconsistent {
        /// Stored size.
        from: u64,
        /// Current size.
        to: u64,
        /// What failed.
        reason: String,
    },
}

impl AuditError {
    /// Whether the error shows the log misbehaving (fork, rollback, a different log behind the
    /// same URL, or a failed consistency proof), as opposed to a local or network problem.
    pub fn is_log_misbehaviour(&self) -> bool {
        matches!(
            self,
            AuditError::OriginChanged { .. }
                | AuditError::Rollback { .. }
                | AuditError::Fork { .. }
                | AuditError::Inconsistent { .. }
        )
    }
}

/// Read a state file; `Ok(None)` when it does not exist.
pub fn read_state(path: &Path) -> Result<Option<AuditState>, AuditError> {
    use std::io::Read;
    let read_error = |reason: String| AuditError::StateRead {
        path: path.to_owned(),
        reason,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(e.to_string()))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(read_error("larger than 1 MiB".to_owned()));
    }
    let state: AuditState = serde_json::from_slice(&bytes)
        .map_err(|e| read_error(format!("not a cairn log state file: {e}")))?;
    Hash::from_hex(&state.root_hash).map_err(|e| read_error(format!("root_hash: {e}")))?;
    Ok(Some(state))
}

/// Replace the state file atomically: write a temporary file next to it, fsync, rename.
pub fn write_state(path: &Path, state: &AuditState) -> Result<(), AuditError> {
    let write_error = |reason: String| AuditError::StateWrite {
        path: path.to_owned(),
        reason,
    };
    let mut json = serde_json::to_vec_pretty(state).map_err(|e| write_error(e.to_string()))?;
    json.push(b'\n');
    let file_name = path
        .file_name()
        .ok_or_else(|| write_error("not a file path".to_owned()))?;
    let mut tmp_name = file_name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            // Make the rename durable; not every platform can fsync a directory.
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_error(e.to_string()));
    }
    Ok(())
}

/// One audit run against the log at `rekor` (see the module docs). The state file is written
/// only on success.
pub async fn verify_consistency(
    rekor: &RekorClient,
    state_file: &Path,
    keyring: &LogKeyring,
) -> Result<AuditOutcome, AuditError> {
    let stored = read_state(state_file)?;
    let info = rekor.log_info().await?;
    let current = verify_rekor_checkpoint(&info.signed_tree_head, keyring)?;
    let outcome = match &stored {
        None => AuditOutcome::Initialized { size: current.size },
        Some(stored) => check_against_stored(rekor, state_file, stored, &current).await?,
    };
    write_state(
        state_file,
        &AuditState {
            rekor_url: rekor.base_url().to_owned(),
            origin: current.origin.clone(),
            tree_size: current.size,
            root_hash: current.root.to_hex(),
            checkpoint: current.text.clone(),
        },
    )?;
    Ok(outcome)
}

async fn check_against_stored(
    rekor: &RekorClient,
    state_file: &Path,
    stored: &AuditState,
    current: &VerifiedCheckpoint,
) -> Result<AuditOutcome, AuditError> {
    if stored.origin != current.origin {
        return Err(AuditError::OriginChanged {
            stored: stored.origin.clone(),
            current: current.origin.clone(),
        });
    }
    let stored_root = Hash::from_hex(&stored.root_hash).map_err(|e| AuditError::StateRead {
        path: state_file.to_owned(),
        reason: format!("root_hash: {e}"),
    })?;
    if current.size < stored.tree_size {
        return Err(AuditError::Rollback {
            stored: stored.tree_size,
            current: current.size,
        });
    }
    if current.size == stored.tree_size {
        if current.root != stored_root {
            return Err(AuditError::Fork {
                size: current.size,
                stored_root: stored_root.to_hex(),
                current_root: current.root.to_hex(),
            });
        }
        return Ok(AuditOutcome::Unchanged { size: current.size });
    }
    let consistent = AuditOutcome::Consistent {
        from: stored.tree_size,
        to: current.size,
    };
    if stored.tree_size == 0 {
        // Every tree extends the empty tree.
        return Ok(consistent);
    }
    let inconsistent = |reason: String| AuditError::Inconsistent {
        from: stored.tree_size,
        to: current.size,
        reason,
    };
    let proof = match rekor
        .consistency_proof(stored.tree_size, current.size)
        .await
    {
        Ok(proof) => proof,
        // A log that cannot produce the proof is as suspicious as one that sends a bad one;
        // transport failures are not.
        Err(RekorError::Http(crate::http::HttpError::Status {
            status, message, ..
        })) if (400..500).contains(&status) => {
            return Err(inconsistent(format!(
                "the log refused: HTTP {status}: {message}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let proof_root = Hash::from_hex(&proof.root_hash)
        .map_err(|e| inconsistent(format!("proof root hash: {e}")))?;
    if proof_root != current.root {
        return Err(inconsistent(format!(
            "the proof is for root {}, the checkpoint says {}",
            proof_root.to_hex(),
            current.root.to_hex()
        )));
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| Hash::from_hex(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| inconsistent(format!("proof hash: {e}")))?;
    tlog_core::verify_consistency(
        stored.tree_size,
        current.size,
        &stored_root,
        &current.root,
        &hashes,
    )
    .map_err(|e| inconsistent(e.to_string()))?;
    Ok(consistent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::*;
    use keys::{Signer, SigningAlgorithm, SoftwareSigner};
    use signed_note::{Checkpoint, NoteKeySigner, NoteSigner};

    fn signer() -> Arc<SoftwareSigner> {
        Arc::new(SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap())
    }

    fn note(origin: &str, signers: &[&dyn NoteSigner]) -> String {
        let note = Checkpoint::new(origin, 5, [7; 32])
            .unwrap()
            .sign(signers)
            .unwrap();
        String::from_utf8(note.to_bytes()).unwrap()
    }

    #[test]
    fn rekor_v1_checkpoints() {
        let log = signer();
        let log_signer = NoteKeySigner::new("rekor.test", log.clone(), KeyIdRule::RekorV1).unwrap();
        let keyring = LogKeyring::from_key(log.public_key().clone());

        let text = note("rekor.test - 42", &[&log_signer]);
        let verified = verify_rekor_checkpoint(&text, &keyring).unwrap();
        assert_eq!(verified.origin, "rekor.test - 42");
        assert_eq!(verified.size, 5);
        assert_eq!(verified.root, Hash([7; 32]));

        // Tampered text.
        let tampered = text.replacen("\n5\n", "\n6\n", 1);
        assert!(verify_rekor_checkpoint(&tampered, &keyring).is_err());
        // Another key.
        let stranger = LogKeyring::from_key(signer().public_key().clone());
        assert!(matches!(
            verify_rekor_checkpoint(&text, &stranger),
            Err(CheckError::UnknownKey)
        ));
        // A witness line next to the log's: Rekor v1 allows only the log's own.
        let witness = NoteKeySigner::new("witness.test", signer(), KeyIdRule::RekorV1).unwrap();
        let cosigned = note("rekor.test - 42", &[&log_signer, &witness]);
        assert!(matches!(
            verify_rekor_checkpoint(&cosigned, &keyring),
            Err(CheckError::ForeignSignature)
        ));
        // A Rekor v2 / C2SP origin.
        let v2 = note("rekor.test", &[&log_signer]);
        assert!(matches!(
            verify_rekor_checkpoint(&v2, &keyring),
            Err(CheckError::NotRekorV1(_))
        ));
        assert!(verify_rekor_checkpoint("garbage", &keyring).is_err());
    }

    #[test]
    fn state_files_round_trip_and_reject_junk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(read_state(&path).unwrap().is_none());
        let state = AuditState {
            rekor_url: "http://x".to_owned(),
            origin: "x - 1".to_owned(),
            tree_size: 3,
            root_hash: "ab".repeat(32),
            checkpoint: "x - 1\n3\nq83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq8=\n\n— x AAAA\n"
                .to_owned(),
        };
        write_state(&path, &state).unwrap();
        assert_eq!(read_state(&path).unwrap(), Some(state.clone()));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");

        let mut bad = serde_json::to_value(&state).unwrap();
        bad["root_hash"] = "zz".into();
        std::fs::write(&path, bad.to_string()).unwrap();
        assert!(matches!(
            read_state(&path),
            Err(AuditError::StateRead { .. })
        ));
        let mut extra = serde_json::to_value(&state).unwrap();
        extra["surprise"] = 1.into();
        std::fs::write(&path, extra.to_string()).unwrap();
        assert!(matches!(
            read_state(&path),
            Err(AuditError::StateRead { .. })
        ));
        assert!(matches!(
            write_state(&dir.path().join("missing/state.json"), &state),
            Err(AuditError::StateWrite { .. })
        ));
    }
}
