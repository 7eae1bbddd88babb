//! `cairn sign` and `cairn attest`: sign an artifact or an in-toto statement about it into a
//! Sigstore bundle (v0.3), keyless through Fulcio or with a managed key, logged in Rekor v1 and
//! time-stamped when a TSA is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use sigstore_client::{BundleSigner, Credential, IdentityToken, SigningTargets};

use super::{load_trust_config, load_trusted_root, read_artifact, read_bounded, runtime};

/// Environment variable holding the passphrase of an encrypted `--key`.
const KEY_PASSWORD_ENV: &str = "CAIRN_KEY_PASSWORD";
/// Largest private key file read, in bytes.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
/// Largest predicate file read, in bytes.
const MAX_PREDICATE_BYTES: u64 = 16 * 1024 * 1024;

/// Who signs and where: shared by `cairn sign` and `cairn attest`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SigningFlags {
    /// OIDC identity token for keyless signing. Ignored with --key.
    #[arg(
        long,
        value_name = "JWT",
        env = "SIGSTORE_ID_TOKEN",
        hide_env_values = true
    )]
    identity_token: Option<String>,
    #[arg(
        long,
        value_name = "PRIVATE.pem",
        help = "Sign with this private key (PEM PKCS#8 or SEC1, P-256 or P-384; an encrypted \
                PKCS#8 key is decrypted with $CAIRN_KEY_PASSWORD) instead of a Fulcio certificate"
    )]
    key: Option<PathBuf>,
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["fulcio_url", "rekor_url", "tsa_url"],
        help = "The ClientTrustConfig cairn up writes (DATA_DIR/trust/trust_config.json): \
                service URLs and the trusted root the new bundle is checked against"
    )]
    trust_config: Option<PathBuf>,
    /// Fulcio base URL (keyless signing without --trust-config).
    #[arg(long, value_name = "URL")]
    fulcio_url: Option<String>,
    /// Rekor base URL (without --trust-config).
    #[arg(long, value_name = "URL")]
    rekor_url: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        help = "Full URL of an RFC 3161 time-stamp authority (without --trust-config), e.g. \
                http://HOST/api/v1/timestamp"
    )]
    tsa_url: Option<String>,
    /// Verify the new bundle against this trusted root before writing it [default: the one in
    /// --trust-config].
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// Where to write the bundle (JSON).
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
}

/// `cairn sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    signing: SigningFlags,
    /// The artifact to sign.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Short names for common predicate types (as cosign's `--type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PredicateAlias {
    #[value(
        name = "slsaprovenance02",
        alias = "slsaprovenance",
        help = "https://slsa.dev/provenance/v0.2"
    )]
    SlsaProvenance02,
    #[value(name = "slsaprovenance1", help = "https://slsa.dev/provenance/v1")]
    SlsaProvenance1,
    #[value(name = "spdxjson", alias = "spdx", help = "https://spdx.dev/Document")]
    Spdx,
    #[value(name = "cyclonedx", help = "https://cyclonedx.org/bom")]
    CycloneDx,
    #[value(name = "openvex", help = "https://openvex.dev/ns")]
    OpenVex,
    #[value(
        name = "vuln",
        help = "https://cosign.sigstore.dev/attestation/vuln/v1"
    )]
    Vuln,
    #[value(name = "custom", help = "https://cosign.sigstore.dev/attestation/v1")]
    Custom,
}

impl PredicateAlias {
    fn predicate_type(self) -> &'static str {
        match self {
            PredicateAlias::SlsaProvenance02 => "https://slsa.dev/provenance/v0.2",
            PredicateAlias::SlsaProvenance1 => "https://slsa.dev/provenance/v1",
            PredicateAlias::Spdx => "https://spdx.dev/Document",
            PredicateAlias::CycloneDx => "https://cyclonedx.org/bom",
            PredicateAlias::OpenVex => "https://openvex.dev/ns",
            PredicateAlias::Vuln => "https://cosign.sigstore.dev/attestation/vuln/v1",
            PredicateAlias::Custom => "https://cosign.sigstore.dev/attestation/v1",
        }
    }
}

/// `cairn attest`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("kind").required(true).args(["predicate_type", "type_alias"])))]
pub(crate) struct AttestArgs {
    #[command(flatten)]
    signing: SigningFlags,
    /// The predicate type URI of the statement (e.g. `https://slsa.dev/provenance/v1`).
    #[arg(long, value_name = "URI")]
    predicate_type: Option<String>,
    /// A short name for the predicate type instead of --predicate-type.
    #[arg(long = "type", value_name = "ALIAS")]
    type_alias: Option<PredicateAlias>,
    /// The predicate: a file holding a JSON object.
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    /// The artifact the statement is about (its name and SHA-256 become the subject).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// `cairn sign`: sign FILE into a bundle.
pub(crate) fn run_sign(args: SignArgs) -> anyhow::Result<()> {
    let artifact = read_artifact(&args.file)?;
    let (signer, credential) = prepare(&args.signing)?;
    let bundle = runtime()?.block_on(signer.sign_artifact(&credential, &artifact))?;
    finish_bundle(&args.signing.bundle, &bundle, &args.file)
}

/// `cairn attest`: sign an in-toto statement about FILE into a bundle.
pub(crate) fn run_attest(args: AttestArgs) -> anyhow::Result<()> {
    let predicate_type = match (&args.predicate_type, args.type_alias) {
        (Some(uri), _) => uri.clone(),
        (None, Some(alias)) => alias.predicate_type().to_owned(),
        (None, None) => anyhow::bail!("pass --predicate-type URI or --type ALIAS"),
    };
    if predicate_type.trim().is_empty() {
        anyhow::bail!("--predicate-type is empty");
    }
    let predicate_bytes = read_bounded(&args.predicate, MAX_PREDICATE_BYTES, "predicate")?;
    let predicate: serde_json::Value = serde_json::from_slice(&predicate_bytes)
        .with_context(|| format!("predicate {} is not JSON", args.predicate.display()))?;
    if !predicate.is_object() {
        anyhow::bail!(
            "predicate {} must be a JSON object",
            args.predicate.display()
        );
    }
    let artifact = read_artifact(&args.file)?;
    let digest: [u8; 32] = Sha256::digest(&artifact).into();
    let statement = sigstore_client::in_toto_statement(
        &subject_name(&args.file),
        &digest,
        &predicate_type,
        predicate,
    );
    let (signer, credential) = prepare(&args.signing)?;
    let bundle = runtime()?.block_on(signer.attest(&credential, &statement))?;
    finish_bundle(&args.signing.bundle, &bundle, &args.file)
}

/// The subject name of an artifact: its file name.
fn subject_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The signer (services and trusted root) and the credential the flags describe.
fn prepare(flags: &SigningFlags) -> anyhow::Result<(BundleSigner, Credential)> {
    let (targets, trusted_root) = match &flags.trust_config {
        Some(path) => {
            let config = load_trust_config(path)?;
            let targets =
                SigningTargets::from_signing_config(&config.signing_config, super::unix_now())
                    .with_context(|| format!("trust config {}", path.display()))?;
            let root = match &flags.trusted_root {
                Some(root) => load_trusted_root(root)?,
                None => config.trusted_root,
            };
            (targets, Some(root))
        }
        None => {
            let rekor_url = flags.rekor_url.as_deref().context(
                "no services: pass --trust-config FILE, or --rekor-url URL (and --fulcio-url \
                 URL for keyless signing)",
            )?;
            let targets = SigningTargets::explicit(
                flags.fulcio_url.as_deref(),
                rekor_url,
                flags.tsa_url.as_deref(),
            )?;
            let root = flags
                .trusted_root
                .as_deref()
                .map(load_trusted_root)
                .transpose()?;
            (targets, root)
        }
    };
    if trusted_root.is_none() {
        eprintln!(
            "cairn: warning: no trusted root (--trusted-root or --trust-config), so the new \
             bundle is not verified before it is written"
        );
    }
    let credential = match &flags.key {
        Some(path) => Credential::Key(Arc::new(load_private_key(path)?)),
        None => {
            let token = flags.identity_token.as_deref().context(
                "no identity token: pass --identity-token JWT or set SIGSTORE_ID_TOKEN (or \
                 sign with --key PRIVATE.pem)",
            )?;
            Credential::Keyless(IdentityToken::parse(token)?)
        }
    };
    Ok((BundleSigner::new(targets, trusted_root), credential))
}

/// Load a PEM private key; an encrypted one with the passphrase in `$CAIRN_KEY_PASSWORD`.
fn load_private_key(path: &Path) -> anyhow::Result<keys::SoftwareSigner> {
    let bytes = zeroize::Zeroizing::new(read_bounded(path, MAX_KEY_FILE_BYTES, "private key")?);
    let pem = std::str::from_utf8(&bytes)
        .with_context(|| format!("private key {} is not PEM text", path.display()))?;
    let signer = if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let passphrase =
            zeroize::Zeroizing::new(std::env::var(KEY_PASSWORD_ENV).with_context(|| {
                format!(
                    "private key {} is encrypted: set {KEY_PASSWORD_ENV} to its passphrase",
                    path.display()
                )
            })?);
        keys::SoftwareSigner::from_encrypted_pkcs8_pem(pem, passphrase.as_bytes())
    } else {
        keys::SoftwareSigner::from_pem(pem)
    };
    signer.with_context(|| format!("private key {}", path.display()))
}

/// Write the bundle and say where it went.
fn finish_bundle(
    path: &Path,
    bundle: &sigstore_bundle::Bundle,
    artifact: &Path,
) -> anyhow::Result<()> {
    let mut json = bundle.to_json().into_bytes();
    json.push(b'\n');
    super::write_atomically(path, &json)?;
    let index = bundle
        .verification_material
        .tlog_entries
        .first()
        .map(|e| e.log_index);
    eprintln!(
        "cairn: signed {}; bundle written to {}{}",
        artifact.display(),
        path.display(),
        index
            .map(|i| format!(" (Rekor log index {i})"))
            .unwrap_or_default()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_help_names_the_predicate_type() {
        for alias in PredicateAlias::value_variants() {
            let value = alias.to_possible_value().expect("every alias is visible");
            assert_eq!(
                value.get_help().map(ToString::to_string).as_deref(),
                Some(alias.predicate_type())
            );
        }
    }
}
