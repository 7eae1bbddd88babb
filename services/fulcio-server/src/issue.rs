//! Issuing one code-signing certificate, in Fulcio's order: authenticate the token, establish
//! the key (CSR self-signature, or public key plus proof of possession), check its strength,
//! then precertificate → SCT → final certificate.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ct_types::SignedEntry;
use keys::PublicKey;
use oidc_discovery::VerifyTokenError;
use pki::{CsrError, KeyStrengthError, LeafRequest, PreparedLeaf, SigstoreExtension};

use crate::ct::CtSubmitError;
use crate::error::{FulcioError, GrpcCode, messages};
use crate::state::FulcioState;

/// Where the key to certify comes from.
#[derive(Debug)]
pub(crate) enum KeySource {
    /// A PKCS#10 CSR (PEM or DER bytes).
    Csr(Vec<u8>),
    /// A public key (PEM, or DER as a string) and a signature over the identity.
    PublicKey {
        content: Option<String>,
        proof: Option<Vec<u8>>,
    },
}

impl FulcioState {
    /// Issue a certificate and return the chain as trimmed PEM strings: leaf, issuing
    /// certificate, …, root.
    pub(crate) async fn issue(
        &self,
        token: &str,
        key: KeySource,
    ) -> Result<Vec<String>, FulcioError> {
        let started = Instant::now();
        let result = self.issue_inner(token, key).await;
        let metrics = &self.0.metrics;
        match &result {
            Ok((_, issuer_type)) => {
                metrics.issued(issuer_type);
                metrics
                    .issue_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
            Err((_, reason)) => metrics.rejected(reason),
        }
        result.map(|(chain, _)| chain).map_err(|(e, _)| e)
    }

    async fn issue_inner(
        &self,
        token: &str,
        key: KeySource,
    ) -> Result<(Vec<String>, &'static str), (FulcioError, &'static str)> {
        let inner = &*self.0;
        let verified = inner.verifier.verify(token).await.map_err(|e| {
            let reason = match &e {
                VerifyTokenError::UnknownIssuer { .. } => "unknown_issuer",
                VerifyTokenError::InvalidToken(_) => "invalid_token",
                VerifyTokenError::IdentityRejected(_) => "identity_rejected",
                VerifyTokenError::IdpUnavailable(_) => "idp_unavailable",
                _ => "invalid_token",
            };
            let error = match &e {
                VerifyTokenError::IdpUnavailable(_) => {
                    FulcioError::new(GrpcCode::Unavailable, messages::IDP_UNAVAILABLE, &e)
                }
                _ => FulcioError::invalid(messages::INVALID_IDENTITY_TOKEN, &e),
            };
            (error, reason)
        })?;
        let principal = &verified.principal;

        let public_key = match key {
            KeySource::Csr(bytes) => match pki::verify_csr(&bytes) {
                Ok(csr) => csr.public_key,
                Err(CsrError::Key(e)) => {
                    return Err((insecure(&e), "insecure_key"));
                }
                Err(e @ (CsrError::BadSignature | CsrError::UnsupportedSignatureAlgorithm(_))) => {
                    return Err((
                        FulcioError::invalid(messages::INVALID_SIGNATURE, e),
                        "bad_signature",
                    ));
                }
                Err(e) => {
                    return Err((FulcioError::invalid(messages::INVALID_CSR, e), "bad_csr"));
                }
            },
            KeySource::PublicKey { content, proof } => {
                let key =
                    parse_public_key(content.as_deref().unwrap_or_default()).map_err(|e| {
                        let reason = if e.message == messages::INSECURE_PUBLIC_KEY {
                            "insecure_key"
                        } else {
                            "bad_public_key"
                        };
                        (e, reason)
                    })?;
                let proof = proof.unwrap_or_default();
                let proven = principal
                    .challenges
                    .iter()
                    .any(|challenge| key.verify(challenge.as_bytes(), &proof).is_ok());
                if !proven {
                    return Err((
                        FulcioError::invalid(
                            messages::INVALID_SIGNATURE,
                            "proof of possession does not verify over the identity",
                        ),
                        "bad_proof_of_possession",
                    ));
                }
                key
            }
        };

        let chain = self
            .certify(public_key, principal)
            .await
            .map_err(|e| (e, "ca_failure"))?;
        Ok((chain, verified.issuer.issuer_type().name()))
    }

    /// Precertificate → SCT → final certificate.
    async fn certify(
        &self,
        public_key: PublicKey,
        principal: &oidc::Principal,
    ) -> Result<Vec<String>, FulcioError> {
        let inner = &*self.0;
        let ca = &inner.ca;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let request = LeafRequest {
            public_key,
            san: match &principal.san {
                oidc::SubjectAltName::Email(v) => pki::SubjectAltName::Email(v.clone()),
                oidc::SubjectAltName::Uri(v) => pki::SubjectAltName::Uri(v.clone()),
                oidc::SubjectAltName::Username(v) => pki::SubjectAltName::Username(v.clone()),
            },
            extensions: principal
                .extensions
                .iter()
                .map(|(extension, value)| SigstoreExtension::new(extension.arc(), value.clone()))
                .collect(),
            not_before_unix: now,
            validity_secs: inner.options.validity_secs,
        };
        let prepared = PreparedLeaf::new(&request, &ca.issuer).map_err(|e| match e {
            // The identity does not fit a certificate (for example a non-ASCII e-mail).
            pki::CertBuildError::InvalidSubjectAltName(_)
            | pki::CertBuildError::ExtensionValueTooLong { .. } => {
                FulcioError::invalid(messages::INVALID_IDENTITY_TOKEN, e)
            }
            other => FulcioError::new(GrpcCode::Internal, messages::CA_FAILED, other),
        })?;
        let signer = &*ca.signer;
        let precert = prepared
            .precertificate(signer)
            .map_err(|e| FulcioError::new(GrpcCode::Internal, messages::CA_FAILED, e))?;
        let mut ct_chain = Vec::with_capacity(ca.chain.len() + 1);
        ct_chain.push(precert);
        ct_chain.extend(ca.chain.der_certificates().iter().cloned());
        let sct = inner.ct.add_pre_chain(&ct_chain).await.map_err(|e| {
            let code = match e {
                CtSubmitError::Unavailable(_) => GrpcCode::Unavailable,
                _ => GrpcCode::Internal,
            };
            FulcioError::new(code, messages::CT_FAILED, e)
        })?;
        if let Some(ct_key) = &inner.ct_key {
            let entry = SignedEntry::Precert {
                // RFC 6962 issuer_key_hash: SHA-256 of the issuer's DER SPKI.
                issuer_key_hash: ca.issuer.public_key().spki_sha256(),
                tbs_certificate: prepared.ct_tbs(),
            };
            ct_types::verify_sct(&sct, ct_key, &entry).map_err(|e| {
                FulcioError::new(
                    GrpcCode::Internal,
                    messages::CT_FAILED,
                    format!("the CT log's SCT does not verify: {e}"),
                )
            })?;
        }
        let sct_list = ct_types::encode_sct_list(std::slice::from_ref(&sct))
            .map_err(|e| FulcioError::new(GrpcCode::Internal, messages::CT_FAILED, e))?;
        let final_der = prepared
            .finalize(signer, &sct_list)
            .map_err(|e| FulcioError::new(GrpcCode::Internal, messages::CA_FAILED, e))?;
        let mut chain = Vec::with_capacity(ca.chain_pem.len() + 1);
        chain.push(pki::pem_string(&final_der).trim_end().to_owned());
        chain.extend(ca.chain_pem.iter().cloned());
        Ok(chain)
    }
}

fn insecure(e: &KeyStrengthError) -> FulcioError {
    FulcioError::invalid(messages::INSECURE_PUBLIC_KEY, e)
}

/// `publicKey.content`: PEM `PUBLIC KEY` first, then DER bytes carried as a string (Fulcio's
/// `challenges.ParsePublicKey`), then the key policy (Fulcio's `ValidatePubKey`): a key that
/// parses but is too weak or of a kind Cairn cannot verify is "insecure", not "unparseable".
fn parse_public_key(content: &str) -> Result<PublicKey, FulcioError> {
    if content.is_empty() {
        return Err(FulcioError::invalid(
            messages::INVALID_PUBLIC_KEY,
            "no public key in the request",
        ));
    }
    if content.len() > pki::MAX_SPKI_LEN * 2 {
        return Err(FulcioError::invalid(
            messages::INVALID_PUBLIC_KEY,
            "public key too large",
        ));
    }
    let der = match pem_rfc7468::decode_vec(content.trim().as_bytes()) {
        Ok(("PUBLIC KEY", der)) => der,
        Ok((label, _)) => {
            return Err(FulcioError::invalid(
                messages::INVALID_PUBLIC_KEY,
                format!("unexpected PEM label {label:?}"),
            ));
        }
        Err(_) => content.as_bytes().to_vec(),
    };
    pki::check_key_strength(&der).map_err(|e| {
        if e.is_insecure() || e.is_unsupported() {
            insecure(&e)
        } else {
            FulcioError::invalid(messages::INVALID_PUBLIC_KEY, e)
        }
    })
}
