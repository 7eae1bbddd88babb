//! The Sigstore certificate extensions under OID arc `1.3.6.1.4.1.57264.1` (Fulcio's
//! `docs/oid-info.md`).

use serde::{Deserialize, Serialize};

/// The OID arc every Fulcio extension lives under.
pub const FULCIO_OID_ARC: &str = "1.3.6.1.4.1.57264.1";

/// A Fulcio certificate extension carrying identity information. Declared in OID order, so the
/// derived ordering is OID order. `.1.7` is not here: it is the otherName type of a username
/// SAN, not an extension.
///
/// In configuration (`extension_templates`), names are snake case (`build_signer_uri`); the
/// kebab-case names of Fulcio's YAML (`build-signer-uri`) are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateExtension {
    /// `.1.1` Issuer (deprecated encoding: raw UTF-8 as the extension value).
    Issuer,
    /// `.1.2` GitHub Workflow Trigger (deprecated, raw).
    #[serde(alias = "github-workflow-trigger")]
    GithubWorkflowTrigger,
    /// `.1.3` GitHub Workflow SHA (deprecated, raw).
    #[serde(alias = "github-workflow-sha")]
    GithubWorkflowSha,
    /// `.1.4` GitHub Workflow Name (deprecated, raw).
    #[serde(alias = "github-workflow-name")]
    GithubWorkflowName,
    /// `.1.5` GitHub Workflow Repository (deprecated, raw).
    #[serde(alias = "github-workflow-repository")]
    GithubWorkflowRepository,
    /// `.1.6` GitHub Workflow Ref (deprecated, raw).
    #[serde(alias = "github-workflow-ref")]
    GithubWorkflowRef,
    /// `.1.8` Issuer (V2, DER `UTF8String`).
    #[serde(alias = "issuer-v2")]
    IssuerV2,
    /// `.1.9` Build Signer URI.
    #[serde(alias = "build-signer-uri")]
    BuildSignerUri,
    /// `.1.10` Build Signer Digest.
    #[serde(alias = "build-signer-digest")]
    BuildSignerDigest,
    /// `.1.11` Runner Environment.
    #[serde(alias = "runner-environment")]
    RunnerEnvironment,
    /// `.1.12` Source Repository URI.
    #[serde(alias = "source-repository-uri")]
    SourceRepositoryUri,
    /// `.1.13` Source Repository Digest.
    #[serde(alias = "source-repository-digest")]
    SourceRepositoryDigest,
    /// `.1.14` Source Repository Ref.
    #[serde(alias = "source-repository-ref")]
    SourceRepositoryRef,
    /// `.1.15` Source Repository Identifier.
    #[serde(alias = "source-repository-identifier")]
    SourceRepositoryIdentifier,
    /// `.1.16` Source Repository Owner URI.
    #[serde(alias = "source-repository-owner-uri")]
    SourceRepositoryOwnerUri,
    /// `.1.17` Source Repository Owner Identifier.
    #[serde(alias = "source-repository-owner-identifier")]
    SourceRepositoryOwnerIdentifier,
    /// `.1.18` Build Config URI.
    #[serde(alias = "build-config-uri")]
    BuildConfigUri,
    /// `.1.19` Build Config Digest.
    #[serde(alias = "build-config-digest")]
    BuildConfigDigest,
    /// `.1.20` Build Trigger.
    #[serde(alias = "build-trigger")]
    BuildTrigger,
    /// `.1.21` Run Invocation URI.
    #[serde(alias = "run-invocation-uri")]
    RunInvocationUri,
    /// `.1.22` Source Repository Visibility At Signing.
    #[serde(alias = "source-repository-visibility-at-signing")]
    SourceRepositoryVisibilityAtSigning,
    /// `.1.23` Deployment Environment.
    #[serde(alias = "deployment-environment")]
    DeploymentEnvironment,
    /// `.1.24` Token Subject (the token's raw `sub`).
    #[serde(alias = "token-subject")]
    TokenSubject,
}

impl CertificateExtension {
    /// Every extension, in OID order.
    pub const ALL: [CertificateExtension; 23] = [
        CertificateExtension::Issuer,
        CertificateExtension::GithubWorkflowTrigger,
        CertificateExtension::GithubWorkflowSha,
        CertificateExtension::GithubWorkflowName,
        CertificateExtension::GithubWorkflowRepository,
        CertificateExtension::GithubWorkflowRef,
        CertificateExtension::IssuerV2,
        CertificateExtension::BuildSignerUri,
        CertificateExtension::BuildSignerDigest,
        CertificateExtension::RunnerEnvironment,
        CertificateExtension::SourceRepositoryUri,
        CertificateExtension::SourceRepositoryDigest,
        CertificateExtension::SourceRepositoryRef,
        CertificateExtension::SourceRepositoryIdentifier,
        CertificateExtension::SourceRepositoryOwnerUri,
        CertificateExtension::SourceRepositoryOwnerIdentifier,
        CertificateExtension::BuildConfigUri,
        CertificateExtension::BuildConfigDigest,
        CertificateExtension::BuildTrigger,
        CertificateExtension::RunInvocationUri,
        CertificateExtension::SourceRepositoryVisibilityAtSigning,
        CertificateExtension::DeploymentEnvironment,
        CertificateExtension::TokenSubject,
    ];

    /// The last OID arc under `1.3.6.1.4.1.57264.1` (`Issuer` → 1, `TokenSubject` → 24).
    pub fn arc(self) -> u32 {
        match self {
            CertificateExtension::Issuer => 1,
            CertificateExtension::GithubWorkflowTrigger => 2,
            CertificateExtension::GithubWorkflowSha => 3,
            CertificateExtension::GithubWorkflowName => 4,
            CertificateExtension::GithubWorkflowRepository => 5,
            CertificateExtension::GithubWorkflowRef => 6,
            CertificateExtension::IssuerV2 => 8,
            CertificateExtension::BuildSignerUri => 9,
            CertificateExtension::BuildSignerDigest => 10,
            CertificateExtension::RunnerEnvironment => 11,
            CertificateExtension::SourceRepositoryUri => 12,
            CertificateExtension::SourceRepositoryDigest => 13,
            CertificateExtension::SourceRepositoryRef => 14,
            CertificateExtension::SourceRepositoryIdentifier => 15,
            CertificateExtension::SourceRepositoryOwnerUri => 16,
            CertificateExtension::SourceRepositoryOwnerIdentifier => 17,
            CertificateExtension::BuildConfigUri => 18,
            CertificateExtension::BuildConfigDigest => 19,
            CertificateExtension::BuildTrigger => 20,
            CertificateExtension::RunInvocationUri => 21,
            CertificateExtension::SourceRepositoryVisibilityAtSigning => 22,
            CertificateExtension::DeploymentEnvironment => 23,
            CertificateExtension::TokenSubject => 24,
        }
    }

    /// The configuration name (`build_signer_uri`).
    pub fn config_name(self) -> &'static str {
        match self {
            CertificateExtension::Issuer => "issuer",
            CertificateExtension::GithubWorkflowTrigger => "github_workflow_trigger",
            CertificateExtension::GithubWorkflowSha => "github_workflow_sha",
            CertificateExtension::GithubWorkflowName => "github_workflow_name",
            CertificateExtension::GithubWorkflowRepository => "github_workflow_repository",
            CertificateExtension::GithubWorkflowRef => "github_workflow_ref",
            CertificateExtension::IssuerV2 => "issuer_v2",
            CertificateExtension::BuildSignerUri => "build_signer_uri",
            CertificateExtension::BuildSignerDigest => "build_signer_digest",
            CertificateExtension::RunnerEnvironment => "runner_environment",
            CertificateExtension::SourceRepositoryUri => "source_repository_uri",
            CertificateExtension::SourceRepositoryDigest => "source_repository_digest",
            CertificateExtension::SourceRepositoryRef => "source_repository_ref",
            CertificateExtension::SourceRepositoryIdentifier => "source_repository_identifier",
            CertificateExtension::SourceRepositoryOwnerUri => "source_repository_owner_uri",
            CertificateExtension::SourceRepositoryOwnerIdentifier => {
                "source_repository_owner_identifier"
            }
            CertificateExtension::BuildConfigUri => "build_config_uri",
            CertificateExtension::BuildConfigDigest => "build_config_digest",
            CertificateExtension::BuildTrigger => "build_trigger",
            CertificateExtension::RunInvocationUri => "run_invocation_uri",
            CertificateExtension::SourceRepositoryVisibilityAtSigning => {
                "source_repository_visibility_at_signing"
            }
            CertificateExtension::DeploymentEnvironment => "deployment_environment",
            CertificateExtension::TokenSubject => "token_subject",
        }
    }

    /// The full dotted OID, e.g. `1.3.6.1.4.1.57264.1.8`.
    pub fn oid(self) -> String {
        format!("{FULCIO_OID_ARC}.{}", self.arc())
    }

    /// Whether the value is written as raw UTF-8 bytes (`.1.1`–`.1.6`) rather than as a DER
    /// `UTF8String` (`.1.8` onwards).
    pub fn is_raw_encoded(self) -> bool {
        self.arc() <= 6
    }

    /// Whether the value always comes from the token and may not be templated.
    pub fn is_forced_from_token(self) -> bool {
        matches!(
            self,
            CertificateExtension::Issuer
                | CertificateExtension::IssuerV2
                | CertificateExtension::TokenSubject
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn arcs_are_in_declaration_order() {
        let arcs: Vec<u32> = CertificateExtension::ALL.iter().map(|e| e.arc()).collect();
        let mut sorted = CertificateExtension::ALL;
        sorted.sort();
        assert_eq!(sorted, CertificateExtension::ALL);
        assert!(arcs.windows(2).all(|w| w[0] < w[1]));
        assert!(!arcs.contains(&7));
        assert_eq!(
            CertificateExtension::IssuerV2.oid(),
            "1.3.6.1.4.1.57264.1.8"
        );
        assert!(CertificateExtension::GithubWorkflowRef.is_raw_encoded());
        assert!(!CertificateExtension::IssuerV2.is_raw_encoded());
        for ext in CertificateExtension::ALL {
            let json = serde_json::to_value(ext).unwrap();
            assert_eq!(json, serde_json::Value::from(ext.config_name()));
            let kebab = serde_json::Value::from(ext.config_name().replace('_', "-"));
            assert_eq!(
                serde_json::from_value::<CertificateExtension>(kebab).unwrap(),
                ext
            );
        }
    }
}
