//! Transparency-log checkpoints: the note text of a signed tree head.
//!
//! [C2SP tlog-checkpoint](https://c2sp.org/tlog-checkpoint):
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [<extension line>...]
//! ```
//!
//! Rekor v1 uses the same shape with origin `<hostname> - <tree ID>`, signs with its log key
//! and names the signature line after the host name (see `PROTOCOL.md` §3.5); Rekor v2 uses a
//! plain host-name origin (§4.3).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use thiserror::Error;

use crate::error::NoteError;
use crate::note::{Note, NoteLimits, NoteSigner, NoteVerifier, VerifiedNote};

/// What is wrong with a tree-size line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreeSizeProblem {
    /// The line is empty.
    Empty,
    /// The line has a character that is not an ASCII digit (a sign, a space, ...).
    NotDecimal,
    /// The number has a leading zero (only `0` itself may start with `0`).
    LeadingZero,
    /// The number does not fit in 64 bits.
    Overflow,
}

/// Why checkpoint text could not be parsed or built, or a signed checkpoint not accepted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed note around the checkpoint is malformed or does not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Fewer than the three mandatory lines.
    #[error("checkpoint has {lines} lines, needs at least 3")]
    TooFewLines {
        /// Number of complete lines found.
        lines: usize,
    },
    /// The text does not end with a newline.
    #[error("checkpoint text does not end with a newline")]
    MissingFinalNewline,
    /// An ASCII control character other than newline.
    #[error("checkpoint contains control character {byte:#04x} at offset {offset}")]
    ControlCharacter {
        /// Byte offset.
        offset: usize,
        /// The character's value.
        byte: u8,
    },
    /// The origin line is empty.
    #[error("checkpoint origin is empty")]
    EmptyOrigin,
    /// The origin line starts or ends with white space.
    #[error("checkpoint origin {origin:?} has leading or trailing white space")]
    OriginWhitespace {
        /// The origin found.
        origin: String,
    },
    /// The tree-size line is not a canonical decimal `u64`.
    #[error("checkpoint tree size {found:?} is invalid: {problem:?}")]
    InvalidTreeSize {
        /// The line found.
        found: String,
        /// What is wrong with it.
        problem: TreeSizeProblem,
    },
    /// The root-hash line is not canonical standard base64.
    #[error("checkpoint root hash {found:?} is not valid standard base64")]
    RootHashBase64 {
        /// The line found.
        found: String,
    },
    /// The root hash does not decode to 32 bytes.
    #[error("checkpoint root hash is {len} bytes, expected 32")]
    RootHashLength {
        /// Decoded length.
        len: usize,
    },
    /// An extension line (line 4 or later) is empty.
    #[error("checkpoint line {line} is an empty extension line")]
    EmptyExtensionLine {
        /// Line number (1-based).
        line: usize,
    },
    /// An origin or extension line given to a constructor contains a newline.
    #[error("checkpoint {field} contains a newline")]
    NewlineInField {
        /// Which field: `"origin"` or `"extension"`.
        field: &'static str,
    },
    /// The origin is not the one the caller expected.
    #[error("checkpoint origin {found:?} is not the expected {expected:?}")]
    OriginMismatch {
        /// The origin expected.
        expected: String,
        /// The origin found.
        found: String,
    },
}

/// Which ecosystem a checkpoint's origin line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckpointFlavor {
    /// Rekor v1: the origin ends in ` - <decimal tree ID>` (sigstore-go `hasRekorV1STH`).
    RekorV1,
    /// Anything else: a C2SP checkpoint such as Rekor v2 writes.
    C2sp,
}

/// Whether `origin` is a Rekor v1 origin, by sigstore-go's test: it matches the regular
/// expression `.* - [0-9]+$` (`pkg/verify/tlog.go`). Rekor v2 origins must not match.
pub fn is_rekor_v1_origin(origin: &str) -> bool {
    let without_digits = origin.trim_end_matches(|c: char| c.is_ascii_digit());
    without_digits.len() < origin.len() && without_digits.ends_with(" - ")
}

/// A checkpoint: origin, tree size, root hash and optional extension lines.
///
/// [C2SP tlog-checkpoint](https://c2sp.org/tlog-checkpoint). Every value formats to text that
/// [`Checkpoint::parse`] accepts and returns unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root_hash: [u8; 32],
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(
        origin: impl Into<String>,
        size: u64,
        root_hash: [u8; 32],
    ) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        check_field(&origin, "origin")?;
        check_origin(&origin)?;
        Ok(Checkpoint {
            origin,
            size,
            root_hash,
            extensions: Vec::new(),
        })
    }

    /// Append an extension line (non-empty, no newline or control characters).
    pub fn with_extension(mut self, line: impl Into<String>) -> Result<Self, CheckpointError> {
        let line = line.into();
        check_field(&line, "extension")?;
        if line.is_empty() {
            return Err(CheckpointError::EmptyExtensionLine {
                line: 4 + self.extensions.len(),
            });
        }
        self.extensions.push(line);
        Ok(self)
    }

    /// The Rekor v1 origin `<hostname> - <tree ID>`.
    pub fn rekor_v1_origin(hostname: &str, tree_id: u64) -> String {
        format!("{hostname} - {tree_id}")
    }

    /// Parse checkpoint text (a note's text: lines ending in newline, no signature block).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        if let Some(offset) = text.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::ControlCharacter {
                offset,
                byte: text.as_bytes()[offset],
            });
        }
        if text.is_empty() {
            return Err(CheckpointError::TooFewLines { lines: 0 });
        }
        let Some(body) = text.strip_suffix('\n') else {
            return Err(CheckpointError::MissingFinalNewline);
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root_hash, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines { lines: lines.len() });
        };
        check_origin(origin)?;
        let size = parse_tree_size(size)?;
        let root_hash = parse_root_hash(root_hash)?;
        if let Some(i) = extensions.iter().position(|line| line.is_empty()) {
            return Err(CheckpointError::EmptyExtensionLine { line: 4 + i });
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size,
            root_hash,
            extensions: extensions.iter().map(|&line| line.to_owned()).collect(),
        })
    }

    /// The origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root hash.
    pub fn root_hash(&self) -> &[u8; 32] {
        &self.root_hash
    }

    /// The extension lines, without newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Rekor v1 or C2SP, by the origin line.
    pub fn flavor(&self) -> CheckpointFlavor {
        if is_rekor_v1_origin(&self.origin) {
            CheckpointFlavor::RekorV1
        } else {
            CheckpointFlavor::C2sp
        }
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// Sign the checkpoint text, giving a signed note.
    pub fn sign(&self, signers: &[&dyn NoteSigner]) -> Result<Note, NoteError> {
        Note::sign(self.to_text(), signers)
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.origin)?;
        writeln!(f, "{}", self.size)?;
        writeln!(f, "{}", BASE64.encode(self.root_hash))?;
        for line in &self.extensions {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

fn check_field(value: &str, field: &'static str) -> Result<(), CheckpointError> {
    if value.contains('\n') {
        return Err(CheckpointError::NewlineInField { field });
    }
    if let Some(offset) = value.bytes().position(|b| b < 0x20) {
        return Err(CheckpointError::ControlCharacter {
            offset,
            byte: value.as_bytes()[offset],
        });
    }
    Ok(())
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() {
        return Err(CheckpointError::EmptyOrigin);
    }
    if origin.trim() != origin {
        return Err(CheckpointError::OriginWhitespace {
            origin: origin.to_owned(),
        });
    }
    Ok(())
}

fn parse_tree_size(line: &str) -> Result<u64, CheckpointError> {
    let problem = if line.is_empty() {
        TreeSizeProblem::Empty
    } else if !line.bytes().all(|b| b.is_ascii_digit()) {
        TreeSizeProblem::NotDecimal
    } else if line.len() > 1 && line.starts_with('0') {
        TreeSizeProblem::LeadingZero
    } else {
        // All ASCII digits, so the only possible failure is overflow.
        return line
            .parse::<u64>()
            .map_err(|_| CheckpointError::InvalidTreeSize {
                found: line.to_owned(),
                problem: TreeSizeProblem::Overflow,
            });
    };
    Err(CheckpointError::InvalidTreeSize {
        found: line.to_owned(),
        problem,
    })
}

fn parse_root_hash(line: &str) -> Result<[u8; 32], CheckpointError> {
    let bytes = BASE64
        .decode(line)
        .map_err(|_| CheckpointError::RootHashBase64 {
            found: line.to_owned(),
        })?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| CheckpointError::RootHashLength { len: bytes.len() })
}

/// A checkpoint whose note verified against at least one known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: VerifiedNote,
}

impl SignedCheckpoint {
    /// Parse a signed checkpoint, verify its note with [`Note::verify`] (unknown signature
    /// lines such as witness cosignatures are tolerated), then parse the verified text. Extra
    /// extension lines are accepted.
    pub fn verify(input: &[u8], verifiers: &[&dyn NoteVerifier]) -> Result<Self, CheckpointError> {
        SignedCheckpoint::verify_with_limits(input, verifiers, &NoteLimits::default())
    }

    /// [`SignedCheckpoint::verify`] with explicit parsing limits.
    pub fn verify_with_limits(
        input: &[u8],
        verifiers: &[&dyn NoteVerifier],
        limits: &NoteLimits,
    ) -> Result<Self, CheckpointError> {
        let note = Note::parse_with_limits(input, limits)?.into_verified(verifiers)?;
        SignedCheckpoint::from_verified_note(note)
    }

    /// Parse the text of an already verified note as a checkpoint.
    pub fn from_verified_note(note: VerifiedNote) -> Result<Self, CheckpointError> {
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Fail unless the origin is exactly `expected` (sigstore-go requires the origin to equal
    /// the host name of the log's base URL for Rekor v2).
    pub fn require_origin(&self, expected: &str) -> Result<(), CheckpointError> {
        if self.checkpoint.origin == expected {
            Ok(())
        } else {
            Err(CheckpointError::OriginMismatch {
                expected: expected.to_owned(),
                found: self.checkpoint.origin.clone(),
            })
        }
    }

    /// The parsed checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The verified note (all signature lines, and which of them verified).
    pub fn note(&self) -> &VerifiedNote {
        &self.note
    }
}
