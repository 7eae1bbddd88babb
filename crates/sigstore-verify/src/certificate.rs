//! The Fulcio leaf certificate: its profile, its chain to a trusted CA at a given time, its
//! identity (SANs and OIDC issuer) and its embedded SCTs.

use der::{Decode, Encode};
use keys::PublicKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};

use crate::error::VerifyError;
use crate::time::format_unix;
use crate::trust::{Authority, LogKey, TrustMaterial};

/// The parsed leaf certificate with what verification reads from it.
pub(crate) struct Leaf {
    pub(crate) der: Vec<u8>,
    pub(crate) cert: Certificate,
    pub(crate) key: PublicKey,
    not_before: i64,
    not_after: i64,
}

/// Extensions that a leaf may mark critical.
const HANDLED_CRITICAL: [const_oid::ObjectIdentifier; 4] = [
    pki::oid::KEY_USAGE,
    pki::oid::EXT_KEY_USAGE,
    pki::oid::BASIC_CONSTRAINTS,
    pki::oid::SUBJECT_ALT_NAME,
];

fn unix(time: &x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

impl Leaf {
    /// Parse the leaf and check the code-signing profile: v3, keyUsage digitalSignature,
    /// extKeyUsage codeSigning, not a CA, no unknown critical extension.
    pub(crate) fn parse(der: &[u8]) -> Result<Leaf, VerifyError> {
        let cert = Certificate::from_der(der)
            .map_err(|e| VerifyError::MalformedCertificate(e.to_string()))?;
        let tbs = cert.tbs_certificate();
        let profile = |msg: &str| VerifyError::CertificateProfile(msg.to_owned());
        let extensions = tbs.extensions().map(Vec::as_slice).unwrap_or(&[]);
        for (i, ext) in extensions.iter().enumerate() {
            if extensions[..i].iter().any(|e| e.extn_id == ext.extn_id) {
                return Err(VerifyError::CertificateProfile(format!(
                    "extension {} appears twice",
                    ext.extn_id
                )));
            }
            if ext.critical && !HANDLED_CRITICAL.contains(&ext.extn_id) {
                return Err(VerifyError::CertificateProfile(format!(
                    "unhandled critical extension {}",
                    ext.extn_id
                )));
            }
        }
        let key_usage = tbs
            .get_extension::<KeyUsage>()
            .map_err(|_| profile("malformed keyUsage"))?;
        if !key_usage.is_some_and(|(_, ku)| ku.digital_signature()) {
            return Err(profile("keyUsage does not include digitalSignature"));
        }
        let eku = tbs
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|_| profile("malformed extKeyUsage"))?;
        if !eku.is_some_and(|(_, eku)| eku.0.contains(&pki::oid::KP_CODE_SIGNING)) {
            return Err(profile("extKeyUsage does not include codeSigning"));
        }
        let basic = tbs
            .get_extension::<BasicConstraints>()
            .map_err(|_| profile("malformed basicConstraints"))?;
        if basic.is_some_and(|(_, bc)| bc.ca) {
            return Err(profile("the signing certificate is a CA"));
        }
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| VerifyError::MalformedCertificate(e.to_string()))?;
        let key = PublicKey::from_spki_der(&spki)
            .map_err(|e| VerifyError::MalformedCertificate(format!("public key: {e}")))?;
        Ok(Leaf {
            der: der.to_vec(),
            not_before: unix(&tbs.validity().not_before),
            not_after: unix(&tbs.validity().not_after),
            cert,
            key,
        })
    }

    /// Find a trusted CA that issued the leaf, with its whole chain valid at `at`: the CA's
    /// `validFor` covers `at`, the leaf and every CA certificate are within their validity, the
    /// issuing certificate signed the leaf, and the CA chain verifies up to its self-signed root
    /// (pki's issuing-chain rules: CA basic constraints, keyCertSign, path lengths).
    /// Returns the issuing certificate.
    pub(crate) fn chain_at<'a>(
        &self,
        trust: &'a TrustMaterial,
        at: i64,
    ) -> Result<&'a Certificate, VerifyError> {
        let fail = |reason: String| VerifyError::UntrustedCertificate {
            time: format_unix(at),
            reason,
        };
        if at < self.not_before || at > self.not_after {
            return Err(fail(format!(
                "the signing certificate is valid only from {} to {}",
                format_unix(self.not_before),
                format_unix(self.not_after)
            )));
        }
        let mut reason = "no trusted certificate authority issued it".to_owned();
        for ca in &trust.cas {
            let issuer_position = ca.certs.iter().position(|c| {
                c.tbs_certificate().subject() == self.cert.tbs_certificate().issuer()
                    && pki::verify_issued_by(&self.cert, c).is_ok()
            });
            let Some(position) = issuer_position else {
                continue;
            };
            match check_ca_chain(ca, position, at) {
                Ok(()) => return Ok(&ca.certs[position]),
                Err(e) => reason = e,
            }
        }
        Err(fail(reason))
    }

    /// The subject alternative names a policy matches against: rfc822Name, URI and the
    /// Sigstore username `otherName` (1.3.6.1.4.1.57264.1.7).
    pub(crate) fn identities(&self) -> Vec<String> {
        let Ok(Some((_, san))) = self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|name| match name {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    Some(s.to_string())
                }
                GeneralName::OtherName(other)
                    if other.type_id == pki::oid::SIGSTORE_OTHERNAME_SAN =>
                {
                    other
                        .value
                        .decode_as::<der::asn1::Utf8StringRef<'_>>()
                        .ok()
                        .map(|s| s.to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// The OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (a DER `UTF8String`), else the
    /// deprecated 1.3.6.1.4.1.57264.1.1 (raw UTF-8).
    pub(crate) fn oidc_issuer(&self) -> Option<String> {
        let extensions = self.cert.tbs_certificate().extensions()?;
        let find = |oid| extensions.iter().find(|e| e.extn_id == oid);
        if let Some(ext) = find(pki::oid::SIGSTORE_ISSUER_V2) {
            return der::asn1::Utf8StringRef::from_der(ext.extn_value.as_bytes())
                .ok()
                .map(|s| s.to_string());
        }
        find(pki::oid::SIGSTORE_ISSUER)
            .and_then(|ext| std::str::from_utf8(ext.extn_value.as_bytes()).ok())
            .map(str::to_owned)
    }

    /// Verify the embedded SCTs: the certificate must carry exactly one SCT (as Fulcio issues
    /// and sigstore-python requires), and at least `threshold` from trusted CT logs must verify
    /// over the precertificate entry (issuer = `issuer`), each inside its log key's validity. An
    /// SCT from a trusted log that fails is an error; SCTs from unknown logs are ignored.
    pub(crate) fn verify_scts(
        &self,
        issuer: &Certificate,
        ctlogs: &[LogKey],
        threshold: usize,
    ) -> Result<usize, VerifyError> {
        let scts = ct_types::embedded_scts(&self.der)
            .map_err(|e| VerifyError::MalformedSct(e.to_string()))?;
        if scts.is_empty() {
            return Err(VerifyError::NoSct);
        }
        if scts.len() > 1 {
            return Err(VerifyError::MultipleScts { found: scts.len() });
        }
        let issuer_spki = issuer
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| VerifyError::MalformedSct(e.to_string()))?;
        let entry = ct_types::precert_entry_from_final_cert(&self.der, &issuer_spki)
            .map_err(|e| VerifyError::MalformedSct(e.to_string()))?;
        let mut verified = 0;
        for sct in &scts {
            let log_id = hex::encode(sct.log_id);
            let Some(log) = ctlogs
                .iter()
                .find(|l| l.has_id(&sct.log_id) || l.key.spki_sha256() == sct.log_id)
            else {
                continue;
            };
            ct_types::verify_sct(sct, &log.key, &entry).map_err(|e| VerifyError::InvalidSct {
                log_id: log_id.clone(),
                reason: e.to_string(),
            })?;
            let seconds = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
            if !log.valid_for.contains(seconds) {
                return Err(VerifyError::InvalidSct {
                    log_id,
                    reason: format!(
                        "its time {} is outside the CT log key's validity",
                        format_unix(seconds)
                    ),
                });
            }
            verified += 1;
        }
        if verified < threshold {
            return Err(VerifyError::SctThreshold {
                verified,
                required: threshold,
            });
        }
        Ok(verified)
    }
}

/// The CA part of the path, from the issuing certificate `ca.certs[position]` to the root.
fn check_ca_chain(ca: &Authority, position: usize, at: i64) -> Result<(), String> {
    if !ca.valid_for.contains(at) {
        return Err(format!(
            "the CA {} is not trusted at that time (validFor)",
            ca.uri
        ));
    }
    let ders = ca.ders[position..].to_vec();
    let chain = pki::CertificateChain::from_der_certificates(ders).map_err(|e| e.to_string())?;
    let spki = ca.certs[position]
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| e.to_string())?;
    let key = PublicKey::from_spki_der(&spki).map_err(|e| e.to_string())?;
    pki::validate_issuing_chain(&chain, &key, None, at).map_err(|e| format!("CA chain: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::Window;
    use keys::{Signer, SigningAlgorithm, SoftwareSigner};

    /// A CA, a leaf for an e-mail identity carrying one SCT per key in `ct_keys`, and the
    /// trusted CT logs for those keys.
    fn leaf_with_scts(ct_keys: &[SoftwareSigner]) -> (Leaf, Certificate, Vec<LogKey>) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let ca_key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key");
        let root = pki::generate_root(
            &ca_key,
            &pki::DistinguishedName::new("test root", "Test"),
            pki::ValidityPeriod::starting_at(now - 60, 86_400),
        )
        .expect("root");
        let issuer = pki::IssuerCert::from_certificate(&root).expect("issuer");
        let request = pki::LeafRequest {
            public_key: SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)
                .expect("key")
                .public_key()
                .clone(),
            san: pki::SubjectAltName::Email("a@example.com".to_owned()),
            extensions: vec![pki::SigstoreExtension::new(1, "https://idp.example")],
            not_before_unix: now,
            validity_secs: 600,
        };
        let prepared = pki::PreparedLeaf::new(&request, &issuer).expect("prepare");
        let entry = ct_types::SignedEntry::Precert {
            issuer_key_hash: ca_key.public_key().spki_sha256(),
            tbs_certificate: prepared.ct_tbs(),
        };
        let now_ms = u64::try_from(now).unwrap_or(0) * 1000;
        let scts: Vec<_> = ct_keys
            .iter()
            .map(|key| {
                ct_types::SignedCertificateTimestamp::sign(key, now_ms, &entry, Vec::new())
                    .expect("sct")
            })
            .collect();
        let list = ct_types::encode_sct_list(&scts).expect("list");
        let der = prepared.finalize(&ca_key, &list).expect("final");
        let logs = ct_keys
            .iter()
            .map(|key| LogKey {
                base_url: "https://ct.example".to_owned(),
                host: "ct.example".to_owned(),
                key: key.public_key().clone(),
                log_id: key.public_key().spki_sha256().to_vec(),
                checkpoint_key_id: None,
                valid_for: Window {
                    start: now - 3600,
                    end: None,
                },
            })
            .collect();
        (Leaf::parse(&der).expect("leaf"), root, logs)
    }

    #[test]
    fn exactly_one_sct_is_required() {
        let keys: Vec<_> = (0..2)
            .map(|_| SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).expect("key"))
            .collect();
        let (leaf, issuer, logs) = leaf_with_scts(&keys[..1]);
        assert_eq!(
            leaf.verify_scts(&issuer, &logs, 1)
                .expect("one SCT verifies"),
            1
        );
        // The same SCT from a log the trusted root does not list does not count.
        assert!(matches!(
            leaf.verify_scts(&issuer, &[], 1),
            Err(VerifyError::SctThreshold {
                verified: 0,
                required: 1
            })
        ));
        let (leaf, issuer, logs) = leaf_with_scts(&keys);
        assert!(matches!(
            leaf.verify_scts(&issuer, &logs, 1),
            Err(VerifyError::MultipleScts { found: 2 })
        ));
    }
}
