//! Configuration: typed, documented field by field, layered, validated before anything is served.
//!
//! Layers, later ones winning: built-in defaults → the TOML file given with `--config` →
//! `CAIRN_` environment variables (nested fields joined with `__`, e.g. `CAIRN_LOG__FORMAT`) →
//! command-line flags. Unknown keys in the file are errors (a typo must not silently fall back to
//! a default); unknown `CAIRN_` variables are reported as warnings and ignored. `docs/configuration.md`
//! documents every field; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use service_kit::telemetry::{self, LogFormat};

use crate::cli::ServerFlags;

/// Prefix of the environment variables that configure Cairn.
pub(crate) const ENV_PREFIX: &str = "CAIRN_";

/// `CAIRN_` variables that carry secrets (a PKCS#11 PIN, key passphrases) rather than
/// configuration; they are not configuration fields and draw no warning.
const SECRET_ENV_VARS: &[&str] = &[
    "CAIRN_PKCS11_PIN",
    "CAIRN_CA_KEY_PASSPHRASE",
    "CAIRN_TSA_KEY_PASSPHRASE",
    "CAIRN_KEY_PASSPHRASE",
    "CAIRN_KEY_PASSWORD",
];

/// The whole configuration of `cairn up`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// Address of the one HTTP listener that serves every API, `HOST:PORT`. Port 0 picks a free
    /// port (the chosen address is printed on stdout). Default `127.0.0.1:3000`.
    pub(crate) listen: String,
    /// Directory holding keys, databases and the exported trust files. Created (mode 0700) if
    /// missing. Default `./cairn-data`.
    pub(crate) data_dir: PathBuf,
    /// Seconds to wait for in-flight requests after SIGINT/SIGTERM before exiting anyway
    /// (1–3600). Default 30.
    pub(crate) shutdown_grace_seconds: u64,
    /// Longest a request may take, reading its body included, before it is answered with 408
    /// (1–3600). Default 30.
    pub(crate) request_timeout_seconds: u64,
    /// The base URL clients use to reach this listener (scheme, host, optional port; no path).
    /// Trust files point at it and the Rekor checkpoint name is its `host[:port]`. Default
    /// `http://<listen>` (with the port actually bound when `listen` uses port 0).
    pub(crate) public_url: Option<String>,
    /// Where logs and service state are stored: `sqlite://PATH` or `postgres://USER@HOST/DB`.
    /// Default `sqlite://<data_dir>/cairn.db`.
    pub(crate) database_url: Option<String>,
    /// Logging.
    pub(crate) log: LogConfig,
    /// Serve the built-in development OIDC issuer at `<public_url>/dev/oidc` and trust it
    /// (never in production: anyone who reaches the listener can mint tokens). Default false.
    pub(crate) dev: bool,
    /// The Rekor-compatible transparency log.
    pub(crate) rekor: rekor_server::config::RekorConfig,
    /// The Fulcio-compatible certificate authority.
    pub(crate) ca: CaConfig,
    /// The OpenID providers whose tokens the CA accepts.
    pub(crate) oidc: OidcConfig,
    /// The RFC 6962 CT log that signs the CA's SCTs.
    pub(crate) ct: ct_server::CtConfig,
    /// The RFC 3161 timestamp authority.
    pub(crate) tsa: TsaConfig,
}

/// The `[ca]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CaConfig {
    /// Serve the CA. Default true.
    pub(crate) enabled: bool,
    /// Lifetime of issued certificates, in seconds (60–86400). Default 600.
    pub(crate) validity_seconds: u32,
    /// Largest certificate request body, in bytes. Default 4194304 (Fulcio's).
    pub(crate) max_request_bytes: usize,
    /// Base URL of a CT log deployed apart (`<url>/ct/v1/add-pre-chain`). Default: the CT log
    /// of this process.
    pub(crate) ct_url: Option<String>,
    /// PEM public key of the CT log at `ct_url`; its SCTs are verified before they are
    /// embedded, and it is listed in the trust files. Required with `ct_url`.
    pub(crate) ct_public_key_file: Option<PathBuf>,
    /// The issuing key and chain.
    pub(crate) signer: crate::authority::KeySettings,
}

impl Default for CaConfig {
    fn default() -> Self {
        CaConfig {
            enabled: true,
            validity_seconds: 600,
            max_request_bytes: 4 << 20,
            ct_url: None,
            ct_public_key_file: None,
            signer: crate::authority::KeySettings::with_defaults(
                "cairn-ca",
                "CAIRN_CA_KEY_PASSPHRASE",
            ),
        }
    }
}

/// The `[oidc]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OidcConfig {
    /// Trusted issuers (`[[oidc.issuers]]`); `--oidc-issuer URL` adds e-mail issuers.
    pub(crate) issuers: Vec<oidc::IssuerConfig>,
    /// CI providers for `ci-provider` issuers, laid over the built-in ones
    /// (`[oidc.ci_providers.NAME]`).
    pub(crate) ci_providers: std::collections::BTreeMap<String, oidc::CiProviderMetadata>,
    /// Timeout of each discovery/JWKS request, in seconds. Default 10.
    pub(crate) fetch_timeout_seconds: u64,
    /// Seconds fetched keys are used before they are fetched again. Default 3600.
    pub(crate) cache_seconds: u64,
    /// Least seconds between two key fetches for one issuer (an unknown `kid` triggers one).
    /// Default 10.
    pub(crate) refetch_min_interval_seconds: u64,
    /// Clock skew allowed for `exp`, `nbf` and `iat`, in seconds. Default 60.
    pub(crate) leeway_seconds: u64,
    /// PEM bundle of extra TLS trust anchors for identity providers whose HTTPS certificates
    /// come from a private CA. Default none (the system's roots).
    pub(crate) ca_certificates_file: Option<PathBuf>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            issuers: Vec::new(),
            ci_providers: std::collections::BTreeMap::new(),
            fetch_timeout_seconds: 10,
            cache_seconds: 3600,
            refetch_min_interval_seconds: 10,
            leeway_seconds: 60,
            ca_certificates_file: None,
        }
    }
}

/// The `[tsa]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TsaConfig {
    /// Serve the TSA. Default true.
    pub(crate) enabled: bool,
    /// Policy OID of issued timestamps (and the only one requests may ask for). Default
    /// `1.3.6.1.4.1.57264.2` (Sigstore's).
    pub(crate) policy_oid: String,
    /// Largest timestamp request body, in bytes. Default 10240.
    pub(crate) max_request_bytes: usize,
    /// The signing key and chain (leaf first).
    pub(crate) signer: crate::authority::KeySettings,
}

impl Default for TsaConfig {
    fn default() -> Self {
        TsaConfig {
            enabled: true,
            policy_oid: "1.3.6.1.4.1.57264.2".to_owned(),
            max_request_bytes: 10 * 1024,
            signer: crate::authority::KeySettings::with_defaults(
                "cairn-tsa",
                "CAIRN_TSA_KEY_PASSPHRASE",
            ),
        }
    }
}

/// The `[log]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LogConfig {
    /// `text` (default) or `json` (one object per line).
    pub(crate) format: LogFormat,
    /// A `tracing` filter directive, e.g. `info` or `info,cairn=debug`. `RUST_LOG`, when set,
    /// overrides it. Default `info`.
    pub(crate) filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:3000".to_owned(),
            data_dir: PathBuf::from("./cairn-data"),
            shutdown_grace_seconds: 30,
            request_timeout_seconds: 30,
            public_url: None,
            database_url: None,
            log: LogConfig::default(),
            dev: false,
            rekor: rekor_server::config::RekorConfig::default(),
            ca: CaConfig::default(),
            oidc: OidcConfig::default(),
            ct: ct_server::CtConfig::default(),
            tsa: TsaConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

/// A configuration that passed validation, with its fields in their parsed forms.
#[derive(Debug, Clone)]
pub(crate) struct ValidConfig {
    /// The listener address.
    pub(crate) listen: SocketAddr,
    /// Everything as loaded.
    pub(crate) raw: Config,
}

/// The outcome of loading: the validated configuration plus warnings to log once logging is up.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) config: ValidConfig,
    pub(crate) warnings: Vec<String>,
}

/// Load every layer, then validate. `env` is the process environment (a parameter so tests can
/// pass their own).
pub(crate) fn load(
    flags: &ServerFlags,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Loaded> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = &flags.config {
        if !path.is_file() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file_exact(path));
    }

    let known = known_env_keys();
    let mut warnings = Vec::new();
    let mut env_pairs = Vec::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let key = rest.to_ascii_lowercase().replace("__", ".");
        if known.contains(&key) {
            env_pairs.push((key, value));
        } else if SECRET_ENV_VARS.contains(&name.as_str()) {
            // Read where the secret is needed, never as configuration.
        } else {
            warnings.push(format!(
                "ignoring unknown environment variable {name} (not a configuration field)"
            ));
        }
    }
    for (key, value) in env_pairs {
        // Values are parsed as figment's Env provider does (so `30` is a number, `true` a bool).
        let parsed: figment::value::Value = value
            .parse()
            .unwrap_or_else(|_| figment::value::Value::from(value.clone()));
        figment = figment.merge(Serialized::default(&key, parsed));
    }

    figment = figment.merge(Serialized::defaults(FlagLayer::from(flags)));
    let mut config: Config = figment
        .extract()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    // `--oidc-issuer URL` adds to the configured issuers rather than replacing them.
    for url in &flags.oidc_issuers {
        if config
            .oidc
            .issuers
            .iter()
            .all(|issuer| issuer.url.as_deref() != Some(url.as_str()))
        {
            config.oidc.issuers.push(oidc::IssuerConfig::exact(
                url.clone(),
                oidc::IssuerType::Email,
            ));
        }
    }
    let config = validate(config)?;
    Ok(Loaded { config, warnings })
}

/// The flags given on the command line, as a partial configuration (absent flags add nothing).
#[derive(Debug, Serialize)]
struct FlagLayer {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<FlagLogLayer>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dev: bool,
}

#[derive(Debug, Serialize)]
struct FlagLogLayer {
    format: String,
}

impl From<&ServerFlags> for FlagLayer {
    fn from(flags: &ServerFlags) -> Self {
        FlagLayer {
            listen: flags.listen.clone(),
            data_dir: flags.data_dir.clone(),
            database_url: flags.database_url.clone(),
            public_url: flags.public_url.clone(),
            log: flags
                .log_format
                .clone()
                .map(|format| FlagLogLayer { format }),
            dev: flags.dev,
        }
    }
}

/// Every configuration key as a dotted path (`log.format`), derived from the defaults so the
/// list cannot drift from the struct.
fn known_env_keys() -> Vec<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(Config::default()) {
        walk("", &value, &mut out);
    }
    out
}

/// Domain checks that types alone do not express.
fn validate(config: Config) -> anyhow::Result<ValidConfig> {
    let listen: SocketAddr = config.listen.parse().map_err(|_| {
        anyhow::anyhow!(
            "invalid configuration: listen = {:?} is not HOST:PORT with a numeric IP address \
             (e.g. 127.0.0.1:3000 or [::1]:3000)",
            config.listen
        )
    })?;
    if config.data_dir.as_os_str().is_empty() {
        anyhow::bail!("invalid configuration: data_dir must not be empty");
    }
    if !(1..=3600).contains(&config.shutdown_grace_seconds) {
        anyhow::bail!(
            "invalid configuration: shutdown_grace_seconds = {} is outside 1..=3600",
            config.shutdown_grace_seconds
        );
    }
    if !(1..=3600).contains(&config.request_timeout_seconds) {
        anyhow::bail!(
            "invalid configuration: request_timeout_seconds = {} is outside 1..=3600",
            config.request_timeout_seconds
        );
    }
    telemetry::parse_filter(&config.log.filter)
        .map_err(|e| anyhow::anyhow!("invalid configuration: log.filter: {e}"))?;
    if let Some(url) = &config.public_url {
        public_url_host(url)
            .map_err(|e| anyhow::anyhow!("invalid configuration: public_url: {e}"))?;
    }
    if let Some(url) = &config.database_url {
        DatabaseUrl::parse(url)
            .map_err(|e| anyhow::anyhow!("invalid configuration: database_url: {e}"))?;
    }
    config
        .rekor
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    validate_services(&config).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    Ok(ValidConfig {
        listen,
        raw: config,
    })
}

/// Checks of the CA, OIDC, CT and TSA tables.
fn validate_services(config: &Config) -> Result<(), String> {
    let ca = &config.ca;
    if !(60..=86_400).contains(&ca.validity_seconds) {
        return Err(format!(
            "ca.validity_seconds = {} is outside 60..=86400",
            ca.validity_seconds
        ));
    }
    if !(1024..=64 << 20).contains(&ca.max_request_bytes) {
        return Err(format!(
            "ca.max_request_bytes = {} is outside 1024..=67108864",
            ca.max_request_bytes
        ));
    }
    if ca.ct_url.is_some() != ca.ct_public_key_file.is_some() {
        return Err("ca.ct_url and ca.ct_public_key_file go together".to_owned());
    }
    if let Some(url) = &ca.ct_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(format!("ca.ct_url = {url:?} must be an http(s) URL"));
    }
    ca.signer.validate("ca.signer")?;
    if ca.enabled && !config.ct.enabled && ca.ct_url.is_none() {
        return Err(
            "the CA needs a CT log: enable [ct] or set ca.ct_url and ca.ct_public_key_file"
                .to_owned(),
        );
    }
    config.ct.validate()?;
    let oidc = &config.oidc;
    for (name, value) in [
        ("oidc.fetch_timeout_seconds", oidc.fetch_timeout_seconds),
        ("oidc.cache_seconds", oidc.cache_seconds),
        (
            "oidc.refetch_min_interval_seconds",
            oidc.refetch_min_interval_seconds,
        ),
    ] {
        if !(1..=86_400).contains(&value) {
            return Err(format!("{name} = {value} is outside 1..=86400"));
        }
    }
    if oidc.leeway_seconds > 600 {
        return Err(format!(
            "oidc.leeway_seconds = {} exceeds 600",
            oidc.leeway_seconds
        ));
    }
    oidc::IssuerRegistry::new(oidc.issuers.clone(), oidc.ci_providers.clone())
        .map_err(|e| format!("oidc: {e}"))?;
    let tsa = &config.tsa;
    tsa.policy_oid
        .parse::<const_oid::ObjectIdentifier>()
        .map_err(|e| format!("tsa.policy_oid = {:?}: {e}", tsa.policy_oid))?;
    if !(64..=tsa::MAX_REQUEST_BYTES).contains(&tsa.max_request_bytes) {
        return Err(format!(
            "tsa.max_request_bytes = {} is outside 64..={}",
            tsa.max_request_bytes,
            tsa::MAX_REQUEST_BYTES
        ));
    }
    tsa.signer.validate("tsa.signer")?;
    Ok(())
}

/// The `host[:port]` of a base URL such as `http://rekor.example:3000` (no path, query or
/// credentials allowed).
pub(crate) fn public_url_host(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with http:// or https://"))?;
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ', '+']) {
        return Err(format!("{url:?} must be scheme://host[:port] with no path"));
    }
    Ok(host.to_owned())
}

/// Where state is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, passed to the driver as given.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parse `sqlite://PATH`, `sqlite:PATH` or `postgres://…` / `postgresql://…`.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                "must be sqlite://PATH or postgres://USER@HOST/DB (the password is not printed)"
                    .to_owned()
            })?;
        if path.is_empty() {
            return Err("sqlite:// needs a file path".to_owned());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The database in effect: the configured one, or SQLite in the data directory.
    pub(crate) fn effective(config: &Config, data_dir: &Path) -> Result<Self, String> {
        match &config.database_url {
            Some(url) => Self::parse(url),
            None => Ok(DatabaseUrl::Sqlite(data_dir.join("cairn.db"))),
        }
    }
}

/// `cairn config show`: print the effective configuration as TOML.
pub(crate) fn show(flags: &ServerFlags) -> anyhow::Result<()> {
    use std::io::Write;
    let loaded = load(flags, std::env::vars())?;
    for warning in &loaded.warnings {
        eprintln!("cairn: warning: {warning}");
    }
    let text = toml_text(&loaded.config.raw)?;
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(())
}

fn toml_text(config: &Config) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(config)?;
    if let Some(url) = value.get_mut("database_url")
        && let Some(text) = url.as_str()
    {
        *url = serde_json::Value::String(redact_password(text));
    }
    // TOML has no null: unset optional fields are left out.
    fn drop_nulls(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(drop_nulls);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
            _ => {}
        }
    }
    drop_nulls(&mut value);
    toml::to_string(&value).context("writing the configuration as TOML")
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`; other text unchanged.
pub(crate) fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

/// Resolve the data directory against the working directory, for messages and child paths.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn write_file(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("cairn.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }

    #[test]
    fn defaults_apply_without_any_layer() {
        let loaded = load(&ServerFlags::default(), env(&[])).expect("defaults are valid");
        assert_eq!(loaded.config.raw, Config::default());
        assert_eq!(
            loaded.config.listen,
            "127.0.0.1:3000".parse().expect("addr")
        );
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn each_layer_overrides_the_previous_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write_file(
            &dir,
            "listen = \"127.0.0.1:4000\"\ndata_dir = \"/from/file\"\nshutdown_grace_seconds = 5\n\
             [log]\nformat = \"json\"\nfilter = \"debug\"\n",
        );
        let flags = ServerFlags {
            config: Some(file.clone()),
            ..ServerFlags::default()
        };

        // File over defaults.
        let loaded = load(&flags, env(&[])).expect("file config");
        assert_eq!(loaded.config.raw.listen, "127.0.0.1:4000");
        assert_eq!(loaded.config.raw.data_dir, PathBuf::from("/from/file"));
        assert_eq!(loaded.config.raw.shutdown_grace_seconds, 5);
        assert_eq!(loaded.config.raw.log.format, LogFormat::Json);

        // Environment over file (including a nested field and a number).
        let loaded = load(
            &flags,
            env(&[
                ("CAIRN_LISTEN", "127.0.0.1:5000"),
                ("CAIRN_SHUTDOWN_GRACE_SECONDS", "7"),
                ("CAIRN_LOG__FORMAT", "text"),
            ]),
        )
        .expect("env config");
        assert_eq!(loaded.config.raw.listen, "127.0.0.1:5000");
        assert_eq!(loaded.config.raw.shutdown_grace_seconds, 7);
        assert_eq!(loaded.config.raw.log.format, LogFormat::Text);
        assert_eq!(loaded.config.raw.data_dir, PathBuf::from("/from/file"));

        // Flags over environment.
        let flags = ServerFlags {
            config: Some(file),
            listen: Some("127.0.0.1:6000".to_owned()),
            data_dir: Some(PathBuf::from("/from/flag")),
            log_format: Some("json".to_owned()),
            ..ServerFlags::default()
        };
        let loaded = load(
            &flags,
            env(&[
                ("CAIRN_LISTEN", "127.0.0.1:5000"),
                ("CAIRN_LOG__FORMAT", "text"),
            ]),
        )
        .expect("flag config");
        assert_eq!(loaded.config.raw.listen, "127.0.0.1:6000");
        assert_eq!(loaded.config.raw.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(loaded.config.raw.log.format, LogFormat::Json);
        // A field no flag sets keeps the environment's value... and the file's below it.
        assert_eq!(loaded.config.raw.log.filter, "debug");
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write_file(&dir, "lisen = \"127.0.0.1:4000\"\n");
        let flags = ServerFlags {
            config: Some(file),
            ..ServerFlags::default()
        };
        let err = load(&flags, env(&[])).expect_err("typo must be rejected");
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
    }

    #[test]
    fn unknown_env_vars_are_warned_about_and_ignored() {
        let loaded = load(
            &ServerFlags::default(),
            env(&[
                ("CAIRN_LISTN", "x"),
                ("PATH", "/bin"),
                ("CAIRN_LOG__FILTER", "warn"),
            ]),
        )
        .expect("unknown env is not fatal");
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("CAIRN_LISTN"));
        assert_eq!(loaded.config.raw.log.filter, "warn");
    }

    #[test]
    fn invalid_values_are_rejected_before_serving() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("CAIRN_LISTEN", "localhost")], "listen"),
            (&[("CAIRN_LISTEN", "127.0.0.1:99999")], "listen"),
            (
                &[("CAIRN_SHUTDOWN_GRACE_SECONDS", "0")],
                "shutdown_grace_seconds",
            ),
            (
                &[("CAIRN_SHUTDOWN_GRACE_SECONDS", "-3")],
                "shutdown_grace_seconds",
            ),
            (&[("CAIRN_LOG__FORMAT", "xml")], "format"),
            (&[("CAIRN_LOG__FILTER", "info,[[[")], "log.filter"),
            (&[("CAIRN_DATA_DIR", "")], "data_dir"),
        ];
        for (vars, needle) in cases {
            let err = load(&ServerFlags::default(), env(vars))
                .expect_err(&format!("{vars:?} must be rejected"));
            let text = format!("{err:#}");
            assert!(text.contains(needle), "{vars:?}: {text}");
        }
    }

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        assert_eq!(
            public_url_host("http://127.0.0.1:3000/").as_deref(),
            Ok("127.0.0.1:3000")
        );
        assert_eq!(
            public_url_host("https://rekor.corp").as_deref(),
            Ok("rekor.corp")
        );
        for bad in [
            "rekor.corp",
            "http://",
            "http://a/b",
            "ftp://x",
            "http://u@h",
        ] {
            assert!(public_url_host(bad).is_err(), "{bad}");
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/cairn/db.sqlite"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from(
                "/var/lib/cairn/db.sqlite"
            )))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://cairn@db/cairn"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        for bad in ["mysql://x", "sqlite://", "/tmp/x.db"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
        let shown = toml_text(&Config {
            database_url: Some("postgres://cairn:hunter2@db:5432/cairn".to_owned()),
            ..Config::default()
        })
        .expect("toml");
        assert!(
            shown.contains("postgres://cairn:****@db:5432/cairn"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        let err = load(
            &ServerFlags::default(),
            env(&[("CAIRN_DATABASE_URL", "mysql://root:hunter2@db/x")]),
        )
        .expect_err("unsupported database");
        assert!(!format!("{err:#}").contains("hunter2"), "{err:#}");
    }

    #[test]
    fn missing_config_file_is_an_error() {
        let flags = ServerFlags {
            config: Some(PathBuf::from("/nonexistent/cairn.toml")),
            ..ServerFlags::default()
        };
        let err = load(&flags, env(&[])).expect_err("missing file");
        assert!(format!("{err:#}").contains("does not exist"));
    }

    #[test]
    fn shown_toml_round_trips_through_the_loader() {
        let mut config = Config {
            listen: "[::1]:3100".to_owned(),
            log: LogConfig {
                filter: "info,cairn=debug".to_owned(),
                ..LogConfig::default()
            },
            ..Config::default()
        };
        // Nested tables and arrays of tables survive too.
        let mut issuer = oidc::IssuerConfig::exact(
            "https://token.actions.github.corp.example",
            oidc::IssuerType::CiProvider,
        );
        issuer.ci_provider = Some("github-workflow".to_owned());
        issuer.admit = vec![oidc::AdmissionRule {
            claim: "repository_owner".to_owned(),
            pattern: "platform".to_owned(),
        }];
        config.oidc.issuers = vec![
            oidc::IssuerConfig::exact("https://idp.corp.example", oidc::IssuerType::Email),
            issuer,
        ];
        config.ca.signer.backend = crate::authority::Backend::Pkcs11;
        config.ca.signer.pkcs11 = Some(crate::authority::Pkcs11Section {
            module_path: PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"),
            token_label: Some("cairn-ca".to_owned()),
            slot_id: None,
            key_label: "fulcio-issuing".to_owned(),
            pin_file: None,
        });
        let text = toml_text(&config).expect("toml");
        let dir = tempfile::tempdir().expect("tempdir");
        let flags = ServerFlags {
            config: Some(write_file(&dir, &text)),
            ..ServerFlags::default()
        };
        let loaded = load(&flags, env(&[])).expect("shown config loads");
        assert_eq!(loaded.config.raw, config);
    }
}
