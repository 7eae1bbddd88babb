//! Verifier keys in the C2SP text form `<name>+<hex key ID>+<base64(type ‖ public key)>`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::cosignature::verify_cosignature;
use crate::error::VerifierKeyError;
use crate::key_id::{
    SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519, cosignature_key_id, ed25519_key_id,
};
use crate::note::{KeyName, NoteVerifier};

/// The signature types a [`VerifierKey`] can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifierKeyType {
    /// 0x01: plain Ed25519 note signatures ([signed-note](https://c2sp.org/signed-note)).
    Ed25519,
    /// 0x04: timestamped Ed25519 witness cosignatures
    /// ([tlog-cosignature](https://c2sp.org/tlog-cosignature)).
    Ed25519Cosignature,
}

impl VerifierKeyType {
    /// The signature type byte.
    pub fn type_byte(self) -> u8 {
        match self {
            VerifierKeyType::Ed25519 => SIGNATURE_TYPE_ED25519,
            VerifierKeyType::Ed25519Cosignature => SIGNATURE_TYPE_COSIGNATURE_V1,
        }
    }
}

/// An Ed25519 verifier key ("vkey"), parsed from or formatted as
/// `<name>+<8 hex digits key ID>+<base64(type byte ‖ 32-byte key)>`.
///
/// [signed-note, verifier keys](https://c2sp.org/signed-note#verifier-keys). Parsing checks
/// that the key ID is the hash of the name, type and key. A `VerifierKey` is itself a
/// [`NoteVerifier`].
#[derive(Debug, Clone)]
pub struct VerifierKey {
    name: KeyName,
    key_id: u32,
    key_type: VerifierKeyType,
    raw: [u8; 32],
    public_key: keys::PublicKey,
}

impl VerifierKey {
    /// A verifier key for a plain Ed25519 note key.
    pub fn ed25519(name: KeyName, public_key: &keys::PublicKey) -> Result<Self, VerifierKeyError> {
        VerifierKey::from_public_key(name, VerifierKeyType::Ed25519, public_key)
    }

    /// A verifier key for an Ed25519 witness cosigner.
    pub fn cosignature(
        name: KeyName,
        public_key: &keys::PublicKey,
    ) -> Result<Self, VerifierKeyError> {
        VerifierKey::from_public_key(name, VerifierKeyType::Ed25519Cosignature, public_key)
    }

    fn from_public_key(
        name: KeyName,
        key_type: VerifierKeyType,
        public_key: &keys::PublicKey,
    ) -> Result<Self, VerifierKeyError> {
        let raw = public_key
            .ed25519_raw()
            .ok_or(VerifierKeyError::NotEd25519(public_key.kind()))?;
        Ok(VerifierKey {
            key_id: compute_key_id(&name, key_type, &raw),
            name,
            key_type,
            raw,
            public_key: public_key.clone(),
        })
    }

    /// Parse a verifier key string.
    pub fn parse(vkey: &str) -> Result<Self, VerifierKeyError> {
        let mut fields = vkey.splitn(3, '+');
        let (Some(name), Some(hex_id), Some(encoded)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(VerifierKeyError::MissingField);
        };
        let name =
            KeyName::try_from_str(name).map_err(|problem| VerifierKeyError::InvalidName {
                name: name.to_owned(),
                problem,
            })?;
        // Exactly 8 hex digits (either case, as Go's strconv.ParseUint accepts).
        if hex_id.len() != 8 || !hex_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(VerifierKeyError::InvalidKeyId {
                found: hex_id.to_owned(),
            });
        }
        let key_id =
            u32::from_str_radix(hex_id, 16).map_err(|_| VerifierKeyError::InvalidKeyId {
                found: hex_id.to_owned(),
            })?;
        let material = BASE64
            .decode(encoded)
            .map_err(|_| VerifierKeyError::InvalidBase64)?;
        let Some((&type_byte, key)) = material.split_first() else {
            return Err(VerifierKeyError::EmptyKey);
        };
        let key_type = match type_byte {
            SIGNATURE_TYPE_ED25519 => VerifierKeyType::Ed25519,
            SIGNATURE_TYPE_COSIGNATURE_V1 => VerifierKeyType::Ed25519Cosignature,
            other => return Err(VerifierKeyError::UnsupportedType(other)),
        };
        let raw: [u8; 32] = key.try_into().map_err(|_| VerifierKeyError::KeyLength {
            len: key.len(),
            expected: 32,
        })?;
        let computed = compute_key_id(&name, key_type, &raw);
        if computed != key_id {
            return Err(VerifierKeyError::KeyIdMismatch {
                found: key_id,
                computed,
            });
        }
        let public_key = keys::PublicKey::from_ed25519_raw(raw).map_err(VerifierKeyError::Key)?;
        Ok(VerifierKey {
            name,
            key_id,
            key_type,
            raw,
            public_key,
        })
    }

    /// The key name.
    pub fn key_name(&self) -> &KeyName {
        &self.name
    }

    /// The signature type.
    pub fn key_type(&self) -> VerifierKeyType {
        self.key_type
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn ed25519_raw(&self) -> &[u8; 32] {
        &self.raw
    }

    /// The public key.
    pub fn public_key(&self) -> &keys::PublicKey {
        &self.public_key
    }
}

fn compute_key_id(name: &KeyName, key_type: VerifierKeyType, raw: &[u8; 32]) -> u32 {
    match key_type {
        VerifierKeyType::Ed25519 => ed25519_key_id(name, raw),
        VerifierKeyType::Ed25519Cosignature => cosignature_key_id(name, raw),
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.key_type.type_byte());
        material.extend_from_slice(&self.raw);
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(material)
        )
    }
}

impl FromStr for VerifierKey {
    type Err = VerifierKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifierKey::parse(s)
    }
}

impl NoteVerifier for VerifierKey {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        match self.key_type {
            VerifierKeyType::Ed25519 => self.public_key.verify(msg, signature).is_ok(),
            VerifierKeyType::Ed25519Cosignature => {
                verify_cosignature(&self.public_key, msg, signature)
            }
        }
    }
}
