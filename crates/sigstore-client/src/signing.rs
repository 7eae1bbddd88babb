//! Signing into Sigstore bundles: keyless (ephemeral P-256 key, Fulcio certificate) or with a
//! managed key; artifacts as `hashedrekord` 0.0.1 entries, in-toto statements as DSSE envelopes
//! in `dsse` 0.0.1 entries; an RFC 3161 time-stamp when a TSA is configured; a v0.3 bundle.
//!
//! When a trusted root is given, the finished bundle is verified offline against it before it is
//! returned (as cosign does), so a misbehaving server never yields a "successful" bundle.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};
use sigstore_bundle::{
    Bundle, Content, DsseEnvelope, DsseSignature, HashAlgorithm, HashOutput, MessageSignature,
    SignerMaterial, TransparencyLogEntry,
};
use thiserror::Error;

use crate::fulcio::{FulcioClient, FulcioError};
use crate::http::HttpError;
use crate::rekor::{RekorClient, RekorError};
use crate::targets::SigningTargets;
use crate::timestamp::{TimestampError, TsaClient};
use crate::token::{IdentityToken, TokenError};

/// The DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = sigstore_bundle::IN_TOTO_PAYLOAD_TYPE;
/// The in-toto statement type written by [`in_toto_statement`].
pub const IN_TOTO_STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// Who signs.
#[derive(Debug, Clone)]
pub enum Credential {
    /// Keyless: an OIDC identity token for Fulcio; the key is ephemeral.
    Keyless(IdentityToken),
    /// A managed key (no Fulcio; the verifier is given the public key out of band).
    Key(Arc<dyn keys::Signer>),
}

/// Why signing failed. Nothing was written, but entries may already be in the log.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignError {
    /// The identity token is unusable.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A URL is unusable.
    #[error(transparent)]
    Url(#[from] HttpError),
    /// Fulcio failed.
    #[error(transparent)]
    Fulcio(#[from] FulcioError),
    /// Rekor failed.
    #[error(transparent)]
    Rekor(#[from] RekorError),
    /// The TSA failed.
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    /// Keyless signing needs a Fulcio URL.
    #[error("keyless signing needs a Fulcio URL (--fulcio-url or a trust config with caUrls)")]
    NoFulcio,
    /// The ephemeral key could not be made.
    #[error("generating the ephemeral key")]
    KeyGeneration(#[from] keys::KeyError),
    /// The key cannot make this kind of signature.
    #[error("{0}")]
    UnsupportedKey(&'static str),
    /// The signer failed.
    #[error("signing")]
    Signing(#[from] keys::SignError),
    /// The signature just made does not verify with the signer's own key.
    #[error("the signer produced a signature that does not verify with its own public key")]
    SelfCheck,
    /// Rekor's answer cannot go into a bundle.
    #[error("Rekor's entry cannot go into a bundle")]
    Bundle(#[from] sigstore_bundle::BundleError),
    /// The finished bundle does not verify against the trusted root.
    #[error(transparent)]
    Verification(#[from] crate::self_check::SelfCheckError),
    /// The statement is not JSON.
    #[error("the in-toto statement is not JSON: {0}")]
    Statement(String),
}

/// Signs artifacts and statements against one set of services.
#[derive(Debug, Clone)]
pub struct BundleSigner {
    targets: SigningTargets,
    trusted_root: Option<trust_root::TrustedRoot>,
}

/// What [`BundleSigner`] hands the self-check: the bundle and what it signs.
pub enum SignedSubject<'a> {
    /// The artifact bytes of a message signature.
    Artifact(&'a [u8]),
    /// A DSSE envelope (the payload is inside the bundle).
    Dsse,
}

impl BundleSigner {
    /// A signer for `targets`. With a trusted root, every bundle is verified before it is
    /// returned.
    pub fn new(
        targets: SigningTargets,
        trusted_root: Option<trust_root::TrustedRoot>,
    ) -> BundleSigner {
        BundleSigner {
            targets,
            trusted_root,
        }
    }

    /// The services in use.
    pub fn targets(&self) -> &SigningTargets {
        &self.targets
    }

    /// Sign `artifact`: a message signature in a `hashedrekord` 0.0.1 entry.
    pub async fn sign_artifact(
        &self,
        credential: &Credential,
        artifact: &[u8],
    ) -> Result<Bundle, SignError> {
        let identity = self.identity(credential).await?;
        let signer = identity.signer.as_ref();
        let hash = artifact_hash(signer.public_key())?;
        let digest = hash.digest(artifact);
        let signature = signer.sign(artifact)?;
        signer
            .public_key()
            .verify(artifact, &signature)
            .map_err(|_| SignError::SelfCheck)?;
        let timestamps = self.timestamps(&signature).await?;
        let proposal = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": hash.rekor_name(), "value": hex::encode(&digest)}},
                "signature": {
                    "content": STANDARD.encode(&signature),
                    "publicKey": {"content": STANDARD.encode(identity.verifier_pem.as_bytes())},
                },
            },
        });
        let tlog_entry = self.log(&proposal).await?;
        let bundle = Bundle::new_v0_3(
            identity.material,
            Content::MessageSignature(MessageSignature {
                message_digest: Some(HashOutput {
                    algorithm: hash.bundle_algorithm(),
                    digest,
                }),
                signature,
            }),
            vec![tlog_entry],
            timestamps,
        );
        self.self_verify(
            &bundle,
            credential,
            &identity.public_key,
            SignedSubject::Artifact(artifact),
        )?;
        Ok(bundle)
    }

    /// Sign an in-toto `statement` (JSON bytes) into a DSSE envelope in a `dsse` 0.0.1 entry.
    pub async fn attest(
        &self,
        credential: &Credential,
        statement: &[u8],
    ) -> Result<Bundle, SignError> {
        serde_json::from_slice::<Value>(statement)
            .map_err(|e| SignError::Statement(e.to_string()))?;
        let identity = self.identity(credential).await?;
        let signer = identity.signer.as_ref();
        let pae = sigstore_bundle::dsse_pae(IN_TOTO_PAYLOAD_TYPE, statement);
        let signature = signer.sign(&pae)?;
        signer
            .public_key()
            .verify(&pae, &signature)
            .map_err(|_| SignError::SelfCheck)?;
        let timestamps = self.timestamps(&signature).await?;
        let envelope_json = json!({
            "payload": STANDARD.encode(statement),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": STANDARD.encode(&signature)}],
        })
        .to_string();
        let proposal = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {"proposedContent": {
                "envelope": envelope_json,
                "verifiers": [STANDARD.encode(identity.verifier_pem.as_bytes())],
            }},
        });
        let tlog_entry = self.log(&proposal).await?;
        let bundle = Bundle::new_v0_3(
            identity.material,
            Content::DsseEnvelope(DsseEnvelope {
                payload: statement.to_vec(),
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
                signatures: vec![DsseSignature {
                    sig: signature,
                    keyid: String::new(),
                }],
            }),
            vec![tlog_entry],
            timestamps,
        );
        self.self_verify(
            &bundle,
            credential,
            &identity.public_key,
            SignedSubject::Dsse,
        )?;
        Ok(bundle)
    }

    /// The signing key and what the bundle and the log entry say about it.
    async fn identity(&self, credential: &Credential) -> Result<Identity, SignError> {
        match credential {
            Credential::Key(signer) => {
                let public_key = signer.public_key().clone();
                Ok(Identity {
                    signer: signer.clone(),
                    verifier_pem: public_key.to_pem(),
                    material: SignerMaterial::PublicKey {
                        hint: STANDARD.encode(public_key.spki_sha256()),
                    },
                    public_key,
                })
            }
            Credential::Keyless(token) => {
                token.check_not_expired(unix_now())?;
                let fulcio_url = self
                    .targets
                    .fulcio_url
                    .as_deref()
                    .ok_or(SignError::NoFulcio)?;
                let fulcio = FulcioClient::new(fulcio_url)?;
                let signer: Arc<dyn keys::Signer> = Arc::new(keys::SoftwareSigner::generate(
                    keys::SigningAlgorithm::EcdsaP256Sha256,
                )?);
                let certificate = fulcio.request_certificate(token, signer.as_ref()).await?;
                Ok(Identity {
                    public_key: signer.public_key().clone(),
                    verifier_pem: certificate.leaf_pem(),
                    material: SignerMaterial::Certificate(certificate.leaf_der().to_vec()),
                    signer,
                })
            }
        }
    }

    async fn timestamps(&self, signature: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
        match &self.targets.tsa_url {
            None => Ok(Vec::new()),
            Some(url) => Ok(vec![TsaClient::new(url)?.timestamp(signature).await?]),
        }
    }

    async fn log(&self, proposal: &Value) -> Result<TransparencyLogEntry, SignError> {
        let rekor = RekorClient::new(&self.targets.rekor_url)?;
        let entry = rekor.create_entry(proposal).await?;
        Ok(TransparencyLogEntry::from_rekor_v1_response(&entry)?)
    }

    fn self_verify(
        &self,
        bundle: &Bundle,
        credential: &Credential,
        public_key: &keys::PublicKey,
        subject: SignedSubject<'_>,
    ) -> Result<(), SignError> {
        let Some(root) = &self.trusted_root else {
            return Ok(());
        };
        Ok(crate::self_check::verify_new_bundle(
            root, bundle, credential, public_key, subject,
        )?)
    }
}

/// The signing key of one operation.
struct Identity {
    signer: Arc<dyn keys::Signer>,
    public_key: keys::PublicKey,
    /// PEM of the certificate or public key, for the log entry.
    verifier_pem: String,
    material: SignerMaterial,
}

/// The digest that goes with a key's signature scheme in a `hashedrekord` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArtifactHash {
    Sha256,
    Sha384,
    Sha512,
}

impl ArtifactHash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ArtifactHash::Sha256 => Sha256::digest(data).to_vec(),
            ArtifactHash::Sha384 => Sha384::digest(data).to_vec(),
            ArtifactHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn rekor_name(self) -> &'static str {
        match self {
            ArtifactHash::Sha256 => "sha256",
            ArtifactHash::Sha384 => "sha384",
            ArtifactHash::Sha512 => "sha512",
        }
    }

    fn bundle_algorithm(self) -> HashAlgorithm {
        match self {
            ArtifactHash::Sha256 => HashAlgorithm::Sha2_256,
            ArtifactHash::Sha384 => HashAlgorithm::Sha2_384,
            ArtifactHash::Sha512 => HashAlgorithm::Sha2_512,
        }
    }
}

/// The artifact digest a key's default signature scheme hashes with.
fn artifact_hash(key: &keys::PublicKey) -> Result<ArtifactHash, SignError> {
    match key.default_scheme().hash_algorithm() {
        Some(keys::HashAlgorithm::Sha256) => Ok(ArtifactHash::Sha256),
        Some(keys::HashAlgorithm::Sha384) => Ok(ArtifactHash::Sha384),
        Some(keys::HashAlgorithm::Sha512) => Ok(ArtifactHash::Sha512),
        None => Err(SignError::UnsupportedKey(
            "Ed25519 keys cannot sign artifacts into hashedrekord entries (Rekor verifies \
             Ed25519ph there); use an ECDSA key, or `cairn attest`",
        )),
    }
}

/// An in-toto v1 statement about one subject (name and SHA-256 digest).
pub fn in_toto_statement(
    subject_name: &str,
    subject_sha256: &[u8; 32],
    predicate_type: &str,
    predicate: Value,
) -> Vec<u8> {
    json!({
        "_type": IN_TOTO_STATEMENT_V1,
        "subject": [{"name": subject_name, "digest": {"sha256": hex::encode(subject_sha256)}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
    .to_string()
    .into_bytes()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
