//! Note verifiers and signers over `keys` public keys and signers.

use std::sync::Arc;

use crate::error::NoteError;
use crate::key_id::KeyIdRule;
use crate::note::{KeyName, NoteSigner, NoteVerifier};

/// Verifies note signatures by one log key (Ed25519 or ECDSA P-256) under a chosen
/// [`KeyIdRule`].
///
/// Ed25519 signatures are pure Ed25519 over the note text; ECDSA signatures are ASN.1 DER
/// ECDSA over SHA-256 of the note text.
#[derive(Debug, Clone)]
pub struct NoteKeyVerifier {
    name: KeyName,
    key_id: u32,
    key_hash: [u8; 32],
    public_key: keys::PublicKey,
    rule: KeyIdRule,
}

impl NoteKeyVerifier {
    /// A verifier for signature lines named `name` by `public_key`, with the key ID the rule
    /// gives.
    pub fn new(
        name: impl Into<String>,
        public_key: keys::PublicKey,
        rule: KeyIdRule,
    ) -> Result<Self, NoteError> {
        let name = KeyName::new(name)?;
        rule.check_supported(public_key.kind())?;
        let key_hash = rule.key_hash(&name, &public_key);
        Ok(NoteKeyVerifier {
            key_id: u32::from_be_bytes([key_hash[0], key_hash[1], key_hash[2], key_hash[3]]),
            key_hash,
            name,
            public_key,
            rule,
        })
    }

    /// The full key hash (Rekor's log ID) from which the key ID is cut.
    pub fn key_hash(&self) -> [u8; 32] {
        self.key_hash
    }

    /// The public key.
    pub fn public_key(&self) -> &keys::PublicKey {
        &self.public_key
    }

    /// The key-ID rule in use.
    pub fn rule(&self) -> KeyIdRule {
        self.rule
    }

    /// The key name.
    pub fn key_name(&self) -> &KeyName {
        &self.name
    }
}

impl NoteVerifier for NoteKeyVerifier {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        self.public_key.verify(msg, signature).is_ok()
    }
}

/// Signs notes with one log key (Ed25519 or ECDSA P-256) under a chosen [`KeyIdRule`].
#[derive(Debug, Clone)]
pub struct NoteKeySigner {
    name: KeyName,
    key_id: u32,
    key_hash: [u8; 32],
    signer: Arc<dyn keys::Signer>,
    rule: KeyIdRule,
}

impl NoteKeySigner {
    /// A signer that writes signature lines named `name`, with the key ID the rule gives.
    pub fn new(
        name: impl Into<String>,
        signer: Arc<dyn keys::Signer>,
        rule: KeyIdRule,
    ) -> Result<Self, NoteError> {
        let name = KeyName::new(name)?;
        let public_key = signer.public_key();
        rule.check_supported(public_key.kind())?;
        let key_hash = rule.key_hash(&name, public_key);
        Ok(NoteKeySigner {
            key_id: u32::from_be_bytes([key_hash[0], key_hash[1], key_hash[2], key_hash[3]]),
            key_hash,
            name,
            signer,
            rule,
        })
    }

    /// A verifier for this signer's signatures.
    pub fn verifier(&self) -> NoteKeyVerifier {
        NoteKeyVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key_hash: self.key_hash,
            public_key: self.signer.public_key().clone(),
            rule: self.rule,
        }
    }

    /// The full key hash (Rekor's log ID) from which the key ID is cut.
    pub fn key_hash(&self) -> [u8; 32] {
        self.key_hash
    }

    /// The key-ID rule in use.
    pub fn rule(&self) -> KeyIdRule {
        self.rule
    }

    /// The key name.
    pub fn key_name(&self) -> &KeyName {
        &self.name
    }
}

impl NoteSigner for NoteKeySigner {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, keys::SignError> {
        self.signer.sign(msg)
    }
}
