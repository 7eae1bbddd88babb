//! From verified claims to what the certificate says: the SAN, the Sigstore extensions, and the
//! strings a proof-of-possession signature may cover (PROTOCOL.md §1.2, §1.6; Fulcio's
//! `pkg/identity/*/principal.go`).

use std::collections::BTreeMap;

use serde_json::Value;
use thiserror::Error;

use crate::config::{Issuer, IssuerType};
use crate::extensions::CertificateExtension as E;
use crate::template::TemplateError;
use crate::token::Claims;
use crate::uri;

/// GitHub's web origin, which Fulcio's dedicated `github-workflow` type builds URIs from.
const GITHUB_URL: &str = "https://github.com/";
/// GitLab's web origin, which Fulcio's dedicated `gitlab-pipeline` type builds URIs from (use a
/// `ci-provider` issuer with a `url` default for a self-hosted GitLab).
const GITLAB_URL: &str = "https://gitlab.com/";

/// The certificate's single subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectAltName {
    /// `rfc822Name`.
    Email(String),
    /// `uniformResourceIdentifier` (ASCII, percent-encoded where needed).
    Uri(String),
    /// `otherName` of type `1.3.6.1.4.1.57264.1.7` with this `UTF8String` value (`user!domain`).
    Username(String),
}

impl SubjectAltName {
    /// The name's value.
    pub fn value(&self) -> &str {
        match self {
            SubjectAltName::Email(v) | SubjectAltName::Uri(v) | SubjectAltName::Username(v) => v,
        }
    }
}

/// The identity a token proves, ready to embed in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Strings a proof-of-possession signature may cover: Fulcio's `principal.Name()` first,
    /// then the client rule's string (the verified `email` if the token has a non-empty `email`,
    /// else `sub`) if different.
    pub challenges: Vec<String>,
    /// The SAN.
    pub san: SubjectAltName,
    /// The Sigstore extensions with non-empty values, in OID order. Always includes
    /// [`E::Issuer`], [`E::IssuerV2`] and [`E::TokenSubject`].
    pub extensions: Vec<(E, String)>,
}

impl Principal {
    /// The value of one extension, if present.
    pub fn extension(&self, extension: E) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(e, _)| *e == extension)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a verified token does not yield a certificate identity. `Display` names claims, never
/// their values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PrincipalError {
    /// An admission rule did not match.
    #[error("token was not admitted: claim {claim:?} does not satisfy the issuer's rule")]
    NotAdmitted {
        /// The rule's claim.
        claim: String,
    },
    /// A claim the issuer type needs is missing or empty.
    #[error("token has no usable {claim:?} claim")]
    MissingClaim {
        /// The claim.
        claim: String,
    },
    /// A claim has the wrong type or an unusable value.
    #[error("token claim {claim:?} is invalid: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `email_verified` is not true.
    #[error("the token's e-mail address is not verified")]
    EmailNotVerified,
    /// The subject does not belong to the configured domain or trust domain.
    #[error("the token's subject is outside the issuer's {0}")]
    OutsideDomain(&'static str),
    /// A CI provider template could not be rendered.
    #[error("{field}: {error}")]
    Template {
        /// The SAN or extension being rendered.
        field: &'static str,
        /// Why.
        error: TemplateError,
    },
    /// The rendered SAN is not a URI with a scheme.
    #[error("the subject alternative name is not an absolute URI")]
    InvalidSanUri,
}

fn missing(claim: &str) -> PrincipalError {
    PrincipalError::MissingClaim {
        claim: claim.to_owned(),
    }
}

fn invalid(claim: &str, reason: &'static str) -> PrincipalError {
    PrincipalError::InvalidClaim {
        claim: claim.to_owned(),
        reason,
    }
}

/// A scalar claim as text: strings as they are, integral numbers without decimals, other
/// numbers in their JSON form, booleans as `true`/`false`. `None` for null, arrays, objects.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else {
                let f = n.as_f64()?;
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    Some(format!("{f:.0}"))
                } else {
                    Some(n.to_string())
                }
            }
        }
        _ => None,
    }
}

/// A claim that must be present and non-empty, as text.
fn required(claims: &Claims, name: &str) -> Result<String, PrincipalError> {
    let value = claims.get(name).ok_or_else(|| missing(name))?;
    let text = scalar_text(value).ok_or_else(|| invalid(name, "not a string or number"))?;
    if text.is_empty() {
        return Err(missing(name));
    }
    Ok(text)
}

/// A claim that may be absent; present but not scalar is an error.
fn optional(claims: &Claims, name: &str) -> Result<String, PrincipalError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(value) => scalar_text(value).ok_or_else(|| invalid(name, "not a string or number")),
    }
}

fn san_uri(value: &str) -> Result<SubjectAltName, PrincipalError> {
    uri::san_uri(value)
        .map(SubjectAltName::Uri)
        .ok_or(PrincipalError::InvalidSanUri)
}

/// Build the certificate identity for verified claims from `issuer`, with Fulcio's mapping for
/// the issuer's type, after checking the issuer's admission rules.
pub fn principal(issuer: &Issuer, claims: &Claims) -> Result<Principal, PrincipalError> {
    check_admission(issuer, claims)?;
    let iss = claims.issuer().ok_or_else(|| missing("iss"))?.to_owned();
    let sub = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | None => return Err(missing("sub")),
        Some(_) => return Err(invalid("sub", "not a string")),
    };
    let mut extensions: BTreeMap<E, String> = BTreeMap::new();
    let mut issuer_value = iss.clone();

    let (name, san) = match issuer.issuer_type() {
        IssuerType::Email => {
            let email = claims
                .email()
                .filter(|e| !e.is_empty())
                .ok_or_else(|| missing("email"))?;
            if !issuer.config().skip_email_verification && !claims.email_verified() {
                return Err(PrincipalError::EmailNotVerified);
            }
            if !uri::fulcio_email_shape(email) || !email.is_ascii() {
                return Err(invalid("email", "not an e-mail address"));
            }
            if let Some(path) = &issuer.issuer_claim {
                let claim = issuer.config().issuer_claim.as_deref().unwrap_or_default();
                issuer_value = path
                    .lookup(claims)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| missing(claim))?
                    .to_owned();
            }
            (email.to_owned(), SubjectAltName::Email(email.to_owned()))
        }
        IssuerType::Uri => {
            if uri::looks_like_email(&sub) {
                return Err(invalid("sub", "is an e-mail address"));
            }
            let subject = uri::parse_url(&sub).ok_or_else(|| invalid("sub", "not a URI"))?;
            let domain = issuer
                .config()
                .subject_domain
                .as_deref()
                .unwrap_or_default();
            let expected =
                uri::parse_url(domain).ok_or(PrincipalError::OutsideDomain("subject domain"))?;
            if subject.scheme != expected.scheme || subject.hostname != expected.hostname {
                return Err(PrincipalError::OutsideDomain("subject domain"));
            }
            (sub.clone(), san_uri(&sub)?)
        }
        IssuerType::Username => {
            if sub.contains('!') {
                return Err(invalid("sub", "contains '!'"));
            }
            if uri::looks_like_email(&sub) {
                return Err(invalid("sub", "is an e-mail address"));
            }
            let domain = issuer
                .config()
                .subject_domain
                .as_deref()
                .unwrap_or_default();
            (
                sub.clone(),
                SubjectAltName::Username(format!("{sub}!{domain}")),
            )
        }
        IssuerType::Kubernetes => {
            let k8s = claims
                .get("kubernetes.io")
                .ok_or_else(|| missing("kubernetes.io"))?;
            let field = |path: &[&str], label: &str| -> Result<String, PrincipalError> {
                let mut value = k8s;
                for step in path {
                    value = value.get(step).ok_or_else(|| missing(label))?;
                }
                value
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| missing(label))
            };
            let namespace = field(&["namespace"], "kubernetes.io.namespace")?;
            let account = field(
                &["serviceaccount", "name"],
                "kubernetes.io.serviceaccount.name",
            )?;
            let uri =
                format!("https://kubernetes.io/namespaces/{namespace}/serviceaccounts/{account}");
            (sub.clone(), san_uri(&uri)?)
        }
        IssuerType::Spiffe => {
            let td =
                uri::spiffe_trust_domain(&sub).ok_or_else(|| invalid("sub", "not a SPIFFE ID"))?;
            if Some(td) != issuer.subject_trust_domain.as_deref() {
                return Err(PrincipalError::OutsideDomain("SPIFFE trust domain"));
            }
            (sub.clone(), san_uri(&sub)?)
        }
        IssuerType::GithubWorkflow => {
            let san = github_workflow(claims, &mut extensions)?;
            (sub.clone(), san)
        }
        IssuerType::GitlabPipeline => {
            let san = gitlab_pipeline(claims, &mut extensions)?;
            (sub.clone(), san)
        }
        IssuerType::CiProvider => {
            let san = ci_provider(issuer, claims, &mut extensions)?;
            (sub.clone(), san)
        }
        IssuerType::ChainguardIdentity => {
            let name = match claims.email().filter(|e| !e.is_empty()) {
                Some(email) if claims.email_verified() => email.to_owned(),
                Some(_) => return Err(PrincipalError::EmailNotVerified),
                None => sub.clone(),
            };
            (name, san_uri(&uri::join_path(&iss, &[&sub]))?)
        }
    };

    extensions.insert(E::Issuer, issuer_value.clone());
    extensions.insert(E::IssuerV2, issuer_value);
    extensions.insert(E::TokenSubject, sub.clone());
    extensions.retain(|_, v| !v.is_empty());

    let mut challenges = vec![name];
    let client_rule = match claims.email().filter(|e| !e.is_empty()) {
        Some(email) if claims.email_verified() => Some(email.to_owned()),
        Some(_) => None,
        None => Some(sub),
    };
    if let Some(extra) = client_rule
        && !challenges.contains(&extra)
    {
        challenges.push(extra);
    }

    Ok(Principal {
        challenges,
        san,
        extensions: extensions.into_iter().collect(),
    })
}

fn check_admission(issuer: &Issuer, claims: &Claims) -> Result<(), PrincipalError> {
    for rule in &issuer.admit {
        let admitted = match rule.path.lookup(claims) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(scalar_text)
                .any(|v| rule.regex.is_match(&v)),
            Some(value) => scalar_text(value).is_some_and(|v| rule.regex.is_match(&v)),
            None => false,
        };
        if !admitted {
            return Err(PrincipalError::NotAdmitted {
                claim: rule.claim.clone(),
            });
        }
    }
    Ok(())
}

/// Fulcio's dedicated GitHub Actions mapping: every workflow claim required.
fn github_workflow(
    claims: &Claims,
    out: &mut BTreeMap<E, String>,
) -> Result<SubjectAltName, PrincipalError> {
    let get = |name| required(claims, name);
    let job_workflow_ref = get("job_workflow_ref")?;
    let sha = get("sha")?;
    let event_name = get("event_name")?;
    let repository = get("repository")?;
    let workflow = get("workflow")?;
    let git_ref = get("ref")?;
    let job_workflow_sha = get("job_workflow_sha")?;
    let runner_environment = get("runner_environment")?;
    let repository_id = get("repository_id")?;
    let repository_owner = get("repository_owner")?;
    let repository_owner_id = get("repository_owner_id")?;
    let workflow_ref = get("workflow_ref")?;
    let workflow_sha = get("workflow_sha")?;
    let run_id = get("run_id")?;
    let run_attempt = get("run_attempt")?;
    let repository_visibility = get("repository_visibility")?;

    let signer_uri = uri::join_path(GITHUB_URL, &[&job_workflow_ref]);
    out.extend([
        (E::GithubWorkflowTrigger, event_name.clone()),
        (E::GithubWorkflowSha, sha.clone()),
        (E::GithubWorkflowName, workflow),
        (E::GithubWorkflowRepository, repository.clone()),
        (E::GithubWorkflowRef, git_ref.clone()),
        (E::BuildSignerUri, signer_uri.clone()),
        (E::BuildSignerDigest, job_workflow_sha),
        (E::RunnerEnvironment, runner_environment),
        (
            E::SourceRepositoryUri,
            uri::join_path(GITHUB_URL, &[&repository]),
        ),
        (E::SourceRepositoryDigest, sha),
        (E::SourceRepositoryRef, git_ref),
        (E::SourceRepositoryIdentifier, repository_id),
        (
            E::SourceRepositoryOwnerUri,
            uri::join_path(GITHUB_URL, &[&repository_owner]),
        ),
        (E::SourceRepositoryOwnerIdentifier, repository_owner_id),
        (
            E::BuildConfigUri,
            uri::join_path(GITHUB_URL, &[&workflow_ref]),
        ),
        (E::BuildConfigDigest, workflow_sha),
        (E::BuildTrigger, event_name),
        (
            E::RunInvocationUri,
            uri::join_path(
                GITHUB_URL,
                &[
                    &repository,
                    "actions/runs",
                    &run_id,
                    "attempts",
                    &run_attempt,
                ],
            ),
        ),
        (
            E::SourceRepositoryVisibilityAtSigning,
            repository_visibility,
        ),
        (E::DeploymentEnvironment, optional(claims, "environment")?),
    ]);
    san_uri(&signer_uri)
}

/// Fulcio's dedicated GitLab CI mapping.
fn gitlab_pipeline(
    claims: &Claims,
    out: &mut BTreeMap<E, String>,
) -> Result<SubjectAltName, PrincipalError> {
    let get = |name| required(claims, name);
    let project_path = get("project_path")?;
    let pipeline_source = get("pipeline_source")?;
    get("pipeline_id")?;
    let ci_config_ref_uri = get("ci_config_ref_uri")?;
    let job_id = get("job_id")?;
    let git_ref = get("ref")?;
    let ref_type = get("ref_type")?;
    let namespace_path = get("namespace_path")?;
    let namespace_id = get("namespace_id")?;
    let project_id = get("project_id")?;
    let sha = get("sha")?;
    let runner_environment = get("runner_environment")?;
    match claims.get("runner_id").and_then(Value::as_i64) {
        Some(id) if id != 0 => {}
        Some(_) | None => return Err(missing("runner_id")),
    }
    let full_ref = match ref_type.as_str() {
        "branch" => format!("refs/heads/{git_ref}"),
        "tag" => format!("refs/tags/{git_ref}"),
        _ => return Err(invalid("ref_type", "neither branch nor tag")),
    };
    let ci_config_sha = optional(claims, "ci_config_sha")?;
    // The claim has no scheme (`gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main`).
    let config_uri = format!("https://{ci_config_ref_uri}");
    out.extend([
        (E::BuildConfigUri, config_uri.clone()),
        (E::BuildConfigDigest, ci_config_sha.clone()),
        (E::BuildSignerUri, config_uri.clone()),
        (E::BuildSignerDigest, ci_config_sha),
        (E::RunnerEnvironment, runner_environment),
        (
            E::SourceRepositoryUri,
            uri::join_path(GITLAB_URL, &[&project_path]),
        ),
        (E::SourceRepositoryDigest, sha),
        (E::SourceRepositoryRef, full_ref),
        (E::SourceRepositoryIdentifier, project_id),
        (
            E::SourceRepositoryOwnerUri,
            uri::join_path(GITLAB_URL, &[&namespace_path]),
        ),
        (E::SourceRepositoryOwnerIdentifier, namespace_id),
        (E::BuildTrigger, pipeline_source),
        (
            E::RunInvocationUri,
            uri::join_path(GITLAB_URL, &[&project_path, "/-/jobs/", &job_id]),
        ),
        (
            E::SourceRepositoryVisibilityAtSigning,
            optional(claims, "project_visibility")?,
        ),
        (E::DeploymentEnvironment, optional(claims, "environment")?),
    ]);
    san_uri(&config_uri)
}

/// The generic CI mapping: the provider's templates over its defaults and the token's claims.
fn ci_provider(
    issuer: &Issuer,
    claims: &Claims,
    out: &mut BTreeMap<E, String>,
) -> Result<SubjectAltName, PrincipalError> {
    let provider = issuer.ci.as_ref().ok_or_else(|| missing("ci_provider"))?;
    let mut data = provider.defaults.clone();
    for (name, value) in claims.as_map() {
        if let Some(text) = scalar_text(value) {
            data.insert(name.clone(), text);
        }
    }
    let san = provider
        .san
        .render(&data)
        .map_err(|error| PrincipalError::Template {
            field: "subject_alternative_name_template",
            error,
        })?;
    for (extension, template) in &provider.extensions {
        let value = template
            .render(&data)
            .map_err(|error| PrincipalError::Template {
                field: extension.config_name(),
                error,
            })?;
        out.insert(*extension, value);
    }
    san_uri(&san)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn scalar_texts() {
        assert_eq!(scalar_text(&json!("x")), Some("x".into()));
        assert_eq!(scalar_text(&json!(42)), Some("42".into()));
        assert_eq!(scalar_text(&json!(42.0)), Some("42".into()));
        assert_eq!(scalar_text(&json!(1.5)), Some("1.5".into()));
        assert_eq!(scalar_text(&json!(u64::MAX)), Some(u64::MAX.to_string()));
        assert_eq!(scalar_text(&json!(true)), Some("true".into()));
        assert_eq!(scalar_text(&json!(null)), None);
        assert_eq!(scalar_text(&json!([1])), None);
    }
}
