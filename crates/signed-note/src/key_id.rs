//! Key IDs: the 4-byte big-endian value that prefixes every note signature.

use sha2::{Digest, Sha256};

use crate::KeyName;
use crate::error::NoteError;

/// Signature type byte of plain Ed25519 note signatures ([signed-note, Signature types](https://c2sp.org/signed-note#signature-types)).
pub const SIGNATURE_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of ECDSA note signatures (the key ID does not use it; see [`KeyIdRule::C2sp`]).
pub const SIGNATURE_TYPE_ECDSA: u8 = 0x02;
/// Signature type byte of timestamped Ed25519 witness cosignatures ([tlog-cosignature](https://c2sp.org/tlog-cosignature)).
pub const SIGNATURE_TYPE_COSIGNATURE_V1: u8 = 0x04;
/// Signature type byte for types without an assigned byte; followed by a longer identifier.
pub const SIGNATURE_TYPE_UNDEFINED: u8 = 0xff;
/// The identifier rekor-tiles writes after [`SIGNATURE_TYPE_UNDEFINED`] for RSA keys.
pub const RSA_PKCS1V15_IDENTIFIER: &[u8] = b"PKIX-RSA-PKCS#1v1.5";

/// How the 4-byte key ID of a log key is derived. The two rules give different IDs for the
/// same Ed25519 key, so a verifier must use the rule of the log it talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyIdRule {
    /// C2SP signed-note as implemented by rekor-tiles (`pkg/note/note.go`) and therefore
    /// sigstore-go for Rekor v2:
    ///
    /// | key | full hash (the log ID) |
    /// |---|---|
    /// | Ed25519 | SHA-256(name ‖ `\n` ‖ 0x01 ‖ 32-byte key) |
    /// | ECDSA | SHA-256(SPKI DER), name not included |
    /// | RSA | SHA-256(name ‖ `\n` ‖ 0xFF ‖ `PKIX-RSA-PKCS#1v1.5` ‖ SPKI DER) |
    ///
    /// The key ID is the first 4 bytes, big-endian.
    C2sp,
    /// Rekor v1 (`pkg/util/signed_note.go`): the key hint is the first 4 bytes of SHA-256 of
    /// the DER SPKI, for every key type (so it equals the first 4 bytes of the log ID).
    RekorV1,
}

impl KeyIdRule {
    /// The full 32-byte hash from which the key ID is cut. For Rekor this is the log ID
    /// (`logId.keyId` in bundles and the trusted root).
    pub fn key_hash(self, name: &KeyName, key: &keys::PublicKey) -> [u8; 32] {
        match self {
            KeyIdRule::RekorV1 => key.spki_sha256(),
            KeyIdRule::C2sp => match (key.kind(), key.ed25519_raw()) {
                (keys::KeyKind::Ed25519, Some(raw)) => {
                    name_bound_hash(name.as_str(), &[SIGNATURE_TYPE_ED25519], &raw)
                }
                (keys::KeyKind::Rsa { .. }, _) => name_bound_hash(
                    name.as_str(),
                    &[&[SIGNATURE_TYPE_UNDEFINED][..], RSA_PKCS1V15_IDENTIFIER].concat(),
                    key.spki_der(),
                ),
                _ => key.spki_sha256(),
            },
        }
    }

    /// The 4-byte key ID (first 4 bytes of [`KeyIdRule::key_hash`], big-endian).
    pub fn key_id(self, name: &KeyName, key: &keys::PublicKey) -> u32 {
        key_id_from_hash(&self.key_hash(name, key))
    }

    /// Checks that keys of this kind can make or check note signatures under this rule:
    /// Ed25519 and ECDSA P-256 under both rules. (RSA and P-384 have key IDs under
    /// [`KeyIdRule::C2sp`], but upstream disagrees on their hash and padding, so Cairn does not
    /// verify or make such signatures.)
    pub(crate) fn check_supported(self, kind: keys::KeyKind) -> Result<(), NoteError> {
        match kind {
            keys::KeyKind::Ed25519 | keys::KeyKind::EcdsaP256 => Ok(()),
            kind => Err(NoteError::UnsupportedKey { kind, rule: self }),
        }
    }
}

/// SHA-256(name ‖ 0x0A ‖ type ‖ key), the recommended C2SP key hash.
pub(crate) fn name_bound_hash(name: &str, signature_type: &[u8], key: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update(signature_type);
    hasher.update(key);
    hasher.finalize().into()
}

fn key_id_from_hash(hash: &[u8; 32]) -> u32 {
    u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]])
}

/// Key ID of a plain Ed25519 note key: SHA-256(name ‖ `\n` ‖ 0x01 ‖ key)\[:4\].
pub fn ed25519_key_id(name: &KeyName, public_key: &[u8; 32]) -> u32 {
    key_id_from_hash(&name_bound_hash(
        name.as_str(),
        &[SIGNATURE_TYPE_ED25519],
        public_key,
    ))
}

/// Key ID of an Ed25519 witness cosigner: SHA-256(name ‖ `\n` ‖ 0x04 ‖ key)\[:4\].
pub fn cosignature_key_id(name: &KeyName, public_key: &[u8; 32]) -> u32 {
    key_id_from_hash(&name_bound_hash(
        name.as_str(),
        &[SIGNATURE_TYPE_COSIGNATURE_V1],
        public_key,
    ))
}

/// Rekor v1 key hint: SHA-256(SPKI DER)\[:4\].
pub fn rekor_v1_key_hint(key: &keys::PublicKey) -> u32 {
    key_id_from_hash(&key.spki_sha256())
}
