//! Offline verification of a bundle this client just made, against the trusted root, before it
//! is handed out (as cosign does): a server that answers garbage, certifies another key or
//! logs something else never yields a "successful" bundle.

use sigstore_bundle::Bundle;
use sigstore_verify::{Artifact, Policy, Verifier};
use thiserror::Error;

use crate::signing::{Credential, SignedSubject};

/// Why a new bundle failed its check.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SelfCheckError {
    /// The trusted root cannot be used.
    #[error("the trusted root is unusable")]
    Trust(#[source] sigstore_verify::TrustError),
    /// The bundle does not verify.
    #[error("the new bundle does not verify against the trusted root")]
    Verify(#[source] sigstore_verify::VerifyError),
    /// Fulcio certified another identity than the token's e-mail address.
    #[error("the certificate names {found:?}, not the token's e-mail address {expected:?}")]
    WrongIdentity {
        /// The token's `email`.
        expected: String,
        /// The certificate's identities.
        found: Vec<String>,
    },
}

/// Verify a freshly made bundle against `root`.
///
/// Keyless bundles are verified without an identity policy (the chain, SCT, log entry and
/// signature must all hold), and then, when the token carries an `email` claim, the certificate
/// must name that address. Managed-key bundles are verified with the signer's public key.
pub(crate) fn verify_new_bundle(
    root: &trust_root::TrustedRoot,
    bundle: &Bundle,
    credential: &Credential,
    public_key: &keys::PublicKey,
    subject: SignedSubject<'_>,
) -> Result<(), SelfCheckError> {
    let verifier = Verifier::new(root).map_err(SelfCheckError::Trust)?;
    let policy = match credential {
        Credential::Keyless(_) => Policy::None,
        Credential::Key(_) => Policy::PublicKey(public_key.clone()),
    };
    let verified = match subject {
        SignedSubject::Artifact(bytes) => verifier.verify(bundle, Artifact::Bytes(bytes), &policy),
        SignedSubject::Dsse => verifier.verify_attestation(bundle, &policy),
    }
    .map_err(SelfCheckError::Verify)?;
    if let Credential::Keyless(token) = credential
        && let Some(email) = token.email()
    {
        let identities = verified
            .certificate
            .as_ref()
            .map(|c| c.identities.clone())
            .unwrap_or_default();
        if !identities.iter().any(|i| i == email) {
            return Err(SelfCheckError::WrongIdentity {
                expected: email.to_owned(),
                found: identities,
            });
        }
    }
    Ok(())
}
