//! The signed-note format: parsing, serialization, signing and verification.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{KeyNameProblem, NoteError};

/// The prefix of every signature line: U+2014 EM DASH and a space.
pub const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// Default for [`NoteLimits::max_signatures`]: the 100 of Go's `golang.org/x/mod/sumdb/note`
/// (`Open`), which the spec's "accept at least 16" leaves room for.
pub const DEFAULT_MAX_SIGNATURES: usize = 100;

/// Default for [`NoteLimits::max_note_bytes`]: 1 MiB. Go's note package has no size limit;
/// this bound fits [`DEFAULT_MAX_SIGNATURES`] post-quantum signatures (about 5 kB each, per the
/// spec) with lots of room for text, and stops hostile inputs before any parsing work.
pub const DEFAULT_MAX_NOTE_BYTES: usize = 1 << 20;

/// Bounds applied when parsing untrusted notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteLimits {
    /// Inputs longer than this are rejected before they are looked at.
    pub max_note_bytes: usize,
    /// Notes with more signature lines than this are rejected before any line is decoded.
    pub max_signatures: usize,
}

impl Default for NoteLimits {
    fn default() -> Self {
        NoteLimits {
            max_note_bytes: DEFAULT_MAX_NOTE_BYTES,
            max_signatures: DEFAULT_MAX_SIGNATURES,
        }
    }
}

/// A key name: non-empty, no Unicode white space, no `+`, no control characters.
///
/// [signed-note, Format](https://c2sp.org/signed-note#format). By convention a schema-less URL
/// such as `example.com/log42`; for Rekor logs, the host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyName(String);

impl KeyName {
    /// Validate `name` as a key name.
    pub fn new(name: impl Into<String>) -> Result<Self, NoteError> {
        let name = name.into();
        match key_name_problem(&name) {
            None => Ok(KeyName(name)),
            Some(problem) => Err(NoteError::InvalidKeyName { name, problem }),
        }
    }

    /// Validate a borrowed name, reporting only the problem.
    pub(crate) fn try_from_str(name: &str) -> Result<Self, KeyNameProblem> {
        match key_name_problem(name) {
            None => Ok(KeyName(name.to_owned())),
            Some(problem) => Err(problem),
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for KeyName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for KeyName {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyName::new(s)
    }
}

/// What, if anything, makes `name` an invalid key name.
pub(crate) fn key_name_problem(name: &str) -> Option<KeyNameProblem> {
    if name.is_empty() {
        return Some(KeyNameProblem::Empty);
    }
    for c in name.chars() {
        // Go's unicode.IsSpace and Rust's char::is_whitespace both follow the Unicode
        // White_Space property.
        if c.is_whitespace() {
            return Some(KeyNameProblem::Whitespace);
        }
        if c == '+' {
            return Some(KeyNameProblem::Plus);
        }
        if (c as u32) < 0x20 {
            return Some(KeyNameProblem::ControlCharacter);
        }
    }
    None
}

/// One signature line: key name, key ID, and the signature bytes (without the key ID).
///
/// [signed-note, Signatures](https://c2sp.org/signed-note#signatures):
/// `— <key name> base64(32-bit key ID || signature)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    name: KeyName,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature line. `signature` must not be empty.
    pub fn new(name: KeyName, key_id: u32, signature: Vec<u8>) -> Result<Self, NoteError> {
        if signature.is_empty() {
            return Err(NoteError::EmptySignature {
                name: name.0,
                key_id,
            });
        }
        Ok(NoteSignature {
            name,
            key_id,
            signature,
        })
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key ID (first 4 bytes of the encoded signature, big-endian).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether this line was made by the key with this name and ID.
    pub fn is_from(&self, name: &str, key_id: u32) -> bool {
        self.name.as_str() == name && self.key_id == key_id
    }

    /// The line as it appears in a note, with its final newline.
    pub fn to_line(&self) -> String {
        let mut line = String::new();
        self.write_line(&mut line);
        line
    }

    fn write_line(&self, out: &mut String) {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        out.push_str(SIGNATURE_LINE_PREFIX);
        out.push_str(self.name.as_str());
        out.push(' ');
        BASE64.encode_string(&raw, out);
        out.push('\n');
    }

    /// Parse newline-terminated signature lines on their own, as a witness returns them from
    /// `add-checkpoint` ([tlog-witness](https://c2sp.org/tlog-witness)). Line numbers in errors
    /// count from 1 within `lines`.
    pub fn parse_lines(lines: &str, limits: &NoteLimits) -> Result<Vec<NoteSignature>, NoteError> {
        if lines.len() > limits.max_note_bytes {
            return Err(NoteError::NoteTooLarge {
                len: lines.len(),
                limit: limits.max_note_bytes,
            });
        }
        check_control_characters(lines)?;
        parse_signature_block(lines, 1, limits)
    }
}

/// Reject ASCII control characters other than newline. UTF-8 continuation bytes are all
/// ≥ 0x80, so a byte scan finds exactly the control characters.
fn check_control_characters(s: &str) -> Result<(), NoteError> {
    match s.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter {
            offset,
            byte: s.as_bytes()[offset],
        }),
        None => Ok(()),
    }
}

/// Parse a block of signature lines (each ending in newline, at least one line) whose first
/// line has number `first_line`.
fn parse_signature_block(
    block: &str,
    first_line: usize,
    limits: &NoteLimits,
) -> Result<Vec<NoteSignature>, NoteError> {
    if block.is_empty() {
        return Err(NoteError::EmptySignatureBlock);
    }
    let Some(body) = block.strip_suffix('\n') else {
        return Err(NoteError::MissingFinalNewline);
    };
    let count = block.bytes().filter(|&b| b == b'\n').count();
    if count > limits.max_signatures {
        return Err(NoteError::TooManySignatures {
            count,
            limit: limits.max_signatures,
        });
    }
    body.split('\n')
        .enumerate()
        .map(|(i, line)| parse_signature_line(line, first_line + i))
        .collect()
}

fn parse_signature_line(line: &str, line_no: usize) -> Result<NoteSignature, NoteError> {
    let Some(rest) = line.strip_prefix(SIGNATURE_LINE_PREFIX) else {
        return Err(NoteError::MissingEmDash { line: line_no });
    };
    let (name, encoded) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Some(problem) = key_name_problem(name) {
        return Err(NoteError::InvalidSignatureName {
            line: line_no,
            name: name.to_owned(),
            problem,
        });
    }
    if encoded.is_empty() {
        return Err(NoteError::MissingSignature { line: line_no });
    }
    let raw = BASE64
        .decode(encoded)
        .map_err(|_| NoteError::InvalidBase64 { line: line_no })?;
    if raw.len() < 5 {
        return Err(NoteError::SignatureTooShort {
            line: line_no,
            len: raw.len(),
        });
    }
    let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    Ok(NoteSignature {
        name: KeyName(name.to_owned()),
        key_id,
        signature: raw[4..].to_vec(),
    })
}

/// Check that `text` can be the text of a note: non-empty, ends in newline, no control
/// characters other than newline.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::TextMissingFinalNewline);
    }
    check_control_characters(text)
}

/// Verifies note signatures made by one key, identified by (name, key ID).
///
/// Implemented by [`crate::NoteKeyVerifier`] (any `keys::PublicKey`), [`crate::VerifierKey`]
/// (a C2SP vkey string) and [`crate::CosignatureVerifier`] (witness cosignatures).
pub trait NoteVerifier {
    /// The key name signature lines must carry.
    fn name(&self) -> &str;
    /// The key ID signature lines must carry.
    fn key_id(&self) -> u32;
    /// Whether `signature` (without the key ID) is a valid signature of note text `msg`.
    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool;
}

/// Makes note signatures with one key.
pub trait NoteSigner {
    /// The key name to put on the signature line.
    fn name(&self) -> &str;
    /// The key ID to put on the signature line.
    fn key_id(&self) -> u32;
    /// Sign note text `msg`; the result excludes the key ID.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, keys::SignError>;
}

/// A signed note: text plus one or more signature lines.
///
/// [C2SP signed-note](https://c2sp.org/signed-note). Every `Note` value serializes to a note
/// that parses back to the same value: the text is non-empty, ends in newline, and has no
/// control characters but newline; there is at least one signature.
///
/// Parsing does not check signatures. Use [`Note::verify`] (or [`Note::open`]) before trusting
/// the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// A note from text and existing signatures. The text is checked as described on [`Note`].
    pub fn new(text: impl Into<String>, signatures: Vec<NoteSignature>) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text)?;
        if signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        Ok(Note { text, signatures })
    }

    /// Sign `text` with every signer, in order.
    pub fn sign(text: impl Into<String>, signers: &[&dyn NoteSigner]) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text)?;
        if signers.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let signatures = signers
            .iter()
            .map(|signer| make_signature(&text, *signer))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note { text, signatures })
    }

    /// Add signatures (cosign). A new signature replaces an existing line with the same name
    /// and key ID; other lines are kept, and the new ones are appended after them.
    pub fn add_signatures(&mut self, signers: &[&dyn NoteSigner]) -> Result<(), NoteError> {
        let new = signers
            .iter()
            .map(|signer| make_signature(&self.text, *signer))
            .collect::<Result<Vec<_>, _>>()?;
        for signature in new {
            self.push_signature(signature);
        }
        Ok(())
    }

    /// Add an already-made signature line (for example a cosignature returned by a witness),
    /// replacing any line with the same name and key ID. The signature is not checked.
    pub fn push_signature(&mut self, signature: NoteSignature) {
        self.signatures
            .retain(|old| !old.is_from(signature.name.as_str(), signature.key_id));
        self.signatures.push(signature);
    }

    /// Parse a note with [`NoteLimits::default`].
    pub fn parse(input: &[u8]) -> Result<Self, NoteError> {
        Note::parse_with_limits(input, &NoteLimits::default())
    }

    /// Parse a note. The text is everything up to and including the newline before the last
    /// blank line of the input (the text may itself contain blank lines); every line after
    /// that blank line must be a signature line.
    pub fn parse_with_limits(input: &[u8], limits: &NoteLimits) -> Result<Self, NoteError> {
        if input.len() > limits.max_note_bytes {
            return Err(NoteError::NoteTooLarge {
                len: input.len(),
                limit: limits.max_note_bytes,
            });
        }
        let s = std::str::from_utf8(input).map_err(|e| NoteError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        check_control_characters(s)?;
        let Some(split) = s.rfind("\n\n") else {
            return Err(NoteError::MissingBlankLine);
        };
        let text = &s[..=split];
        let block = &s[split + 2..];
        // Text lines, then the blank line; signature lines start after that.
        let first_signature_line = text.bytes().filter(|&b| b == b'\n').count() + 2;
        let signatures = parse_signature_block(block, first_signature_line, limits)?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parse and verify in one step.
    pub fn open(input: &[u8], verifiers: &[&dyn NoteVerifier]) -> Result<VerifiedNote, NoteError> {
        Note::parse(input)?.into_verified(verifiers)
    }

    /// The note text, including its final newline (the signed message).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Text and signatures.
    pub fn into_parts(self) -> (String, Vec<NoteSignature>) {
        (self.text, self.signatures)
    }

    /// The serialized note.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Verify the signatures against known keys, following the spec:
    ///
    /// * a line whose (name, key ID) matches no verifier is kept as unverified (for example a
    ///   witness cosignature nobody asked about);
    /// * a line that matches exactly one verifier must verify, else
    ///   [`NoteError::InvalidSignature`];
    /// * a line that matches two or more verifiers is [`NoteError::AmbiguousVerifier`];
    /// * at least one line must verify, else [`NoteError::NoVerifiedSignature`].
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> Result<VerifiedNote, NoteError> {
        self.clone().into_verified(verifiers)
    }

    /// [`Note::verify`], consuming the note.
    pub fn into_verified(self, verifiers: &[&dyn NoteVerifier]) -> Result<VerifiedNote, NoteError> {
        let mut verified = Vec::new();
        let mut unverified = Vec::new();
        for (index, signature) in self.signatures.iter().enumerate() {
            let mut matching = verifiers
                .iter()
                .filter(|v| signature.is_from(v.name(), v.key_id()));
            let Some(verifier) = matching.next() else {
                unverified.push(index);
                continue;
            };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousVerifier {
                    name: signature.name.0.clone(),
                    key_id: signature.key_id,
                });
            }
            if !verifier.verify(self.text.as_bytes(), &signature.signature) {
                return Err(NoteError::InvalidSignature {
                    name: signature.name.0.clone(),
                    key_id: signature.key_id,
                });
            }
            let seen = verified.iter().any(|&i: &usize| {
                self.signatures[i].is_from(signature.name.as_str(), signature.key_id)
            });
            if !seen {
                verified.push(index);
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature {
                unknown: self
                    .signatures
                    .iter()
                    .map(|s| (s.name.0.clone(), s.key_id))
                    .collect(),
            });
        }
        Ok(VerifiedNote {
            note: self,
            verified,
            unverified,
        })
    }
}

fn make_signature(text: &str, signer: &dyn NoteSigner) -> Result<NoteSignature, NoteError> {
    let name = KeyName::new(signer.name())?;
    let key_id = signer.key_id();
    let signature = signer
        .sign(text.as_bytes())
        .map_err(|source| NoteError::Signing {
            name: name.0.clone(),
            key_id,
            source,
        })?;
    NoteSignature::new(name, key_id, signature)
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.text.len() + 1 + 100 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for signature in &self.signatures {
            signature.write_line(&mut out);
        }
        f.write_str(&out)
    }
}

/// A note of which at least one signature verified against a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    note: Note,
    /// Indexes of verified lines, one per (name, key ID).
    verified: Vec<usize>,
    /// Indexes of lines from unknown keys.
    unverified: Vec<usize>,
}

impl VerifiedNote {
    /// The verified text.
    pub fn text(&self) -> &str {
        &self.note.text
    }

    /// The whole note, all signature lines included.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The note, all signature lines included.
    pub fn into_note(self) -> Note {
        self.note
    }

    /// Signatures that verified, one per (name, key ID), in note order.
    pub fn verified_signatures(&self) -> impl Iterator<Item = &NoteSignature> {
        self.verified.iter().map(|&i| &self.note.signatures[i])
    }

    /// Signatures from keys no verifier knows, in note order.
    pub fn unverified_signatures(&self) -> impl Iterator<Item = &NoteSignature> {
        self.unverified.iter().map(|&i| &self.note.signatures[i])
    }

    /// Whether a signature by this (name, key ID) verified.
    pub fn is_verified_by(&self, name: &str, key_id: u32) -> bool {
        self.verified_signatures().any(|s| s.is_from(name, key_id))
    }
}
