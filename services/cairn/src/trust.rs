//! The trust files `cairn up` writes on every start into `DATA_DIR/trust/`, all pointing at its
//! own listener: `trusted_root.json`, `signing_config.v0.2.json` and `trust_config.json` (a
//! ClientTrustConfig holding both, for `sigstore --trust-config`).
//!
//! Every `validFor.start` is the instance's creation time (recorded once in
//! `DATA_DIR/trust/created`, five minutes back-dated for clock skew), which precedes every
//! signature the instance ever made.

use std::path::Path;

use anyhow::Context;
use keys::{KeyKind, PublicKey};
use trust_root::{
    CLIENT_TRUST_CONFIG_MEDIA_TYPE, CertificateAuthority, CertificateChain, ClientTrustConfig,
    DistinguishedName, SIGNING_CONFIG_MEDIA_TYPE, Service, ServiceSelector, SigningConfig,
    TRUSTED_ROOT_MEDIA_TYPE, TimeRange, TransparencyLogInstance, TrustedRoot,
};

/// What the trust files describe.
#[derive(Debug, Default)]
pub(crate) struct TrustInputs<'a> {
    /// Base URL of the listener (no trailing slash).
    pub(crate) public_url: &'a str,
    /// Who runs the instance (`operator` in the signing config).
    pub(crate) operator: &'a str,
    /// The Rekor log key.
    pub(crate) rekor_key: Option<&'a PublicKey>,
    /// The CT log key and its base URL.
    pub(crate) ct: Option<(&'a PublicKey, String)>,
    /// The CA chain (issuing certificate first, root last) and its O / CN.
    pub(crate) ca: Option<(&'a [Vec<u8>], &'a str, &'a str)>,
    /// The TSA chain (leaf first, root last) and its O / CN.
    pub(crate) tsa: Option<(&'a [Vec<u8>], &'a str, &'a str)>,
    /// OIDC issuer URLs clients may use to get tokens.
    pub(crate) oidc_urls: Vec<String>,
}

/// `keyDetails` for a log key.
fn key_details(key: &PublicKey) -> &'static str {
    match key.kind() {
        KeyKind::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
        KeyKind::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
        KeyKind::Ed25519 => "PKIX_ED25519",
        KeyKind::Rsa { bits: 2048 } => "PKIX_RSA_PKCS1V15_2048_SHA256",
        KeyKind::Rsa { bits: 3072 } => "PKIX_RSA_PKCS1V15_3072_SHA256",
        KeyKind::Rsa { bits: 4096 } => "PKIX_RSA_PKCS1V15_4096_SHA256",
        // Clients skip keys whose details they do not know.
        _ => "PUBLIC_KEY_DETAILS_UNSPECIFIED",
    }
}

/// The instance's creation time: read from `trust/created`, or recorded now.
fn created_at(dir: &Path) -> anyhow::Result<i64> {
    let path = dir.join("created");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(value) = text.trim().parse::<i64>()
    {
        return Ok(value);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        - 300;
    write_atomically(&path, format!("{now}\n").as_bytes())?;
    // Another process sharing the data directory may have recorded its time at the same moment:
    // use whichever file won, so every process writes the same trust files.
    Ok(std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(now))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    // A name of its own per process: several processes may share the data directory.
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Build the three documents.
pub(crate) fn documents(inputs: &TrustInputs<'_>, start: i64) -> ClientTrustConfig {
    let base = inputs.public_url.trim_end_matches('/');
    let mut root = TrustedRoot {
        media_type: TRUSTED_ROOT_MEDIA_TYPE.to_owned(),
        tlogs: Vec::new(),
        certificate_authorities: Vec::new(),
        ctlogs: Vec::new(),
        timestamp_authorities: Vec::new(),
    };
    if let Some(key) = inputs.rekor_key {
        root.tlogs.push(TransparencyLogInstance::for_spki(
            base,
            key.spki_der(),
            key.spki_sha256(),
            key_details(key),
            start,
        ));
    }
    if let Some((key, url)) = &inputs.ct {
        root.ctlogs.push(TransparencyLogInstance::for_spki(
            url,
            key.spki_der(),
            key.spki_sha256(),
            key_details(key),
            start,
        ));
    }
    let authority = |chain: &[Vec<u8>], organization: &str, common_name: &str, uri: String| {
        CertificateAuthority {
            subject: DistinguishedName {
                organization: organization.to_owned(),
                common_name: common_name.to_owned(),
            },
            uri,
            cert_chain: CertificateChain::from_der(chain.iter().map(Vec::as_slice)),
            valid_for: TimeRange::starting(start),
            operator: None,
        }
    };
    let tsa_url = format!("{base}/api/v1/timestamp");
    if let Some((chain, organization, common_name)) = inputs.ca {
        root.certificate_authorities.push(authority(
            chain,
            organization,
            common_name,
            base.to_owned(),
        ));
    }
    if let Some((chain, organization, common_name)) = inputs.tsa {
        root.timestamp_authorities.push(authority(
            chain,
            organization,
            common_name,
            tsa_url.clone(),
        ));
    }
    let service = |url: String| Service {
        url,
        major_api_version: 1,
        valid_for: TimeRange::starting(start),
        operator: inputs.operator.to_owned(),
    };
    let signing = SigningConfig {
        media_type: SIGNING_CONFIG_MEDIA_TYPE.to_owned(),
        ca_urls: inputs
            .ca
            .map(|_| vec![service(base.to_owned())])
            .unwrap_or_default(),
        oidc_urls: inputs.oidc_urls.iter().cloned().map(service).collect(),
        rekor_tlog_urls: inputs
            .rekor_key
            .map(|_| vec![service(base.to_owned())])
            .unwrap_or_default(),
        rekor_tlog_config: Some(ServiceSelector::any()),
        tsa_urls: inputs
            .tsa
            .map(|_| vec![service(tsa_url.clone())])
            .unwrap_or_default(),
        tsa_config: inputs.tsa.map(|_| ServiceSelector::any()),
    };
    ClientTrustConfig {
        media_type: CLIENT_TRUST_CONFIG_MEDIA_TYPE.to_owned(),
        trusted_root: root,
        signing_config: signing,
    }
}

/// Write the trust files into `DATA_DIR/trust/` and return that directory.
pub(crate) fn write(
    data_dir: &Path,
    inputs: &TrustInputs<'_>,
) -> anyhow::Result<std::path::PathBuf> {
    let dir = data_dir.join("trust");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let start = created_at(&dir)?;
    let config = documents(inputs, start);
    write_atomically(
        &dir.join("trusted_root.json"),
        &pretty(&config.trusted_root)?,
    )?;
    write_atomically(
        &dir.join("signing_config.v0.2.json"),
        &pretty(&config.signing_config)?,
    )?;
    write_atomically(&dir.join("trust_config.json"), &pretty(&config)?)?;
    Ok(dir)
}

/// Pretty JSON with a final newline.
fn pretty<T: serde::Serialize>(value: &T) -> anyhow::Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn b64(der: &[u8]) -> String {
        STANDARD.encode(der)
    }

    #[test]
    fn documents_point_at_the_listener_and_carry_log_ids() {
        let rekor =
            keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).expect("key");
        let ct =
            keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).expect("key");
        use keys::Signer;
        let chain = vec![vec![1u8, 2, 3], vec![4u8, 5]];
        let inputs = TrustInputs {
            public_url: "http://127.0.0.1:3000/",
            operator: "127.0.0.1:3000",
            rekor_key: Some(rekor.public_key()),
            ct: Some((ct.public_key(), "http://127.0.0.1:3000".to_owned())),
            ca: Some((&chain, "Cairn", "cairn-ca")),
            tsa: Some((&chain, "Cairn", "cairn-tsa")),
            oidc_urls: vec!["http://127.0.0.1:3000/dev/oidc".to_owned()],
        };
        let config = documents(&inputs, 1_700_000_000);
        let json = serde_json::to_value(&config).expect("json");
        assert_eq!(
            json["trustedRoot"]["tlogs"][0]["baseUrl"],
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            json["trustedRoot"]["tlogs"][0]["logId"]["keyId"],
            STANDARD.encode(rekor.public_key().spki_sha256())
        );
        assert_eq!(
            json["trustedRoot"]["ctlogs"][0]["publicKey"]["validFor"]["start"],
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            json["trustedRoot"]["certificateAuthorities"][0]["certChain"]["certificates"][1]["rawBytes"],
            b64(&[4, 5])
        );
        assert_eq!(
            json["signingConfig"]["tsaUrls"][0]["url"],
            "http://127.0.0.1:3000/api/v1/timestamp"
        );
        assert_eq!(json["signingConfig"]["rekorTlogConfig"]["selector"], "ANY");
        assert_eq!(json["signingConfig"]["tsaConfig"]["selector"], "ANY");
        // No nulls anywhere: sigstore-python refuses them for optional fields.
        assert!(
            !serde_json::to_string(&config)
                .expect("text")
                .contains("null")
        );
    }
}
