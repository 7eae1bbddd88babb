//! `cairn verify`: verify a Sigstore bundle offline against a trusted root, for a certificate
//! identity (keyless) or a public key (managed key). Exit 0 only when everything holds.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{ArgGroup, Args};

use sigstore_verify::{Artifact, Policy, SanMatcher, Verifier};

use super::{load_trusted_root, print_line, read_artifact, read_bounded, trusted_root_path};

/// Largest public key file read, in bytes.
const MAX_PUBLIC_KEY_BYTES: u64 = 64 * 1024;

/// `cairn verify`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("signer").required(true).args(["certificate_identity", "certificate_identity_regexp", "key"])))]
pub(crate) struct VerifyArgs {
    /// The bundle (JSON).
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// The signer's exact identity: the certificate's e-mail or URI subject alternative name.
    #[arg(long, value_name = "ID", requires = "certificate_oidc_issuer")]
    certificate_identity: Option<String>,
    /// A regular expression the signer's identity must match (whole value).
    #[arg(long, value_name = "REGEX", requires = "certificate_oidc_issuer")]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the certificate must name (exact match).
    #[arg(long, value_name = "URL", conflicts_with = "key")]
    certificate_oidc_issuer: Option<String>,
    /// Verify a managed-key bundle with this public key (PEM) instead of a certificate identity.
    #[arg(long, value_name = "PUB.pem")]
    key: Option<PathBuf>,
    /// The trusted root [default: ./cairn-data/trust/trusted_root.json if present].
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// The signed artifact, or `sha256:HEX` for its digest. For an attestation, the statement's
    /// subject must have this digest.
    #[arg(value_name = "FILE|sha256:HEX")]
    artifact: String,
}

/// What was signed, as given on the command line.
#[derive(Debug)]
enum GivenArtifact {
    /// The artifact's bytes.
    Bytes(Vec<u8>),
    /// Only its SHA-256 digest.
    Sha256([u8; 32]),
}

impl GivenArtifact {
    fn parse(arg: &str) -> anyhow::Result<GivenArtifact> {
        if let Some(hex) = arg.strip_prefix("sha256:") {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(hex, &mut digest)
                .ok()
                .context("sha256:HEX needs exactly 64 hex digits")?;
            return Ok(GivenArtifact::Sha256(digest));
        }
        Ok(GivenArtifact::Bytes(read_artifact(Path::new(arg))?))
    }

    fn as_artifact(&self) -> Artifact<'_> {
        match self {
            GivenArtifact::Bytes(bytes) => Artifact::Bytes(bytes),
            GivenArtifact::Sha256(sha256) => Artifact::Digest { sha256: *sha256 },
        }
    }
}

/// The policy the flags describe.
fn policy(args: &VerifyArgs) -> anyhow::Result<Policy> {
    if let Some(path) = &args.key {
        let bytes = read_bounded(path, MAX_PUBLIC_KEY_BYTES, "public key")?;
        let pem = std::str::from_utf8(&bytes)
            .ok()
            .with_context(|| format!("public key {} is not PEM text", path.display()))?;
        let key = keys::PublicKey::from_pem(pem)
            .with_context(|| format!("public key {}", path.display()))?;
        return Ok(Policy::PublicKey(key));
    }
    let issuer = args
        .certificate_oidc_issuer
        .clone()
        .context("--certificate-oidc-issuer is required with a certificate identity")?;
    let san = match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(exact), _) => SanMatcher::Exact(exact.clone()),
        (None, Some(pattern)) => SanMatcher::Regex(pattern.clone()),
        (None, None) => anyhow::bail!(
            "pass --certificate-identity ID, --certificate-identity-regexp REGEX or --key FILE"
        ),
    };
    Ok(Policy::Identity { san, issuer })
}

/// `cairn verify`.
pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let policy = policy(&args)?;
    let root_path = trusted_root_path(args.trusted_root.as_deref())?;
    let root = load_trusted_root(&root_path)?;
    let verifier =
        Verifier::new(&root).with_context(|| format!("trusted root {}", root_path.display()))?;
    let bundle_bytes = read_bounded(
        &args.bundle,
        sigstore_bundle::MAX_BUNDLE_BYTES as u64,
        "bundle",
    )?;
    let bundle = sigstore_bundle::Bundle::from_json(&bundle_bytes)
        .with_context(|| format!("bundle {}", args.bundle.display()))?;
    let artifact = GivenArtifact::parse(&args.artifact)?;
    let verified = verifier
        .verify(&bundle, artifact.as_artifact(), &policy)
        .with_context(|| format!("bundle {} does not verify", args.bundle.display()))?;
    let signer = match (&verified.certificate, &policy) {
        (Some(certificate), _) => format!(
            "signed by {} (issuer {})",
            certificate.identities.join(", "),
            certificate.issuer.as_deref().unwrap_or("unknown")
        ),
        (None, Policy::PublicKey(_)) => "signed by the given key".to_owned(),
        (None, _) => "signed".to_owned(),
    };
    let logged = verified
        .tlog_entries
        .iter()
        .map(|e| format!("{} #{}", e.log, e.log_index))
        .collect::<Vec<_>>()
        .join(", ");
    print_line(&format!(
        "OK: {} {signer}; logged at {logged}",
        args.artifact
    ))
}
