//! Error types of this crate.

use thiserror::Error;

use crate::key_id::KeyIdRule;

/// Why a key name is not acceptable.
///
/// [signed-note, Format](https://c2sp.org/signed-note#format): "Key names MUST be non-empty and
/// MUST NOT contain any Unicode spaces or plus (U+002B) characters."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyNameProblem {
    /// The name is empty.
    Empty,
    /// The name contains a Unicode white-space character.
    Whitespace,
    /// The name contains `+` (which separates the fields of a verifier key).
    Plus,
    /// The name contains an ASCII control character (below U+0020).
    ControlCharacter,
}

impl std::fmt::Display for KeyNameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyNameProblem::Empty => "it is empty",
            KeyNameProblem::Whitespace => "it contains white space",
            KeyNameProblem::Plus => "it contains '+'",
            KeyNameProblem::ControlCharacter => "it contains a control character",
        })
    }
}

/// Why a signed note could not be parsed, built, signed or verified.
///
/// Line numbers are 1-based and count every line of the note, text included.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The input is larger than [`crate::NoteLimits::max_note_bytes`]; nothing was parsed.
    #[error("note is {len} bytes, more than the limit of {limit}")]
    NoteTooLarge {
        /// Size of the input.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The input is not valid UTF-8.
    #[error("note is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// An ASCII control character other than newline (for example `\r` or `\t`).
    #[error("note contains control character {byte:#04x} at offset {offset}")]
    ControlCharacter {
        /// Byte offset of the character.
        offset: usize,
        /// The character's value.
        byte: u8,
    },
    /// No blank line separates the text from a signature block.
    #[error("note has no blank line before a signature block")]
    MissingBlankLine,
    /// The blank line is the end of the input: there are no signature lines after it.
    #[error("note has an empty signature block")]
    EmptySignatureBlock,
    /// The input does not end with a newline (trailing data after the last full line).
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    /// A signature line does not start with U+2014 EM DASH followed by a space.
    #[error("line {line}: signature line does not start with an em dash (U+2014) and a space")]
    MissingEmDash {
        /// Line number.
        line: usize,
    },
    /// A signature line has a key name but no space and signature after it.
    #[error("line {line}: signature line has no signature after the key name")]
    MissingSignature {
        /// Line number.
        line: usize,
    },
    /// The key name on a signature line is not a valid key name.
    #[error("line {line}: invalid key name {name:?}: {problem}")]
    InvalidSignatureName {
        /// Line number.
        line: usize,
        /// The name found.
        name: String,
        /// What is wrong with it.
        problem: KeyNameProblem,
    },
    /// The signature on a signature line is not canonical standard base64 with padding.
    #[error("line {line}: signature is not valid standard base64")]
    InvalidBase64 {
        /// Line number.
        line: usize,
    },
    /// The decoded signature is shorter than a 4-byte key ID plus at least one signature byte.
    #[error("line {line}: signature is {len} bytes, need at least 5 (key ID and signature)")]
    SignatureTooShort {
        /// Line number.
        line: usize,
        /// Decoded length.
        len: usize,
    },
    /// More signature lines than [`crate::NoteLimits::max_signatures`].
    #[error("note has {count} signature lines, more than the limit of {limit}")]
    TooManySignatures {
        /// Number of signature lines found.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A key name given to a constructor is not valid.
    #[error("invalid key name {name:?}: {problem}")]
    InvalidKeyName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        problem: KeyNameProblem,
    },
    /// Note text to be signed is empty.
    #[error("note text is empty")]
    EmptyText,
    /// Note text to be signed does not end with a newline.
    #[error("note text does not end with a newline")]
    TextMissingFinalNewline,
    /// A note must carry at least one signature (and signing needs at least one signer).
    #[error("a note needs at least one signature")]
    NoSignatures,
    /// A signature with no bytes after the key ID.
    #[error("signature by {name}+{key_id:08x} is empty")]
    EmptySignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A signature line from a known key (name and key ID match a verifier) does not verify.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// More than one verifier has the same name and key ID, so a signature cannot be attributed.
    #[error("ambiguous verifiers: more than one key {name}+{key_id:08x}")]
    AmbiguousVerifier {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// No signature line comes from a known key, so nothing could be verified.
    #[error("no signature from a known key (signatures seen: {})", fmt_keys(.unknown))]
    NoVerifiedSignature {
        /// The (name, key ID) of every signature line in the note.
        unknown: Vec<(String, u32)>,
    },
    /// The key's type cannot be used for note signatures under this key-ID rule.
    #[error("{kind:?} keys are not supported for note signatures with the {rule:?} key-ID rule")]
    UnsupportedKey {
        /// The key's kind.
        kind: keys::KeyKind,
        /// The rule asked for.
        rule: KeyIdRule,
    },
    /// A cosignature timestamp above 2^63 - 1, which tlog-cosignature forbids.
    #[error("cosignature timestamp {timestamp} exceeds 2^63 - 1")]
    CosignatureTimestampTooLarge {
        /// The timestamp given.
        timestamp: u64,
    },
    /// A signer failed.
    #[error("signing with key {name}+{key_id:08x} failed")]
    Signing {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
        /// The signer's error.
        #[source]
        source: keys::SignError,
    },
}

fn fmt_keys(keys: &[(String, u32)]) -> String {
    if keys.is_empty() {
        return "none".to_owned();
    }
    keys.iter()
        .map(|(name, id)| format!("{name}+{id:08x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a verifier key (`<name>+<hex key ID>+<base64 key>`) could not be parsed or built.
///
/// [signed-note, verifier keys](https://c2sp.org/signed-note#verifier-keys).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VerifierKeyError {
    /// The string does not have the three `+`-separated fields.
    #[error("verifier key does not have the form <name>+<key id>+<key>")]
    MissingField,
    /// The name field is not a valid key name.
    #[error("invalid verifier key name {name:?}: {problem}")]
    InvalidName {
        /// The name found.
        name: String,
        /// What is wrong with it.
        problem: KeyNameProblem,
    },
    /// The key ID field is not exactly 8 hexadecimal digits.
    #[error("verifier key ID {found:?} is not 8 hex digits")]
    InvalidKeyId {
        /// The field found.
        found: String,
    },
    /// The key field is not standard base64.
    #[error("verifier key material is not valid standard base64")]
    InvalidBase64,
    /// The key field decodes to nothing.
    #[error("verifier key material is empty")]
    EmptyKey,
    /// The signature type byte is not one this crate verifies.
    #[error("unsupported verifier key signature type {0:#04x}")]
    UnsupportedType(u8),
    /// The public key has the wrong length for its type.
    #[error("verifier public key is {len} bytes, expected {expected}")]
    KeyLength {
        /// Length found.
        len: usize,
        /// Length required by the type.
        expected: usize,
    },
    /// The key ID does not match the hash of the name and key.
    #[error("verifier key ID {found:08x} does not match the computed {computed:08x}")]
    KeyIdMismatch {
        /// Key ID in the string.
        found: u32,
        /// Key ID computed from name and key.
        computed: u32,
    },
    /// The key material was rejected by the crypto backend.
    #[error("verifier public key rejected")]
    Key(#[source] keys::KeyError),
    /// A public key of the wrong kind was given (these keys are Ed25519).
    #[error("{0:?} key given where an Ed25519 key is required")]
    NotEd25519(keys::KeyKind),
}
