//! The CI providers of Fulcio's public `config/identity/config.yaml` (`ci-issuer-metadata`),
//! with the same default values and templates, so an issuer can name one with
//! `ci_provider = "github-workflow"` and override only what differs (usually `url`).

use std::collections::BTreeMap;

use crate::config::CiProviderMetadata;
use crate::extensions::CertificateExtension as E;

fn metadata(defaults: &[(&str, &str)], extensions: &[(E, &str)], san: &str) -> CiProviderMetadata {
    CiProviderMetadata {
        default_template_values: defaults
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        extension_templates: extensions
            .iter()
            .map(|(e, t)| (*e, (*t).to_owned()))
            .collect(),
        subject_alternative_name_template: san.to_owned(),
    }
}

/// The built-in CI providers by name: `github-workflow`, `gitlab-pipeline`, `buildkite-job`,
/// `codefresh-workflow` and `circleci-job`.
pub fn ci_providers() -> BTreeMap<String, CiProviderMetadata> {
    let github = metadata(
        &[("url", "https://github.com"), ("environment", "")],
        &[
            (E::GithubWorkflowTrigger, "event_name"),
            (E::GithubWorkflowSha, "sha"),
            (E::GithubWorkflowName, "workflow"),
            (E::GithubWorkflowRepository, "repository"),
            (E::GithubWorkflowRef, "ref"),
            (E::BuildSignerUri, "{{ .url }}/{{ .job_workflow_ref }}"),
            (E::BuildSignerDigest, "job_workflow_sha"),
            (E::RunnerEnvironment, "runner_environment"),
            (E::SourceRepositoryUri, "{{ .url }}/{{ .repository }}"),
            (E::SourceRepositoryDigest, "sha"),
            (E::SourceRepositoryRef, "ref"),
            (E::SourceRepositoryIdentifier, "repository_id"),
            (
                E::SourceRepositoryOwnerUri,
                "{{ .url }}/{{ .repository_owner }}",
            ),
            (E::SourceRepositoryOwnerIdentifier, "repository_owner_id"),
            (E::BuildConfigUri, "{{ .url }}/{{ .workflow_ref }}"),
            (E::BuildConfigDigest, "workflow_sha"),
            (E::BuildTrigger, "event_name"),
            (
                E::RunInvocationUri,
                "{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}",
            ),
            (
                E::SourceRepositoryVisibilityAtSigning,
                "repository_visibility",
            ),
            (E::DeploymentEnvironment, "environment"),
        ],
        "{{ .url }}/{{ .job_workflow_ref }}",
    );
    let gitlab = metadata(
        &[("url", "https://gitlab.com"), ("environment", "")],
        &[
            (E::BuildSignerUri, "https://{{ .ci_config_ref_uri }}"),
            (E::BuildSignerDigest, "ci_config_sha"),
            (E::RunnerEnvironment, "runner_environment"),
            (E::SourceRepositoryUri, "{{ .url }}/{{ .project_path }}"),
            (E::SourceRepositoryDigest, "sha"),
            (
                E::SourceRepositoryRef,
                r#"refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}"#,
            ),
            (E::SourceRepositoryIdentifier, "project_id"),
            (
                E::SourceRepositoryOwnerUri,
                "{{ .url }}/{{ .namespace_path }}",
            ),
            (E::SourceRepositoryOwnerIdentifier, "namespace_id"),
            (E::BuildConfigUri, "https://{{ .ci_config_ref_uri }}"),
            (E::BuildConfigDigest, "ci_config_sha"),
            (E::BuildTrigger, "pipeline_source"),
            (
                E::RunInvocationUri,
                "{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}",
            ),
            (E::SourceRepositoryVisibilityAtSigning, "project_visibility"),
            (E::DeploymentEnvironment, "environment"),
        ],
        "https://{{ .ci_config_ref_uri }}",
    );
    let codefresh = metadata(
        &[
            ("platform_url", "https://g.codefresh.io"),
            ("scm_repo_url", ""),
            ("scm_ref", ""),
            ("runner_environment", ""),
        ],
        &[
            (
                E::BuildSignerUri,
                "{{.platform_url}}/build/{{ .workflow_id }}",
            ),
            (E::RunnerEnvironment, "runner_environment"),
            (E::SourceRepositoryUri, "scm_repo_url"),
            (E::SourceRepositoryRef, "scm_ref"),
            (
                E::BuildConfigUri,
                "{{.platform_url}}/api/pipelines/{{ .pipeline_id }}",
            ),
            (
                E::RunInvocationUri,
                "{{.platform_url}}/build/{{ .workflow_id }}",
            ),
        ],
        "{{.platform_url}}/{{.account_name}}/{{.pipeline_name}}:{{.account_id}}/{{.pipeline_id}}",
    );
    let buildkite = metadata(
        &[("url", "https://buildkite.com")],
        &[
            (
                E::RunInvocationUri,
                "{{.url}}/{{.organization_slug}}/{{.pipeline_slug}}/builds/{{.build_number}}#{{.job_id}}",
            ),
            (E::RunnerEnvironment, "runner_environment"),
            (E::SourceRepositoryDigest, "build_commit"),
            (E::BuildTrigger, "build_source"),
        ],
        "{{.url}}/{{.organization_slug}}/{{.pipeline_slug}}",
    );
    let circleci = metadata(
        &[
            ("api_url", "https://circleci.com/api/v2"),
            ("platform_url", "https://app.circleci.com/"),
        ],
        &[
            (
                E::BuildConfigUri,
                r#"{{.api_url}}/pipeline/{{(index . "oidc.circleci.com/pipeline-id")}}/config"#,
            ),
            (
                E::BuildSignerUri,
                r#"{{.api_url}}/projects/{{(index . "oidc.circleci.com/project-id")}}/pipeline-definitions/{{(index . "oidc.circleci.com/pipeline-definition-id")}}"#,
            ),
            (
                E::RunInvocationUri,
                r#"{{.platform_url}}/workflow/{{(index . "oidc.circleci.com/workflow-id")}}/job/{{(index . "oidc.circleci.com/job-id")}}"#,
            ),
            (
                E::RunnerEnvironment,
                r#"{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}"#,
            ),
            (
                E::SourceRepositoryRef,
                r#"{{index . "oidc.circleci.com/vcs-ref"}}"#,
            ),
            (
                E::SourceRepositoryUri,
                r#"{{index . "oidc.circleci.com/vcs-origin"}}"#,
            ),
        ],
        r#"{{.api_url}}/projects/{{(index . "oidc.circleci.com/project-id")}}/pipeline-definitions/{{(index . "oidc.circleci.com/pipeline-definition-id")}}"#,
    );
    [
        ("github-workflow", github),
        ("gitlab-pipeline", gitlab),
        ("codefresh-workflow", codefresh),
        ("buildkite-job", buildkite),
        ("circleci-job", circleci),
    ]
    .into_iter()
    .map(|(name, m)| (name.to_owned(), m))
    .collect()
}
