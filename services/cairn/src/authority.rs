//! The CA's and the TSA's keys and certificate chains: generated in the data directory on first
//! start, loaded from files, or kept in a PKCS#11 token.
//!
//! Generated material lives in `DATA_DIR/ca/` and `DATA_DIR/tsa/`. Each directory is written
//! completely in a temporary sibling and then renamed into place, so a crash during the first
//! start never leaves a chain without its key (or the reverse). Private keys are mode 0600.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use pki::{CertificateChain, DistinguishedName, ValidityPeriod};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Where a signing key (and its chain) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Backend {
    /// Created in the data directory on first start (a root and an intermediate).
    Generated,
    /// A PEM chain file and a PEM private key file (PKCS#8, optionally encrypted).
    File,
    /// The key in a PKCS#11 token; the chain from `chain_file`, or created on first start.
    Pkcs11,
    /// A root and an intermediate generated in memory at every start and never written: for
    /// tests and throw-away instances (clients must fetch the new trust files after a restart).
    Ephemeral,
}

/// A PKCS#11 key, as configured (the PIN comes from `pin_file` or `CAIRN_PKCS11_PIN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pkcs11Section {
    /// Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub(crate) module_path: PathBuf,
    /// Label of the token.
    #[serde(default)]
    pub(crate) token_label: Option<String>,
    /// Slot ID, instead of the token label.
    #[serde(default)]
    pub(crate) slot_id: Option<u64>,
    /// Label of the key on the token; generated there (non-extractable) when missing.
    pub(crate) key_label: String,
    /// File holding the user PIN; without it the PIN is read from `CAIRN_PKCS11_PIN`.
    #[serde(default)]
    pub(crate) pin_file: Option<PathBuf>,
}

/// The key material settings shared by `[ca]` and `[tsa]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct KeySettings {
    /// `generated` (default), `file` or `pkcs11`.
    pub(crate) backend: Backend,
    /// Algorithm of generated keys: `ecdsa-p256` (default) or `ecdsa-p384`.
    pub(crate) key_algorithm: String,
    /// `O` of generated certificates. Default `Cairn`.
    pub(crate) organization: String,
    /// `CN` of the generated root (intermediates and leaves add a suffix). Default `cairn`.
    pub(crate) common_name: String,
    /// `file`/`pkcs11`: PEM chain, the signing certificate first and the root last.
    pub(crate) chain_file: Option<PathBuf>,
    /// `file`: PEM private key (`PRIVATE KEY`, `EC PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`).
    pub(crate) key_file: Option<PathBuf>,
    /// `file`: file holding the passphrase of an encrypted key. Without it the passphrase is
    /// read from the environment variable named by `key_passphrase_env`.
    pub(crate) key_passphrase_file: Option<PathBuf>,
    /// `file`: environment variable holding the passphrase of an encrypted key.
    pub(crate) key_passphrase_env: String,
    /// `pkcs11`: the token and key.
    pub(crate) pkcs11: Option<Pkcs11Section>,
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings::with_defaults("cairn", "CAIRN_KEY_PASSPHRASE")
    }
}

impl KeySettings {
    /// Generated keys with `common_name` as the name stem; `passphrase_env` holds the
    /// passphrase of an encrypted key file.
    pub(crate) fn with_defaults(common_name: &str, passphrase_env: &str) -> Self {
        KeySettings {
            backend: Backend::Generated,
            key_algorithm: "ecdsa-p256".to_owned(),
            organization: "Cairn".to_owned(),
            common_name: common_name.to_owned(),
            chain_file: None,
            key_file: None,
            key_passphrase_file: None,
            key_passphrase_env: passphrase_env.to_owned(),
            pkcs11: None,
        }
    }

    /// Checks that need no I/O.
    pub(crate) fn validate(&self, section: &str) -> Result<(), String> {
        let algorithm: SigningAlgorithm = self
            .key_algorithm
            .parse()
            .map_err(|e| format!("{section}.key_algorithm: {e}"))?;
        if !matches!(
            algorithm,
            SigningAlgorithm::EcdsaP256Sha256 | SigningAlgorithm::EcdsaP384Sha384
        ) {
            return Err(format!(
                "{section}.key_algorithm must be ecdsa-p256 or ecdsa-p384 (clients refuse Ed25519 CAs)"
            ));
        }
        if self.organization.is_empty() || self.common_name.is_empty() {
            return Err(format!(
                "{section}.organization and {section}.common_name must not be empty"
            ));
        }
        match self.backend {
            Backend::Generated | Backend::Ephemeral => {}
            Backend::File => {
                if self.chain_file.is_none() || self.key_file.is_none() {
                    return Err(format!(
                        "{section}.backend = \"file\" needs {section}.chain_file and {section}.key_file"
                    ));
                }
            }
            Backend::Pkcs11 => {
                if self.pkcs11.is_none() {
                    return Err(format!(
                        "{section}.backend = \"pkcs11\" needs a [{section}.pkcs11] table"
                    ));
                }
            }
        }
        Ok(())
    }

    fn algorithm(&self) -> anyhow::Result<SigningAlgorithm> {
        self.key_algorithm
            .parse()
            .map_err(|e| anyhow::anyhow!("key_algorithm: {e}"))
    }
}

/// A signing key and the chain it signs under (its own certificate first, the root last).
#[derive(Debug, Clone)]
pub(crate) struct KeyAndChain {
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) chain: CertificateChain,
}

/// What the chain is for, which decides the generated profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Fulcio: root → intermediate (EKU codeSigning) which issues leaves.
    CodeSigningCa,
    /// TSA: root → intermediate (EKU timeStamping) → TSA leaf (EKU timeStamping, critical).
    Timestamping,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Years of validity of generated roots and intermediates.
const ROOT_YEARS: u64 = 10;
const SECONDS_PER_YEAR: u64 = 365 * 24 * 3600;
/// Generated certificates start this long before "now", to tolerate clock skew of clients.
const BACKDATE_SECONDS: i64 = 300;

/// Load or create the key and chain for `purpose` according to `settings`, using
/// `dir` (`DATA_DIR/ca` or `DATA_DIR/tsa`) for generated material.
pub(crate) fn load_or_create(
    settings: &KeySettings,
    purpose: Purpose,
    dir: &Path,
) -> anyhow::Result<KeyAndChain> {
    match settings.backend {
        Backend::Generated => load_or_generate_dir(settings, purpose, dir),
        Backend::File => load_files(settings),
        Backend::Pkcs11 => load_pkcs11(settings, purpose, dir),
        Backend::Ephemeral => generate_dir(settings, purpose, None),
    }
}

fn load_files(settings: &KeySettings) -> anyhow::Result<KeyAndChain> {
    let (Some(chain_file), Some(key_file)) = (&settings.chain_file, &settings.key_file) else {
        bail!("the file backend needs chain_file and key_file");
    };
    let chain = read_chain(chain_file)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(key_file)
            .with_context(|| format!("reading key file {}", key_file.display()))?,
    );
    let signer = if text.contains("ENCRYPTED PRIVATE KEY") {
        let passphrase = passphrase(settings)?;
        SoftwareSigner::from_encrypted_pkcs8_pem(&text, passphrase.as_bytes())
            .with_context(|| format!("decrypting key file {}", key_file.display()))?
    } else {
        SoftwareSigner::from_pem(&text)
            .with_context(|| format!("loading key file {}", key_file.display()))?
    };
    Ok(KeyAndChain {
        signer: Arc::new(signer),
        chain,
    })
}

fn passphrase(settings: &KeySettings) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = &settings.key_passphrase_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading passphrase file {}", path.display()))?,
        );
        return Ok(Zeroizing::new(
            text.trim_end_matches(['\r', '\n']).to_owned(),
        ));
    }
    match std::env::var(&settings.key_passphrase_env) {
        Ok(value) => Ok(Zeroizing::new(value)),
        Err(_) => bail!(
            "the key file is encrypted: set key_passphrase_file or the environment variable {}",
            settings.key_passphrase_env
        ),
    }
}

fn read_chain(path: &Path) -> anyhow::Result<CertificateChain> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading certificate chain {}", path.display()))?;
    CertificateChain::from_pem(&text)
        .with_context(|| format!("parsing certificate chain {}", path.display()))
}

fn pkcs11_signer(
    section: &Pkcs11Section,
    algorithm: SigningAlgorithm,
) -> anyhow::Result<Arc<dyn Signer>> {
    let pin = match &section.pin_file {
        Some(path) => keys_pkcs11::read_pin_from_file(path)
            .with_context(|| format!("reading the PKCS#11 PIN from {}", path.display()))?,
        None => keys_pkcs11::read_pin_from_env(keys_pkcs11::PIN_ENV_VAR)
            .context("reading the PKCS#11 PIN")?,
    };
    let mut config = keys_pkcs11::Pkcs11Config::new(
        &section.module_path,
        section.token_label.clone().unwrap_or_default(),
        &section.key_label,
        pin,
    );
    config.token_label = section.token_label.clone();
    config.slot_id = section.slot_id;
    let (signer, origin) = keys_pkcs11::Pkcs11Signer::ensure_key(&config, algorithm)
        .context("opening the PKCS#11 key")?;
    if origin == keys_pkcs11::KeyOrigin::Generated {
        tracing::info!(key_label = %section.key_label, "generated a new key in the PKCS#11 token");
    }
    Ok(Arc::new(signer))
}

/// PKCS#11: the key stays in the token. With `chain_file` the chain is loaded; without it a
/// chain is created once in `dir` (for a CA: a self-signed root whose key is the token key, so
/// the root itself issues; for a TSA: a software root → the token key's leaf).
fn load_pkcs11(
    settings: &KeySettings,
    purpose: Purpose,
    dir: &Path,
) -> anyhow::Result<KeyAndChain> {
    let Some(section) = &settings.pkcs11 else {
        bail!("the pkcs11 backend needs a pkcs11 table");
    };
    let signer = pkcs11_signer(section, settings.algorithm()?)?;
    if let Some(chain_file) = &settings.chain_file {
        return Ok(KeyAndChain {
            signer,
            chain: read_chain(chain_file)?,
        });
    }
    let chain_path = dir.join("chain.pem");
    if chain_path.exists() {
        return Ok(KeyAndChain {
            signer,
            chain: read_chain(&chain_path)?,
        });
    }
    let now = now_unix() - BACKDATE_SECONDS;
    let validity = ValidityPeriod::starting_at(now, ROOT_YEARS * SECONDS_PER_YEAR);
    let chain = match purpose {
        Purpose::CodeSigningCa => {
            let root = pki::generate_root(&*signer, &name(settings, ""), validity)?;
            CertificateChain::new(vec![root])?
        }
        Purpose::Timestamping => {
            let root_key = SoftwareSigner::generate(settings.algorithm()?)?;
            let root = pki::generate_root(&root_key, &name(settings, " root"), validity)?;
            let leaf = pki::issue_timestamping_leaf(
                &root_key,
                &root,
                signer.public_key(),
                &name(settings, " timestamping"),
                ValidityPeriod::starting_at(now, ROOT_YEARS * SECONDS_PER_YEAR - 3600),
            )?;
            CertificateChain::new(vec![leaf, root])?
        }
    };
    if let Err(e) = write_new_dir(dir, &[("chain.pem", chain.to_pem().into_bytes(), false)]) {
        // Another process sharing the data directory created the chain first: use theirs.
        if chain_path.exists() {
            return Ok(KeyAndChain {
                signer,
                chain: read_chain(&chain_path)?,
            });
        }
        return Err(e);
    }
    Ok(KeyAndChain { signer, chain })
}

fn name(settings: &KeySettings, suffix: &str) -> DistinguishedName {
    DistinguishedName::new(
        format!("{}{suffix}", settings.common_name),
        settings.organization.clone(),
    )
}

/// The generated backend: `dir/key.pem` + `dir/chain.pem` (and `dir/root-key.pem`, kept so the
/// root can sign a new intermediate later; move it offline if you like).
fn load_or_generate_dir(
    settings: &KeySettings,
    purpose: Purpose,
    dir: &Path,
) -> anyhow::Result<KeyAndChain> {
    let chain_path = dir.join("chain.pem");
    let key_path = dir.join("key.pem");
    if dir.exists() {
        return load_generated_dir(&chain_path, &key_path);
    }
    match generate_dir(settings, purpose, Some(dir)) {
        Ok(material) => Ok(material),
        // Another process sharing the data directory created it first: use theirs.
        Err(_) if chain_path.exists() && key_path.exists() => {
            load_generated_dir(&chain_path, &key_path)
        }
        Err(e) => Err(e),
    }
}

fn load_generated_dir(chain_path: &Path, key_path: &Path) -> anyhow::Result<KeyAndChain> {
    let chain = read_chain(chain_path)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(key_path)
            .with_context(|| format!("reading {}", key_path.display()))?,
    );
    let signer = SoftwareSigner::from_pem(&text)
        .with_context(|| format!("loading {}", key_path.display()))?;
    Ok(KeyAndChain {
        signer: Arc::new(signer),
        chain,
    })
}

/// Create a root and its children, written to `dir` (which must not exist yet) or, with `None`,
/// kept in memory only.
fn generate_dir(
    settings: &KeySettings,
    purpose: Purpose,
    dir: Option<&Path>,
) -> anyhow::Result<KeyAndChain> {
    let algorithm = settings.algorithm()?;
    let now = now_unix() - BACKDATE_SECONDS;
    let root_validity = ValidityPeriod::starting_at(now, ROOT_YEARS * SECONDS_PER_YEAR);
    // Children end a little before the root so they never outlive it.
    let child_validity = ValidityPeriod::starting_at(now, ROOT_YEARS * SECONDS_PER_YEAR - 3600);
    let root_key = SoftwareSigner::generate(algorithm)?;
    let root = pki::generate_root(&root_key, &name(settings, " root"), root_validity)?;
    let (signer, chain) = match purpose {
        Purpose::CodeSigningCa => {
            let key = SoftwareSigner::generate(algorithm)?;
            let intermediate = pki::generate_intermediate(
                &root_key,
                &root,
                key.public_key(),
                &name(settings, " intermediate"),
                child_validity,
                &[pki::oid::KP_CODE_SIGNING],
            )?;
            (key, CertificateChain::new(vec![intermediate, root])?)
        }
        Purpose::Timestamping => {
            let intermediate_key = SoftwareSigner::generate(algorithm)?;
            let intermediate = pki::generate_intermediate(
                &root_key,
                &root,
                intermediate_key.public_key(),
                &name(settings, " intermediate"),
                child_validity,
                &[pki::oid::KP_TIME_STAMPING],
            )?;
            let key = SoftwareSigner::generate(algorithm)?;
            let leaf = pki::issue_timestamping_leaf(
                &intermediate_key,
                &intermediate,
                key.public_key(),
                &name(settings, " timestamping"),
                ValidityPeriod::starting_at(now, ROOT_YEARS * SECONDS_PER_YEAR - 7200),
            )?;
            (key, CertificateChain::new(vec![leaf, intermediate, root])?)
        }
    };
    match dir {
        Some(dir) => {
            write_new_dir(
                dir,
                &[
                    ("chain.pem", chain.to_pem().into_bytes(), false),
                    ("key.pem", signer.to_pkcs8_pem().as_bytes().to_vec(), true),
                    (
                        "root-key.pem",
                        root_key.to_pkcs8_pem().as_bytes().to_vec(),
                        true,
                    ),
                ],
            )?;
            tracing::info!(dir = %dir.display(), "generated a new certificate chain and key");
        }
        None => tracing::warn!(
            "generated an ephemeral certificate chain and key (in memory only: every restart makes a new CA)"
        ),
    }
    Ok(KeyAndChain {
        signer: Arc::new(signer),
        chain,
    })
}

/// Write `files` into a fresh temporary directory beside `dir`, fsync, then rename it to
/// `dir`: either all files exist or none.
fn write_new_dir(dir: &Path, files: &[(&str, Vec<u8>, bool)]) -> anyhow::Result<()> {
    use std::io::Write;
    let parent = dir
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no parent directory", dir.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("dir"),
        std::process::id()
    ));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700))?;
    }
    for (file, bytes, secret) in files {
        let path = tmp.join(file);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if *secret { 0o600 } else { 0o644 });
        }
        let mut handle = options
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        handle.write_all(bytes)?;
        handle.sync_all()?;
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    if let Err(e) = std::fs::rename(&tmp, dir) {
        // Typically another process created `dir` first; leave no temporary behind.
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e).with_context(|| format!("moving {} into place", dir.display()));
    }
    std::fs::File::open(parent)?.sync_all()?;
    Ok(())
}
