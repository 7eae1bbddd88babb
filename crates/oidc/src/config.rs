//! Issuer configuration: which OpenID providers the CA trusts, what kind of identity each one
//! vouches for, and how that identity maps onto a certificate (PROTOCOL.md §1.7; Fulcio's
//! `pkg/config/config.go`). Validated once, at startup, by [`IssuerRegistry::new`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::builtin;
use crate::claim_path::{ClaimPath, ClaimPathError};
use crate::extensions::CertificateExtension;
use crate::jwk::{JwkSet, JwksError};
use crate::template::{TemplateSyntaxError, ValueTemplate};
use crate::token::Expectations;
use crate::uri;

/// The client ID (audience) Sigstore clients request by default.
pub const DEFAULT_CLIENT_ID: &str = "sigstore";

/// What kind of identity an issuer's tokens carry; decides the certificate's SAN and
/// extensions (PROTOCOL.md §1.6). Names are Fulcio's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssuerType {
    /// A verified e-mail address (rfc822Name SAN).
    Email,
    /// A URI subject within a configured domain.
    Uri,
    /// A user name, as the otherName `sub!subject_domain`.
    Username,
    /// A Kubernetes service account.
    Kubernetes,
    /// A SPIFFE ID in a configured trust domain.
    Spiffe,
    /// GitHub Actions, with Fulcio's dedicated (deprecated) mapping.
    GithubWorkflow,
    /// GitLab CI, with Fulcio's dedicated (deprecated) mapping.
    GitlabPipeline,
    /// Any CI system, mapped by the templates of a CI provider.
    CiProvider,
    /// Chainguard identity tokens.
    ChainguardIdentity,
}

impl IssuerType {
    /// Fulcio's name for the type (`email`, `ci-provider`, ...).
    pub fn name(self) -> &'static str {
        match self {
            IssuerType::Email => "email",
            IssuerType::Uri => "uri",
            IssuerType::Username => "username",
            IssuerType::Kubernetes => "kubernetes",
            IssuerType::Spiffe => "spiffe",
            IssuerType::GithubWorkflow => "github-workflow",
            IssuerType::GitlabPipeline => "gitlab-pipeline",
            IssuerType::CiProvider => "ci-provider",
            IssuerType::ChainguardIdentity => "chainguard-identity",
        }
    }

    /// The claim a client signs for proof of possession, as `/api/v2/configuration` reports it
    /// when `challenge_claim` is not set: `email` for e-mail issuers, `sub` otherwise.
    pub fn default_challenge_claim(self) -> &'static str {
        match self {
            IssuerType::Email => "email",
            _ => "sub",
        }
    }
}

impl fmt::Display for IssuerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn default_client_ids() -> Vec<String> {
    vec![DEFAULT_CLIENT_ID.to_owned()]
}

/// One trusted OpenID provider (Cairn's TOML: one `[[fulcio.issuers]]`-style table; keys are
/// snake case). Exactly one of `url` and `wildcard_url` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact issuer URL (`iss`), e.g. `https://token.actions.githubusercontent.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A meta-issuer pattern: each `*` matches one or more of `[-_a-zA-Z0-9]`, and the pattern
    /// must match the whole `iss`, e.g. `https://oidc.eks.*.amazonaws.com/id/*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard_url: Option<String>,
    /// Accepted audiences: the token's `aud` must contain one. The first is the audience
    /// `/api/v2/configuration` advertises. Default `["sigstore"]`.
    #[serde(default = "default_client_ids")]
    pub client_ids: Vec<String>,
    /// The identity type (`type` is accepted as an alias).
    #[serde(alias = "type")]
    pub issuer_type: IssuerType,
    /// For `ci-provider` issuers: the name of the CI provider whose templates apply (built in:
    /// `github-workflow`, `gitlab-pipeline`, `buildkite-job`, `codefresh-workflow`,
    /// `circleci-job`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_provider: Option<String>,
    /// For `uri` issuers, a URL whose scheme and host subjects must have; for `username`
    /// issuers, the bare domain appended to the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_domain: Option<String>,
    /// For `spiffe` issuers, the trust domain subjects must be in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spiffe_trust_domain: Option<String>,
    /// For `email` issuers, a claim path (`$.federated_claims.connector_id`) whose value
    /// replaces `iss` in the certificate's issuer extensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_claim: Option<String>,
    /// For `email` issuers, accept tokens whose `email_verified` is not true.
    #[serde(default)]
    pub skip_email_verification: bool,
    /// The challenge claim `/api/v2/configuration` reports (informational, as upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_claim: Option<String>,
    /// Admission rules (Cairn's extension): a token is accepted only if every rule matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admit: Vec<AdmissionRule>,
    /// Static keys as an inline JWKS document, used instead of discovery (air-gapped sites).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// Static keys from a JWKS file, read once at startup by the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<PathBuf>,
}

impl IssuerConfig {
    /// An issuer for one exact URL, with every optional field unset.
    pub fn exact(url: impl Into<String>, issuer_type: IssuerType) -> Self {
        IssuerConfig {
            url: Some(url.into()),
            ..IssuerConfig::blank(issuer_type)
        }
    }

    /// A meta-issuer for a wildcard pattern, with every optional field unset.
    pub fn wildcard(pattern: impl Into<String>, issuer_type: IssuerType) -> Self {
        IssuerConfig {
            wildcard_url: Some(pattern.into()),
            ..IssuerConfig::blank(issuer_type)
        }
    }

    fn blank(issuer_type: IssuerType) -> Self {
        IssuerConfig {
            url: None,
            wildcard_url: None,
            client_ids: default_client_ids(),
            issuer_type,
            ci_provider: None,
            subject_domain: None,
            spiffe_trust_domain: None,
            issuer_claim: None,
            skip_email_verification: false,
            challenge_claim: None,
            admit: Vec::new(),
            jwks: None,
            jwks_file: None,
        }
    }

    /// The URL or wildcard pattern, for messages.
    pub fn label(&self) -> &str {
        self.url
            .as_deref()
            .or(self.wildcard_url.as_deref())
            .unwrap_or("<no url>")
    }
}

/// A rule a token's claim must satisfy (Cairn's extension over Fulcio), e.g. only tokens whose
/// `repository_owner` is `my-org`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRule {
    /// A top-level claim name or a `$`-rooted claim path.
    pub claim: String,
    /// A regular expression (Rust `regex` syntax) that must match the whole value. Strings are
    /// matched as they are, numbers and booleans as their JSON text; for an array, any element
    /// may match. A missing claim, an object or null fails the rule.
    pub pattern: String,
}

/// How a CI provider's tokens map onto a certificate (Fulcio's `ci-issuer-metadata`).
///
/// A configured provider named like a built-in one is laid over it: its defaults and extension
/// templates are added to (and replace) the built-in ones, and a non-empty SAN template replaces
/// the built-in one. So `default_template_values = { url = "https://github.example" }` is all a
/// GitHub Enterprise site needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiProviderMetadata {
    /// Values templates may use when the token has no claim of that name.
    #[serde(default)]
    pub default_template_values: BTreeMap<String, String>,
    /// Per extension: a template (contains `{{`) or the name of a claim/default to copy.
    #[serde(default)]
    pub extension_templates: BTreeMap<CertificateExtension, String>,
    /// The template of the URI SAN.
    #[serde(default)]
    pub subject_alternative_name_template: String,
}

/// Why the issuer configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A problem with one issuer.
    #[error("issuer {issuer}: {problem}")]
    Issuer {
        /// The issuer's URL or pattern.
        issuer: String,
        /// What is wrong.
        problem: IssuerProblem,
    },
    /// A problem with one CI provider.
    #[error("ci provider {provider:?}: {problem}")]
    CiProvider {
        /// The provider's name.
        provider: String,
        /// What is wrong.
        problem: CiProviderProblem,
    },
}

/// What is wrong with an issuer's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IssuerProblem {
    /// Both or neither of `url` and `wildcard_url`.
    #[error("set exactly one of url and wildcard_url")]
    UrlChoice,
    /// The URL is not an http(s) URL with a host.
    #[error("the URL must be an http or https URL with a host")]
    BadUrl,
    /// A `wildcard_url` without `*`.
    #[error("wildcard_url has no '*'")]
    NoWildcard,
    /// The same URL or pattern twice.
    #[error("configured more than once")]
    Duplicate,
    /// No usable client ID.
    #[error("client_ids must list at least one non-empty client ID")]
    NoClientIds,
    /// A field the type needs is missing.
    #[error("{field} is required for type {issuer_type}")]
    MissingField {
        /// The field.
        field: &'static str,
        /// The issuer type.
        issuer_type: IssuerType,
    },
    /// A field the type does not use is set.
    #[error("{field} does not apply to type {issuer_type}")]
    IrrelevantField {
        /// The field.
        field: &'static str,
        /// The issuer type.
        issuer_type: IssuerType,
    },
    /// `ci_provider` names no provider.
    #[error("ci_provider {0:?} is not defined")]
    UnknownCiProvider(String),
    /// An invalid SPIFFE trust domain.
    #[error("spiffe_trust_domain is not a valid SPIFFE trust domain")]
    BadTrustDomain,
    /// A `spiffe` meta-issuer (one issuer for many trust domains; Fulcio refuses it too).
    #[error("spiffe issuers cannot use wildcard_url")]
    WildcardSpiffe,
    /// An unusable `subject_domain`.
    #[error("subject_domain: {0}")]
    BadSubjectDomain(&'static str),
    /// An invalid `issuer_claim`.
    #[error("issuer_claim: {0}")]
    BadIssuerClaim(ClaimPathError),
    /// An admission rule with an invalid claim path.
    #[error("admit rule {index}: claim: {error}")]
    BadAdmissionClaim {
        /// Position of the rule (from 0).
        index: usize,
        /// The error.
        error: ClaimPathError,
    },
    /// An admission rule with an invalid regular expression.
    #[error("admit rule {index}: pattern does not compile: {error}")]
    BadAdmissionPattern {
        /// Position of the rule (from 0).
        index: usize,
        /// The compiler's message.
        error: String,
    },
    /// An empty `challenge_claim`.
    #[error("challenge_claim must not be empty")]
    EmptyChallengeClaim,
    /// Both `jwks` and `jwks_file`.
    #[error("set at most one of jwks and jwks_file")]
    JwksChoice,
    /// Static keys on a meta-issuer.
    #[error("static keys (jwks, jwks_file) need an exact url")]
    WildcardJwks,
    /// The inline JWKS is unusable.
    #[error("jwks: {0}")]
    BadJwks(JwksError),
    /// The inline JWKS has no usable key.
    #[error("jwks has no usable signature key")]
    EmptyJwks,
}

/// What is wrong with a CI provider's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CiProviderProblem {
    /// No SAN template.
    #[error("subject_alternative_name_template is empty")]
    MissingSanTemplate,
    /// A template does not parse.
    #[error("{field}: {error}")]
    BadTemplate {
        /// The field (`subject_alternative_name_template` or an extension's name).
        field: &'static str,
        /// The parse error.
        error: TemplateSyntaxError,
    },
    /// A template for an extension whose value always comes from the token.
    #[error("{} always comes from the token and cannot be templated", .0.config_name())]
    ForcedExtension(CertificateExtension),
}

/// A CI provider, validated and parsed.
#[derive(Debug, Clone)]
pub(crate) struct CiProvider {
    pub(crate) defaults: BTreeMap<String, String>,
    pub(crate) san: ValueTemplate,
    pub(crate) extensions: Vec<(CertificateExtension, ValueTemplate)>,
}

/// An admission rule, compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) claim: String,
    pub(crate) path: ClaimPath,
    pub(crate) regex: Regex,
}

/// One validated issuer: its configuration plus everything parsed from it.
#[derive(Debug, Clone)]
pub struct Issuer {
    config: IssuerConfig,
    pub(crate) ci: Option<Arc<CiProvider>>,
    pub(crate) issuer_claim: Option<ClaimPath>,
    pub(crate) admit: Vec<CompiledRule>,
    pub(crate) subject_trust_domain: Option<String>,
    static_jwks: Option<Arc<JwkSet>>,
}

impl Issuer {
    /// The configuration as given.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The identity type.
    pub fn issuer_type(&self) -> IssuerType {
        self.config.issuer_type
    }

    /// The keys from the inline `jwks`, if configured (a `jwks_file` is the caller's to read).
    pub fn static_jwks(&self) -> Option<&Arc<JwkSet>> {
        self.static_jwks.as_ref()
    }

    /// What a token from `iss` (which this issuer matched) must satisfy besides its signature.
    pub fn expectations<'a>(
        &'a self,
        iss: &'a str,
        now_unix: i64,
        leeway_secs: u64,
    ) -> Expectations<'a> {
        Expectations {
            issuer: iss,
            audiences: &self.config.client_ids,
            now_unix,
            leeway_secs,
        }
    }

    /// The certificate identity for claims verified against this issuer
    /// (see [`principal`](crate::principal())).
    pub fn principal(
        &self,
        claims: &crate::Claims,
    ) -> Result<crate::Principal, crate::PrincipalError> {
        crate::principal::principal(self, claims)
    }

    /// This issuer as `/api/v2/configuration` lists it.
    pub fn description(&self) -> IssuerDescription {
        let c = &self.config;
        IssuerDescription {
            issuer_url: c.url.clone(),
            wildcard_issuer_url: c.wildcard_url.clone(),
            audience: c.client_ids.first().cloned().unwrap_or_default(),
            challenge_claim: c
                .challenge_claim
                .clone()
                .unwrap_or_else(|| c.issuer_type.default_challenge_claim().to_owned()),
            spiffe_trust_domain: c.spiffe_trust_domain.clone().unwrap_or_default(),
            issuer_type: c.issuer_type.name().to_owned(),
            subject_domain: c.subject_domain.clone().unwrap_or_default(),
            skip_email_verification: c.skip_email_verification,
        }
    }
}

/// One issuer in `/api/v2/configuration`'s `issuers` list (protobuf JSON names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerDescription {
    /// The exact issuer URL (absent for meta-issuers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
    /// The wildcard pattern (absent for exact issuers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wildcard_issuer_url: Option<String>,
    /// The first client ID.
    pub audience: String,
    /// `challenge_claim`, or the type's default.
    pub challenge_claim: String,
    /// The SPIFFE trust domain, or `""`.
    pub spiffe_trust_domain: String,
    /// The type's Fulcio name.
    pub issuer_type: String,
    /// The subject domain, or `""`.
    pub subject_domain: String,
    /// Whether e-mail verification is skipped.
    pub skip_email_verification: bool,
}

/// The validated set of trusted issuers, and the lookup from a token's `iss` to one of them.
#[derive(Debug, Clone)]
pub struct IssuerRegistry {
    issuers: Vec<Arc<Issuer>>,
    exact: BTreeMap<String, usize>,
    wildcards: Vec<(Regex, usize)>,
}

impl IssuerRegistry {
    /// Validate the issuers and CI providers (templates, patterns, rules, per-type fields) and
    /// build the lookup. `ci_providers` are laid over the built-in ones
    /// ([`builtin_ci_providers`](crate::builtin_ci_providers)). Every provider is validated,
    /// used or not.
    pub fn new(
        issuers: Vec<IssuerConfig>,
        ci_providers: BTreeMap<String, CiProviderMetadata>,
    ) -> Result<Self, ConfigError> {
        let providers = compile_providers(ci_providers)?;
        let mut registry = IssuerRegistry {
            issuers: Vec::with_capacity(issuers.len()),
            exact: BTreeMap::new(),
            wildcards: Vec::new(),
        };
        for config in issuers {
            let fail = |problem| ConfigError::Issuer {
                issuer: config.label().to_owned(),
                problem,
            };
            let index = registry.issuers.len();
            match (&config.url, &config.wildcard_url) {
                (Some(url), None) => {
                    if registry.exact.insert(url.clone(), index).is_some() {
                        return Err(fail(IssuerProblem::Duplicate));
                    }
                }
                (None, Some(pattern)) => {
                    if registry
                        .issuers
                        .iter()
                        .any(|i| i.config.wildcard_url.as_deref() == Some(pattern))
                    {
                        return Err(fail(IssuerProblem::Duplicate));
                    }
                    registry
                        .wildcards
                        .push((wildcard_regex(pattern).map_err(fail)?, index));
                }
                _ => return Err(fail(IssuerProblem::UrlChoice)),
            }
            let issuer = compile_issuer(config.clone(), &providers).map_err(fail)?;
            registry.issuers.push(Arc::new(issuer));
        }
        Ok(registry)
    }

    /// The issuer for a token's `iss`: the exact URL if configured, else the first wildcard
    /// pattern (in configuration order) that matches.
    pub fn lookup(&self, iss: &str) -> Option<&Arc<Issuer>> {
        let index = self.exact.get(iss).copied().or_else(|| {
            self.wildcards
                .iter()
                .find(|(regex, _)| regex.is_match(iss))
                .map(|(_, index)| *index)
        })?;
        self.issuers.get(index)
    }

    /// Every issuer, in configuration order.
    pub fn issuers(&self) -> &[Arc<Issuer>] {
        &self.issuers
    }

    /// The `issuers` list of `/api/v2/configuration`, in configuration order.
    pub fn descriptions(&self) -> Vec<IssuerDescription> {
        self.issuers.iter().map(|i| i.description()).collect()
    }
}

/// `^quoted-pattern$` with each `*` as `[-_a-zA-Z0-9]+`; the pattern with `*` replaced must be
/// an http(s) URL with a host.
fn wildcard_regex(pattern: &str) -> Result<Regex, IssuerProblem> {
    if !pattern.contains('*') {
        return Err(IssuerProblem::NoWildcard);
    }
    check_issuer_url(&pattern.replace('*', "x"))?;
    let body = pattern
        .split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("[-_a-zA-Z0-9]+");
    Regex::new(&format!("^{body}$")).map_err(|_| IssuerProblem::BadUrl)
}

fn check_issuer_url(url: &str) -> Result<String, IssuerProblem> {
    let parts = uri::parse_url(url).ok_or(IssuerProblem::BadUrl)?;
    let scheme_ok = matches!(parts.scheme.as_deref(), Some("http" | "https"));
    if !scheme_ok || parts.hostname.is_empty() {
        return Err(IssuerProblem::BadUrl);
    }
    Ok(parts.hostname.to_owned())
}

fn compile_providers(
    configured: BTreeMap<String, CiProviderMetadata>,
) -> Result<BTreeMap<String, Arc<CiProvider>>, ConfigError> {
    let mut merged = builtin::ci_providers();
    for (name, metadata) in configured {
        match merged.get_mut(&name) {
            Some(base) => {
                base.default_template_values
                    .extend(metadata.default_template_values);
                base.extension_templates
                    .extend(metadata.extension_templates);
                if !metadata.subject_alternative_name_template.trim().is_empty() {
                    base.subject_alternative_name_template =
                        metadata.subject_alternative_name_template;
                }
            }
            None => {
                merged.insert(name, metadata);
            }
        }
    }
    merged
        .into_iter()
        .map(|(name, metadata)| {
            let provider =
                compile_provider(&metadata).map_err(|problem| ConfigError::CiProvider {
                    provider: name.clone(),
                    problem,
                })?;
            Ok((name, Arc::new(provider)))
        })
        .collect()
}

fn compile_provider(metadata: &CiProviderMetadata) -> Result<CiProvider, CiProviderProblem> {
    if metadata.subject_alternative_name_template.trim().is_empty() {
        return Err(CiProviderProblem::MissingSanTemplate);
    }
    let san =
        ValueTemplate::parse(&metadata.subject_alternative_name_template).map_err(|error| {
            CiProviderProblem::BadTemplate {
                field: "subject_alternative_name_template",
                error,
            }
        })?;
    let mut extensions = Vec::new();
    for (&extension, source) in &metadata.extension_templates {
        if extension.is_forced_from_token() {
            return Err(CiProviderProblem::ForcedExtension(extension));
        }
        if source.trim().is_empty() {
            continue;
        }
        let template =
            ValueTemplate::parse(source).map_err(|error| CiProviderProblem::BadTemplate {
                field: extension.config_name(),
                error,
            })?;
        extensions.push((extension, template));
    }
    Ok(CiProvider {
        defaults: metadata.default_template_values.clone(),
        san,
        extensions,
    })
}

fn compile_issuer(
    config: IssuerConfig,
    providers: &BTreeMap<String, Arc<CiProvider>>,
) -> Result<Issuer, IssuerProblem> {
    let issuer_type = config.issuer_type;
    let issuer_host = match &config.url {
        Some(url) => Some(check_issuer_url(url)?),
        None => None,
    };
    if config.client_ids.is_empty() || config.client_ids.iter().any(String::is_empty) {
        return Err(IssuerProblem::NoClientIds);
    }
    if config.challenge_claim.as_deref() == Some("") {
        return Err(IssuerProblem::EmptyChallengeClaim);
    }
    let irrelevant = |field| IssuerProblem::IrrelevantField { field, issuer_type };
    let missing = |field| IssuerProblem::MissingField { field, issuer_type };

    // ci_provider
    let ci = match (issuer_type, &config.ci_provider) {
        (IssuerType::CiProvider, Some(name)) => Some(
            providers
                .get(name)
                .cloned()
                .ok_or_else(|| IssuerProblem::UnknownCiProvider(name.clone()))?,
        ),
        (IssuerType::CiProvider, None) => return Err(missing("ci_provider")),
        (_, Some(_)) => return Err(irrelevant("ci_provider")),
        (_, None) => None,
    };

    // spiffe_trust_domain
    let subject_trust_domain = match (issuer_type, &config.spiffe_trust_domain) {
        (IssuerType::Spiffe, _) if config.wildcard_url.is_some() => {
            return Err(IssuerProblem::WildcardSpiffe);
        }
        (IssuerType::Spiffe, Some(td)) => Some(
            uri::trust_domain_from_config(td)
                .ok_or(IssuerProblem::BadTrustDomain)?
                .to_owned(),
        ),
        (IssuerType::Spiffe, None) => return Err(missing("spiffe_trust_domain")),
        (_, Some(_)) => return Err(irrelevant("spiffe_trust_domain")),
        (_, None) => None,
    };

    // subject_domain
    match (issuer_type, &config.subject_domain) {
        (IssuerType::Uri, Some(domain)) => {
            let parts =
                uri::parse_url(domain).ok_or(IssuerProblem::BadSubjectDomain("is not a URL"))?;
            if parts.scheme.is_none() || parts.hostname.is_empty() {
                return Err(IssuerProblem::BadSubjectDomain(
                    "must be a URL with a scheme and a host",
                ));
            }
            if let Some(url) = &config.url {
                let issuer_parts = uri::parse_url(url).ok_or(IssuerProblem::BadUrl)?;
                if issuer_parts.scheme != parts.scheme {
                    return Err(IssuerProblem::BadSubjectDomain(
                        "must have the issuer's scheme",
                    ));
                }
                if !uri::same_registrable_domain(parts.hostname, issuer_parts.hostname) {
                    return Err(IssuerProblem::BadSubjectDomain(
                        "must share the issuer's top- and second-level domain",
                    ));
                }
            }
        }
        (IssuerType::Username, Some(domain)) => {
            let has_scheme = uri::parse_url(domain).is_none_or(|p| p.scheme.is_some());
            if domain.is_empty() || has_scheme || domain.contains('/') {
                return Err(IssuerProblem::BadSubjectDomain(
                    "must be a bare domain without a scheme",
                ));
            }
            if let Some(host) = &issuer_host
                && !uri::same_registrable_domain(domain, host)
            {
                return Err(IssuerProblem::BadSubjectDomain(
                    "must share the issuer's top- and second-level domain",
                ));
            }
        }
        (IssuerType::Uri | IssuerType::Username, None) => return Err(missing("subject_domain")),
        (_, Some(_)) => return Err(irrelevant("subject_domain")),
        (_, None) => {}
    }

    // issuer_claim and skip_email_verification
    let issuer_claim = match (issuer_type, &config.issuer_claim) {
        (IssuerType::Email, Some(path)) => {
            Some(ClaimPath::parse(path).map_err(IssuerProblem::BadIssuerClaim)?)
        }
        (_, Some(_)) => return Err(irrelevant("issuer_claim")),
        (_, None) => None,
    };
    if config.skip_email_verification && issuer_type != IssuerType::Email {
        return Err(irrelevant("skip_email_verification"));
    }

    // admission rules
    let admit = config
        .admit
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let path = ClaimPath::parse(&rule.claim)
                .map_err(|error| IssuerProblem::BadAdmissionClaim { index, error })?;
            let regex = Regex::new(&format!("^(?:{})$", rule.pattern)).map_err(|e| {
                IssuerProblem::BadAdmissionPattern {
                    index,
                    error: e.to_string(),
                }
            })?;
            Ok(CompiledRule {
                claim: rule.claim.clone(),
                path,
                regex,
            })
        })
        .collect::<Result<Vec<_>, IssuerProblem>>()?;

    // static keys
    if config.jwks.is_some() && config.jwks_file.is_some() {
        return Err(IssuerProblem::JwksChoice);
    }
    if (config.jwks.is_some() || config.jwks_file.is_some()) && config.wildcard_url.is_some() {
        return Err(IssuerProblem::WildcardJwks);
    }
    let static_jwks = match &config.jwks {
        Some(json) => {
            let set = JwkSet::from_json(json.as_bytes()).map_err(IssuerProblem::BadJwks)?;
            if set.keys.is_empty() {
                return Err(IssuerProblem::EmptyJwks);
            }
            Some(Arc::new(set))
        }
        None => None,
    };

    Ok(Issuer {
        config,
        ci,
        issuer_claim,
        admit,
        subject_trust_domain,
        static_jwks,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn registry(issuers: Vec<IssuerConfig>) -> Result<IssuerRegistry, ConfigError> {
        IssuerRegistry::new(issuers, BTreeMap::new())
    }

    fn problem(result: Result<IssuerRegistry, ConfigError>) -> IssuerProblem {
        match result {
            Err(ConfigError::Issuer { problem, .. }) => problem,
            other => panic!("expected an issuer problem, got {other:?}"),
        }
    }

    #[test]
    fn wildcard_lookup_is_anchored_and_segment_bound() {
        let r = registry(vec![
            IssuerConfig::exact(
                "https://oidc.eks.x.amazonaws.com/id/exact",
                IssuerType::Email,
            ),
            IssuerConfig::wildcard(
                "https://oidc.eks.*.amazonaws.com/id/*",
                IssuerType::Kubernetes,
            ),
        ])
        .unwrap();
        let kind = |iss: &str| r.lookup(iss).map(|i| i.issuer_type());
        assert_eq!(
            kind("https://oidc.eks.x.amazonaws.com/id/exact"),
            Some(IssuerType::Email)
        );
        assert_eq!(
            kind("https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D3"),
            Some(IssuerType::Kubernetes)
        );
        for miss in [
            "https://oidc.eks.a.b.amazonaws.com/id/x",
            "https://oidc.eks.x.amazonaws.com/id/x/y",
            "https://oidc.eks.x.amazonaws.com/id/",
            "https://oidc.eks.x.amazonaws.com/id/x?",
            "xhttps://oidc.eks.x.amazonaws.com/id/x",
            "https://oidc.eksXx.amazonaws.com/id/x",
        ] {
            assert_eq!(kind(miss), None, "{miss}");
        }
    }

    #[test]
    fn per_type_requirements() {
        let spiffe = IssuerConfig::exact("https://spire.example.org", IssuerType::Spiffe);
        assert_eq!(
            problem(registry(vec![spiffe.clone()])),
            IssuerProblem::MissingField {
                field: "spiffe_trust_domain",
                issuer_type: IssuerType::Spiffe
            }
        );
        let mut bad_td = spiffe.clone();
        bad_td.spiffe_trust_domain = Some("Example.Org".into());
        assert_eq!(
            problem(registry(vec![bad_td])),
            IssuerProblem::BadTrustDomain
        );
        let mut wild = IssuerConfig::wildcard("https://*.example.org", IssuerType::Spiffe);
        wild.spiffe_trust_domain = Some("example.org".into());
        assert_eq!(problem(registry(vec![wild])), IssuerProblem::WildcardSpiffe);

        let mut uri = IssuerConfig::exact("https://accounts.example.com", IssuerType::Uri);
        assert_eq!(
            problem(registry(vec![uri.clone()])),
            IssuerProblem::MissingField {
                field: "subject_domain",
                issuer_type: IssuerType::Uri
            }
        );
        uri.subject_domain = Some("https://example.net".into());
        assert!(matches!(
            problem(registry(vec![uri.clone()])),
            IssuerProblem::BadSubjectDomain(_)
        ));
        uri.subject_domain = Some("http://example.com".into());
        assert!(matches!(
            problem(registry(vec![uri.clone()])),
            IssuerProblem::BadSubjectDomain(_)
        ));
        uri.subject_domain = Some("https://users.example.com".into());
        registry(vec![uri]).unwrap();

        let mut user = IssuerConfig::exact("https://accounts.example.com", IssuerType::Username);
        user.subject_domain = Some("https://example.com".into());
        assert!(matches!(
            problem(registry(vec![user.clone()])),
            IssuerProblem::BadSubjectDomain(_)
        ));
        user.subject_domain = Some("example.com".into());
        registry(vec![user]).unwrap();

        let mut ci = IssuerConfig::exact("https://ci.example.com", IssuerType::CiProvider);
        assert_eq!(
            problem(registry(vec![ci.clone()])),
            IssuerProblem::MissingField {
                field: "ci_provider",
                issuer_type: IssuerType::CiProvider
            }
        );
        ci.ci_provider = Some("nope".into());
        assert_eq!(
            problem(registry(vec![ci.clone()])),
            IssuerProblem::UnknownCiProvider("nope".into())
        );
        ci.ci_provider = Some("github-workflow".into());
        registry(vec![ci]).unwrap();

        let mut k8s = IssuerConfig::exact("https://k8s.example.com", IssuerType::Kubernetes);
        k8s.issuer_claim = Some("$.x".into());
        assert_eq!(
            problem(registry(vec![k8s])),
            IssuerProblem::IrrelevantField {
                field: "issuer_claim",
                issuer_type: IssuerType::Kubernetes
            }
        );
    }

    #[test]
    fn structural_errors() {
        let mut both = IssuerConfig::exact("https://a.example.com", IssuerType::Email);
        both.wildcard_url = Some("https://*.example.com".into());
        assert_eq!(problem(registry(vec![both])), IssuerProblem::UrlChoice);
        let email = IssuerConfig::exact("https://a.example.com", IssuerType::Email);
        assert_eq!(
            problem(registry(vec![email.clone(), email.clone()])),
            IssuerProblem::Duplicate
        );
        assert_eq!(
            problem(registry(vec![IssuerConfig::exact(
                "ftp://a.example.com",
                IssuerType::Email
            )])),
            IssuerProblem::BadUrl
        );
        assert_eq!(
            problem(registry(vec![IssuerConfig::wildcard(
                "https://a.example.com",
                IssuerType::Email
            )])),
            IssuerProblem::NoWildcard
        );
        let mut no_ids = email.clone();
        no_ids.client_ids.clear();
        assert_eq!(problem(registry(vec![no_ids])), IssuerProblem::NoClientIds);
        let mut bad_rule = email.clone();
        bad_rule.admit.push(AdmissionRule {
            claim: "email".into(),
            pattern: "(".into(),
        });
        assert!(matches!(
            problem(registry(vec![bad_rule])),
            IssuerProblem::BadAdmissionPattern { index: 0, .. }
        ));
        let mut jwks = email;
        jwks.jwks = Some(r#"{"keys":[]}"#.into());
        assert_eq!(problem(registry(vec![jwks])), IssuerProblem::EmptyJwks);
    }

    #[test]
    fn provider_errors() {
        let mut providers = BTreeMap::new();
        providers.insert(
            "mine".to_owned(),
            CiProviderMetadata {
                subject_alternative_name_template: "{{ .a ".into(),
                ..Default::default()
            },
        );
        assert!(matches!(
            IssuerRegistry::new(vec![], providers.clone()),
            Err(ConfigError::CiProvider {
                problem: CiProviderProblem::BadTemplate { .. },
                ..
            })
        ));
        providers
            .get_mut("mine")
            .unwrap()
            .subject_alternative_name_template = "{{ .a }}".into();
        providers
            .get_mut("mine")
            .unwrap()
            .extension_templates
            .insert(CertificateExtension::Issuer, "iss".into());
        assert!(matches!(
            IssuerRegistry::new(vec![], providers.clone()),
            Err(ConfigError::CiProvider {
                problem: CiProviderProblem::ForcedExtension(CertificateExtension::Issuer),
                ..
            })
        ));
        providers
            .get_mut("mine")
            .unwrap()
            .subject_alternative_name_template = " ".into();
        assert!(matches!(
            IssuerRegistry::new(vec![], providers),
            Err(ConfigError::CiProvider {
                problem: CiProviderProblem::MissingSanTemplate,
                ..
            })
        ));
    }

    #[test]
    fn descriptions() {
        let mut spiffe = IssuerConfig::exact("https://spire.example.org", IssuerType::Spiffe);
        spiffe.spiffe_trust_domain = Some("example.org".into());
        spiffe.client_ids = vec!["cairn".into(), "sigstore".into()];
        let k8s = IssuerConfig::wildcard("https://k8s-*.example.org", IssuerType::Kubernetes);
        let mut email = IssuerConfig::exact("https://idp.example.org", IssuerType::Email);
        email.challenge_claim = Some("preferred_username".into());
        let r = registry(vec![spiffe, k8s, email]).unwrap();
        let json = serde_json::to_value(r.descriptions()).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"issuerUrl": "https://spire.example.org", "audience": "cairn", "challengeClaim": "sub",
                 "spiffeTrustDomain": "example.org", "issuerType": "spiffe", "subjectDomain": "",
                 "skipEmailVerification": false},
                {"wildcardIssuerUrl": "https://k8s-*.example.org", "audience": "sigstore", "challengeClaim": "sub",
                 "spiffeTrustDomain": "", "issuerType": "kubernetes", "subjectDomain": "",
                 "skipEmailVerification": false},
                {"issuerUrl": "https://idp.example.org", "audience": "sigstore", "challengeClaim": "preferred_username",
                 "spiffeTrustDomain": "", "issuerType": "email", "subjectDomain": "",
                 "skipEmailVerification": false},
            ])
        );
    }
}
