//! Identity mapping per issuer type, from a TOML configuration as Cairn's config file holds it.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use oidc::{
    CertificateExtension, CiProviderMetadata, Claims, IssuerConfig, IssuerRegistry, Principal,
    PrincipalError, SubjectAltName, TemplateError,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    issuers: Vec<IssuerConfig>,
    #[serde(default)]
    ci_providers: BTreeMap<String, CiProviderMetadata>,
}

const CONFIG: &str = r#"
[[issuers]]
url = "https://token.actions.githubusercontent.com"
issuer_type = "ci-provider"
ci_provider = "github-workflow"

[[issuers]]
url = "https://github-dedicated.example.com"
type = "github-workflow"

[[issuers]]
url = "https://gitlab.example.com"
issuer_type = "ci-provider"
ci_provider = "gitlab-pipeline"

[[issuers]]
url = "https://gitlab.com"
issuer_type = "gitlab-pipeline"

[[issuers]]
wildcard_url = "https://oidc.eks.*.amazonaws.com/id/*"
issuer_type = "kubernetes"

[[issuers]]
url = "https://oauth2.sigstore.dev/auth"
issuer_type = "email"
issuer_claim = "$.federated_claims.connector_id"

[[issuers]]
url = "https://accounts.example.com"
issuer_type = "email"
skip_email_verification = true
client_ids = ["sigstore", "cairn"]

[[issuers]]
url = "https://accounts.example.org"
issuer_type = "uri"
subject_domain = "https://users.example.org"

[[issuers]]
url = "https://login.example.net"
issuer_type = "username"
subject_domain = "example.net"

[[issuers]]
url = "https://spire.example.io"
issuer_type = "spiffe"
spiffe_trust_domain = "example.io"

[[issuers]]
url = "https://issuer.enforce.dev"
issuer_type = "chainguard-identity"

[[issuers]]
url = "https://ci.corp.example"
issuer_type = "ci-provider"
ci_provider = "corp-ci"
admit = [
  { claim = "repository_owner", pattern = "my-org" },
  { claim = "$.groups", pattern = "release-(signers|admins)" },
]

[ci_providers.gitlab-pipeline.default_template_values]
url = "https://gitlab.example.com"

[ci_providers.corp-ci]
subject_alternative_name_template = "https://ci.corp.example/{{ .repository_owner }}/{{.pipeline}}"
default_template_values = { environment = "" }
extension_templates = { build-trigger = "event", source_repository_ref = 'refs/{{if eq .kind "tag"}}tags{{else}}heads{{end}}/{{.ref}}', deployment_environment = "environment" }
"#;

fn registry() -> IssuerRegistry {
    let file: ConfigFile = toml::from_str(CONFIG).unwrap();
    IssuerRegistry::new(file.issuers, file.ci_providers).unwrap()
}

fn claims(value: Value) -> Claims {
    Claims::from_map(value.as_object().cloned().unwrap())
}

fn principal_for(value: Value) -> Result<Principal, PrincipalError> {
    let registry = registry();
    let claims = claims(value);
    let iss = claims.issuer().unwrap().to_owned();
    registry
        .lookup(&iss)
        .expect("configured issuer")
        .principal(&claims)
}

fn arcs(p: &Principal) -> Vec<(u32, &str)> {
    p.extensions
        .iter()
        .map(|(e, v)| (e.arc(), v.as_str()))
        .collect()
}

fn github_claims(iss: &str) -> Value {
    json!({
        "jti": "example-id",
        "sub": "repo:octo-org/octo-repo:environment:prod",
        "environment": "prod",
        "aud": "sigstore",
        "ref": "refs/heads/main",
        "sha": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9",
        "repository": "octo-org/octo-repo",
        "repository_owner": "octo-org",
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": "5131113133",
        "run_number": "10",
        "run_attempt": "2",
        "runner_environment": "github-hosted",
        "actor": "octocat",
        "workflow": "Release",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "branch",
        "job_workflow_ref": "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        "job_workflow_sha": "1111111111111111111111111111111111111111",
        "workflow_ref": "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        "workflow_sha": "2222222222222222222222222222222222222222",
        "iss": iss,
        "nbf": 1632492967,
        "exp": 1632493867,
        "iat": 1632493567,
    })
}

fn expected_github(iss: &str) -> Vec<(u32, String)> {
    let s = |v: &str| v.to_owned();
    vec![
        (1, s(iss)),
        (2, s("push")),
        (3, s("a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9")),
        (4, s("Release")),
        (5, s("octo-org/octo-repo")),
        (6, s("refs/heads/main")),
        (8, s(iss)),
        (
            9,
            s(
                "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
            ),
        ),
        (10, s("1111111111111111111111111111111111111111")),
        (11, s("github-hosted")),
        (12, s("https://github.com/octo-org/octo-repo")),
        (13, s("a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9")),
        (14, s("refs/heads/main")),
        (15, s("74")),
        (16, s("https://github.com/octo-org")),
        (17, s("65")),
        (
            18,
            s(
                "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
            ),
        ),
        (19, s("2222222222222222222222222222222222222222")),
        (20, s("push")),
        (
            21,
            s("https://github.com/octo-org/octo-repo/actions/runs/5131113133/attempts/2"),
        ),
        (22, s("private")),
        (23, s("prod")),
        (24, s("repo:octo-org/octo-repo:environment:prod")),
    ]
}

fn owned(p: &Principal) -> Vec<(u32, String)> {
    arcs(p)
        .into_iter()
        .map(|(a, v)| (a, v.to_owned()))
        .collect()
}

#[test]
fn github_actions_through_the_builtin_ci_provider() {
    let iss = "https://token.actions.githubusercontent.com";
    let p = principal_for(github_claims(iss)).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main".into()
        )
    );
    assert_eq!(owned(&p), expected_github(iss));
    assert_eq!(
        p.challenges,
        vec!["repo:octo-org/octo-repo:environment:prod".to_owned()]
    );

    // No environment claim: the default "" applies and the extension is left out.
    let mut no_env = github_claims(iss);
    no_env.as_object_mut().unwrap().remove("environment");
    let p = principal_for(no_env).unwrap();
    assert_eq!(
        p.extension(CertificateExtension::DeploymentEnvironment),
        None
    );

    // A claim a template needs is missing.
    let mut broken = github_claims(iss);
    broken.as_object_mut().unwrap().remove("run_attempt");
    assert_eq!(
        principal_for(broken),
        Err(PrincipalError::Template {
            field: "run_invocation_uri",
            error: TemplateError::MissingKey {
                key: "run_attempt".into()
            }
        })
    );
    let mut broken = github_claims(iss);
    broken.as_object_mut().unwrap().remove("job_workflow_ref");
    assert!(matches!(
        principal_for(broken),
        Err(PrincipalError::Template {
            field: "subject_alternative_name_template",
            ..
        })
    ));
}

#[test]
fn github_actions_through_the_dedicated_type_matches_the_template() {
    let iss = "https://github-dedicated.example.com";
    let p = principal_for(github_claims(iss)).unwrap();
    assert_eq!(owned(&p), expected_github(iss));
    for claim in ["repository_visibility", "workflow", "run_id"] {
        let mut broken = github_claims(iss);
        broken.as_object_mut().unwrap().remove(claim);
        assert_eq!(
            principal_for(broken),
            Err(PrincipalError::MissingClaim {
                claim: claim.into()
            })
        );
    }
}

fn gitlab_claims(iss: &str, host: &str) -> Value {
    json!({
        "namespace_id": "72",
        "namespace_path": "my-group",
        "project_id": "20",
        "project_path": "my-group/my-project",
        "user_id": "1",
        "user_login": "sample-user",
        "user_email": "sample-user@example.com",
        "pipeline_id": "574",
        "pipeline_source": "push",
        "job_id": "302",
        "ref": "feature-branch-1",
        "ref_type": "branch",
        "ref_path": "refs/heads/feature-branch-1",
        "ref_protected": "false",
        "environment": "test-environment2",
        "environment_protected": "false",
        "deployment_tier": "testing",
        "environment_action": "start",
        "runner_id": 1,
        "runner_environment": "self-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "project_visibility": "public",
        "ci_config_ref_uri": format!("{host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main"),
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "jti": "235b3a54-b797-45c7-ae9a-f72d7bc6ef5b",
        "iss": iss,
        "iat": 1681395193,
        "nbf": 1681395188,
        "exp": 1681398793,
        "sub": "project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1",
        "aud": "sigstore",
    })
}

fn expected_gitlab(iss: &str, host: &str) -> Vec<(u32, String)> {
    let config = format!("https://{host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main");
    let sha = "714a629c0b401fdce83e847fc9589983fc6f46bc".to_owned();
    let s = |v: &str| v.to_owned();
    vec![
        (1, s(iss)),
        (8, s(iss)),
        (9, config.clone()),
        (10, sha.clone()),
        (11, s("self-hosted")),
        (12, format!("https://{host}/my-group/my-project")),
        (13, sha.clone()),
        (14, s("refs/heads/feature-branch-1")),
        (15, s("20")),
        (16, format!("https://{host}/my-group")),
        (17, s("72")),
        (18, config),
        (19, sha),
        (20, s("push")),
        (21, format!("https://{host}/my-group/my-project/-/jobs/302")),
        (22, s("public")),
        (23, s("test-environment2")),
        (
            24,
            s("project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1"),
        ),
    ]
}

#[test]
fn gitlab_ci_self_hosted_through_the_builtin_provider_with_a_url_override() {
    let iss = "https://gitlab.example.com";
    let p = principal_for(gitlab_claims(iss, "gitlab.example.com")).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main".into()
        )
    );
    assert_eq!(owned(&p), expected_gitlab(iss, "gitlab.example.com"));

    let mut tag = gitlab_claims(iss, "gitlab.example.com");
    tag["ref_type"] = json!("tag");
    tag["ref"] = json!("v1.2.3");
    let p = principal_for(tag).unwrap();
    assert_eq!(
        p.extension(CertificateExtension::SourceRepositoryRef),
        Some("refs/tags/v1.2.3")
    );
}

#[test]
fn gitlab_ci_through_the_dedicated_type() {
    let iss = "https://gitlab.com";
    let p = principal_for(gitlab_claims(iss, "gitlab.com")).unwrap();
    assert_eq!(owned(&p), expected_gitlab(iss, "gitlab.com"));
    let mut bad = gitlab_claims(iss, "gitlab.com");
    bad["ref_type"] = json!("merge_request");
    assert!(matches!(
        principal_for(bad),
        Err(PrincipalError::InvalidClaim { .. })
    ));
    let mut bad = gitlab_claims(iss, "gitlab.com");
    bad["runner_id"] = json!(0);
    assert_eq!(
        principal_for(bad),
        Err(PrincipalError::MissingClaim {
            claim: "runner_id".into()
        })
    );
}

#[test]
fn kubernetes_service_account_through_a_wildcard_issuer() {
    let iss = "https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB";
    let token = json!({
        "aud": ["sigstore"],
        "exp": 1700000000,
        "iat": 1699996400,
        "iss": iss,
        "kubernetes.io": {
            "namespace": "payments",
            "pod": {"name": "oidc-test", "uid": "49ad3572-b3dd-43a6-8d77-5858d3660275"},
            "serviceaccount": {"name": "release-bot", "uid": "f5720c1d-e152-4356-a897-11b07aff165d"}
        },
        "nbf": 1699996400,
        "sub": "system:serviceaccount:payments:release-bot",
    });
    let p = principal_for(token.clone()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://kubernetes.io/namespaces/payments/serviceaccounts/release-bot".into()
        )
    );
    assert_eq!(
        arcs(&p),
        vec![
            (1, iss),
            (8, iss),
            (24, "system:serviceaccount:payments:release-bot")
        ]
    );
    assert_eq!(
        p.challenges,
        vec!["system:serviceaccount:payments:release-bot".to_owned()]
    );
    let mut no_sa = token;
    no_sa["kubernetes.io"]["serviceaccount"] = json!({});
    assert_eq!(
        principal_for(no_sa),
        Err(PrincipalError::MissingClaim {
            claim: "kubernetes.io.serviceaccount.name".into()
        })
    );
}

#[test]
fn email_with_issuer_claim_and_verification() {
    let dex = json!({
        "iss": "https://oauth2.sigstore.dev/auth",
        "sub": "CgY5MDIxMzQSJmh0dHBzOi8vZ2l0aHViLmNvbS9sb2dpbi9vYXV0aA",
        "aud": "sigstore",
        "exp": 1700000000,
        "iat": 1699999940,
        "email": "alice@example.com",
        "email_verified": true,
        "federated_claims": {"connector_id": "https://github.com/login/oauth", "user_id": "902134"},
    });
    let p = principal_for(dex.clone()).unwrap();
    assert_eq!(p.san, SubjectAltName::Email("alice@example.com".into()));
    assert_eq!(
        arcs(&p),
        vec![
            (1, "https://github.com/login/oauth"),
            (8, "https://github.com/login/oauth"),
            (24, "CgY5MDIxMzQSJmh0dHBzOi8vZ2l0aHViLmNvbS9sb2dpbi9vYXV0aA"),
        ]
    );
    assert_eq!(p.challenges, vec!["alice@example.com".to_owned()]);

    let mut unverified = dex.clone();
    unverified["email_verified"] = json!(false);
    assert_eq!(
        principal_for(unverified),
        Err(PrincipalError::EmailNotVerified)
    );
    let mut no_connector = dex.clone();
    no_connector["federated_claims"] = json!({});
    assert_eq!(
        principal_for(no_connector),
        Err(PrincipalError::MissingClaim {
            claim: "$.federated_claims.connector_id".into()
        })
    );
    for bad in [
        "alice",
        "alice@example",
        "alice@example.com\n",
        "älice@example.com",
    ] {
        let mut token = dex.clone();
        token["email"] = json!(bad);
        assert!(
            matches!(
                principal_for(token),
                Err(PrincipalError::InvalidClaim { .. })
            ),
            "{bad:?}"
        );
    }
    let mut no_email = dex;
    no_email.as_object_mut().unwrap().remove("email");
    assert_eq!(
        principal_for(no_email),
        Err(PrincipalError::MissingClaim {
            claim: "email".into()
        })
    );

    // skip_email_verification: unverified is accepted; clients sign the email anyway, so it
    // is the only challenge.
    let skip = json!({
        "iss": "https://accounts.example.com", "sub": "1234", "aud": "cairn",
        "email": "bob@example.com", "email_verified": "false",
    });
    let p = principal_for(skip).unwrap();
    assert_eq!(p.san, SubjectAltName::Email("bob@example.com".into()));
    assert_eq!(p.challenges, vec!["bob@example.com".to_owned()]);
    assert_eq!(
        p.extension(CertificateExtension::Issuer),
        Some("https://accounts.example.com")
    );
}

#[test]
fn uri_subjects_stay_in_their_domain() {
    let token =
        |sub: &str| json!({"iss": "https://accounts.example.org", "sub": sub, "aud": "sigstore"});
    let p = principal_for(token("https://users.example.org/alice")).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://users.example.org/alice".into())
    );
    assert_eq!(
        p.challenges,
        vec!["https://users.example.org/alice".to_owned()]
    );
    for outside in [
        "https://evil.example.org/alice",
        "http://users.example.org/alice",
        "https://users.example.org.evil.com/alice",
        "users.example.org/alice",
    ] {
        assert_eq!(
            principal_for(token(outside)),
            Err(PrincipalError::OutsideDomain("subject domain")),
            "{outside}"
        );
    }
    assert!(matches!(
        principal_for(token("alice@users.example.org")),
        Err(PrincipalError::InvalidClaim { .. })
    ));
}

#[test]
fn usernames_get_the_subject_domain() {
    let token =
        |sub: &str| json!({"iss": "https://login.example.net", "sub": sub, "aud": "sigstore"});
    let p = principal_for(token("alice")).unwrap();
    assert_eq!(p.san, SubjectAltName::Username("alice!example.net".into()));
    assert_eq!(p.challenges, vec!["alice".to_owned()]);
    assert!(matches!(
        principal_for(token("alice!evil.com")),
        Err(PrincipalError::InvalidClaim { .. })
    ));
    assert!(matches!(
        principal_for(token("alice@example.net")),
        Err(PrincipalError::InvalidClaim { .. })
    ));
}

#[test]
fn spiffe_ids_stay_in_their_trust_domain() {
    let token =
        |sub: &str| json!({"iss": "https://spire.example.io", "sub": sub, "aud": "sigstore"});
    let p = principal_for(token("spiffe://example.io/ns/prod/sa/web")).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("spiffe://example.io/ns/prod/sa/web".into())
    );
    assert_eq!(
        principal_for(token("spiffe://other.io/ns/prod/sa/web")),
        Err(PrincipalError::OutsideDomain("SPIFFE trust domain"))
    );
    assert!(matches!(
        principal_for(token("spiffe://example.io/a/../b")),
        Err(PrincipalError::InvalidClaim { .. })
    ));
}

#[test]
fn chainguard_identities() {
    let token =
        json!({"iss": "https://issuer.enforce.dev", "sub": "abc123/def456", "aud": "sigstore"});
    let p = principal_for(token.clone()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://issuer.enforce.dev/abc123/def456".into())
    );
    assert_eq!(p.challenges, vec!["abc123/def456".to_owned()]);
    let mut with_email = token;
    with_email["email"] = json!("carol@example.com");
    assert_eq!(
        principal_for(with_email.clone()),
        Err(PrincipalError::EmailNotVerified)
    );
    with_email["email_verified"] = json!(true);
    assert_eq!(
        principal_for(with_email).unwrap().challenges,
        vec!["carol@example.com".to_owned()]
    );
}

fn corp_claims() -> Value {
    json!({
        "iss": "https://ci.corp.example", "sub": "pipeline:build", "aud": "sigstore",
        "repository_owner": "my-org", "pipeline": "build", "event": "push", "kind": "branch",
        "ref": "main", "groups": ["developers", "release-signers"],
    })
}

#[test]
fn admission_rules_and_custom_templates() {
    let p = principal_for(corp_claims()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://ci.corp.example/my-org/build".into())
    );
    assert_eq!(
        arcs(&p),
        vec![
            (1, "https://ci.corp.example"),
            (8, "https://ci.corp.example"),
            (14, "refs/heads/main"),
            (20, "push"),
            (24, "pipeline:build"),
        ]
    );

    let denied = |edit: &dyn Fn(&mut Value)| {
        let mut claims = corp_claims();
        edit(&mut claims);
        principal_for(claims)
    };
    // Anchored: a value that merely contains the pattern fails.
    assert_eq!(
        denied(&|c| c["repository_owner"] = json!("my-org-fork")),
        Err(PrincipalError::NotAdmitted {
            claim: "repository_owner".into()
        })
    );
    assert_eq!(
        denied(&|c| {
            c.as_object_mut().unwrap().remove("repository_owner");
        }),
        Err(PrincipalError::NotAdmitted {
            claim: "repository_owner".into()
        })
    );
    assert_eq!(
        denied(&|c| c["groups"] = json!(["developers"])),
        Err(PrincipalError::NotAdmitted {
            claim: "$.groups".into()
        })
    );
    assert_eq!(
        denied(&|c| c["groups"] = json!({"release-signers": true})),
        Err(PrincipalError::NotAdmitted {
            claim: "$.groups".into()
        })
    );
    denied(&|c| c["groups"] = json!("release-admins")).unwrap();
    // The message names the claim, never its value.
    let err = denied(&|c| c["repository_owner"] = json!("secret-value")).unwrap_err();
    assert!(!err.to_string().contains("secret-value"));
}

#[test]
fn challenges_follow_the_client_rule() {
    // A CI token that carries a verified email: clients sign the email, Fulcio checks sub.
    let mut claims = corp_claims();
    claims["email"] = json!("dev@corp.example");
    claims["email_verified"] = json!(true);
    assert_eq!(
        principal_for(claims.clone()).unwrap().challenges,
        vec!["pipeline:build".to_owned(), "dev@corp.example".to_owned()]
    );
    // Unverified: clients refuse to sign, so only Fulcio's name is offered.
    claims["email_verified"] = json!(false);
    assert_eq!(
        principal_for(claims).unwrap().challenges,
        vec!["pipeline:build".to_owned()]
    );
}

#[test]
fn numbers_in_template_claims_render_without_decimals() {
    let mut claims = corp_claims();
    claims["pipeline"] = json!(42.0);
    let p = principal_for(claims).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://ci.corp.example/my-org/42".into())
    );
}

#[test]
fn unknown_fields_and_types_are_config_errors() {
    let typo = "[[issuers]]\nurl = \"https://a.example.com\"\nissuer_type = \"email\"\nclient_id = \"x\"\n";
    assert!(toml::from_str::<ConfigFile>(typo).is_err());
    let bad_type = "[[issuers]]\nurl = \"https://a.example.com\"\nissuer_type = \"github\"\n";
    assert!(toml::from_str::<ConfigFile>(bad_type).is_err());
    let bad_ext = "[ci_providers.x]\nsubject_alternative_name_template = \"a\"\nextension_templates = { nope = \"a\" }\n[[issuers]]\nurl = \"https://a.example.com\"\nissuer_type = \"email\"\n";
    assert!(toml::from_str::<ConfigFile>(bad_ext).is_err());
}

#[test]
fn builtin_providers_all_compile_and_render() {
    // Every built-in provider validates (IssuerRegistry::new compiles them all) ...
    IssuerRegistry::new(vec![], BTreeMap::new()).unwrap();
    // ... and the CircleCI one, which uses index, renders a realistic token.
    let mut config = IssuerConfig::exact(
        "https://oidc.circleci.com/org/abc",
        oidc::IssuerType::CiProvider,
    );
    config.ci_provider = Some("circleci-job".into());
    let registry = IssuerRegistry::new(vec![config], BTreeMap::new()).unwrap();
    let claims = claims(json!({
        "iss": "https://oidc.circleci.com/org/abc", "sub": "org/abc/project/def/user/ghi", "aud": "sigstore",
        "oidc.circleci.com/project-id": "def", "oidc.circleci.com/pipeline-definition-id": "pd1",
        "oidc.circleci.com/pipeline-id": "p1", "oidc.circleci.com/workflow-id": "w1",
        "oidc.circleci.com/job-id": "j1", "oidc.circleci.com/vcs-ref": "refs/heads/main",
        "oidc.circleci.com/vcs-origin": "github.com/org/repo",
    }));
    let p = registry
        .lookup("https://oidc.circleci.com/org/abc")
        .unwrap()
        .principal(&claims)
        .unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://circleci.com/api/v2/projects/def/pipeline-definitions/pd1".into()
        )
    );
    assert_eq!(
        p.extension(CertificateExtension::RunnerEnvironment),
        Some("\"\"")
    );
    assert_eq!(
        p.extension(CertificateExtension::RunInvocationUri),
        Some("https://app.circleci.com//workflow/w1/job/j1")
    );
}
